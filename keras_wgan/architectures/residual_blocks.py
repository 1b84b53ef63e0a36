"""The residual blocks of the paper's ResNets, as functions on Keras tensors.

Resampling follows the paper's code: "up" is nearest-neighbour upsampling (tflib's
`UpsampleConv` repeats each pixel) and "down" is 2x2 mean pooling (`ConvMeanPool`,
`MeanPoolConv`); a 1x1 convolution and mean pooling commute, so each shortcut pools first.
With `fused_resampling=True` (the default) a convolution followed by mean pooling is one
`ConvMeanPool` layer and an upsampling followed by a convolution is one `UpsampleConv`
layer: the same functions and weights at 4/9 of the multiply-adds (1/4 for the 1x1
shortcut convolutions after an upsampling).
"""

import keras

from keras_wgan.architectures.common import (
    GLOROT_INIT,
    HE_INIT,
    initializer,
    normalize,
)
from keras_wgan.architectures.initializers import TflibUniform
from keras_wgan.layers.conv_mean_pool import ConvMeanPool
from keras_wgan.layers.upsample_conv import UpsampleConv

RESAMPLE = ("up", "down", None)


def _conv(filters, kernel_size, name, init=HE_INIT, strides=1, use_bias=True):
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=use_bias,
        kernel_initializer=initializer(init),
        name=name,
    )


def _upsample(x, name):
    return keras.layers.UpSampling2D(2, interpolation="nearest", name=name)(x)


def _mean_pool(x, name):
    return keras.layers.AveragePooling2D(2, name=name)(x)


def _conv2_mean_pool(x, filters, name, fused):
    """A block's second conv 3x3 (`{name}_conv2`) then 2x2 mean pool (`{name}_pool`), or
    both as one `ConvMeanPool` layer named `{name}_conv2` when `fused`."""
    if fused:
        return ConvMeanPool(
            filters, 3, kernel_initializer=initializer(HE_INIT), name=f"{name}_conv2"
        )(x)
    return _mean_pool(_conv(filters, 3, f"{name}_conv2")(x), f"{name}_pool")


def _upsample_conv(x, filters, kernel_size, name, upsample_name, fused, init=HE_INIT):
    """2x nearest upsampling (`upsample_name`) then a conv (`name`), or both as one
    `UpsampleConv` layer named `name` when `fused`."""
    if fused:
        return UpsampleConv(filters, kernel_size, kernel_initializer=initializer(init), name=name)(
            x
        )
    return _conv(filters, kernel_size, name, init=init)(_upsample(x, upsample_name))


def _keeps_shape(x, filters, resample):
    """Whether a block's output has its input's shape: then its shortcut is the identity."""
    return resample is None and x.shape[-1] == filters


def _shortcut(x, filters, resample, name, fused):
    """The plain blocks' shortcut: the identity when the block keeps the shape, else a 1x1
    convolution with the block's resampling (Glorot, tflib's `he_init=False`), after the
    mean pooling when downsampling (pooling and a 1x1 convolution commute)."""
    if _keeps_shape(x, filters, resample):
        return x
    if resample == "up":
        return _upsample_conv(
            x,
            filters,
            1,
            f"{name}_shortcut_conv",
            f"{name}_shortcut_upsample",
            fused,
            init=GLOROT_INIT,
        )
    if resample == "down":
        x = _mean_pool(x, f"{name}_shortcut_pool")
    return _conv(filters, 1, f"{name}_shortcut_conv", init=GLOROT_INIT)(x)


def _bottleneck_shortcut(x, filters, resample, name):
    """The bottleneck block's shortcut: the identity when the block keeps the shape, a 1x1
    convolution (of stride 2 when downsampling) otherwise, and when upsampling tflib's 1x1
    sub-pixel convolution, a 2x2 transposed convolution of stride 2; Glorot with tflib's
    stride-aware fans (`TflibUniform`)."""
    if _keeps_shape(x, filters, resample):
        return x
    if resample == "up":
        return keras.layers.Conv2DTranspose(
            filters,
            2,
            strides=2,
            kernel_initializer=TflibUniform(1.0, stride=2, transposed=True),
            name=f"{name}_shortcut_conv",
        )(x)
    stride = 2 if resample == "down" else 1
    return _conv(
        filters,
        1,
        f"{name}_shortcut_conv",
        init=TflibUniform(1.0, stride=stride),
        strides=stride,
    )(x)


def residual_block(
    x, filters, resample, norm, name, labels=None, num_classes=None, fused_resampling=True
):
    """The pre-activation residual block of the paper's ResNets (`ResidualBlock`).

    Gulrajani et al. 2017, appendix (CIFAR-10 and 64x64 ResNets): norm, ReLU, conv 3x3,
    norm, ReLU, conv 3x3, plus a shortcut that is the identity when nothing changes shape
    and otherwise a 1x1 convolution with the same resampling. "up" upsamples before the
    first convolution (which changes the width); "down" keeps the width in the first
    convolution and mean-pools after the second (which changes it). Every convolution has
    a bias, as in the CIFAR-10 file; the 64x64 file drops the first one's, which the norm
    after it makes (nearly) redundant.

    Args:
        x: features [batch, height, width, channels].
        filters: output channels.
        resample: "up", "down" or None.
        norm: "batch", "layer" or "none".
        name: prefix of the layer names.
        labels: int labels [batch]; with "batch" norm, makes it conditional.
        num_classes: K, needed with `labels`.
        fused_resampling: with "down", the second convolution and the pooling are one
            `ConvMeanPool` layer; with "up", each upsampling and the convolution after it
            are one `UpsampleConv` layer. Default True. The same weights either way.

    Returns:
        The block's output features.
    """
    in_filters = x.shape[-1]
    shortcut = _shortcut(x, filters, resample, name, fused_resampling)
    h = normalize(x, norm, f"{name}_norm1", labels, num_classes)
    h = keras.layers.ReLU(name=f"{name}_relu1")(h)
    if resample == "up":
        h = _upsample_conv(h, filters, 3, f"{name}_conv1", f"{name}_upsample", fused_resampling)
    else:
        h = _conv(in_filters if resample == "down" else filters, 3, f"{name}_conv1")(h)
    h = normalize(h, norm, f"{name}_norm2", labels, num_classes)
    h = keras.layers.ReLU(name=f"{name}_relu2")(h)
    if resample == "down":
        h = _conv2_mean_pool(h, filters, name, fused_resampling)
    else:
        h = _conv(filters, 3, f"{name}_conv2")(h)
    return keras.layers.Add(name=f"{name}_add")([shortcut, h])


def optimized_residual_block(x, stem_filters, filters, name, fused_resampling=True):
    """The critic's first block in the paper's CIFAR-10 ResNet (`OptimizedResBlockDisc1`).

    Conv 3x3 to `stem_filters`, ReLU, conv 3x3 to `filters`, 2x2 mean pool (one
    `ConvMeanPool` with `fused_resampling`, the default); shortcut:
    mean pool then a 1x1 convolution. No normalisation and no activation before the first
    convolution: the input is the image.
    """
    shortcut = _shortcut(x, filters, "down", name, fused_resampling)
    h = _conv(stem_filters, 3, f"{name}_conv1")(x)
    h = keras.layers.ReLU(name=f"{name}_relu1")(h)
    h = _conv2_mean_pool(h, filters, name, fused_resampling)
    return keras.layers.Add(name=f"{name}_add")([shortcut, h])


def bottleneck_block(x, filters, resample, norm, name, labels=None, num_classes=None):
    """The bottleneck block of the paper's 101-layer ResNet (`BottleneckResidualBlock`).

    Gulrajani et al. 2017, section 5.1 (Figure 2, "101-layer ResNet G and D"): ReLU,
    conv 1x1 to half the input width, ReLU, conv 3x3 to half the output width (stride 2
    when downsampling, a stride-2 transposed convolution when upsampling), ReLU, conv 1x1
    to `filters` without bias, norm, scaled by 0.3 and added to the shortcut. The shortcut
    is the identity when nothing changes shape, a stride-2 1x1 convolution when
    downsampling, and when upsampling tflib's 1x1 sub-pixel convolution, which is a 2x2
    transposed convolution of stride 2.

    The stride-2 convolutions are initialised with tflib's fans (`TflibUniform`), which
    count the stride: He for the 3x3 ones (`Conv2D(stride=2)` and `Deconv2D` in
    gan_64x64.py), Glorot for the shortcuts (`he_init=False`). The sub-pixel shortcut's
    1x1 convolution to 4 * `filters` channels has fan_in = in, fan_out = 4 * `filters`:
    tflib's transposed fans of the equivalent 2x2 stride-2 kernel.

    Args: as `residual_block`.

    Returns:
        The block's output features.
    """
    in_filters = x.shape[-1]
    shortcut = _bottleneck_shortcut(x, filters, resample, name)
    h = keras.layers.ReLU(name=f"{name}_relu1")(x)
    h = _conv(in_filters // 2, 1, f"{name}_conv1")(h)
    h = keras.layers.ReLU(name=f"{name}_relu2")(h)
    if resample == "up":
        h = keras.layers.Conv2DTranspose(
            filters // 2,
            3,
            strides=2,
            padding="same",
            kernel_initializer=TflibUniform(2.0, stride=2, transposed=True),
            name=f"{name}_conv2",
        )(h)
    else:
        stride = 2 if resample == "down" else 1
        h = _conv(
            filters // 2, 3, f"{name}_conv2", init=TflibUniform(2.0, stride=stride), strides=stride
        )(h)
    h = keras.layers.ReLU(name=f"{name}_relu3")(h)
    h = _conv(filters, 1, f"{name}_conv3", use_bias=False)(h)
    h = normalize(h, norm, f"{name}_norm", labels, num_classes)
    # The paper's residual scale: keeps 33 stacked blocks from blowing up at init.
    h = keras.layers.Rescaling(0.3, name=f"{name}_scale")(h)
    return keras.layers.Add(name=f"{name}_add")([shortcut, h])


BLOCKS = {"plain": residual_block, "bottleneck": bottleneck_block}
