"""The demo's files in a folder that may hold others, swapped in so that a kill loses nothing.

The folder may hold files of one's own (a copy of onnxruntime-web in `vendor/`, notes, the
model the page was made from). A write replaces only the files the demo wrote there, which
its manifest `MANIFEST` lists, and leaves everything else alone. It runs under the folder's
lock (`keras_wgan.utils.locks.exclusive`), in four steps:

1. Each new file is written whole under a temporary name in the folder,
   `.tmp-pid<pid>-<name>.<random>`.
2. The journal `JOURNAL` (written atomically) names the swap: for each file, its temporary,
   the backup that will keep its old version, and the temporary's inode.
3. For each file, its old version gets a second name, the backup (a hard link; a copy
   renamed into place where the file system has no links), then the new one is renamed
   over it (`os.replace`, atomic). A file of the old page that the new one lacks is
   removed the same way, after its backup.
4. The manifest is written (atomically) with the swap's id: the commit. Then the backups
   and the journal are removed.

A kill before step 2 leaves the old page and temporaries (the next write removes those).
From step 2 to the commit, each of the page's names holds a whole file, old or new, and each
old one that was replaced has its backup; the next write, finding the journal, renames the
backups back (the old page, whole) and removes the new files that had no old one, before it
writes its own. After the commit it only removes the backups. An error or a signal in the
writer (Ctrl-C, SIGTERM) does the same at once.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile

from keras_wgan.utils.files import PREFIX, file_mode, write_atomically
from keras_wgan.utils.locks import LOCK_FILE, exclusive

#: The list of the files the demo wrote into its folder (the only ones a rerun replaces).
MANIFEST = ".keras_wgan_demo.json"
#: The plan of a swap in progress; the next write ends a swap whose writer died.
JOURNAL = ".keras_wgan_demo.swap.json"
_BACKUP = ".keras_wgan_demo.old."
_ID = re.compile(r"^[0-9a-f]{16}$")


def write_files(out, writers, marker, legacy):
    """Writes the files `writers` ({name: write(path)}) into the folder `out`, replacing the
    ones an earlier write listed in its manifest, and returns `out`.

    Args:
        out: the folder (the user's path, used in messages as given).
        writers: {file name: a function that writes that file at the path it is given}.
        marker: the manifest's key that marks it as the demo's.
        legacy: a function of `out` giving the files an earlier version of the demo wrote
            there (it kept no manifest), or ().

    Raises:
        FileExistsError: if a name of `writers` is taken by a file the demo did not write.
        ValueError: for a manifest or a journal that is not the demo's.
        OSError: what the system refused, naming the user's paths (never a temporary).
    """
    try:
        with exclusive(out):
            _settle(out)
            owned = _owned(out, marker, legacy)
            _refuse_taken(out, writers, owned)
            _remove_dead_temporaries(out, {*writers, *owned, MANIFEST, JOURNAL})
            _swap(out, writers, owned, marker)
    except OSError as error:
        raise user_words(error, out) from None
    return out


def user_words(error, out, temporary=None, file=None):
    """`error` (an `OSError`) naming the user's paths only: `temporary` as the page's
    `file` it stands for; the folder's other hidden files (temporaries, backups, the lock,
    the journal, the manifest) left out where the error names a path of the user's too
    (a rename onto a page's file names that file), else named as the folder `out`, as the
    user wrote it; and `file` (or else `out`) where it names no path."""
    folder = os.path.abspath(out)

    def words(path):
        """(the user's words for `path`, whether it is a hidden file of the folder)."""
        full = os.path.abspath(os.fsdecode(path))
        if temporary is not None and full == os.path.abspath(temporary):
            return file, False
        if full == folder:
            return out, False
        hidden = os.path.dirname(full) == folder and os.path.basename(full).startswith(".")
        return (out, True) if hidden else (path, False)

    if not error.errno:
        return error
    named = [words(p) for p in (error.filename, error.filename2) if p is not None]
    shown = [w for w, hidden in named if not hidden] or [w for w, _ in named[:1]] or [file or out]
    shown += [None] * (2 - len(shown))
    if shown == [error.filename, error.filename2]:
        return error
    strerror = error.strerror or os.strerror(error.errno)
    return OSError(error.errno, strerror, shown[0], None, shown[1])


def _plain(name):
    """Whether `name` is a file name in the folder: no folder part, not `.` or `..`."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and "/" not in name
        and os.sep not in name
        and (os.altsep is None or os.altsep not in name)
    )


def _read_json(out, name):
    """The JSON object `out/name`, or None if there is no such file; a file that is not one
    is refused (ValueError) with a line that names it."""
    path = os.path.join(out, name)
    try:
        with open(path, encoding="utf-8") as f:
            found = json.load(f)
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, ValueError):
        found = None
    if not isinstance(found, dict):
        raise ValueError(_not_ours(path))
    return found


def _not_ours(path):
    return (
        f"{path!r} is not a record of keras_wgan's demo (it is written and read by "
        "`keras-wgan demo` only); move it away, or choose another folder."
    )


def _owned(out, marker, legacy):
    """The files the demo wrote in `out`: its manifest's, or `legacy(out)` without one."""
    manifest = _read_json(out, MANIFEST)
    if manifest is None:
        return set(legacy(out))
    files = manifest.get("files")
    if marker not in manifest or not (
        isinstance(files, list) and all(_plain(f) and not f.startswith(".") for f in files)
    ):
        raise ValueError(_not_ours(os.path.join(out, MANIFEST)))
    return set(files)


def _refuse_taken(out, writers, owned):
    """Refuses names of `writers` that the demo did not write there, or that are folders."""
    taken = [
        name
        for name in sorted(writers)
        if os.path.lexists(path := os.path.join(out, name))
        and (name not in owned or (os.path.isdir(path) and not os.path.islink(path)))
    ]
    if taken:
        raise FileExistsError(
            f"Cannot write the demo into {out!r}: it holds "
            f"{', '.join(repr(os.path.join(out, n)) for n in taken)}, which no demo wrote (a "
            f"rerun replaces only the files its manifest {MANIFEST} lists). Move "
            f"{'it' if len(taken) == 1 else 'them'} away, or choose another folder."
        )


def _remove_dead_temporaries(out, names):
    """Removes the temporaries of the demo's files (`names`, its records and backups) that
    killed writers left in `out`; under the lock, the only writer there is this one."""
    own = re.compile(
        rf"^{re.escape(PREFIX)}pid(\d+)-(?:{'|'.join(re.escape(n) for n in sorted(names))}|"
        rf"{re.escape(_BACKUP)})"
    )
    for entry in os.scandir(out):
        found = own.match(entry.name)
        if found and int(found.group(1)) != os.getpid() and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.remove(entry.path)


def _temporary(out, name, write):
    """Writes `name` whole under a temporary name in `out`; returns its path."""
    user = os.path.join(out, name)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{PREFIX}pid{os.getpid()}-{name}.", dir=out)
    except OSError as error:
        raise user_words(error, out) from None
    os.close(fd)
    try:
        os.chmod(tmp, file_mode())
        write(tmp)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        if isinstance(error, OSError):
            raise user_words(error, out, tmp, user) from None
        raise
    return tmp


def _write_json(out, name, value):
    def write(path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=1)
            f.write("\n")

    write_atomically(os.path.join(out, name), write)


def _swap(out, writers, owned, marker):
    """Steps 1 to 4 of the module's docstring."""
    swap = secrets.token_hex(8)
    plan = {"id": swap, "files": {}}
    temporaries = []
    try:
        for name in sorted(writers):
            tmp = _temporary(out, name, writers[name])
            temporaries.append(tmp)
            plan["files"][name] = {"new": os.path.basename(tmp), "inode": os.stat(tmp).st_ino}
        for name in sorted(owned - set(writers)):
            if not os.path.isdir(os.path.join(out, name)):  # the demo writes no folders
                plan["files"][name] = {"new": None, "inode": None}
        for name, entry in plan["files"].items():
            there = os.path.lexists(os.path.join(out, name))
            entry["old"] = f"{_BACKUP}{swap}.{name}" if there else None
        _write_json(out, JOURNAL, plan)
    except BaseException:
        for tmp in temporaries:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
        raise
    try:
        for name, entry in plan["files"].items():
            path = os.path.join(out, name)
            if entry["old"]:
                _keep(path, os.path.join(out, entry["old"]))
            if entry["new"]:
                os.replace(os.path.join(out, entry["new"]), path)
            elif entry["old"]:
                os.remove(path)
        _write_json(out, MANIFEST, {marker: 1, "files": sorted(writers), "swap": swap})
    except BaseException:
        with contextlib.suppress(Exception):
            _settle(out)  # the old page back now; if this fails too, the next write does it
        raise
    with contextlib.suppress(OSError):
        _settle(out)  # committed: only backups to remove (else the next write removes them)


def _keep(path, backup):
    """Gives the file `path` the second name `backup`, atomically."""
    try:
        os.link(path, backup, follow_symlinks=False)
    except OSError:  # no hard links here (FAT, some network file systems): a whole copy
        write_atomically(backup, lambda tmp: shutil.copy2(path, tmp))


def _settle(out):
    """Ends the swap that the journal in `out` describes, if there is one: before its
    commit, the backups are renamed back and the new files that had no old one removed;
    after it, the backups are removed. Each step can be done again, so a kill here is
    settled by the next write."""
    plan = _read_json(out, JOURNAL)
    if plan is None:
        return
    journal = os.path.join(out, JOURNAL)
    if not _is_plan(plan):
        raise ValueError(_not_ours(journal))
    manifest = _read_json(out, MANIFEST)
    committed = manifest is not None and manifest.get("swap") == plan["id"]
    for name, entry in plan["files"].items():
        path = os.path.join(out, name)
        backup = entry["old"] and os.path.join(out, entry["old"])
        if backup and os.path.lexists(backup):
            if committed or _same(backup, path):
                os.remove(backup)  # (a rename onto a link of the same file keeps both names)
            else:
                os.replace(backup, path)
        elif not committed and entry["old"] is None and entry["new"]:
            with contextlib.suppress(FileNotFoundError):
                if os.lstat(path).st_ino == entry["inode"]:
                    os.remove(path)  # a new file with no old one: the one this swap wrote
        if entry["new"]:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(out, entry["new"]))
    os.remove(journal)


def _is_plan(plan):
    """Whether `plan` is a journal as `_swap` writes it (names it may touch: the page's
    files, its temporaries and its backups, all in the folder)."""
    files = plan.get("files")
    if not (isinstance(plan.get("id"), str) and _ID.match(plan["id"]) and isinstance(files, dict)):
        return False
    for name, entry in files.items():
        if not (_plain(name) and not name.startswith(".") and name != LOCK_FILE):
            return False
        if not isinstance(entry, dict):
            return False
        new, old, inode = entry.get("new"), entry.get("old"), entry.get("inode")
        if new is not None and not (
            _plain(new) and new.startswith(f"{PREFIX}pid") and isinstance(inode, int)
        ):
            return False
        if old is not None and old != f"{_BACKUP}{plan['id']}.{name}":
            return False
    return True


def rescue_moved_aside(out, files):
    """Puts back the page that the demo of keras_wgan 0.2 moved aside, if it was killed
    before it renamed its new page into place: then `out` is missing, and the earlier page
    (with whatever the user kept in it) is `<dead writer's temporary>/old` beside it. The
    holder and the dead writer's new page (a folder of `files` only) are removed after;
    nothing else is."""
    if os.path.lexists(out):
        return
    parent, name = os.path.split(os.path.abspath(out))
    legacy = re.compile(rf"^{re.escape(PREFIX)}pid(\d+)-{re.escape(name[:80])}\.")
    try:
        entries = [e for e in os.scandir(parent) if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return
    dead = [e.path for e in entries if (found := legacy.match(e.name)) and _dead(found.group(1))]
    for holder in dead:
        try:
            os.rename(os.path.join(holder, "old"), out)
        except FileNotFoundError:
            continue  # a new page, not a holder
        except OSError:
            break  # `out` came back meanwhile (another demo): leave the holder be
        break
    for folder in dead:
        with contextlib.suppress(OSError):
            if set(os.listdir(folder)) <= set(files):
                shutil.rmtree(folder)


def _dead(pid):
    """Whether no process of id `pid` (a string of digits) runs."""
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False  # someone else's process (or not a pid)
    return False


def _same(backup, path):
    """Whether `path` is still the file `backup` keeps (killed before its replacement)."""
    try:
        return os.path.samestat(os.lstat(backup), os.lstat(path))
    except FileNotFoundError:
        return False
