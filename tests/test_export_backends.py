"""The export from either backend, and through Keras's own `Model.export`: the same
SavedModel (both signatures, their checks, `keras_wgan.json`), whose samples are the
model's `generate`."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from helpers import run_on_backend, tiny_image_gan

from keras_wgan.export import (
    METADATA,
    SEED_SIGNATURE,
    export_generator,
    latest_version_dir,
    metadata,
    seed_latent,
)

TESTS = os.path.dirname(os.path.abspath(__file__))
SEED, COUNT = 7, 5


def _request(num_classes):
    z = np.random.default_rng(0).standard_normal((COUNT, 4)).astype("float32")
    labels = np.array([0, 1, 2, 0, 1], "int32") if num_classes else None
    return z, labels


def _check_export(path, num_classes, expected, expected_from_seed):
    """Loads `path` with TensorFlow alone and compares both signatures' samples."""
    assert sorted(os.listdir(path)) == [
        "assets",
        "fingerprint.pb",
        METADATA,
        "saved_model.pb",
        "variables",
    ]
    assert metadata(path)["num_classes"] == num_classes
    loaded = tf.saved_model.load(path)
    assert sorted(loaded.signatures) == [SEED_SIGNATURE, "serve", "serving_default"]
    z, labels = _request(num_classes)
    extra = {} if labels is None else {"labels": tf.constant(labels)}
    out = loaded.signatures["serving_default"](z=tf.constant(z), **extra)
    assert out["samples"].dtype == tf.float32
    np.testing.assert_allclose(out["samples"].numpy(), expected, rtol=1e-5, atol=1e-6)
    seeded = loaded.signatures[SEED_SIGNATURE](
        seed=tf.constant(SEED, tf.int64), num_samples=tf.constant(COUNT), **extra
    )
    np.testing.assert_array_equal(seeded["z"].numpy(), seed_latent(SEED, COUNT, 4).numpy())
    np.testing.assert_allclose(seeded["samples"].numpy(), expected_from_seed, rtol=1e-5, atol=1e-6)
    return loaded


@pytest.mark.parametrize("num_classes", [None, 3], ids=["unconditional", "conditional"])
def test_export_generator_and_keras_export_serve_the_model_s_samples(tmp_path, num_classes):
    gan = tiny_image_gan(num_classes)
    z, labels = _request(num_classes)
    expected = gan.generate(z, labels=labels)
    from_seed = gan.generate(seed_latent(SEED, COUNT, 4).numpy(), labels=labels)
    versioned = export_generator(gan, str(tmp_path / "base"))
    assert versioned == os.path.join(str(tmp_path / "base"), "1")
    # Keras's contract: the path is the SavedModel folder itself, no version below it.
    direct = gan.export(tmp_path / "direct", verbose=False)
    assert direct == str(tmp_path / "direct")
    assert latest_version_dir(direct) == direct
    for path in (versioned, direct):
        _check_export(path, num_classes, expected, from_seed)
    assert metadata(direct) == metadata(versioned)


def test_keras_export_refuses_what_it_cannot_write(tmp_path):
    gan = tiny_image_gan()
    with pytest.raises(NotImplementedError, match="format='openvino'"):
        gan.export(tmp_path / "m", format="openvino")
    with pytest.raises(ValueError, match="argument `format`"):
        gan.export(tmp_path / "m", format="saved_model")
    with pytest.raises(ValueError, match="argument `input_signature`"):
        gan.export(tmp_path / "m", input_signature=[tf.TensorSpec([None, 4])])
    with pytest.raises(TypeError, match="jax2tf_kwargs"):
        gan.export(tmp_path / "m", jax2tf_kwargs={})
    with pytest.raises(ValueError, match="max_samples"):
        gan.export(tmp_path / "m", max_samples=0)
    assert not os.path.exists(tmp_path / "m")
    # An empty folder is taken; one with files in it is never overwritten.
    os.makedirs(tmp_path / "m")
    assert gan.export(str(tmp_path / "m"), verbose=False, max_samples=3) == str(tmp_path / "m")
    assert metadata(str(tmp_path / "m"))["max_samples"] == 3
    with pytest.raises(FileExistsError, match="not empty"):
        gan.export(tmp_path / "m", verbose=False)
    assert sorted(os.listdir(tmp_path)) == ["m"]  # no temporary left beside it
    gan.generator.weights[0].assign(np.full(gan.generator.weights[0].shape, np.nan, "float32"))
    with pytest.raises(FloatingPointError):
        gan.export(tmp_path / "nan", verbose=False)
    assert sorted(os.listdir(tmp_path)) == ["m"]


# Exports on the JAX backend: `gan.export` first, before anything imported
# keras_wgan.export (the package's facade provides it), then `export_generator`; the
# samples of the requests in `folder/request-<num_classes>.npz` (z, the z drawn from the
# seed, labels) come back to compare.
JAX_EXPORT = """
import json, os, sys
import numpy as np
folder, out, tests = sys.argv[1:4]
sys.path.insert(0, tests)
from helpers import tiny_image_gan
result, arrays = {}, []
for num_classes in (None, 3):
    gan = tiny_image_gan(num_classes)
    fresh = "keras_wgan.export" not in sys.modules
    direct = gan.export(os.path.join(folder, f"direct-{num_classes}"), verbose=False)
    from keras_wgan.export import export_generator
    versioned = export_generator(gan, os.path.join(folder, f"base-{num_classes}"))
    request = np.load(os.path.join(folder, f"request-{num_classes}.npz"))
    labels = request["labels"] if num_classes else None
    arrays.append(gan.generate(request["z"], labels=labels))
    arrays.append(gan.generate(request["seed_z"], labels=labels))
    result[str(num_classes)] = {"direct": direct, "versioned": versioned, "fresh": fresh}
with open(out + ".json", "w") as f:
    json.dump(result, f)
np.savez(out + ".npz", *arrays)
"""


@pytest.fixture(scope="module")
def jax_exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jax_exports")
    for num_classes in (None, 3):
        z, labels = _request(num_classes)
        np.savez(
            folder / f"request-{num_classes}.npz",
            z=z,
            seed_z=seed_latent(SEED, COUNT, 4).numpy(),
            labels=np.zeros(0, "int32") if labels is None else labels,
        )
    return run_on_backend("jax", JAX_EXPORT, str(folder), str(folder / "result"), TESTS)


@pytest.mark.parametrize("num_classes", [None, 3], ids=["unconditional", "conditional"])
def test_jax_exports_serve_the_jax_model_s_samples(jax_exports, num_classes):
    result, arrays = jax_exports
    paths = result[str(num_classes)]
    assert result["None"]["fresh"]  # the first `gan.export` came before any import of it
    assert paths["versioned"].endswith(os.path.join(f"base-{num_classes}", "1"))
    expected, from_seed = arrays[0:2] if num_classes is None else arrays[2:4]
    for path in (paths["versioned"], paths["direct"]):
        _check_export(path, num_classes, expected, from_seed)


def test_jax_exports_check_requests_before_the_generator_runs(jax_exports):
    loaded = tf.saved_model.load(jax_exports[0]["3"]["direct"])
    default = loaded.signatures["serving_default"]
    bad = {
        # jax2tf's function takes a batch of 1 or more: the check names the input first.
        "the row count of `z` must be in": (tf.zeros([0, 4]), tf.zeros([0], tf.int32)),
        "`z` must be finite": (tf.constant([[0.0, np.nan, 0.0, 0.0]]), tf.constant([0])),
        "`labels` must be class indices in [0, 3)": (tf.zeros([2, 4]), tf.constant([0, 3])),
    }
    for message, (z, labels) in bad.items():
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
            default(z=z, labels=labels)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`num_samples` must be in"):
        loaded.signatures[SEED_SIGNATURE](
            seed=tf.constant(1, tf.int64),
            num_samples=tf.constant(0),
            labels=tf.zeros([0], tf.int32),
        )


# A process that loads the export as a server would, with TensorFlow and JAX made
# unimportable (`import tensorflow` imports JAX where it is installed, and does without it).
LOAD = """
import json, sys
class NoJax:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("jax", "jaxlib"):
            raise ImportError(f"{name} is blocked in this test")
sys.meta_path.insert(0, NoJax())
import numpy as np, tensorflow as tf
path, out = sys.argv[1:3]
request = np.load(out + ".request.npz")
f = tf.saved_model.load(path).signatures["serving_default"]
samples = f(z=tf.constant(request["z"]), labels=tf.constant(request["labels"]))["samples"]
np.save(out + ".npy", samples.numpy())
with open(out + ".json", "w") as f:
    json.dump(sorted(m for m in ("jax", "keras_wgan") if m in sys.modules), f)
"""


@pytest.mark.slow  # 10 s: one more process loading TensorFlow
def test_a_jax_export_loads_without_jax(jax_exports, tmp_path):
    result, arrays = jax_exports
    z, labels = _request(3)
    out = str(tmp_path / "out")
    np.savez(out + ".request.npz", z=z, labels=labels)
    subprocess.run([sys.executable, "-c", LOAD, result["3"]["versioned"], out], check=True)
    with open(out + ".json") as f:
        assert json.load(f) == []
    np.testing.assert_allclose(np.load(out + ".npy"), arrays[2], rtol=1e-5, atol=1e-6)
