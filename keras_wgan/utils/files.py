"""Writing files so that a crash never leaves half of one."""

import os
import tempfile


def write_atomically(path, write):
    """Calls `write(tmp)` for a temporary file beside `path`, then renames it over `path`.

    A crash at any point (even SIGKILL) leaves either the old file or the new one, never
    a half-written one; a failed write removes its temporary file. The temporary file is
    dot-named and keeps `path`'s suffix (".keras", ".weights.h5", ".npz"), which some
    writers check.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    name = os.path.basename(path)
    suffix = name[name.index(".") :] if "." in name else ""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
