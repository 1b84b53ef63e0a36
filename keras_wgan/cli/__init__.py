"""The `keras-wgan` command line: train, sample, export, evaluate, demo.

One module per subcommand, each with its flags (`add_parser`) and what it runs (`run`).
Scripts parse arguments and hand plain values to the library; the library never reads
flags.
"""

import argparse
import os
import signal
import sys
import traceback
import warnings

from keras_wgan.cli import demo, errors, evaluate, export, sample, train
from keras_wgan.cli.common import Parser

#: The subcommands, in the order `keras-wgan --help` lists them.
COMMANDS = (train, sample, export, evaluate, demo)


def build_parser():
    parser = Parser(prog="keras-wgan", description="Train, sample and export WGAN-GP models.")
    common = Parser(add_help=False)
    common.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's start-up logs, hidden by default (as does KERAS_WGAN_VERBOSE=1)",
    )
    parser.add_argument("--verbose", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub, [common])
    return parser


def main(argv=None):
    """Runs `keras-wgan` with `argv` (default: the process's arguments); returns the exit
    status: 0, 1 for an expected error (one line on stderr), 2 for a bad flag, 130 on
    Ctrl-C and 143 on SIGTERM."""
    args = build_parser().parse_args(argv)
    previous_term = errors.terminate_as_interrupt()
    own_process = argv is None  # the command itself, not a caller in Python
    try:
        with warnings.catch_warnings():
            if not args.verbose:
                warnings.showwarning = errors.warning_line
            args.run(args)
    except KeyboardInterrupt as interrupt:
        if args.verbose:
            traceback.print_exc()
        print(f"keras-wgan: error: {errors.interrupted_line(args, interrupt)}", file=sys.stderr)
        return 143 if isinstance(interrupt, errors.Terminated) else 130
    except Exception as e:
        message = errors.error_line(e)
        if message is None or os.environ.get("KERAS_WGAN_DEBUG"):
            raise
        if args.verbose:
            traceback.print_exc()
        print(f"keras-wgan: error: {message}", file=sys.stderr)
        return 1
    finally:
        if own_process:
            # Shutting down (TensorFlow's teardown can take seconds): a signal now gets
            # its line too, and the process ends at once.
            errors.report_signals_while_exiting()
        elif previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
    return 0
