"""The SavedModel's endpoints, `serving_default`, `generate_from_seed` and Keras's `serve`:
their input checks (TensorFlow assertions, run before anything else), the seeded latent
points, and the outputs decoded from the generator's samples."""

import tensorflow as tf

from keras_wgan.utils.validation import check_int, invalid

SEED_SIGNATURE = "generate_from_seed"
#: The endpoint `keras.Model.export` writes: `tf.saved_model.load(path).serve(z)` returns the
#: samples, as a Keras model's export returns its output.
KERAS_ENDPOINT = "serve"
DEFAULT_MAX_SAMPLES = 1024
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


def output_fn(description, strings=True):
    """A graph function from the generator's output to the export's outputs: `samples`
    (float32) and, for images, `images_uint8`; for text, `tokens` and (with `strings`)
    `text`.

    Args:
        description: the model's description (`keras_wgan.export.describe`): its `kind`
            and, for text, its `vocabulary`.
        strings: whether text gets its decoded `text` (a string op no converter takes).
    """
    kind = description["kind"]
    if kind == "text":
        table = tf.constant(description["vocabulary"])

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


def endpoints(description, max_samples, run):
    """{signature name: (function, input signature)} of the SavedModel: `serving_default`
    and `generate_from_seed` (dicts of outputs, for TF Serving), and `serve` (the samples
    alone, for `z` and labels as `serving_default` takes them), Keras's own endpoint.

    Every function runs its input checks first: the generator (and, for
    `generate_from_seed`, the random op) depends on them, so a refused request computes
    nothing. The checks are TensorFlow ops on the request's tensors, outside the
    generator's function `run` (on JAX, jax2tf converts that function alone, so no check
    needs a concrete value).

    Args:
        description: the model's description (`keras_wgan.export.describe`).
        max_samples: the most samples one request may ask for.
        run: the generator's TensorFlow function, (z) or (z, labels) to samples.
    """
    latent_dim = description["latent_dim"]
    num_classes = description["num_classes"]
    decode = output_fn(description)

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

        def serve(z, labels):
            return from_z(z, labels)["samples"]

        return {
            "serving_default": (from_z, [z_spec, labels_spec]),
            SEED_SIGNATURE: (from_seed, [seed_spec, count_spec, labels_spec]),
            KERAS_ENDPOINT: (serve, [z_spec, labels_spec]),
        }

    def from_z(z):
        (z,) = checked(_z_checks(z, latent_dim, max_samples), z)
        return outputs(run(z))

    def from_seed(seed, num_samples):
        (seed,) = checked(_count_check("`num_samples`", num_samples, max_samples), seed)
        z = seed_latent(seed, num_samples, latent_dim)
        return outputs(run(z), z=z)

    def serve(z):
        return from_z(z)["samples"]

    return {
        "serving_default": (from_z, [z_spec]),
        SEED_SIGNATURE: (from_seed, [seed_spec, count_spec]),
        KERAS_ENDPOINT: (serve, [z_spec]),
    }
