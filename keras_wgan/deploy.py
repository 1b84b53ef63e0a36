"""Converting a TensorFlow function to one ONNX or LiteRT file, written atomically, and
telling such a file from any other.

The converters of `keras_wgan.export`'s file formats ("onnx", "litert"): each takes a
`tf.function` with an input signature (the generator's inference function, built by
`keras_wgan.export`) and writes one file. `holds_export` says whether a file on disk
is one of them (an ONNX file only with keras_wgan's record). The optional packages of
the `deploy` extra (`pip install "keras-wgan[deploy]"`) are imported inside the functions
that need them, so the package imports without them.
"""

import json
import tempfile

import keras
import tensorflow as tf

from keras_wgan.utils.files import write_atomically

#: The ONNX operator set the ONNX files use (onnxruntime 1.14 and later run it).
ONNX_OPSET = 17
#: The key of the export's record (`keras_wgan.json`'s content) in an ONNX file's metadata.
ONNX_METADATA_KEY = "keras_wgan"
#: {format: file suffix}.
SUFFIXES = {"onnx": ".onnx", "litert": ".tflite"}
#: A LiteRT (TFLite) flatbuffer's file identifier, bytes 4 to 8 of the file.
LITERT_MAGIC = b"TFL3"


class ConversionError(RuntimeError):
    """The converter could not convert the generator (an op it does not take)."""


def _missing(package, error, what="The ONNX export"):
    return ImportError(
        f"{what} needs the package {package!r}: "
        f'pip install "keras-wgan[deploy]" (onnx, tf2onnx, onnxruntime, ai-edge-litert). '
        f"({error})"
    )


def _first_line(error):
    """The first line of an error that says something (converters raise pages)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def onnx_bytes(fn, trackable, record):
    """The ONNX model of `fn` (a `tf.function` with an input signature; `trackable`, the
    generator, holds its variables), `record` in the metadata under `ONNX_METADATA_KEY`; raises `ConversionError` for an op that
    tf2onnx cannot convert."""
    try:
        import onnx
        import tf2onnx
    except ImportError as error:
        raise _missing(error.name or "tf2onnx", error) from None
    try:
        proto, _ = tf2onnx.convert.from_function(
            fn, input_signature=fn.input_signature, opset=ONNX_OPSET
        )
        # tf2onnx leaves an op it cannot convert in the graph: the checker refuses it.
        onnx.checker.check_model(proto)
    except Exception as error:
        raise ConversionError(
            f"Cannot convert the generator to ONNX: {_first_line(error)}"
        ) from error
    for value in [*proto.graph.input, *proto.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims and dims[0].dim_param:  # tf2onnx names the dynamic batch "unk__<n>"
            dims[0].dim_param = "batch"
    entry = proto.metadata_props.add()
    entry.key, entry.value = ONNX_METADATA_KEY, json.dumps(record)
    proto.producer_name = "keras_wgan"
    return proto.SerializeToString()


def litert_bytes(fn, trackable, record):
    """The LiteRT (TFLite) flatbuffer of `fn` (`trackable`, the generator, holds its
    variables; `record` is not stored: a LiteRT file has no metadata of ours), with the
    built-in ops only (so that the plain interpreter runs it, without TensorFlow's "flex"
    ops); raises `ConversionError` for an op the converter cannot lower to them.

    Converted from a SavedModel of `fn` alone (Keras's path to LiteRT): the converter
    then finds the Keras variables and makes them constants of the file.
    """
    with tempfile.TemporaryDirectory(prefix="keras_wgan_litert_") as folder:
        archive = keras.export.ExportArchive()
        archive.track(trackable)
        archive.add_endpoint(name="serving_default", fn=fn)
        archive.write_out(folder, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(
            folder, signature_keys=["serving_default"]
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        try:
            return converter.convert()
        except Exception as error:
            raise ConversionError(
                f"Cannot convert the generator to LiteRT: {_first_line(error)}"
            ) from error


CONVERTERS = {"onnx": onnx_bytes, "litert": litert_bytes}


def write_bytes(path, content):
    """Writes `content` to `path` atomically (a temporary file beside it, renamed over it):
    a failure leaves the old file or none, never part of one."""

    def write(tmp):
        with open(tmp, "wb") as f:
            f.write(content)

    write_atomically(path, write)
    return path


def onnx_file_record(path):
    """The record keras_wgan wrote in the metadata of the ONNX file `path` (under
    `ONNX_METADATA_KEY`), a dict; None for a file that is not ONNX or holds no such record.

    Raises:
        ImportError: without the package `onnx` (the `deploy` extra).
    """
    try:
        import onnx
    except ImportError as error:
        raise _missing("onnx", error, what="Reading an ONNX file") from None
    try:
        proto = onnx.load_model(path, load_external_data=False)
    except Exception:  # protobuf's DecodeError, or what onnx makes of it
        return None
    found = {entry.key: entry.value for entry in proto.metadata_props}
    try:
        record = json.loads(found[ONNX_METADATA_KEY])
    except (KeyError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def is_litert(path):
    """Whether the file `path` is a LiteRT (TFLite) flatbuffer: `LITERT_MAGIC` at byte 4."""
    with open(path, "rb") as f:
        return f.read(8)[4:] == LITERT_MAGIC


def holds_export(path, format):
    """Whether the file `path` is an export of `format`: for "onnx", an ONNX file holding
    keras_wgan's record; for "litert", a LiteRT file.

    Raises:
        ImportError: for "onnx", without the package `onnx` (the `deploy` extra).
    """
    if format == "litert":
        return is_litert(path)
    return onnx_file_record(path) is not None
