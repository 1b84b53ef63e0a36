"""One seed for a whole run: `WGAN(seed=...)` alone, in a fresh process on each backend,
gives the same initial weights and the same trained weights, bit for bit."""

import importlib.util
import os
import subprocess
import sys
from unittest import mock

import keras
import numpy as np
import pytest
from helpers import package_env

import keras_wgan
from keras_wgan.utils import seeding

# A user's script: networks built with no seed, then `WGAN(seed=...)`, then `fit`.
SCRIPT = """
import sys
from unittest import mock
import keras, numpy as np, keras_wgan
out, seed = sys.argv[1], int(sys.argv[2])
g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(16, activation="relu"),
                      keras.layers.Dense(2)])
d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(16, activation="relu"),
                      keras.layers.Dense(1)])
gan = keras_wgan.WGAN(g, d, seed=seed)
initial = [np.asarray(w) for w in gan.generator.get_weights() + gan.critic.get_weights()]
gan.compile()
points = np.random.default_rng(0).normal(size=(400, 2)).astype("float32")
gan.fit(points, batch_size=16, epochs=1, verbose=0)
np.savez(out, *initial, *[np.asarray(w) for w in gan.get_weights()])
"""


def _run(backend, out, seed):
    env = package_env(KERAS_BACKEND=backend, CUDA_VISIBLE_DEVICES="")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out), str(seed)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    saved = np.load(out)
    return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def _backend(name, module, slow):
    marks = [
        pytest.mark.skipif(
            importlib.util.find_spec(module) is None, reason=f"{module} is not installed"
        )
    ]
    return pytest.param(name, marks=marks + [pytest.mark.slow] * slow)


@pytest.mark.parametrize(
    "backend",
    [
        _backend("tensorflow", "tensorflow", False),
        _backend("jax", "jax", True),
        _backend("torch", "torch", True),
    ],
)
def test_one_seed_makes_a_run_reproducible_in_fresh_processes(backend, tmp_path):
    first = _run(backend, tmp_path / "first.npz", 0)
    second = _run(backend, tmp_path / "second.npz", 0)
    assert len(first) == len(second) > 8
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_the_seed_draws_the_initial_weights():
    def built(seed):
        g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4), keras.layers.Dense(2)])
        d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        with mock.patch.object(seeding, "global_seed_is_set", return_value=False):
            gan = keras_wgan.WGAN(g, d, seed=seed)
        return gan.generator.get_weights() + gan.critic.get_weights()

    first, again, other = built(0), built(0), built(1)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_networks_seeded_by_keras_keep_their_weights():
    keras.utils.set_random_seed(3)
    g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    built = g.get_weights() + d.get_weights()
    gan = keras_wgan.WGAN(g, d, seed=0)
    assert gan.generator is g
    for a, b in zip(built, g.get_weights() + d.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_networks_whose_weights_were_set_keep_them_under_a_seed():
    """Weights assigned (or loaded, or trained) before the WGAN is built are kept: only
    networks still as their initializers drew them are drawn again from the seed."""
    g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    rng = np.random.default_rng(1)
    given = [rng.normal(size=w.shape).astype("float32") for w in g.weights]
    g.set_weights(given)
    fresh = d.get_weights()
    with mock.patch.object(seeding, "global_seed_is_set", return_value=False):
        keras_wgan.WGAN(g, d, seed=0)
    for a, b in zip(given, g.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert seeding.as_built(g) is False and seeding.as_built(d) is True
    assert not np.array_equal(fresh[0], d.get_weights()[0])  # drawn again from the seed


def test_a_loaded_model_keeps_its_weights(tmp_path):
    keras.utils.set_random_seed(4)
    gan = keras_wgan.WGAN(
        keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]),
        keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]),
        seed=0,
    )
    gan.compile()
    path = os.path.join(tmp_path, "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    for a, b in zip(gan.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
