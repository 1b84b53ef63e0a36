"""Tests of the fused resampling convolutions: ConvMeanPool is a convolution then 2x2 mean
pooling, UpsampleConv is 2x nearest upsampling then a convolution."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_wgan import architectures
from keras_wgan.layers import ConvMeanPool, UpsampleConv


def _conv_mean_pool_and_unfused(kernel_size, in_shape, filters=4):
    """A ConvMeanPool and a Conv2D with the same (random) weights, and the pooling."""
    fused = ConvMeanPool(filters, kernel_size, bias_initializer="random_normal")
    fused.build(in_shape)
    conv = keras.layers.Conv2D(filters, kernel_size, padding="same")
    conv.build(in_shape)
    conv.set_weights(fused.get_weights())
    pool = keras.layers.AveragePooling2D(2)
    return fused, conv, lambda x: pool(conv(x))


@pytest.mark.parametrize("kernel_size", [1, 3, 5])
def test_conv_mean_pool_equals_conv_then_mean_pool(kernel_size):
    x = np.random.default_rng(0).normal(size=(3, 8, 6, 5)).astype("float32")
    fused, _, unfused = _conv_mean_pool_and_unfused(kernel_size, x.shape)
    expected = unfused(x)
    assert fused.compute_output_shape(x.shape) == tuple(expected.shape) == (3, 4, 3, 4)
    np.testing.assert_allclose(fused(x), expected, atol=2e-5)


def test_conv_mean_pool_same_gradients_and_double_backward():
    # The gradient penalty differentiates the input gradient's norm by the weights: the
    # fused layer must agree there too, not only in the forward pass.
    x = tf.constant(np.random.default_rng(1).normal(size=(2, 8, 8, 3)).astype("float32"))
    fused, conv, unfused = _conv_mean_pool_and_unfused(3, x.shape)

    def input_grad_and_penalty_grads(function, weights):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                score = tf.reduce_sum(tf.tanh(function(x)))
            grad = inner.gradient(score, x)
            penalty = tf.reduce_sum(tf.square(tf.norm(tf.reshape(grad, [2, -1]), axis=1) - 1))
        return [grad] + outer.gradient(penalty, weights)

    got = input_grad_and_penalty_grads(fused, fused.trainable_variables)
    want = input_grad_and_penalty_grads(unfused, conv.trainable_variables)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("layer_class", [ConvMeanPool, UpsampleConv])
def test_serializes(layer_class):
    layer = layer_class(6, 5, name="resample")
    clone = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(clone) is layer_class
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("layer_class", [ConvMeanPool, UpsampleConv])
@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"strides": 2}, "strides"),
        ({"padding": "valid"}, "padding"),
        ({"dilation_rate": 2}, "dilation_rate"),
        ({"kernel_size": 2}, "kernel_size"),
    ],
)
def test_bad_arguments_are_refused(layer_class, kwargs, argument):
    with pytest.raises(ValueError, match=f"Invalid value for argument `{argument}`"):
        layer_class(4, **{"kernel_size": 3, **kwargs})


def test_odd_input_size_is_refused():
    with pytest.raises(ValueError, match="even height and width"):
        ConvMeanPool(4)(np.zeros((1, 7, 8, 3), "float32"))


def copy_weights_by_layer_name(source, target):
    weighted = {layer.name: layer for layer in source.layers if layer.weights}
    assert sorted(weighted) == sorted(layer.name for layer in target.layers if layer.weights)
    for layer in target.layers:
        if layer.weights:
            layer.set_weights(weighted[layer.name].get_weights())


def test_fused_and_unfused_critics_share_weights_and_scores():
    # The same weights layer by layer (same names and shapes) either way, and the same
    # scores and penalty gradients. (Keras orders a functional model's layers by graph
    # depth, which the fusion changes, and a `.weights.h5` file names layers after their
    # class, so weight lists and files carry over by layer name only.)
    shape = (32, 32, 3)
    keras.utils.set_random_seed(0)
    _, fused = architectures.build("cifar10-resnet", shape, latent_dim=8, width=4)
    _, plain = architectures.build(
        "cifar10-resnet", shape, latent_dim=8, width=4, fused_resampling=False
    )
    assert len([l for l in fused.layers if isinstance(l, ConvMeanPool)]) == 2
    assert not [l for l in plain.layers if isinstance(l, ConvMeanPool)]
    copy_weights_by_layer_name(fused, plain)

    x = tf.constant(np.random.default_rng(1).uniform(-1, 1, (4,) + shape).astype("float32"))
    results = []
    for critic in (fused, plain):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                score = critic(x)
            norm = tf.norm(tf.reshape(inner.gradient(score, x), [4, -1]), axis=1)
            penalty = tf.reduce_mean(tf.square(norm - 1.0))
        variables = sorted(critic.trainable_variables, key=lambda v: v.path)
        grads = outer.gradient(penalty, variables)
        # The score's bias does not move the input gradient: no gradient either way.
        results.append(
            [score] + [tf.zeros(v.shape) if g is None else g for g, v in zip(grads, variables)]
        )
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-3)


JAX_SCRIPT = r"""
import jax, jax.numpy as jnp, numpy as np, keras
from keras_wgan import architectures
from keras_wgan.layers import UpsampleConv

shape = (32, 32, 3)
_, fused = architectures.build("cifar10-resnet", shape, latent_dim=8, width=4)
_, plain = architectures.build("cifar10-resnet", shape, latent_dim=8, width=4,
                               fused_resampling=False)
weighted = {layer.name: layer for layer in fused.layers if layer.weights}
for layer in plain.layers:
    if layer.weights:
        layer.set_weights(weighted[layer.name].get_weights())
x = jnp.asarray(np.random.default_rng(1).uniform(-1, 1, (4,) + shape), "float32")

def penalty(variables, critic):
    def total_score(images):
        return critic.stateless_call(variables, [], images)[0].sum()
    norms = jnp.linalg.norm(jax.grad(total_score)(x).reshape(4, -1), axis=1)
    return jnp.mean((norms - 1.0) ** 2)

results = []
for critic in (fused, plain):
    variables = [v.value for v in critic.trainable_variables]
    names = [v.path for v in critic.trainable_variables]
    grads = dict(zip(names, jax.grad(penalty)(variables, critic)))
    results.append([critic(x)] + [grads[name] for name in sorted(grads)])
for a, b in zip(*results):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-4, rtol=1e-3)

x = np.random.default_rng(0).normal(size=(2, 5, 4, 3)).astype("float32")
for k in (1, 3):
    fused = UpsampleConv(4, k, bias_initializer="random_normal")
    conv = keras.layers.Conv2D(4, k, padding="same")
    fused.build(x.shape)
    conv.build((2, 10, 8, 3))
    conv.set_weights(fused.get_weights())
    np.testing.assert_allclose(np.asarray(fused(x)),
                               np.asarray(conv(keras.layers.UpSampling2D(2)(x))), atol=2e-5)
print("ok", keras.backend.backend())
"""


# The TensorFlow equivalence is in the default run; the JAX one under -m slow.
@pytest.mark.slow
def test_fused_layers_equal_unfused_on_jax():
    pytest.importorskip("jax")
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    result = subprocess.run(
        [sys.executable, "-c", JAX_SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-2:] == ["ok", "jax"]


def _upsample_conv_and_unfused(kernel_size, in_shape, filters=4, data_format="channels_last"):
    """An UpsampleConv, and UpSampling2D then a Conv2D with the same (random) weights."""
    fused = UpsampleConv(
        filters, kernel_size, bias_initializer="random_normal", data_format=data_format
    )
    fused.build(in_shape)
    conv = keras.layers.Conv2D(filters, kernel_size, padding="same", data_format=data_format)
    upsample = keras.layers.UpSampling2D(2, data_format=data_format)
    conv.build(upsample.compute_output_shape(in_shape))
    conv.set_weights(fused.get_weights())
    return fused, conv, lambda x: conv(upsample(x))


@pytest.mark.parametrize("kernel_size", [1, 3, 5, (3, 5)])
def test_upsample_conv_equals_upsampling_then_conv(kernel_size):
    x = np.random.default_rng(0).normal(size=(3, 5, 4, 6)).astype("float32")
    fused, _, unfused = _upsample_conv_and_unfused(kernel_size, x.shape)
    expected = unfused(x)
    assert fused.compute_output_shape(x.shape) == tuple(expected.shape) == (3, 10, 8, 4)
    np.testing.assert_allclose(fused(x), expected, atol=2e-5)
    np.testing.assert_allclose(tf.function(fused, jit_compile=True)(x), expected, atol=2e-5)


def test_upsample_conv_equals_upsampling_then_conv_channels_first():
    x = np.random.default_rng(0).normal(size=(2, 6, 4, 5)).astype("float32")
    fused, _, unfused = _upsample_conv_and_unfused(3, x.shape, data_format="channels_first")
    expected = unfused(x)
    assert expected.shape == (2, 4, 8, 10)
    np.testing.assert_allclose(fused(x), expected, atol=2e-5)


def test_upsample_conv_needs_a_known_size():
    layer = UpsampleConv(4)
    layer.build((None, 4, 4, 3))
    traced = tf.function(layer, input_signature=[tf.TensorSpec([None, None, None, 3])])
    with pytest.raises(ValueError, match="needs a known height and width"):
        traced.get_concrete_function()


def test_upsample_conv_same_gradients():
    x = tf.constant(np.random.default_rng(1).normal(size=(2, 4, 4, 3)).astype("float32"))
    fused, conv, unfused = _upsample_conv_and_unfused(3, x.shape)

    def grads(function, weights):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.tanh(function(x)) * tf.range(8.0)[:, None, None])
        return tape.gradient(loss, [x] + weights)

    for a, b in zip(
        grads(fused, fused.trainable_variables), grads(unfused, conv.trainable_variables)
    ):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("num_classes", [None, 3])
def test_fused_and_unfused_generators_share_weights_and_images(num_classes):
    shape = (16, 16, 3)
    keras.utils.set_random_seed(0)
    fused, _ = architectures.build(
        "cifar10-resnet", shape, latent_dim=8, width=4, num_classes=num_classes
    )
    plain, _ = architectures.build(
        "cifar10-resnet",
        shape,
        latent_dim=8,
        width=4,
        num_classes=num_classes,
        fused_resampling=False,
    )
    # Two blocks up (4 -> 8 -> 16), each with a 3x3 and a 1x1 (shortcut) convolution.
    assert len([l for l in fused.layers if isinstance(l, UpsampleConv)]) == 4
    assert not [l for l in plain.layers if isinstance(l, UpsampleConv)]
    copy_weights_by_layer_name(fused, plain)
    z = np.random.default_rng(2).normal(size=(5, 8)).astype("float32")
    inputs = z if num_classes is None else [z, np.array([0, 1, 2, 1, 0], "int32")]
    for training in (True, False):
        np.testing.assert_allclose(
            fused(inputs, training=training), plain(inputs, training=training), atol=1e-5
        )
