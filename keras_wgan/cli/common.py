"""What the subcommands share: the parser whose errors are one line, the flags of a model to
read and of a seed, the checks of an output file, and the reading of a model given as an
export (a SavedModel folder or its base folder, an ONNX or LiteRT file), a `.keras` file or a
run folder."""

import argparse
import os

from keras_wgan import options, runs
from keras_wgan.deploy import SUFFIXES, is_litert
from keras_wgan.export import load_export
from keras_wgan.runs import CHECKPOINT

positive_int = options.positive_int

#: The largest seed of sample and evaluate: `generate_from_seed` takes an int64 seed.
MAX_SEED = 2**63 - 1
#: What sample and evaluate read, for their messages.
MODELS = "an export (a SavedModel folder, an .onnx or .tflite file), a .keras file or a run folder"


def seed_flag(maximum, power):
    """An `argparse` type: a seed, an integer in [0, `maximum`] (`maximum` is 2**`power` - 1),
    refused at parse time naming the flag and the range."""

    def seed(text):
        try:
            value = int(text)
        except ValueError:
            value = -1
        if not 0 <= value <= maximum:
            raise argparse.ArgumentTypeError(
                f"expected an integer in [0, 2**{power} - 1], got {text!r}"
            )
        return value

    return seed


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors are one line (with where to find the usage)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_model(parser):
    """The --model and --seed arguments of the commands that read a model."""
    parser.add_argument("--model", required=True, help=MODELS)
    parser.add_argument(
        "--seed",
        type=seed_flag(MAX_SEED, 63),
        default=0,
        help="seed of the latent points, an integer in [0, 2**63 - 1]",
    )


def check_out(out, suffixes):
    """Refuses, before any work, an output file that is a folder or whose suffix is not one
    of `suffixes`."""
    if os.path.isdir(out):
        raise ValueError(f"Invalid value for --out: {out!r} is a folder; expected a file.")
    if not out.endswith(tuple(suffixes)):
        raise ValueError(
            f"Invalid value for --out: {out!r}. Expected a {' or '.join(suffixes)} file."
        )


def is_checkpoint(path):
    """Whether `path` names a `.keras` file or a run folder (else an export)."""
    return path.endswith(".keras") or os.path.isfile(os.path.join(path, CHECKPOINT))


def load_checkpoint(path):
    return runs.load_checkpoint(path)


def read_export(path):
    """`keras_wgan.export.load_export(path)`, a file of no export format refused naming
    what sample and evaluate read."""
    is_file = os.path.isfile(path) and os.path.getsize(path) > 0
    if is_file and not path.endswith(tuple(SUFFIXES.values())) and not is_litert(path):
        raise ValueError(f"{path!r} is not a model: sample and evaluate read {MODELS}.")
    return load_export(path)
