"""`keras-wgan export`: a checkpoint's generator for TF Serving, ONNX or LiteRT.

Every refusal comes before the checkpoint is read: the format and `--out`'s suffix must
agree (`--format` defaults to what the suffix names), and `--out` is never a checkpoint, a
path inside a run folder, nor a file that is not an earlier export of the same format.
"""

import argparse
import os

from keras_wgan.cli.common import load_checkpoint, positive_int
from keras_wgan.deploy import SUFFIXES, is_litert
from keras_wgan.export import (
    FORMATS,
    check_destination,
    export_generator,
    format_of,
    latest_version_dir,
)
from keras_wgan.export.formats import FORMAT_NAMES, RENAMED
from keras_wgan.runs import CHECKPOINT


def _format(text):
    """An `argparse` type: a format, its name of earlier versions refused naming the new."""
    if text in RENAMED:
        raise argparse.ArgumentTypeError(
            f"{text!r} is now called {RENAMED[text]!r} (Keras's name for the format)"
        )
    return text


def add_parser(sub, parents):
    export = sub.add_parser(
        "export",
        parents=parents,
        help="export a checkpoint's generator for TF Serving, ONNX or LiteRT",
    )
    export.add_argument("--checkpoint", required=True, help="a .keras file or a run folder")
    export.add_argument(
        "--format",
        type=_format,
        choices=FORMATS,
        default=None,
        help="tf_saved_model (TF Serving's versioned folders), onnx or litert (one file, "
        "without the SavedModel's input checks; pip install 'keras-wgan[deploy]'); default: "
        "the one --out's suffix names (.onnx onnx, .tflite litert, else tf_saved_model)",
    )
    export.add_argument(
        "--out",
        required=True,
        help="tf_saved_model: base folder; writes <out>/<version>/ (an export into a base "
        "another export is writing waits for it, then writes the next version); onnx, "
        "litert: the file (.onnx, .tflite), new or an earlier export of that format (never "
        "a checkpoint, another file, or a path inside a run folder)",
    )
    export.add_argument("--version", type=positive_int, default=None, help="tf_saved_model only")
    export.add_argument(
        "--max-samples",
        type=positive_int,
        default=None,
        help="tf_saved_model only: the most samples one request may ask for (default 1024); "
        "larger requests are refused with INVALID_ARGUMENT",
    )
    export.set_defaults(run=run)


def _check_format(out, format):
    """The format to write: `format`, or the one `out`'s suffix names; refuses a suffix
    that names another format."""
    named = format_of(out)
    if format is None:
        return named
    if named != format:
        what = (
            f"{FORMAT_NAMES[named]} file ({SUFFIXES[named]})"
            if named in SUFFIXES
            else "a SavedModel's base folder (no .onnx or .tflite suffix)"
        )
        expected = (
            f"name the file {SUFFIXES[format]}"
            if format in SUFFIXES
            else "name a folder without the .onnx or .tflite suffix"
        )
        raise ValueError(
            f"Invalid value for --out: {out!r} names {what}, and --format is {format}: "
            f"{expected}, or pass --format {named}."
        )
    return format


def _run_folder(path):
    """The run folder (a folder holding `CHECKPOINT`) that `path` is or lies in, or None."""
    folder = os.path.abspath(path)
    while True:
        if os.path.isfile(os.path.join(folder, CHECKPOINT)):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _check_out(out, format):
    """Refuses an --out that would write over what must be kept: a checkpoint, or anything
    inside a run folder (a SavedModel's base may be the run's own `export/`, where `train`
    writes)."""
    if out.endswith(".keras"):
        raise ValueError(
            f"Invalid value for --out: {out!r} names a checkpoint (.keras); an export is a "
            "folder (tf_saved_model), an .onnx or a .tflite file."
        )
    run = _run_folder(out)
    own_export = os.path.join(run or "", "export")
    if run is not None and not (format == "tf_saved_model" and os.path.abspath(out) == own_export):
        where = (
            "is a run folder"
            if run == os.path.abspath(out)
            else f"lies in the run folder {os.path.relpath(run)!r}"
        )
        raise ValueError(
            f"Invalid value for --out: {out!r} {where}, which holds a checkpoint; export "
            "outside it."
        )


def _check_checkpoint(path):
    """Refuses an export given as --checkpoint, naming its format."""
    format = None
    if os.path.isfile(path) and os.path.getsize(path) > 0:
        format = "litert" if is_litert(path) else format_of(path)
        format = None if format == "tf_saved_model" else format
    elif os.path.isdir(path) and not os.path.isfile(os.path.join(path, CHECKPOINT)):
        try:
            latest_version_dir(path)
            format = "tf_saved_model"
        except FileNotFoundError:
            pass
    if format is not None:
        raise ValueError(
            f"Invalid value for --checkpoint: {path!r} is {FORMAT_NAMES[format]} export, "
            "not a checkpoint; export reads a .keras file or a run folder (sample and "
            "evaluate read exports)."
        )


def run(args):
    format = _check_format(args.out, args.format)
    _check_out(args.out, format)
    check_destination(args.out, format, args.version, args.max_samples)
    _check_checkpoint(args.checkpoint)
    gan = load_checkpoint(args.checkpoint)
    path = export_generator(gan, args.out, args.version, args.max_samples, format=format)
    print(f"Exported the generator to {path}")
