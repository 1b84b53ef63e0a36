"""The SavedModel: `export_generator` (TF Serving's versioned folders, or one file of
another format), `export_saved_model` (Keras's `WGAN.export`: the path is the SavedModel),
the `keras.export.ExportArchive` both write, and on JAX the generator converted by jax2tf."""

import os
import shutil

import keras
import tensorflow as tf

from keras_wgan.export import serving
from keras_wgan.export.description import describe, exported_generator, sync_variables
from keras_wgan.export.file import export_file
from keras_wgan.export.formats import check_destination
from keras_wgan.export.signatures import (
    DEFAULT_MAX_SAMPLES,
    KERAS_ENDPOINT,
    SEED_SIGNATURE,
    check_max_samples,
    endpoints,
)
from keras_wgan.export.tensorflow_process import export_in_tensorflow
from keras_wgan.utils.files import check_folder, remove_stale_temporaries, temporary_folder
from keras_wgan.utils.finite import check_finite_variables

#: The platforms a JAX export is lowered for: a model exported on a GPU serves on a CPU
#: (and the other way round).
JAX_PLATFORMS = ("cpu", "cuda")

#: The endpoints of the SavedModel, for the messages.
ENDPOINTS = f"serving_default, {SEED_SIGNATURE}, {KERAS_ENDPOINT}"


def export_generator(
    model, base_dir, version=None, max_samples=None, format="tf_saved_model", ema=None
):
    """Exports the model's generator for TF Serving as `base_dir/<version>/`, or as one file.

    The generator is the moving average's shadow generator (`model.ema_generator`) when
    the model keeps one (`WGAN(ema=...)`), unless `ema=False` asks for the raw one; the
    record then says which (`"ema": true` or `false`).

    With `format="onnx"` or `"litert"`, `base_dir` is the file to write and the export is
    `export_file`'s (no version, no `max_samples`: those files hold no input checks).

    Three endpoints, all taking any batch size, all checking their inputs:

    - `serving_default`: input `z` (float32, [batch, latent_dim]) and, for a conditional
      model, `labels` (int32, [batch]); outputs `samples` (float32: points, NHWC
      images in [-1, 1], or text's softmax [batch, 32, V]) and, for images,
      `images_uint8` (uint8 NHWC, 0..255); for text, `tokens` (int32 [batch, 32], the
      argmax) and `text` (tf.string [batch], decoded, the padding removed).
    - `generate_from_seed`: inputs `seed` (int64 scalar) and `num_samples` (int32
      scalar), plus `labels` (int32, [num_samples]) for a conditional model; draws z with
      the stateless `tf.random.stateless_normal(seed=[seed, 0])`, so the same request
      always returns the same samples. Outputs as above, plus the `z` it drew.
    - `serve`, the endpoint `keras.Model.export` writes: the inputs of
      `serving_default`, by position, and the `samples` alone, as a Keras model's export
      returns its output (`tf.saved_model.load(path).serve(z)`).

    Each checks its inputs in the graph before computing anything, with standard
    TensorFlow assertions, so a bad request fails with INVALID_ARGUMENT (TF Serving
    passes it to the client) and a message naming the input: `z` must have `latent_dim`
    columns, be finite and hold 1 to `max_samples` rows; `num_samples` must lie in
    [1, max_samples] (checked before the random op, so an absurd count costs nothing);
    `labels` must hold one label in [0, num_classes) per sample.

    The generator runs in inference mode (batch norm uses its moving statistics), and
    the graph holds standard TensorFlow ops only: loading it needs TensorFlow (or
    `tensorflow_model_server`) and no Python package of ours. On the JAX backend, jax2tf
    converts the generator alone into one `XlaCallModule` op (lowered for
    `JAX_PLATFORMS`); the checks, the random op and the outputs around it are the ops
    above, so the signatures, checks and outputs are the same. TensorFlow runs that op
    without JAX; a `tensorflow_model_server` runs it where its build has XLA for the
    device. Beside the SavedModel, `keras_wgan.json` records the model's description
    (`keras_wgan.export.describe`: `latent_dim`, `num_classes`, the sample shape and kind,
    the generator step the model was at, `ema`, and for text the vocabulary) and
    `max_samples` (`metadata` reads it; TF Serving ignores it).

    The version is written into a temporary folder beside it and renamed into place, so
    TF Serving, which polls `base_dir`, never sees a half-written version, and a failed
    export leaves nothing behind. An existing version is never overwritten, and a
    `base_dir` that is a SavedModel itself is refused.

    Two exports into one `base_dir` never run at once: the version is chosen and written
    under an exclusive lock on `base_dir` (`keras_wgan.utils.locks.exclusive`, the file
    `base_dir/.lock`, removed afterwards). A second export, from this process or another,
    waits for the first (up to `keras_wgan.export.serving.LOCK_TIMEOUT` seconds, then
    `FolderInUseError` names the holder's process id) and then writes the next version.
    Under the lock, the `.tmp-*` folders of exports that were killed are removed. Folders
    and files get the modes the umask gives (0o755 and 0o644 under umask 022), so a server
    running as another user can read them.

    Args:
        model: a `keras_wgan.WGAN`.
        base_dir: the model's base folder.
        version: a positive integer; default one more than the highest present, or 1.
        max_samples: the most samples one request may ask for (rows of `z`,
            `num_samples`); bounds the memory one request can take. Default (None) 1024.
        format: one of `FORMATS`: "tf_saved_model" (default), "onnx" or "litert". The
            name "saved_model" of earlier versions is refused, naming "tf_saved_model".
        ema: which generator to export (`WGAN.sampling_generator`): None (default) the
            shadow generator if the model keeps one, else the generator; True the shadow
            generator (refused without one); False the raw generator.

    Returns:
        The path of the written version folder (or file).

    Raises:
        ValueError: if `version` or `max_samples` is not a positive integer, or the
            version already exists; for a `format` not in `FORMATS`, or `version` or
            `max_samples` with a file format; for a `base_dir` that is a SavedModel.
        keras_wgan.utils.locks.FolderInUseError: if another export held `base_dir` for
            `LOCK_TIMEOUT` seconds.
        FloatingPointError: if a weight of the generator holds NaN or infinity; nothing
            is written then.

    Example:
    >>> path = export_generator(gan, "saved_models/digits")  # doctest: +SKIP
    >>> f = tf.saved_model.load(path).signatures["generate_from_seed"]  # doctest: +SKIP
    >>> f(seed=tf.constant(7, tf.int64), num_samples=tf.constant(4))["samples"].shape  # doctest: +SKIP
    TensorShape([4, 8, 8, 1])
    """
    base_dir, version, max_samples = check_destination(base_dir, format, version, max_samples)
    if format != "tf_saved_model":
        return export_file(model, base_dir, format, ema=ema)
    generator = exported_generator(model, ema)
    # Checked before any folder is made: a diverged model leaves no trace in `base_dir`.
    existing = serving.versions(base_dir)
    next_version = version or (existing[-1] + 1 if existing else 1)
    sync_variables(model)
    check_finite_variables(generator.weights, os.path.join(base_dir, str(next_version)))
    if keras.backend.backend() == "torch":
        kwargs = {"base_dir": base_dir, "version": version, "max_samples": max_samples}
        return export_in_tensorflow("export_generator", model, ema=ema, **kwargs)
    archive, record = _archive(model, max_samples, generator)
    return serving.write_version(archive, record, base_dir, version)


def export_saved_model(model, filepath, max_samples=DEFAULT_MAX_SAMPLES, verbose=False, ema=None):
    """Exports the model's generator as the SavedModel folder `filepath` itself.

    What `keras_wgan.WGAN.export(filepath)` writes: Keras's contract, where the path is
    the SavedModel (`tf.saved_model.load(filepath)`), in place of `export_generator`'s
    versioned `base_dir/<version>/`. The folder holds the same export: both signatures,
    their input checks, the outputs and `keras_wgan.json`, on either backend.

    The folder is written beside `filepath` under a temporary name and renamed into
    place, so a failed export leaves nothing behind. An existing folder is never
    overwritten: `filepath` must not exist or be an empty folder (unlike Keras's default
    export, which writes into it). Two exports to one path: one wins, the other raises.

    Args:
        model: a `keras_wgan.WGAN`.
        filepath: the SavedModel folder to write.
        max_samples: as for `export_generator`. Default 1024.
        verbose: print the path and the signatures once written.
        ema: which generator to export, as for `export_generator`.

    Returns:
        `filepath`, as a string.

    Raises:
        ValueError: for an empty path, a path that is or lies under a file, or an invalid
            `max_samples`.
        FileExistsError: if `filepath` is a folder that is not empty.
        FloatingPointError: if a weight of the generator holds NaN or infinity; nothing
            is written then.
    """
    filepath = check_folder("filepath", filepath)
    max_samples = check_max_samples(max_samples)
    generator = exported_generator(model, ema)
    _check_empty(filepath)
    if keras.backend.backend() == "torch":
        kwargs = {"filepath": filepath, "max_samples": max_samples, "ema": ema}
        export_in_tensorflow("export_saved_model", model, verbose=False, **kwargs)
        if verbose:
            print(f"Saved artifact at {filepath!r}. Endpoints: {ENDPOINTS}.")
        return filepath
    sync_variables(model)
    check_finite_variables(generator.weights, filepath)
    archive, record = _archive(model, max_samples, generator)
    target = os.path.abspath(filepath)
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    remove_stale_temporaries(parent, name=os.path.basename(target))
    tmp = temporary_folder(parent, os.path.basename(target))
    try:
        serving.write_folder(archive, record, tmp)
        try:
            os.rename(tmp, target)  # onto a missing or empty folder only
        except OSError as error:
            if os.path.isdir(target):
                raise _exists(filepath) from error
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if verbose:
        print(f"Saved artifact at {filepath!r}. Endpoints: {ENDPOINTS}.")
    return filepath


def _exists(filepath):
    return FileExistsError(
        f"Cannot export to {filepath!r}: the folder exists and is not empty. Remove it, "
        "choose another path, or use `keras_wgan.export_generator` for numbered versions."
    )


def _check_empty(filepath):
    if os.path.isdir(filepath) and os.listdir(filepath):
        raise _exists(filepath)


def _archive(model, max_samples, generator):
    """The `keras.export.ExportArchive` of `generator` (the model's generator or its
    moving average's), with both signatures, and the record written beside it
    (`keras_wgan.json`: the model's description and `max_samples`)."""
    description = describe(model, generator)
    archive = keras.export.ExportArchive()
    archive.track(generator)
    run = _generator_fn(generator, description, archive)
    for name, (fn, signature) in endpoints(description, max_samples, run).items():
        if keras.backend.backend() == "jax":
            # Added as a traced `tf.function`: Keras converts a plain function with
            # jax2tf whole, and the input checks (TensorFlow ops) cannot run on JAX
            # tracers. Here only the generator is converted (`_generator_fn`).
            fn = tf.function(fn, input_signature=signature, autograph=False)
            fn.get_concrete_function()
            archive.add_endpoint(name=name, fn=fn)
        else:
            archive.add_endpoint(name=name, fn=fn, input_signature=signature)
    return archive, {**description, "max_samples": max_samples}


def _generator_fn(generator, description, archive):
    """A TensorFlow function from the generator's inputs (z, or z and labels) to its
    output, in inference mode: the generator itself on TensorFlow; on JAX, the generator
    converted by jax2tf (one `XlaCallModule` op), reading the TensorFlow copies of its
    variables that `archive.track` made."""
    if keras.backend.backend() != "jax":
        return lambda *inputs: generator(_model_inputs(inputs), training=False)
    from jax.experimental import jax2tf  # JAX is installed on this backend only

    keras_variables = generator.trainable_variables + generator.non_trainable_variables
    tf_variables = list(archive.trainable_variables) + list(archive.non_trainable_variables)
    if [tuple(v.shape) for v in keras_variables] != [tuple(v.shape) for v in tf_variables]:
        raise RuntimeError("The export's copies of the generator's variables do not match it.")

    def stateless(values, *inputs):
        with keras.StatelessScope(state_mapping=list(zip(keras_variables, values))):
            return generator(_model_inputs(inputs), training=False)

    # The batch size is symbolic (any size from 1 up; the checks refuse 0 first); every
    # other size, and the variables' shapes, are fixed.
    batch_shapes = ["(batch, _)", "(batch,)"][: 2 if description["num_classes"] else 1]
    converted = jax2tf.convert(
        stateless,
        polymorphic_shapes=[None, *batch_shapes],
        with_gradient=False,
        native_serialization_platforms=JAX_PLATFORMS,
    )
    return lambda *inputs: converted(tf_variables, *inputs)


def _model_inputs(inputs):
    """The generator's input: z alone, or [z, labels] for a conditional model."""
    return list(inputs) if len(inputs) > 1 else inputs[0]
