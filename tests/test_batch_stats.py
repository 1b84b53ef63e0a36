"""Sampling with batch statistics, the paper's protocol, leaving the model untouched.

The paper's generator has no inference mode: its batch norm always uses the statistics of
the batch, also for the Inception Scores. `WGAN.generate(batch_stats=True)` (and the
Evaluation callback's and `keras-wgan evaluate`'s `batch_stats`) run the generator in
training mode through `stateless_call`, so the moving statistics stay as they were.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_wgan
from keras_wgan import architectures, callbacks, cli, models
from keras_wgan.conditioning import ACGAN
from keras_wgan.evaluation import evaluate_samples
from keras_wgan.export import export_generator
from keras_wgan.layers import ConditionalBatchNormalization


def bn_generator(latent_dim=4, output_shape=(2,)):
    """Dense, BatchNormalization, ReLU, Dense: a generator whose batch norm matters."""
    size = int(np.prod(output_shape))
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            keras.layers.Dense(8, name="dense"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.ReLU(),
            keras.layers.Dense(size, name="out"),
            keras.layers.Reshape(output_shape),
        ],
        name="generator",
    )


def move_statistics_away(model):
    """Sets every moving mean to 100 and variance to 4: far from any batch's."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, (keras.layers.BatchNormalization, ConditionalBatchNormalization)):
            layer.moving_mean.assign(np.full(layer.moving_mean.shape, 100.0, "float32"))
            layer.moving_variance.assign(np.full(layer.moving_variance.shape, 4.0, "float32"))


def values(model):
    return [keras.ops.convert_to_numpy(v).copy() for v in model.variables]


def assert_unchanged(before, model):
    after = values(model)
    assert len(after) == len(before)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


def toy_bn_gan():
    keras.utils.set_random_seed(0)
    gan = keras_wgan.WGAN(bn_generator(), models.toy_critic(width=8), seed=0)
    move_statistics_away(gan.generator)
    return gan


def test_generate_with_batch_stats_is_a_training_mode_call_that_changes_nothing():
    gan = toy_bn_gan()
    z = np.random.default_rng(1).standard_normal((10, 4)).astype("float32")
    before = values(gan)
    batch = gan.generate(z, batch_stats=True)
    halves = gan.generate(z, batch_size=5, batch_stats=True)  # two chunks, own statistics
    inference = gan.generate(z)
    assert_unchanged(before, gan)  # the moving statistics included
    np.testing.assert_allclose(
        inference,
        keras.ops.convert_to_numpy(gan.generator(z, training=False)),
        rtol=1e-5,
        atol=1e-5,
    )
    assert np.abs(batch - inference).max() > 1.0
    # The hand calls in training mode, last: they update the moving statistics.
    np.testing.assert_allclose(
        batch, keras.ops.convert_to_numpy(gan.generator(z, training=True)), rtol=1e-5, atol=1e-5
    )
    hand = [keras.ops.convert_to_numpy(gan.generator(z[i : i + 5], training=True)) for i in (0, 5)]
    np.testing.assert_allclose(halves, np.concatenate(hand), rtol=1e-5, atol=1e-5)
    assert not np.allclose(halves, batch, atol=1e-3)


def test_generate_with_batch_stats_splits_evenly_and_refuses_single_sample_chunks():
    gan = toy_bn_gan()
    z = np.random.default_rng(2).standard_normal((9, 4)).astype("float32")
    got = gan.generate(z, batch_size=8, batch_stats=True)  # chunks of 5 and 4, not 8 and 1
    hand = [keras.ops.convert_to_numpy(gan.generator(c, training=True)) for c in (z[:5], z[5:])]
    np.testing.assert_allclose(got, np.concatenate(hand), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="at least 2 samples"):
        gan.generate(1, batch_stats=True)
    with pytest.raises(ValueError, match="batch_size"):
        gan.generate(4, batch_size=0)


def test_conditional_generator_with_conditional_batch_norm():
    keras.utils.set_random_seed(0)
    generator, critic = architectures.build(
        "cifar10-resnet", (8, 8, 1), latent_dim=8, width=8, num_classes=3
    )
    gan = keras_wgan.WGAN(generator, critic, conditioning=ACGAN(3), seed=0)
    move_statistics_away(gan.generator)
    assert any(
        isinstance(layer, ConditionalBatchNormalization)
        for layer in gan.generator._flatten_layers()
    )
    rng = np.random.default_rng(3)
    z = rng.standard_normal((6, 8)).astype("float32")
    labels = np.array([0, 1, 2, 0, 1, 2], "int32")
    before = values(gan)
    batch = gan.generate(z, labels=labels, batch_stats=True)
    inference = gan.generate(z, labels=labels)
    assert_unchanged(before, gan)
    assert np.abs(batch - inference).max() > 0.1
    np.testing.assert_allclose(
        batch,
        keras.ops.convert_to_numpy(gan.generator([z, labels], training=True)),
        rtol=1e-4,
        atol=1e-5,
    )


def test_evaluation_callback_samples_with_batch_stats():
    gan = toy_bn_gan()
    before = values(gan)
    evaluation = callbacks.Evaluation(
        "8gaussians", num_samples=200, seed=4, batch_stats=True, batch_size=100
    )
    evaluation.set_model(gan)
    scores = evaluation.evaluate()
    assert_unchanged(before, gan)
    want = evaluate_samples(
        gan.generate(200, seed=4, batch_size=100, batch_stats=True), "8gaussians"
    )
    assert scores == want
    inference = callbacks.Evaluation("8gaussians", num_samples=200, seed=4)
    assert inference.batch_stats is False
    with pytest.raises(ValueError, match="batch_size"):
        callbacks.Evaluation("8gaussians", batch_size=0)


def _digits_bn_gan():
    keras.utils.set_random_seed(0)
    _, critic = architectures.build("mlp", (8, 8, 1), latent_dim=8, width=16)
    generator = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Dense(64),
            keras.layers.Reshape((8, 8, 1)),
            keras.layers.Activation("tanh"),
        ],
        name="generator",
    )
    gan = keras_wgan.WGAN(generator, critic, n_critic=2, seed=0)
    gan.compile()
    move_statistics_away(gan.generator)
    return gan


def test_evaluate_command_with_batch_stats(tmp_path, capsys):
    gan = _digits_bn_gan()
    path = str(tmp_path / "checkpoint.keras")
    gan.save(path)
    out = str(tmp_path / "scores.json")
    argv = ["evaluate", "--model", path, "--dataset", "digits", "--num-samples", "200"]
    assert cli.main(argv + ["--batch-stats", "--out", out]) == 0
    assert "Batch norm: batch statistics" in capsys.readouterr().out
    with open(out) as f:
        record = json.load(f)
    assert record["batch_stats"] is True
    want = evaluate_samples(gan.generate(200, seed=0, batch_size=100, batch_stats=True), "digits")
    assert record["digits_score"] == pytest.approx(want["digits_score"])

    assert cli.main(argv + ["--out", out]) == 0
    assert "Batch norm: moving averages" in capsys.readouterr().out
    with open(out) as f:
        assert json.load(f)["batch_stats"] is False

    export = export_generator(gan, str(tmp_path / "export"))
    assert cli.main(["evaluate", "--model", export, "--dataset", "digits", "--batch-stats"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--batch-stats" in err and "inference mode" in err


JAX_SCRIPT = r"""
import sys
import keras
import numpy as np
import keras_wgan
from keras_wgan import architectures, models
from keras_wgan.conditioning import ACGAN
sys.path.insert(0, sys.argv[1])
from test_batch_stats import assert_unchanged, bn_generator, move_statistics_away, values

assert keras.backend.backend() == "jax"
keras.utils.set_random_seed(0)
gan = keras_wgan.WGAN(bn_generator(), models.toy_critic(width=8), seed=0)
gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
move_statistics_away(gan.generator)
z = np.random.default_rng(1).standard_normal((10, 4)).astype("float32")
before = values(gan)
batch = gan.generate(z, batch_stats=True)
inference = gan.generate(z)
assert_unchanged(before, gan)
assert np.abs(batch - inference).max() > 1.0
hand = keras.ops.convert_to_numpy(gan.generator(z, training=True))
np.testing.assert_allclose(batch, hand, rtol=1e-5, atol=1e-5)

# The conditional ResNet, with conditional batch norm.
generator, critic = architectures.build("cifar10-resnet", (8, 8, 1), latent_dim=8, width=8,
                                        num_classes=3)
cond = keras_wgan.WGAN(generator, critic, conditioning=ACGAN(3), seed=0)
move_statistics_away(cond.generator)
zc = np.random.default_rng(3).standard_normal((6, 8)).astype("float32")
labels = np.array([0, 1, 2, 0, 1, 2], "int32")
before = values(cond)
batch = cond.generate(zc, labels=labels, batch_stats=True)
assert_unchanged(before, cond)
assert np.abs(batch - cond.generate(zc, labels=labels)).max() > 0.1
hand = keras.ops.convert_to_numpy(cond.generator([zc, labels], training=True))
np.testing.assert_allclose(batch, hand, rtol=1e-4, atol=1e-5)

# In the middle of a JAX `fit`, where the trainer holds the variables' values: sampling with
# batch statistics from a callback leaves the run exactly as it would have been.
data = np.random.default_rng(5).standard_normal((96, 2)).astype("float32")


class Sample(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.samples = self.model.generate(z, batch_stats=True)


finals = []
for extra in ([], [Sample()]):
    keras.utils.set_random_seed(0)
    run = keras_wgan.WGAN(bn_generator(), models.toy_critic(width=8), seed=0, n_critic=2)
    run.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    run.fit(data, batch_size=8, epochs=2, verbose=0, shuffle=False, callbacks=extra)
    finals.append(values(run))
assert extra[0].samples.shape == (10, 2)
for a, b in zip(*finals):
    np.testing.assert_array_equal(a, b)
print("ok")
"""


# Slow (two subprocesses); the TensorFlow tests above pin the same behaviour.
@pytest.mark.slow
def test_batch_stats_on_jax():
    pytest.importorskip("jax")
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    result = subprocess.run(
        [sys.executable, "-c", JAX_SCRIPT, here],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
