"""Conditional batch norm trains the same on TensorFlow and JAX: dense gradients.

A gather (`ops.take`) of gamma[y], beta[y] has an IndexedSlices gradient on TensorFlow, one
slice per example; Keras's Adam squares each slice, so a class picked by several examples
would get sum(g_i^2) in its second moment instead of (sum g_i)^2. These tests take one
Adam step on each backend and compare it with a dense NumPy reference.
"""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_wgan.layers import ConditionalBatchNormalization

LR, BETA_1, BETA_2, EPSILON = 0.01, 0.9, 0.999, 1e-7  # Keras Adam's defaults, lr 0.01
BN_EPSILON = 1e-5


def _inputs():
    rng = np.random.default_rng(0)
    return {
        "x": (rng.standard_normal((6, 2, 2, 4)) * 3 + 1).astype("float32"),
        "labels": np.array([0, 0, 0, 0, 1, 2], "int32"),  # class 0 picked four times
        "weights": rng.standard_normal((6, 2, 2, 4)).astype("float32"),
        "gamma": rng.standard_normal((3, 4)).astype("float32"),
        "beta": rng.standard_normal((3, 4)).astype("float32"),
    }


def _reference(given):
    """Dense gradients of sum(outputs * weights) w.r.t. gamma and beta, then Adam's step."""
    x = given["x"].astype("float64")
    w = given["weights"].astype("float64")
    labels = given["labels"]
    x_hat = (x - x.mean(axis=(0, 1, 2))) / np.sqrt(x.var(axis=(0, 1, 2)) + BN_EPSILON)
    grads = {"gamma": np.zeros((3, 4)), "beta": np.zeros((3, 4))}
    for i, c in enumerate(labels):  # d/dgamma[c] = sum over class c of x_hat * w
        grads["gamma"][c] += (x_hat[i] * w[i]).sum(axis=(0, 1))
        grads["beta"][c] += w[i].sum(axis=(0, 1))
    updated = {}
    for name, g in grads.items():  # Adam's first step: m = (1 - b1) g, v = (1 - b2) g^2
        m, v = (1 - BETA_1) * g, (1 - BETA_2) * g**2
        alpha = LR * np.sqrt(1 - BETA_2) / (1 - BETA_1)
        updated[name] = given[name] - alpha * m / (np.sqrt(v) + EPSILON)
    return grads, updated


def _check(grads, updated, given):
    want_grads, want_updated = _reference(given)
    for name in ("gamma", "beta"):
        np.testing.assert_allclose(grads[name], want_grads[name], rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(
            updated[name], want_updated[name], rtol=0, atol=2e-6, err_msg=f"Adam step of {name}"
        )


def test_one_adam_step_matches_the_dense_reference_on_tensorflow():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the TensorFlow side")
    import tensorflow as tf

    given = _inputs()
    layer = ConditionalBatchNormalization(num_classes=3)
    layer.build([given["x"].shape, given["labels"].shape])
    layer.gamma.assign(given["gamma"])
    layer.beta.assign(given["beta"])
    optimizer = keras.optimizers.Adam(LR)
    with tf.GradientTape() as tape:
        outputs = layer([given["x"], given["labels"]], training=True)
        loss = tf.reduce_sum(outputs * given["weights"])
    grads = tape.gradient(loss, [layer.gamma, layer.beta])
    optimizer.apply(grads, [layer.gamma, layer.beta])
    _check(
        {
            "gamma": tf.convert_to_tensor(grads[0]).numpy(),
            "beta": tf.convert_to_tensor(grads[1]).numpy(),
        },
        {"gamma": layer.gamma.numpy(), "beta": layer.beta.numpy()},
        given,
    )
    assert all(not isinstance(g, tf.IndexedSlices) for g in grads), "sparse gradients"


JAX_SCRIPT = r"""
import sys
import jax
import jax.numpy as jnp
import keras
import numpy as np
from keras_wgan.layers import ConditionalBatchNormalization

assert keras.backend.backend() == "jax"
given = dict(np.load(sys.argv[1]))
layer = ConditionalBatchNormalization(num_classes=3)
layer.build([given["x"].shape, given["labels"].shape])
layer.gamma.assign(given["gamma"])
layer.beta.assign(given["beta"])
optimizer = keras.optimizers.Adam(float(sys.argv[3]))
optimizer.build(layer.trainable_variables)
assert [v.path for v in layer.trainable_variables] == [layer.gamma.path, layer.beta.path]
trainable = [v.value for v in layer.trainable_variables]
non_trainable = [v.value for v in layer.non_trainable_variables]

def loss_fn(trainable):
    outputs, _ = layer.stateless_call(trainable, non_trainable,
                                      [given["x"], given["labels"]], training=True)
    return jnp.sum(outputs * given["weights"])

grads = jax.grad(loss_fn)(trainable)
updated, _ = optimizer.stateless_apply([v.value for v in optimizer.variables], grads, trainable)
np.savez(sys.argv[2], grad_gamma=np.asarray(grads[0]), grad_beta=np.asarray(grads[1]),
         gamma=np.asarray(updated[0]), beta=np.asarray(updated[1]))
"""


def test_one_adam_step_matches_the_dense_reference_on_jax(tmp_path):
    pytest.importorskip("jax")
    given = _inputs()
    inputs, out = str(tmp_path / "inputs.npz"), str(tmp_path / "jax.npz")
    np.savez(inputs, **given)
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    result = subprocess.run(
        [sys.executable, "-c", JAX_SCRIPT, inputs, out, str(LR)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    got = np.load(out)
    _check(
        {"gamma": got["grad_gamma"], "beta": got["grad_beta"]},
        {"gamma": got["gamma"], "beta": got["beta"]},
        given,
    )
