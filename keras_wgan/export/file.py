"""One file: the generator's inference function as ONNX or LiteRT (the converters are
`keras_wgan.deploy`'s), written atomically."""

import keras
import tensorflow as tf

from keras_wgan.deploy import CONVERTERS, write_bytes
from keras_wgan.export.description import (
    describe,
    exported_generator,
    sync_variables,
)
from keras_wgan.export.formats import FILE_FORMATS, check_file
from keras_wgan.export.signatures import output_fn
from keras_wgan.export.tensorflow_process import write_file_in_tensorflow
from keras_wgan.utils.finite import check_finite_variables
from keras_wgan.utils.validation import check_choice


def export_file(model, filepath, format, verbose=False, ema=None):
    """Exports the generator's inference function as one ONNX or LiteRT file.

    The file holds one function: input `z` (float32 [batch, latent_dim]) and, for a
    conditional model, `labels` (int32 [batch]), any batch size; outputs `samples`
    (float32: points, NHWC images in [-1, 1], or text's softmax) and, for images,
    `images_uint8` (uint8 NHWC); for text, `tokens` (int32 [batch, 32], the argmax; the
    vocabulary is in the ONNX file's record). The generator runs in inference mode, as in
    the SavedModel, whose `serving_default` it matches.

    Unlike the SavedModel, the file checks no request: its runtime checks the inputs'
    dtypes and ranks (onnxruntime also the declared `latent_dim`), but not that `z` is
    finite, nor that labels lie in [0, num_classes) (a label outside gives the samples of
    no class), nor a largest batch. The seed signature (`generate_from_seed`) is not
    exported: draw z with any normal generator.

    "onnx" is converted by tf2onnx (opset `keras_wgan.deploy.ONNX_OPSET`), its record
    (the model's description, `keras_wgan.export.describe`, and the format) in the
    metadata under "keras_wgan"; "litert" by TensorFlow's TFLite converter, built-in ops
    only. On the JAX and PyTorch backends, the generator is saved (a `.keras` file) and
    converted by a TensorFlow-backend Python process: the same ops as from TensorFlow.

    The file is converted in memory, written under a temporary name beside `filepath` and
    renamed over it (`keras_wgan.utils.files.write_atomically`): a failed conversion or
    write leaves no file. An existing file is replaced whole if it is an export of the
    same format (an ONNX file with keras_wgan's record, a LiteRT file), and refused
    otherwise, before any work.

    Args:
        model: a `keras_wgan.WGAN`.
        filepath: the file to write (".onnx", ".tflite" by convention).
        format: "onnx" or "litert".
        verbose: print where the export went.
        ema: which generator to export, as for `export_generator`.

    Returns:
        `filepath`, as a string.

    Raises:
        ValueError: for a format not in `FILE_FORMATS`, an empty path, a folder, or an
            existing file that is not an export of `format`.
        ImportError: for the ONNX export without tf2onnx or onnx (the `deploy` extra).
        keras_wgan.deploy.ConversionError: (a `RuntimeError`) for a generator the
            converter cannot convert; nothing is written then.
        FloatingPointError: if a weight of the generator holds NaN or infinity.

    Example:
    >>> export_file(gan, "digits.onnx", "onnx")  # doctest: +SKIP
    >>> import onnxruntime  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession("digits.onnx")  # doctest: +SKIP
    >>> session.run(["samples"], {"z": z})[0].shape  # doctest: +SKIP
    (4, 8, 8, 1)
    """
    format = check_choice("format", format, FILE_FORMATS)
    filepath = check_file("filepath", filepath, format)
    generator = exported_generator(model, ema)
    sync_variables(model)
    check_finite_variables(generator.weights, filepath)
    record = {"format": format, **describe(model, generator)}
    if keras.backend.backend() == "tensorflow":
        write_file(generator, record, format, filepath)
    else:
        write_file_in_tensorflow(generator, record, format, filepath)
    if verbose:
        print(f"Saved artifact at {filepath!r} ({format}).")
    return filepath


def inference_function(generator, description):
    """The `tf.function` the file formats hold (TensorFlow backend): `z` (and `labels`)
    to `samples` and `images_uint8` or `tokens`, the generator in inference mode.

    Args:
        generator: the generator (a Keras model on the TensorFlow backend).
        description: the model's description (`keras_wgan.export.describe`): its
            `latent_dim`, `num_classes`, `kind` and, for text, `vocabulary`.
    """
    decode = output_fn(description, strings=False)
    z_spec = tf.TensorSpec([None, description["latent_dim"]], tf.float32, name="z")
    if description["num_classes"]:

        def generate(z, labels):
            return decode(generator([z, labels], training=False))

        signature = [z_spec, tf.TensorSpec([None], tf.int32, name="labels")]
    else:

        def generate(z):
            return decode(generator(z, training=False))

        signature = [z_spec]
    return tf.function(generate, input_signature=signature, autograph=False)


def write_file(generator, record, format, filepath):
    """Converts and writes the file (TensorFlow backend); `record` is the file's record
    (the description and the format)."""
    fn = inference_function(generator, record)
    write_bytes(filepath, CONVERTERS[format](fn, generator, record))
