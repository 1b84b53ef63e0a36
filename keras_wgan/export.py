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


def export_generator(model, base_dir, version=None):
    """Exports `model.generator` for TF Serving as `base_dir/<version>/`.

    The SavedModel has the signature `serving_default`: input `z` (float32,
    [batch, latent_dim], any batch size) and, for a conditional model, `labels` (int32,
    [batch]); output `samples` (float32: points, or NHWC images in [-1, 1]) and, for
    images, `images_uint8` (uint8 NHWC, 0..255). The generator runs in inference mode
    (batch norm uses its moving statistics). Loading it needs TensorFlow only.

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
    generator = model.generator

    images = len(model.sample_shape) == 4

    def outputs(samples):
        samples = tf.cast(samples, tf.float32)
        result = {"samples": samples}
        if images:
            scaled = tf.round((tf.clip_by_value(samples, -1.0, 1.0) + 1.0) * 127.5)
            result["images_uint8"] = tf.cast(scaled, tf.uint8)
        return result

    z_spec = tf.TensorSpec([None, model.latent_dim], tf.float32, name="z")
    archive = keras.export.ExportArchive()
    archive.track(generator)
    if model.num_classes:
        archive.add_endpoint(
            name="serving_default",
            fn=lambda z, labels: outputs(generator([z, labels], training=False)),
            input_signature=[z_spec, tf.TensorSpec([None], tf.int32, name="labels")],
        )
    else:
        archive.add_endpoint(
            name="serving_default",
            fn=lambda z: outputs(generator(z, training=False)),
            input_signature=[z_spec],
        )
    # A dot-prefixed, non-integer name: TF Serving ignores it while it is being written.
    tmp = tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=base_dir)
    try:
        archive.write_out(tmp, verbose=False)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
