"""An export read back, whatever its format: a SavedModel (a version folder or its base
folder), an ONNX file or a LiteRT file, as one function from z (and labels) to the export's
outputs as NumPy arrays (`load_export`)."""

import json
import os
import warnings

import numpy as np
import tensorflow as tf

from keras_wgan.datasets.text import decode as decode_text
from keras_wgan.deploy import ONNX_METADATA_KEY, SUFFIXES, is_litert
from keras_wgan.export.serving import latest_version_dir, metadata
from keras_wgan.export.signatures import DEFAULT_MAX_SAMPLES, SEED_SIGNATURE


class LoadedExport:
    """An export read back by `load_export`: what it generates, and the function to call.

    Attributes:
        path: the path it was read from.
        format: "tf_saved_model", "onnx" or "litert".
        record: the export's record (`keras_wgan.export.describe`'s description, and a
            SavedModel's `max_samples`); {} for a LiteRT file, which holds none.
        latent_dim: the columns of z.
        conditional: whether it takes `labels`.
        num_classes: the classes of a conditional export; None where the export does not
            say (a LiteRT file).
        max_samples: the most rows one call of the export takes; a larger call is sent in
            pieces of this size.
        sample_shape: one sample's shape (a list).
        kind: "points", "images" or "text".
        vocabulary: the characters a text export decodes with, where its record holds
            them (an ONNX file's, a SavedModel's); None otherwise.
        text: whether the outputs hold the decoded `text` (False for a LiteRT file of
            text: it holds no vocabulary).
        seeded: whether it has the `generate_from_seed` signature (a SavedModel's).
    """

    def __init__(self, path, format, record, inputs, sample_shape, kind, run, **extra):
        self.path = path
        self.format = format
        self.record = record
        self.latent_dim = int(inputs["z"])
        self.conditional = "labels" in inputs
        self.num_classes = record.get("num_classes") if self.conditional else None
        self.max_samples = record.get("max_samples") or DEFAULT_MAX_SAMPLES
        self.sample_shape = [int(d or 1) for d in sample_shape]
        self.kind = kind
        self.vocabulary = record.get("vocabulary")
        self.text = kind == "text" and (extra.pop("decodes", False) or bool(self.vocabulary))
        self.seeded = extra.pop("seeded", False)
        self._run = run
        self._keep = extra.pop("keep", None)  # what `run` needs alive (a loaded SavedModel)

    def __call__(self, z, labels=None):
        """{output name: NumPy array} for the rows of `z` (float32 [n, latent_dim]) and,
        for a conditional export, `labels` (int32 [n]), sent in calls of at most
        `max_samples` rows; text gets its decoded `text` from the vocabulary where the
        export has no string output (ONNX)."""
        z = np.asarray(z, np.float32)
        if self.conditional != (labels is not None):
            raise ValueError(
                "This export is class-conditional: pass labels."
                if self.conditional
                else "This export takes no labels."
            )
        parts = []
        for start in range(0, len(z), self.max_samples):
            feeds = {"z": z[start : start + self.max_samples]}
            if labels is not None:
                feeds["labels"] = np.asarray(labels[start : start + self.max_samples], np.int32)
            parts.append(self._run(feeds))
        outputs = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
        if self.vocabulary is not None and "text" not in outputs:
            outputs["text"] = np.array(decode_text(outputs["tokens"], self.vocabulary), object)
        return outputs


def load_export(path):
    """Reads an export of `keras_wgan.export_generator` (or `WGAN.export`) back.

    Args:
        path: a SavedModel (a version folder, or the base folder of versions: its latest
            is read), or a file: ONNX (`.onnx`, with keras_wgan's record) or LiteRT (read
            by its identifier, whatever its name).

    Returns:
        A `LoadedExport`.

    Raises:
        FileNotFoundError: for a path where there is no export.
        ValueError: naming the file, for an empty one, a file of no export format, an
            ONNX file without keras_wgan's record, or a model that takes no `z`.
        ImportError: for an ONNX file, without onnxruntime (the `deploy` extra).

    Example:
    >>> export = load_export("saved_models/digits")  # doctest: +SKIP
    >>> export(np.zeros((4, export.latent_dim)))["samples"].shape  # doctest: +SKIP
    (4, 8, 8, 1)
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        return _saved_model(path)
    if not os.path.exists(path):
        if path.endswith(tuple(SUFFIXES.values())):
            raise FileNotFoundError(2, "No such file or directory", path)
        latest_version_dir(path)  # raises "No SavedModel at ..."
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path!r} is empty (0 bytes): it holds no model.")
    if is_litert(path):
        return _litert(path)
    if path.endswith(SUFFIXES["litert"]):
        raise ValueError(f"{path!r} is not a LiteRT file (no 'TFL3' identifier at byte 4).")
    if path.endswith(SUFFIXES["onnx"]):
        return _onnx(path)
    raise ValueError(
        f"{path!r} is a file of no export format: an export is a SavedModel folder (or its "
        "base folder of versions), an .onnx or a .tflite file."
    )


def _kind(output_names, sample_shape):
    if "tokens" in output_names:
        return "text"
    return "images" if len(sample_shape) == 3 else "points"


def _not_a_generator(path, what, inputs):
    return ValueError(
        f"{path!r} is {what} but not a generator's export of keras_wgan: its inputs are "
        f"{sorted(inputs)}, not z (and labels)."
    )


def _saved_model(path):
    folder = latest_version_dir(path)
    record = metadata(folder)
    loaded = tf.saved_model.load(folder)
    fn = loaded.signatures["serving_default"]
    inputs = {name: spec.shape[-1] for name, spec in fn.structured_input_signature[1].items()}
    if "z" not in inputs:
        raise _not_a_generator(path, "a SavedModel", inputs)
    outputs = fn.structured_outputs
    shape = record.get("sample_shape") or outputs["samples"].shape[1:]

    def run(feeds):
        tensors = {name: tf.constant(value) for name, value in feeds.items()}
        return {name: value.numpy() for name, value in fn(**tensors).items()}

    return LoadedExport(
        path,
        "tf_saved_model",
        record,
        inputs,
        shape,
        record.get("kind") or _kind(outputs, shape),
        run,
        decodes="text" in outputs,
        seeded=SEED_SIGNATURE in loaded.signatures,
        keep=loaded,
    )


def _onnx(path):
    try:
        import onnxruntime
    except ImportError as error:
        raise ImportError(
            "Reading an ONNX file needs the package 'onnxruntime': "
            'pip install "keras-wgan[deploy]" (onnx, tf2onnx, onnxruntime, ai-edge-litert). '
            f"({error})"
        ) from None
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: no warnings about the graph's optimisation
    try:
        session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's InvalidProtobuf, Fail, ...
        raise ValueError(f"{path!r} is not an ONNX file ({type(error).__name__}).") from None
    found = session.get_modelmeta().custom_metadata_map.get(ONNX_METADATA_KEY)
    try:
        record = json.loads(found)
    except (TypeError, ValueError):
        record = None
    if not isinstance(record, dict) or "sample_shape" not in record:
        raise ValueError(
            f"{path!r} is not an ONNX file written by keras_wgan (its metadata holds no "
            f"{ONNX_METADATA_KEY!r} record): export one with `keras-wgan export --format onnx`."
        )
    inputs = {value.name: value.shape[-1] for value in session.get_inputs()}
    if "z" not in inputs:
        raise _not_a_generator(path, "an ONNX file", inputs)
    inputs["z"] = record.get("latent_dim") or inputs["z"]
    names = [value.name for value in session.get_outputs()]

    def run(feeds):
        return dict(zip(names, session.run(names, feeds)))

    shape = record["sample_shape"]
    return LoadedExport(
        path, "onnx", record, inputs, shape, record.get("kind") or _kind(names, shape), run
    )


def _interpreter(path):
    """A LiteRT interpreter of `path`, without the default XNNPACK delegate (whose start-up
    line would be printed): ai-edge-litert's where installed, else TensorFlow's
    (deprecated, its warning silenced)."""
    try:
        from ai_edge_litert import interpreter as litert
    except ImportError:
        litert = tf.lite
        resolver = tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    else:
        resolver = litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return litert.Interpreter(model_path=path, experimental_op_resolver_type=resolver)


def _litert(path):
    try:
        runner = _interpreter(path).get_signature_runner()
    except (ValueError, RuntimeError) as error:
        raise ValueError(f"{path!r} is not a readable LiteRT file ({error}).") from None
    details = runner.get_input_details()
    inputs = {name: detail["shape_signature"][-1] for name, detail in details.items()}
    outputs = runner.get_output_details()
    if "z" not in inputs or "samples" not in outputs:
        raise _not_a_generator(path, "a LiteRT file", inputs)
    shape = list(outputs["samples"]["shape_signature"][1:])

    def run(feeds):
        return runner(**feeds)

    return LoadedExport(path, "litert", {}, inputs, shape, _kind(outputs, shape), run)
