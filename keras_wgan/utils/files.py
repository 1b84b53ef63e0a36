"""Writing files so that a crash never leaves half of one, nor its temporaries for good."""

import contextlib
import errno
import os
import re
import shutil
import tempfile

from keras_wgan.utils.validation import invalid

#: Temporaries are named `.tmp-pid<pid>-<target>.<random><suffix>`: dot-named (TF Serving
#: and listings skip them), with the writer's process id, so that what a dead writer left
#: can be told from what a live one is writing.
PREFIX = ".tmp-"
_WRITER = re.compile(r"^\.tmp-pid(\d+)-")
#: The names earlier versions gave their temporaries (mkstemp's 8 random characters): a
#: file's, `.tmp-<random><suffix>`, and an export's folder, `.tmp-<version>-<random>`.
_LEGACY = re.compile(r"^\.tmp-(\d+-)?[a-z0-9_]{8}(\.[^/]*)?$")
_NAME_CHARS = 80  # of the target's name kept in its temporaries' names


def umask():
    """The process's umask, read without changing it where Linux tells it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode():
    """The mode `open` gives a new file: 0o666 less the umask (0o644 under umask 022)."""
    return 0o666 & ~umask()


def folder_mode():
    """The mode `os.makedirs` gives a new folder: 0o777 less the umask."""
    return 0o777 & ~umask()


def check_folder(name, path):
    """`path` (a string) if it is a folder or one can be made there; else raises.

    Refuses the empty path (which would write into the current folder), a path that is a
    file or lies under one, and a folder this process may not write into (named with the
    system's message, as an `OSError`).

    Args:
        name: the argument that gave `path`, for the message.
        path: the folder.

    Raises:
        ValueError: for an empty path, a file or a path under a file.
        PermissionError: for a folder (or nearest existing parent) that is not writable.
    """
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise invalid(name, path, "a folder path (an empty one means the current folder)")
    path = os.fspath(path)
    target = existing = os.path.abspath(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        where = "is a file" if existing == target else f"lies under the file {existing!r}"
        raise invalid(name, path, f"a folder; {path!r} {where}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), existing)
    return path


def _prefix(name):
    return f"{PREFIX}pid{os.getpid()}-{name[:_NAME_CHARS]}."


def temporary_folder(folder, name):
    """A new empty folder `folder/.tmp-pid<pid>-<name>.<random>`, with the umask's mode
    (not `tempfile.mkdtemp`'s 0o700), for a folder written whole and then renamed."""
    tmp = tempfile.mkdtemp(prefix=_prefix(name), dir=folder)
    os.chmod(tmp, folder_mode())
    return tmp


def write_atomically(path, write):
    """Calls `write(tmp)` for a temporary file beside `path`, then renames it over `path`.

    A crash at any point (even SIGKILL) leaves either the old file or the new one, never
    a half-written one; a failed write removes its temporary file. The temporary file is
    dot-named and keeps `path`'s suffix (".keras", ".weights.h5", ".npz"), which some
    writers check. The file gets the mode `open` would give it (0o666 less the umask),
    not `tempfile.mkstemp`'s 0o600, so that others the umask allows (a model server
    running as another user) can read it.

    An `OSError` that names no file (a full disk, a read-only file system) or the
    temporary file (a rename onto a folder) is raised again naming `path` alone.

    Temporaries of `path` that a dead process left (its id is in their names) are removed
    first; `remove_stale_temporaries` clears a whole folder under its lock.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    name = os.path.basename(path)
    remove_stale_temporaries(folder, name=name)
    suffix = name[name.index(".") :] if "." in name else ""
    fd, tmp = tempfile.mkstemp(prefix=_prefix(name), suffix=suffix, dir=folder)
    os.close(fd)
    try:
        os.chmod(tmp, file_mode())
        write(tmp)
        os.replace(tmp, path)
    except BaseException as error:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(error, OSError) and error.errno and error.filename in (None, tmp):
            # A writer that failed without saying where (NumPy, h5py), or the rename
            # (onto a folder, say): name the file, not the temporary that is gone.
            raise OSError(error.errno, error.strerror or os.strerror(error.errno), path) from error
        raise


def _writer_alive(entry):
    """Whether the process named in a temporary's name runs; None if it names none."""
    found = _WRITER.search(entry)
    if not found:
        return None
    try:
        os.kill(int(found.group(1)), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process (or not a pid): leave it be
    return True


def remove_stale_temporaries(folder, before=None, name=None):
    """Removes the `.tmp-*` files and folders that crashed writers left in `folder`.

    Without `before`, only temporaries whose writer (its process id is in the name) has
    ended. With `before` (a `time.time()`, when the caller took the folder's lock,
    `keras_wgan.utils.locks.exclusive`), only those last written before it: the ones of
    ended writers, and those named as older versions of this package named them (no
    writer in the name). A running writer's are never touched, nor other `.tmp-*` names.
    Subfolders are left alone.

    Args:
        folder: the folder to clear; nothing happens if it does not exist.
        before: the lock holder's start, or None.
        name: only the temporaries of this file name (`write_atomically`'s target).

    Returns:
        The paths removed.
    """
    removed = []
    own = None if name is None else re.compile(rf"^\.tmp-pid\d+-{re.escape(name[:_NAME_CHARS])}\.")
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return removed
    for entry in entries:
        if entry.name.startswith(PREFIX) and (own is None or own.match(entry.name)):
            alive = _writer_alive(entry.name)
            if alive or (alive is None and (before is None or not _LEGACY.match(entry.name))):
                continue
            with contextlib.suppress(FileNotFoundError):
                if before is not None and entry.stat(follow_symlinks=False).st_mtime >= before:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.remove(entry.path)
                removed.append(entry.path)
    return removed
