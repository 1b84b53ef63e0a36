"""How the command reports what stops it: one line for an expected error or a signal,
a traceback only for a bug (or with --verbose)."""

import os
import signal
import sys
import threading

import tensorflow as tf

from keras_wgan import options


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that the command stops as on Ctrl-C: locks
    released, temporaries removed, one line printed."""


def _raise_terminated(signum, frame):
    raise Terminated()


def terminate_as_interrupt():
    """Makes SIGTERM raise `Terminated` (main thread only); returns the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


def _stopped_while_exiting(signum, frame):
    name = "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted"
    os.write(2, f"keras-wgan: error: {name} while exiting; the command had finished.\n".encode())
    os._exit(128 + signum)


def report_signals_while_exiting():
    """Makes SIGTERM and SIGINT, from now until the process ends, print their line and end
    it at once (128 + the signal's number): the command's work is done by then."""
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _stopped_while_exiting)


def interrupted_line(args, interrupt):
    how = "terminated (SIGTERM)" if isinstance(interrupt, Terminated) else "interrupted"
    if args.command == "train":
        return (
            f"{how}; {args.out!r} keeps its last checkpoint (written at the end of each "
            "epoch): rerun the same command to resume."
        )
    return f"{how}; nothing was written in place of an earlier file."


def warning_line(message, category, filename, lineno, file=None, line=None):
    """A warning as one line, without the package's source line under it."""
    print(f"keras-wgan: warning: {message}", file=sys.stderr if file is None else file)


#: The library names arguments; the command line says which flag sets them.
_FLAG_WORDING = {
    "`conditional=True`": "--conditional",
    "argument `scale`.": "argument `scale` (--scale).",
}
# An option's refusal and its component's argument errors, in the words of its flag.
for _option in options.OPTIONS:
    if _option.flag is not None:
        _flag = "--" + _option.name.replace("_", "-")
        _FLAG_WORDING[f"The option `{_option.name}`"] = f"The option {_flag}"
        _FLAG_WORDING[f"argument `{_option.argument}`."] = (
            f"argument `{_option.argument}` ({_flag})."
        )


def _os_error_line(error):
    """An `OSError` as the system's message and the path(s) it concerns: "No space left
    on device: 'runs/x/run.json'"; one raised with a message of its own, as that."""
    if error.strerror is None:
        return str(error)
    paths = [repr(os.fsdecode(p)) for p in (error.filename, error.filename2) if p is not None]
    return f"{error.strerror}: {' -> '.join(paths)}" if paths else f"{error}"


def _op_error_line(error):
    """A TensorFlow error (a refused request of an export, a file TensorFlow could not
    read or write): its assertion's or its own message, without the graph dump."""
    lines = [line.strip() for line in error.message.splitlines() if line.strip()]
    named = [
        line for line in lines if "assertion failed" in line or line.startswith("Shape of tensor")
    ]
    plain = [line for line in lines if not line.startswith(("Graph execution", "Detected at"))]
    return (named or plain or lines or [type(error).__name__])[0]


def error_line(error):
    """The one line the CLI prints for an expected error, or None for a bug (re-raised).

    Expected: bad values (`ValueError`), a missing optional package (`ImportError`, which
    names the extra), a generator a converter cannot convert (a `RuntimeError`), what the
    system refused (`OSError`: a full disk,
    a read-only file system, a file where a folder should be), a folder in use, a
    diverged run, and what TensorFlow refused or could not read or write (`OpError`).
    """
    if isinstance(error, OSError):
        return _os_error_line(error)
    if isinstance(error, ImportError) and "keras-wgan[" in str(error):
        return str(error)  # an optional package, the message naming its extra
    if isinstance(error, (ValueError, FloatingPointError, RuntimeError)):
        message = str(error)
        for argument, flag in _FLAG_WORDING.items():
            message = message.replace(argument, flag)
        return message
    if isinstance(error, tf.errors.OpError):
        return _op_error_line(error)
    return None
