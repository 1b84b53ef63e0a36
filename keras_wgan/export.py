"""Export the generator as a SavedModel that TF Serving loads, or as one ONNX or LiteRT
file, written atomically."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types

import keras
import tensorflow as tf

from keras_wgan.architectures.kinds import model_kind
from keras_wgan.architectures.language import vocabulary_of
from keras_wgan.deploy import CONVERTERS, ConversionError, write_bytes
from keras_wgan.utils.files import check_folder, remove_stale_temporaries, temporary_folder
from keras_wgan.utils.finite import check_finite_variables
from keras_wgan.utils.locks import exclusive
from keras_wgan.utils.validation import check_choice, check_int, invalid

_VERSION = re.compile(r"^\d+$")


def versions(base_dir):
    """The integer version folders under `base_dir`, sorted (TF Serving's layout)."""
    if not os.path.isdir(base_dir):
        return []
    return sorted(int(n) for n in os.listdir(base_dir) if _VERSION.match(n))


def latest_version_dir(path):
    """`path` itself if it is a SavedModel, else its highest integer version folder."""
    if os.path.exists(os.path.join(path, "saved_model.pb")):
        return path
    found = versions(path)
    if not found:
        raise FileNotFoundError(
            f"No SavedModel at {path!r}: expected a folder with saved_model.pb or "
            "integer version folders (TF Serving's layout)."
        )
    return os.path.join(path, str(found[-1]))


SEED_SIGNATURE = "generate_from_seed"
DEFAULT_MAX_SAMPLES = 1024
METADATA = "keras_wgan.json"
#: Seconds an export waits for another one writing into the same base folder.
LOCK_TIMEOUT = 600
#: What `export_generator` writes: TF Serving's SavedModel (a version folder, the
#: default), an ONNX file, or a LiteRT (TFLite) file.
FORMATS = ("saved_model", "onnx", "litert")
#: The formats written as one file (`export_file`).
FILE_FORMATS = ("onnx", "litert")


def metadata(path):
    """The export's own description (`METADATA` in its version folder): `latent_dim`,
    `num_classes`, `max_samples`, `sample_shape`, `kind`, `generator_step` (the model's
    training step; None if it was never compiled); {} for an export without one."""
    record = os.path.join(latest_version_dir(path), METADATA)
    try:
        with open(record) as f:
            found = json.load(f)
    except FileNotFoundError:
        return {}
    except ValueError as error:  # not JSON, or not UTF-8
        raise ValueError(f"The export's record {record!r} is not valid JSON ({error}).") from None
    if not isinstance(found, dict):
        raise ValueError(f"The export's record {record!r} is not a JSON object.")
    return found


def export_generator(
    model, base_dir, version=None, max_samples=None, format="saved_model", ema=None
):
    """Exports the model's generator for TF Serving as `base_dir/<version>/`, or as one file.

    The generator is the moving average's shadow generator (`model.ema_generator`) when
    the model keeps one (`WGAN(ema=...)`), unless `ema=False` asks for the raw one; the
    record then says which (`"ema": true` or `false`).

    With `format="onnx"` or `"litert"`, `base_dir` is the file to write and the export is
    `export_file`'s (no version, no `max_samples`: those files hold no input checks).

    Two signatures, both taking any batch size:

    - `serving_default`: input `z` (float32, [batch, latent_dim]) and, for a conditional
      model, `labels` (int32, [batch]); outputs `samples` (float32: points, NHWC
      images in [-1, 1], or text's softmax [batch, 32, V]) and, for images,
      `images_uint8` (uint8 NHWC, 0..255); for text, `tokens` (int32 [batch, 32], the
      argmax) and `text` (tf.string [batch], decoded, the padding removed).
    - `generate_from_seed`: inputs `seed` (int64 scalar) and `num_samples` (int32
      scalar), plus `labels` (int32, [num_samples]) for a conditional model; draws z with
      the stateless `tf.random.stateless_normal(seed=[seed, 0])`, so the same request
      always returns the same samples. Outputs as above, plus the `z` it drew.

    Both check their inputs in the graph before computing anything, with standard
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
    device. Beside the SavedModel, `keras_wgan.json` records `latent_dim`,
    `num_classes`, `max_samples`, the sample shape and kind, and the generator step the
    model was at (`metadata` reads it; TF Serving ignores it).

    The version is written into a temporary folder beside it and renamed into place, so
    TF Serving, which polls `base_dir`, never sees a half-written version, and a failed
    export leaves nothing behind. An existing version is never overwritten.

    Two exports into one `base_dir` never run at once: the version is chosen and written
    under an exclusive lock on `base_dir` (`keras_wgan.utils.locks.exclusive`, the file
    `base_dir/.lock`, removed afterwards). A second export, from this process or another,
    waits for the first (up to `LOCK_TIMEOUT` seconds, then `FolderInUseError` names the
    holder's process id) and then writes the next version. Under the lock, the `.tmp-*`
    folders of exports that were killed are removed. Folders and files get the modes the
    umask gives (0o755 and 0o644 under umask 022), so a server running as another user
    can read them.

    Args:
        model: a `keras_wgan.WGAN`.
        base_dir: the model's base folder.
        version: a positive integer; default one more than the highest present, or 1.
        max_samples: the most samples one request may ask for (rows of `z`,
            `num_samples`); bounds the memory one request can take. Default (None) 1024.
        format: one of `FORMATS`: "saved_model" (default), "onnx" or "litert".
        ema: which generator to export (`WGAN.sampling_generator`): None (default) the
            shadow generator if the model keeps one, else the generator; True the shadow
            generator (refused without one); False the raw generator.

    Returns:
        The path of the written version folder (or file).

    Raises:
        ValueError: if `version` or `max_samples` is not a positive integer, or the
            version already exists; for a `format` not in `FORMATS`, or `version` or
            `max_samples` with a file format.
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
    format = check_choice("format", format, FORMATS)
    if format != "saved_model":
        for name, value in (("version", version), ("max_samples", max_samples)):
            if value is not None:
                raise ValueError(
                    f"`{name}` is for format='saved_model' only; format={format!r} writes "
                    "one file, without versions or input checks."
                )
        return export_file(model, base_dir, format, ema=ema)
    if max_samples is None:
        max_samples = DEFAULT_MAX_SAMPLES
    check_folder("base_dir", base_dir)
    if version is not None:
        version = check_int("version", version, 1)
        _check_new(base_dir, version)  # at once; again under the lock
    max_samples = check_max_samples(max_samples)
    generator = _exported_generator(model, ema)
    # Checked before any folder is made: a diverged model leaves no trace in `base_dir`.
    existing = versions(base_dir)
    next_version = version or (existing[-1] + 1 if existing else 1)
    _sync_variables(model)
    check_finite_variables(generator.weights, os.path.join(base_dir, str(next_version)))
    if keras.backend.backend() == "torch":
        kwargs = {"base_dir": os.fspath(base_dir), "version": version, "max_samples": max_samples}
        return _export_in_tensorflow("export_generator", model, ema=ema, **kwargs)
    archive, record = _archive(model, max_samples, generator)
    with exclusive(base_dir, timeout=LOCK_TIMEOUT) as lock:
        remove_stale_temporaries(base_dir, before=lock.started)
        return _write_version(archive, record, base_dir, version)


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
    generator = _exported_generator(model, ema)
    _check_empty(filepath)
    if keras.backend.backend() == "torch":
        kwargs = {"filepath": os.fspath(filepath), "max_samples": max_samples, "ema": ema}
        _export_in_tensorflow("export_saved_model", model, verbose=False, **kwargs)
        if verbose:
            print(f"Saved artifact at {filepath!r}. Signatures: serving_default, {SEED_SIGNATURE}.")
        return os.fspath(filepath)
    _sync_variables(model)
    check_finite_variables(generator.weights, filepath)
    archive, record = _archive(model, max_samples, generator)
    target = os.path.abspath(filepath)
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    remove_stale_temporaries(parent, name=os.path.basename(target))
    tmp = temporary_folder(parent, os.path.basename(target))
    try:
        _write(archive, record, tmp)
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
        print(f"Saved artifact at {filepath!r}. Signatures: serving_default, {SEED_SIGNATURE}.")
    return filepath


def _exists(filepath):
    return FileExistsError(
        f"Cannot export to {filepath!r}: the folder exists and is not empty. Remove it, "
        "choose another path, or use `keras_wgan.export_generator` for numbered versions."
    )


def _check_empty(filepath):
    if os.path.isdir(filepath) and os.listdir(filepath):
        raise _exists(filepath)


def _sync_variables(model):
    """Brings the variables up to date in the middle of a JAX `fit` (a callback's export);
    a no-op elsewhere."""
    sync = getattr(model, "_sync_variables", None)
    if sync is not None:
        sync()


def _exported_generator(model, ema):
    """The generator an export writes: `model.sampling_generator(ema)` (the moving
    average's shadow generator by default, when the model keeps one)."""
    choose = getattr(model, "sampling_generator", None)
    if choose is None:  # a model of another class, holding a generator
        if ema:
            raise invalid("ema", ema, "None or False: the model keeps no moving average")
        return model.generator
    return choose(ema)


def _archive(model, max_samples, generator):
    """The `keras.export.ExportArchive` of `generator` (the model's generator or its
    moving average's), with both signatures, and the record written beside it
    (`METADATA`)."""
    archive = keras.export.ExportArchive()
    archive.track(generator)
    run = _generator_fn(model, archive, generator)
    for name, (fn, signature) in _endpoints(model, max_samples, run).items():
        if keras.backend.backend() == "jax":
            # Added as a traced `tf.function`: Keras converts a plain function with
            # jax2tf whole, and the input checks (TensorFlow ops) cannot run on JAX
            # tracers. Here only the generator is converted (`_generator_fn`).
            fn = tf.function(fn, input_signature=signature, autograph=False)
            fn.get_concrete_function()
            archive.add_endpoint(name=name, fn=fn)
        else:
            archive.add_endpoint(name=name, fn=fn, input_signature=signature)
    record = {
        "latent_dim": int(model.latent_dim),
        "num_classes": model.num_classes or None,
        "max_samples": max_samples,
        "sample_shape": list(model.sample_shape)[1:],
        "kind": model_kind(model),
        "generator_step": _generator_step(model),
    }
    if getattr(model, "ema_generator", None) is not None:
        record["ema"] = generator is model.ema_generator  # which generator was exported
    return archive, record


#: The platforms a JAX export is lowered for: a model exported on a GPU serves on a CPU
#: (and the other way round).
JAX_PLATFORMS = ("cpu", "cuda")


def _generator_fn(model, archive, generator):
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
    batch_shapes = ["(batch, _)", "(batch,)"][: 2 if model.num_classes else 1]
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


def _generator_step(model):
    """The model's training step; None for a model never compiled (no optimisers)."""
    return model.generator_step() if hasattr(model, "g_optimizer") else None


def _check_new(base_dir, version):
    final = os.path.join(base_dir, str(version))
    if os.path.exists(final):
        raise ValueError(
            f"Export version {final!r} already exists; choose another version or leave "
            "`version` unset for the next one."
        )
    return final


def _write_version(archive, record, base_dir, version):
    """Writes `base_dir/<version>` (default: the next one), under the base's lock."""
    existing = versions(base_dir)
    if version is None:
        version = existing[-1] + 1 if existing else 1
    final = _check_new(base_dir, version)
    # A dot-prefixed, non-integer name: TF Serving ignores it while it is being written.
    tmp = temporary_folder(base_dir, str(version))
    try:
        _write(archive, record, tmp)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _write(archive, record, folder):
    """Writes the SavedModel and its record (`METADATA`) into `folder`."""
    archive.write_out(folder, verbose=False)
    with open(os.path.join(folder, METADATA), "w") as f:
        json.dump(record, f, indent=1)


#: The largest `max_samples`: `num_samples` is an int32 input of `generate_from_seed`.
MAX_SAMPLES_LIMIT = 2**31 - 1


def check_max_samples(max_samples):
    """`max_samples` as an `int` if an export can take it: 1 to `MAX_SAMPLES_LIMIT`."""
    max_samples = check_int("max_samples", max_samples, 1)
    if max_samples > MAX_SAMPLES_LIMIT:
        raise invalid(
            "max_samples",
            max_samples,
            f"an integer in [1, {MAX_SAMPLES_LIMIT}] (num_samples is an int32 input)",
        )
    return max_samples


def seed_latent(seed, num_samples, latent_dim):
    """The z that `generate_from_seed` draws: stateless N(0, I) from [seed, 0]."""
    seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    return tf.random.stateless_normal(tf.stack([num_samples, latent_dim]), seed=seed)


def _count_check(name, count, max_samples):
    message = f"{name} must be in [1, {max_samples}] (max_samples of this export)"
    return [
        tf.debugging.assert_greater_equal(count, 1, message=message),
        tf.debugging.assert_less_equal(count, max_samples, message=message),
    ]


def _with_shape(tensor, shape, name):
    """`tensor`, checked at run time to have `shape` (None: any size) by an op named
    `name`, whose message names it: "Shape of tensor z [4] is not compatible with
    expected shape [?,?]."

    The signatures' shapes do not bind what a loaded SavedModel is called with, and
    assertions on `tf.rank` are folded away from the declared shape: `tf.ensure_shape`
    checks the tensor received, before anything indexes its shape (which would fail with
    a message naming no input).
    """
    return tf.ensure_shape(tensor, shape, name=name)


def _label_checks(labels, count, num_classes):
    in_range = f"`labels` must be class indices in [0, {num_classes})"
    labels = _with_shape(labels, [None], "labels")
    return [
        tf.debugging.assert_equal(
            tf.shape(labels)[0], count, message="`labels` must hold one class label per sample"
        ),
        tf.debugging.assert_greater_equal(labels, 0, message=in_range),
        tf.debugging.assert_less(labels, num_classes, message=in_range),
    ]


def _z_checks(z, latent_dim, max_samples):
    z = _with_shape(z, [None, None], "z")  # its columns: the assertion below
    return [
        tf.debugging.assert_equal(
            tf.shape(z)[1], latent_dim, message=f"`z` must have latent_dim = {latent_dim} columns"
        ),
        *_count_check("the row count of `z`", tf.shape(z)[0], max_samples),
        tf.debugging.Assert(
            tf.reduce_all(tf.math.is_finite(z)), ["`z` must be finite (no NaN or infinity)"]
        ),
    ]


def _output_fn(model, strings=True):
    """A graph function from the generator's output to the export's outputs: `samples`
    (float32) and, for images, `images_uint8`; for text, `tokens` and (with `strings`)
    `text`."""
    kind = model_kind(model)
    if kind == "text":
        table = tf.constant(vocabulary_of(model.generator))

        def text_outputs(samples):
            samples = tf.cast(samples, tf.float32)
            tokens = tf.argmax(samples, axis=-1, output_type=tf.int32)
            if not strings:
                return {"samples": samples, "tokens": tokens}
            # The padding's string is "": joining drops it wherever it stands.
            text = tf.strings.reduce_join(tf.gather(table, tokens), axis=-1)
            return {"samples": samples, "tokens": tokens, "text": text}

        return text_outputs
    if kind == "images":

        def image_outputs(samples):
            samples = tf.cast(samples, tf.float32)
            scaled = tf.round((tf.clip_by_value(samples, -1.0, 1.0) + 1.0) * 127.5)
            return {"samples": samples, "images_uint8": tf.cast(scaled, tf.uint8)}

        return image_outputs
    return lambda samples: {"samples": tf.cast(samples, tf.float32)}


def _endpoints(model, max_samples, run):
    """{signature name: (function, input signature)} of the export.

    Every function runs its input checks first: the generator (and, for
    `generate_from_seed`, the random op) depends on them, so a refused request computes
    nothing. The checks are TensorFlow ops on the request's tensors, outside the
    generator's function `run` (`_generator_fn`; on JAX, jax2tf converts that function
    alone, so no check needs a concrete value).
    """
    latent_dim = model.latent_dim
    num_classes = model.num_classes
    decode = _output_fn(model)

    def outputs(samples, **extra):
        return {**decode(samples), **extra}

    def checked(checks, *tensors):
        with tf.control_dependencies(checks):
            return [tf.identity(t) for t in tensors]

    z_spec = tf.TensorSpec([None, latent_dim], tf.float32, name="z")
    seed_spec = tf.TensorSpec([], tf.int64, name="seed")
    count_spec = tf.TensorSpec([], tf.int32, name="num_samples")
    labels_spec = tf.TensorSpec([None], tf.int32, name="labels")
    if num_classes:

        def from_z(z, labels):
            z, labels = checked(
                _z_checks(z, latent_dim, max_samples)
                + _label_checks(labels, tf.shape(z)[0], num_classes),
                z,
                labels,
            )
            return outputs(run(z, labels))

        def from_seed(seed, num_samples, labels):
            seed, labels = checked(
                _count_check("`num_samples`", num_samples, max_samples)
                + _label_checks(labels, num_samples, num_classes),
                seed,
                labels,
            )
            z = seed_latent(seed, num_samples, latent_dim)
            return outputs(run(z, labels), z=z)

        return {
            "serving_default": (from_z, [z_spec, labels_spec]),
            SEED_SIGNATURE: (from_seed, [seed_spec, count_spec, labels_spec]),
        }

    def from_z(z):
        (z,) = checked(_z_checks(z, latent_dim, max_samples), z)
        return outputs(run(z))

    def from_seed(seed, num_samples):
        (seed,) = checked(_count_check("`num_samples`", num_samples, max_samples), seed)
        z = seed_latent(seed, num_samples, latent_dim)
        return outputs(run(z), z=z)

    return {
        "serving_default": (from_z, [z_spec]),
        SEED_SIGNATURE: (from_seed, [seed_spec, count_spec]),
    }


# --- one file: ONNX, LiteRT ------------------------------------------------------------


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
    (`keras_wgan.json`'s fields, the format, and for text the vocabulary) in the metadata
    under "keras_wgan"; "litert" by TensorFlow's TFLite converter, built-in ops only. On
    the JAX backend, the generator is saved (a `.keras` file) and converted by a
    TensorFlow-backend Python process: the same ops as from TensorFlow.

    The file is converted in memory, written under a temporary name beside `filepath` and
    renamed over it (`keras_wgan.utils.files.write_atomically`): a failed conversion or
    write leaves no file, and an existing file is replaced whole.

    Args:
        model: a `keras_wgan.WGAN`.
        filepath: the file to write (".onnx", ".tflite" by convention).
        format: "onnx" or "litert".
        verbose: print where the export went.
        ema: which generator to export, as for `export_generator`.

    Returns:
        `filepath`, as a string.

    Raises:
        ValueError: for a format not in `FILE_FORMATS`, an empty path or a folder.
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
    filepath = _check_file("filepath", filepath)
    generator = _exported_generator(model, ema)
    _sync_variables(model)
    check_finite_variables(generator.weights, filepath)
    record = _file_record(model, format)
    if keras.backend.backend() == "tensorflow":
        _write_file(generator, record, format, filepath)
    else:
        _write_file_in_tensorflow(generator, record, format, filepath)
    if verbose:
        print(f"Saved artifact at {filepath!r} ({format}).")
    return filepath


def _check_file(name, path):
    """`path` (a string) if a file can be written there: not empty, not a folder."""
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise invalid(name, path, "a file path")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise invalid(name, path, f"a file; {path!r} is a folder")
    check_folder(name, os.path.dirname(os.path.abspath(path)))
    return path


def _file_record(model, format):
    record = {
        "format": format,
        "latent_dim": int(model.latent_dim),
        "num_classes": model.num_classes or None,
        "sample_shape": list(model.sample_shape)[1:],
        "kind": model_kind(model),
        "generator_step": _generator_step(model),
    }
    if record["kind"] == "text":
        record["vocabulary"] = vocabulary_of(model.generator)
    return record


def inference_function(generator, latent_dim, num_classes=None):
    """The `tf.function` the file formats hold (TensorFlow backend): `z` (and `labels`)
    to `samples` and `images_uint8` or `tokens`, the generator in inference mode."""
    holder = types.SimpleNamespace(generator=generator, sample_shape=generator.output_shape)
    decode = _output_fn(holder, strings=False)
    z_spec = tf.TensorSpec([None, latent_dim], tf.float32, name="z")
    if num_classes:

        def generate(z, labels):
            return decode(generator([z, labels], training=False))

        signature = [z_spec, tf.TensorSpec([None], tf.int32, name="labels")]
    else:

        def generate(z):
            return decode(generator(z, training=False))

        signature = [z_spec]
    return tf.function(generate, input_signature=signature, autograph=False)


def _write_file(generator, record, format, filepath):
    """Converts and writes the file (TensorFlow backend)."""
    fn = inference_function(generator, record["latent_dim"], record["num_classes"])
    write_bytes(filepath, CONVERTERS[format](fn, generator, record))


# Run with KERAS_BACKEND=tensorflow: loads the generator a JAX model saved and writes the
# file; an expected error is reported as JSON on the last line of stdout.
_CONVERT_SCRIPT = """
import json, sys
import keras
import keras_wgan
from keras_wgan import export
generator_file, record, format, filepath = sys.argv[1:5]
try:
    generator = keras.saving.load_model(generator_file, compile=False)
    export._write_file(generator, json.loads(record), format, filepath)
except (ImportError, RuntimeError, OSError, ValueError) as error:
    print(json.dumps({"type": type(error).__name__, "message": str(error)}))
    sys.exit(1)
"""


_CALL_SCRIPT = """
import json, sys
import keras
import keras_wgan
from keras_wgan import export
model_file, function, kwargs = sys.argv[1:4]
try:
    model = keras.saving.load_model(model_file)
    print(json.dumps({"result": getattr(export, function)(model, **json.loads(kwargs))}))
except (ImportError, RuntimeError, OSError, ValueError, FloatingPointError) as error:
    print(json.dumps({"type": type(error).__name__, "message": str(error)}))
    sys.exit(1)
"""

#: The errors a TensorFlow process reports by name, raised again here with their type.
_ERRORS = {
    error.__name__: error
    for error in (ImportError, OSError, ValueError, FloatingPointError, FileExistsError)
}


def _in_tensorflow(script, what, *args):
    """Runs `script` with `args` in a TensorFlow-backend Python process; returns the
    "result" of its last line (JSON), or raises the error it reports."""
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(
        os.environ,
        KERAS_BACKEND="tensorflow",
        PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True
    )
    lines = result.stdout.strip().splitlines()
    try:
        reply = json.loads(lines[-1])
    except (IndexError, ValueError):
        reply = None
    if result.returncode == 0:
        return (reply or {}).get("result")
    if reply is None:
        tail = result.stderr.strip().splitlines()[-1:] or ["no message"]
        raise ConversionError(f"The TensorFlow process writing {what} failed: {tail[0]}")
    raise _ERRORS.get(reply["type"], ConversionError)(reply["message"])


def _write_file_in_tensorflow(generator, record, format, filepath):
    """Converts the generator of a JAX or PyTorch model in a TensorFlow-backend Python
    process (the converters take TensorFlow graphs; jax2tf's `XlaCallModule` op is not one
    they convert)."""
    with tempfile.TemporaryDirectory(prefix="keras_wgan_export_") as folder:
        saved = os.path.join(folder, "generator.keras")
        generator.save(saved)
        _in_tensorflow(_CONVERT_SCRIPT, format, saved, json.dumps(record), format, filepath)


def _export_in_tensorflow(function, model, **kwargs):
    """`function(model, **kwargs)` of this module in a TensorFlow-backend process, on a
    `.keras` copy of the model (the PyTorch backend: Keras's `ExportArchive` tracks no
    PyTorch model, and the SavedModel holds TensorFlow ops)."""
    with tempfile.TemporaryDirectory(prefix="keras_wgan_export_") as folder:
        saved = os.path.join(folder, "model.keras")
        model.save(saved)
        return _in_tensorflow(_CALL_SCRIPT, "the SavedModel", saved, function, json.dumps(kwargs))
