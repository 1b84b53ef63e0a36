"""Tests of UpsampleConv: the same function as 2x nearest upsampling then a convolution."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_wgan import architectures
from keras_wgan.architectures import UpsampleConv

from test_conv_mean_pool import copy_weights_by_layer_name


def _fused_and_unfused(kernel_size, in_shape, filters=4, data_format="channels_last"):
    """An UpsampleConv, and UpSampling2D then a Conv2D with the same (random) weights."""
    fused = UpsampleConv(filters, kernel_size, bias_initializer="random_normal",
                         data_format=data_format)
    fused.build(in_shape)
    conv = keras.layers.Conv2D(filters, kernel_size, padding="same", data_format=data_format)
    upsample = keras.layers.UpSampling2D(2, data_format=data_format)
    conv.build(upsample.compute_output_shape(in_shape))
    conv.set_weights(fused.get_weights())
    return fused, conv, lambda x: conv(upsample(x))


@pytest.mark.parametrize("kernel_size", [1, 3, 5, (3, 5)])
def test_equals_upsampling_then_conv(kernel_size):
    x = np.random.default_rng(0).normal(size=(3, 5, 4, 6)).astype("float32")
    fused, _, unfused = _fused_and_unfused(kernel_size, x.shape)
    expected = unfused(x)
    assert fused.compute_output_shape(x.shape) == tuple(expected.shape) == (3, 10, 8, 4)
    np.testing.assert_allclose(fused(x), expected, atol=2e-5)
    np.testing.assert_allclose(tf.function(fused, jit_compile=True)(x), expected, atol=2e-5)


def test_equals_upsampling_then_conv_channels_first():
    x = np.random.default_rng(0).normal(size=(2, 6, 4, 5)).astype("float32")
    fused, _, unfused = _fused_and_unfused(3, x.shape, data_format="channels_first")
    expected = unfused(x)
    assert expected.shape == (2, 4, 8, 10)
    np.testing.assert_allclose(fused(x), expected, atol=2e-5)


def test_same_gradients():
    x = tf.constant(np.random.default_rng(1).normal(size=(2, 4, 4, 3)).astype("float32"))
    fused, conv, unfused = _fused_and_unfused(3, x.shape)

    def grads(function, weights):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.tanh(function(x)) * tf.range(8.0)[:, None, None])
        return tape.gradient(loss, [x] + weights)

    for a, b in zip(grads(fused, fused.trainable_variables),
                    grads(unfused, conv.trainable_variables)):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-4)


def test_serializes():
    layer = UpsampleConv(6, 5, name="up")
    clone = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(clone) is UpsampleConv
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"strides": 2}, "strides"), ({"padding": "valid"}, "padding"),
     ({"dilation_rate": 2}, "dilation_rate"), ({"kernel_size": 2}, "kernel_size")],
)
def test_bad_arguments_are_refused(kwargs, argument):
    with pytest.raises(ValueError, match=f"Invalid value for argument `{argument}`"):
        UpsampleConv(4, **{"kernel_size": 3, **kwargs})


@pytest.mark.parametrize("num_classes", [None, 3])
def test_fused_and_unfused_generators_share_weights_and_images(num_classes):
    shape = (16, 16, 3)
    keras.utils.set_random_seed(0)
    fused, _ = architectures.build("cifar10-resnet", shape, latent_dim=8, width=4,
                                   num_classes=num_classes)
    plain, _ = architectures.build("cifar10-resnet", shape, latent_dim=8, width=4,
                                   num_classes=num_classes, fused_resampling=False)
    # Two blocks up (4 -> 8 -> 16), each with a 3x3 and a 1x1 (shortcut) convolution.
    assert len([l for l in fused.layers if isinstance(l, UpsampleConv)]) == 4
    assert not [l for l in plain.layers if isinstance(l, UpsampleConv)]
    copy_weights_by_layer_name(fused, plain)
    z = np.random.default_rng(2).normal(size=(5, 8)).astype("float32")
    inputs = z if num_classes is None else [z, np.array([0, 1, 2, 1, 0], "int32")]
    for training in (True, False):
        np.testing.assert_allclose(fused(inputs, training=training),
                                   plain(inputs, training=training), atol=1e-5)


JAX_SCRIPT = r"""
import numpy as np, keras
from keras_wgan.architectures import UpsampleConv

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


def test_equals_upsampling_then_conv_on_jax():
    pytest.importorskip("jax")
    env = dict(os.environ, KERAS_BACKEND="jax",
               PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", JAX_SCRIPT], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-2:] == ["ok", "jax"]
