"""Exclusive locks on folders, so that two processes never write one run or one export base.

The lock is an OS file lock (`fcntl.flock`) on `<folder>/.lock`, which holds the holder's
process id for the error message of the next comer. The operating system releases it when
the holder's process ends, however it ends (SIGKILL included), so a crash never leaves a
folder locked; the lock file a killed holder leaves behind is just reused.
"""

import contextlib
import os
import threading
import time

try:
    import fcntl
except ImportError:  # Windows: no flock; the folders go unlocked there.
    fcntl = None

LOCK_FILE = ".lock"

#: {(folder's real path, thread id): [Lock, depth]}: the locks this process holds, so that
#: a holder that locks its folder again (train exporting into its own run folder) nests.
_held = {}
_held_guard = threading.Lock()


class FolderInUseError(RuntimeError):
    """Another process holds the lock on a folder (`exclusive`)."""

    def __init__(self, folder, pid):
        self.folder = folder
        self.pid = pid
        holder = f"process {pid}" if pid else "another process"
        super().__init__(
            f"The folder {folder!r} is in use by {holder} (it holds "
            f"{os.path.join(folder, LOCK_FILE)!r}); wait for it to end, or choose another folder."
        )


class Lock:
    """A held lock: `folder`, `path` (the lock file) and `started` (`time.time()` when it
    was taken; what was left in the folder before then was left by an earlier holder)."""

    def __init__(self, folder, path, fd, started):
        self.folder = folder
        self.path = path
        self.fd = fd
        self.started = started


@contextlib.contextmanager
def exclusive(folder, timeout=0.0, poll=0.1):
    """Holds an exclusive lock on `folder` (created if needed) for the `with` block.

    A second process asking for it waits up to `timeout` seconds, then raises
    `FolderInUseError` with the folder and the holder's process id. Within one process the
    lock nests: the thread that holds it may take it again (it is released when the
    outermost block ends); another thread waits like another process would.

    When the block ends the lock file is removed, and so is `folder` if taking the lock
    created it and nothing else was written there. A taker checks, once it holds the lock,
    that the lock file is still the one in the folder (not one removed under it) and takes
    it again otherwise.

    Args:
        folder: the folder to lock.
        timeout: seconds to wait for another holder to end; default 0, fail at once.
        poll: seconds between attempts while waiting.

    Yields:
        The `Lock`, whose `started` dates what an earlier holder left in the folder.

    Raises:
        FolderInUseError: if another process (or thread) still holds the lock after `timeout`.

    Example:
    >>> with exclusive("runs/x") as lock:  # doctest: +SKIP
    ...     train_into("runs/x")
    """
    folder = str(folder)
    key = (os.path.realpath(folder), threading.get_ident())
    with _held_guard:
        entry = _held.get(key)
        if entry is not None:
            entry[1] += 1
    if entry is not None:
        try:
            yield entry[0]
        finally:
            with _held_guard:
                entry[1] -= 1
        return
    created = not os.path.isdir(folder)
    os.makedirs(folder, exist_ok=True)
    lock = _acquire(folder, timeout, poll)
    with _held_guard:
        _held[key] = [lock, 1]
    try:
        yield lock
    finally:
        with _held_guard:
            del _held[key]
        _release(lock)
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # only if empty: a run refused before it wrote anything


def _acquire(folder, timeout, poll):
    path = os.path.join(folder, LOCK_FILE)
    deadline = time.monotonic() + timeout
    while True:
        fd = _open(path)
        if fcntl is None or _try_lock(fd):
            if fcntl is None or _still_there(fd, path):
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                return Lock(folder, path, fd, time.time())
            os.close(fd)  # its holder removed it as we took it: take the new one
            continue
        pid = _holder(fd)
        os.close(fd)
        if time.monotonic() >= deadline:
            raise FolderInUseError(folder, pid)
        time.sleep(poll)


def _open(path):
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)


def _try_lock(fd):
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _still_there(fd, path):
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _holder(fd, attempts=5):
    """The holder's pid from the lock file; None if it has not written it (yet)."""
    for _ in range(attempts):
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if text.isdigit():
            return int(text)
        time.sleep(0.02)  # the holder writes it right after taking the lock
    return None


def _release(lock):
    # Removed before it is unlocked: a waiter that then takes this file sees it is gone
    # (`_still_there`) and takes the next one.
    with contextlib.suppress(FileNotFoundError):
        os.remove(lock.path)
    os.close(lock.fd)  # closing the last descriptor releases the flock
