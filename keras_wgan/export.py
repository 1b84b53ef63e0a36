"""Export the generator as a SavedModel that TF Serving loads, written atomically."""

import os
import re
import shutil
import tempfile

import keras
import tensorflow as tf

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


def export_generator(model, base_dir, version=None):
    """Exports `model.generator` for TF Serving as `base_dir/<version>/`.

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

    The generator runs in inference mode (batch norm uses its moving statistics), and
    the graph holds standard TensorFlow ops only: loading it needs TensorFlow (or
    `tensorflow_model_server`) and no Python package of ours.

    The version is written into a temporary folder beside it and renamed into place, so
    TF Serving, which polls `base_dir`, never sees a half-written version, and a failed
    export leaves nothing behind. An existing version is never overwritten.

    Args:
        model: a `keras_wgan.WGAN`.
        base_dir: the model's base folder.
        version: a positive integer; default one more than the highest present, or 1.

    Returns:
        The path of the written version folder.

    Raises:
        ValueError: if `version` is not a positive integer or already exists.

    Example:
    >>> path = export_generator(gan, "saved_models/digits")  # doctest: +SKIP
    >>> f = tf.saved_model.load(path).signatures["generate_from_seed"]  # doctest: +SKIP
    >>> f(seed=tf.constant(7, tf.int64), num_samples=tf.constant(4))["samples"].shape  # doctest: +SKIP
    TensorShape([4, 8, 8, 1])
    """
    existing = versions(base_dir)
    if version is None:
        version = existing[-1] + 1 if existing else 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(
            f"Invalid value for argument `version`. Received: version={version!r}. "
            "Expected an integer >= 1."
        )
    final = os.path.join(base_dir, str(version))
    if os.path.exists(final):
        raise ValueError(
            f"Export version {final!r} already exists; choose another version or leave "
            "`version` unset for the next one."
        )
    os.makedirs(base_dir, exist_ok=True)
    archive = keras.export.ExportArchive()
    archive.track(model.generator)
    for name, (fn, signature) in _endpoints(model).items():
        archive.add_endpoint(name=name, fn=fn, input_signature=signature)
    # A dot-prefixed, non-integer name: TF Serving ignores it while it is being written.
    tmp = tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=base_dir)
    try:
        archive.write_out(tmp, verbose=False)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def seed_latent(seed, num_samples, latent_dim):
    """The z that `generate_from_seed` draws: stateless N(0, I) from [seed, 0]."""
    seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    return tf.random.stateless_normal(tf.stack([num_samples, latent_dim]), seed=seed)


def _endpoints(model):
    """{signature name: (function, input signature)} of the export."""
    from keras_wgan import modalities

    generator = model.generator
    latent_dim = model.latent_dim
    decode = modalities.for_model(model).export_outputs(model)

    def outputs(samples, **extra):
        return {**decode(samples), **extra}

    z_spec = tf.TensorSpec([None, latent_dim], tf.float32, name="z")
    seed_spec = tf.TensorSpec([], tf.int64, name="seed")
    count_spec = tf.TensorSpec([], tf.int32, name="num_samples")
    labels_spec = tf.TensorSpec([None], tf.int32, name="labels")
    if model.num_classes:
        def from_seed(seed, num_samples, labels):
            checks = [tf.debugging.assert_equal(
                tf.shape(labels)[0], num_samples,
                message="`labels` must hold `num_samples` class labels")]
            with tf.control_dependencies(checks):
                z = seed_latent(seed, num_samples, latent_dim)
            return outputs(generator([z, labels], training=False), z=z)

        return {
            "serving_default": (lambda z, labels: outputs(generator([z, labels], training=False)),
                                [z_spec, labels_spec]),
            SEED_SIGNATURE: (from_seed, [seed_spec, count_spec, labels_spec]),
        }

    def from_seed(seed, num_samples):
        z = seed_latent(seed, num_samples, latent_dim)
        return outputs(generator(z, training=False), z=z)

    return {
        "serving_default": (lambda z: outputs(generator(z, training=False)), [z_spec]),
        SEED_SIGNATURE: (from_seed, [seed_spec, count_spec]),
    }
