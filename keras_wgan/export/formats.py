"""The export's formats, named as Keras names them, the suffix that names each, and what
an export may be written over (checked before any work)."""

import os

from keras_wgan.deploy import SUFFIXES, holds_export
from keras_wgan.export import serving
from keras_wgan.export.signatures import DEFAULT_MAX_SAMPLES, check_max_samples
from keras_wgan.utils.files import check_folder
from keras_wgan.utils.validation import check_choice, check_int, invalid

#: What `export_generator` writes: TF Serving's SavedModel (a version folder, the
#: default), an ONNX file, or a LiteRT (TFLite) file; Keras's names (`WGAN.export`).
FORMATS = ("tf_saved_model", "onnx", "litert")
#: The formats written as one file (`export_file`).
FILE_FORMATS = ("onnx", "litert")
#: Names of formats in earlier versions, and the name now.
RENAMED = {"saved_model": "tf_saved_model"}
#: What an export of each format is called in messages, with its article.
FORMAT_NAMES = {"tf_saved_model": "a SavedModel", "onnx": "an ONNX", "litert": "a LiteRT"}


def check_format(format):
    """`format` if it is one of `FORMATS`; a renamed format is refused naming its new name.

    Example:
    >>> check_format("onnx")
    'onnx'
    >>> check_format("saved_model")
    Traceback (most recent call last):
    ...
    ValueError: The format 'saved_model' is now called 'tf_saved_model', Keras's name for it (as in `WGAN.export`): pass format='tf_saved_model'.
    """
    if format in RENAMED:
        raise ValueError(
            f"The format {format!r} is now called {RENAMED[format]!r}, Keras's name for it "
            f"(as in `WGAN.export`): pass format={RENAMED[format]!r}."
        )
    return check_choice("format", format, FORMATS)


def format_of(path):
    """The format a path's suffix names: "onnx" for `.onnx`, "litert" for `.tflite`, else
    "tf_saved_model" (the base folder of a SavedModel's versions).

    Example:
    >>> format_of("g.onnx"), format_of("g.tflite"), format_of("exported/g")
    ('onnx', 'litert', 'tf_saved_model')
    """
    for format, suffix in SUFFIXES.items():
        if os.fspath(path).endswith(suffix):
            return format
    return "tf_saved_model"


def check_file(name, path, format):
    """`path` (a string) if a file of `format` may be written there: a new file, or an
    earlier export of the same format (replaced whole); never a folder nor any other file.

    Raises:
        ValueError: for an empty path, a folder, a path under a file, or an existing file
            that is not an export of `format` (an ONNX file only with keras_wgan's record).
        ImportError: for "onnx" over an existing file, without the package `onnx`.
    """
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise invalid(name, path, "a file path")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise invalid(name, path, f"a file; {path!r} is a folder")
    check_folder(name, os.path.dirname(os.path.abspath(path)))
    if os.path.exists(path) and not holds_export(path, format):
        what = "an ONNX file of keras_wgan" if format == "onnx" else "a LiteRT file"
        raise ValueError(
            f"Cannot export to {path!r}: the file exists and is not {what}; an export "
            "replaces only an earlier export of its format. Remove it or choose another path."
        )
    return path


def check_destination(path, format="tf_saved_model", version=None, max_samples=None):
    """Checks, before any work, that `export_generator` may write `format` at `path` with
    these options; returns (path, version, max_samples) as it takes them.

    A SavedModel's base folder: a folder (or where one can be made), not a SavedModel
    itself, without `version` yet. A file: see `check_file`; `version` and `max_samples`
    are for the SavedModel only.
    """
    format = check_format(format)
    if format != "tf_saved_model":
        for name, value in (("version", version), ("max_samples", max_samples)):
            if value is not None:
                raise ValueError(
                    f"`{name}` is for format='tf_saved_model' only; format={format!r} writes "
                    "one file, without versions or input checks."
                )
        return check_file("filepath", path, format), None, None
    path = check_folder("base_dir", path)
    serving.check_base(path)
    if version is not None:
        version = check_int("version", version, 1)
        serving.check_new(path, version)  # at once; again under the lock
    if max_samples is None:
        max_samples = DEFAULT_MAX_SAMPLES
    return path, version, check_max_samples(max_samples)
