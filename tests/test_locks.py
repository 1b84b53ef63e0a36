"""The folder lock and the atomic writer's housekeeping (`keras_wgan.utils`), without a model."""

import os
import stat
import threading
import time

import pytest
from helpers import dead_pid, lock_held_elsewhere

from keras_wgan.utils import files, locks


def test_a_held_folder_is_refused_at_once_naming_the_holder(tmp_path):
    folder = str(tmp_path / "run")
    with lock_held_elsewhere(folder) as pid:
        start = time.monotonic()
        with pytest.raises(locks.FolderInUseError) as info:
            with locks.exclusive(folder):
                pass
        assert time.monotonic() - start < 2
        message = str(info.value)
        assert f"pid {pid}" in message or f"process {pid}" in message
        assert folder in message and "\n" not in message
        assert info.value.pid == pid
    # The holder was killed (SIGKILL): the operating system released its lock.
    with locks.exclusive(folder) as lock:
        assert open(lock.path).read().strip() == str(os.getpid())
    assert os.listdir(folder) == []  # the lock file goes with its holder


def test_a_waiting_taker_gets_the_folder_once_its_holder_ends(tmp_path):
    folder = str(tmp_path / "base")
    with lock_held_elsewhere(folder) as pid:
        with pytest.raises(locks.FolderInUseError, match=str(pid)):
            with locks.exclusive(folder, timeout=0.3):
                pass
    with locks.exclusive(folder, timeout=5):
        pass


def test_the_lock_nests_in_its_thread_and_excludes_other_threads(tmp_path):
    folder = str(tmp_path / "run")
    refused = []

    def other_thread():
        try:
            with locks.exclusive(folder):
                pass
        except locks.FolderInUseError as e:
            refused.append(e)

    with locks.exclusive(folder) as outer:
        with locks.exclusive(folder) as inner:  # train exporting into its own folder
            assert inner is outer
        assert os.path.exists(outer.path)  # still held: the outer block goes on
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert len(refused) == 1 and refused[0].pid == os.getpid()
    assert not os.path.exists(folder)  # created by the lock, left empty: removed


def test_stale_temporaries_go_and_live_ones_stay(tmp_path):
    folder = tmp_path / "run"
    (folder / "samples").mkdir(parents=True)
    dead = dead_pid()
    stale = [
        folder / f".tmp-pid{dead}-checkpoint.keras.abc.keras",  # its writer has ended
        folder / "samples" / f".tmp-pid{dead}-samples_1.png.abc.png",
        folder / ".tmp-x1y2z3w4.keras",  # an older version's name: no writer in it
    ]
    live = folder / f".tmp-pid{os.getpid()}-checkpoint.keras.def.keras"
    mine = folder / ".tmp-notes"  # not a name this package gives
    for path in stale + [live, mine]:
        path.write_bytes(b"half")
    (folder / f".tmp-pid{dead}-3.abc").mkdir()  # an export's temporary folder
    stale.append(folder / f".tmp-pid{dead}-3.abc")
    old = time.time() - 60
    for path in stale + [live, mine]:
        os.utime(path, (old, old))
    # Without the lock's start, only what names a dead writer goes.
    assert files.remove_stale_temporaries(str(folder), name="checkpoint.keras") == [str(stale[0])]
    removed = files.remove_stale_temporaries(str(folder), before=time.time())
    removed += files.remove_stale_temporaries(str(folder / "samples"), before=time.time())
    assert sorted(removed) == sorted(str(p) for p in stale[1:])
    assert live.exists() and sorted(os.listdir(folder)) == sorted([live.name, mine.name, "samples"])
    assert os.listdir(folder / "samples") == []


def test_the_atomic_writer_clears_its_dead_temporaries_and_uses_the_umask(tmp_path):
    target = tmp_path / "s.npy"
    left = tmp_path / f".tmp-pid{dead_pid()}-s.npy.abc.npy"
    left.write_bytes(b"half")
    other = tmp_path / f".tmp-pid{dead_pid()}-t.npy.abc.npy"  # another target's: kept
    other.write_bytes(b"half")
    previous = os.umask(0o022)
    try:
        files.write_atomically(str(target), lambda tmp: open(tmp, "wb").write(b"ok"))
        folder = files.temporary_folder(str(tmp_path), "7")
        os.umask(0o077)
        files.write_atomically(str(tmp_path / "private"), lambda tmp: open(tmp, "w").close())
    finally:
        os.umask(previous)
    assert target.read_bytes() == b"ok" and not left.exists() and other.exists()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(tmp_path / "private").st_mode) == 0o600
