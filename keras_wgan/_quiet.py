"""Keeps the C++ start-up logs of TensorFlow off the terminal of the `keras-wgan` command.

TensorFlow, absl, oneDNN and CUDA write their start-up lines ("All log messages before
absl::InitializeLog() ...", "oneDNN custom operations are on", "Could not find cuda
drivers") straight to file descriptor 2 while TensorFlow loads, and `TF_CPP_MIN_LOG_LEVEL`
does not reach all of them. So when the package is imported by the `keras-wgan` command
(or `python -m keras_wgan`), before it imports Keras and TensorFlow, descriptor 2 is
pointed at a temporary file while Python's `sys.stderr` keeps the terminal: the command's
progress, results, warnings and errors are shown, the native log lines are not. An
uncaught exception replays the captured lines before its traceback. `--verbose` or
`KERAS_WGAN_VERBOSE=1` leaves the logs alone. Importing `keras_wgan` from Python does none
of this.
"""

import os
import sys
import tempfile

VERBOSE_ENV = "KERAS_WGAN_VERBOSE"
_PROGRAMS = ("keras-wgan", "keras-wgan.exe", "keras-wgan-script.py")


def launched_as_command():
    """Whether this process is the `keras-wgan` command (or `python -m keras_wgan`, whose
    argv[0] is "-m" while the package is being found)."""
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return program in _PROGRAMS or program == "-m"


def wanted():
    return (
        launched_as_command()
        and "--verbose" not in sys.argv[1:]
        and os.environ.get(VERBOSE_ENV, "0") in ("", "0")
    )


def silence_native_logs():
    """Sends file descriptor 2 to a temporary file and keeps `sys.stderr` on the terminal."""
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
        captured = tempfile.TemporaryFile()
        os.dup2(captured.fileno(), 2)
    except (OSError, AttributeError, ValueError):  # no usable descriptor 2: nothing to hide
        return
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding=encoding, errors="backslashreplace")
    previous_hook = sys.excepthook

    def replay_then_report(*exc_info):
        try:
            captured.seek(0)
            sys.stderr.write(captured.read().decode("utf-8", "replace"))
        except (OSError, ValueError):
            pass
        previous_hook(*exc_info)

    sys.excepthook = replay_then_report


if wanted():
    silence_native_logs()
