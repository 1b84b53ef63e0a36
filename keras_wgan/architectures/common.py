"""Argument checks, initialisers and layer helpers shared by the architecture builders."""

import copy
import math

import keras

from keras_wgan.layers.conditional_batch_normalization import (
    ConditionalBatchNormalization,
)
from keras_wgan.layers.gated_activation import GatedActivation
from keras_wgan.utils.validation import check_int, is_int  # noqa: F401  (used as common.check_int)

# The smallest image every design here can make: 4x4 features and one resampling step.
MIN_IMAGE_SIZE = 8

# tflib's `he_init` for stride-1 convolutions (tflib/ops/conv2d.py): uniform with
# stdev sqrt(4 / (fan_in + fan_out)), i.e. variance 2 / fan_avg. Strided and transposed
# convolutions need `TflibUniform`, whose fans count the stride as tflib's do.
HE_INIT = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform"},
}
# tflib's default for linear layers (`initialization=None`, tflib/ops/linear.py) and its
# `he_init=False` for stride-1 shortcuts, stems and output convolutions: Glorot uniform.
GLOROT_INIT = {"class_name": "GlorotUniform", "config": {}}
# The DCGAN networks of gan_64x64.py set every weight's stdev to 0.02; tflib draws uniform
# weights, so the bound is 0.02 * sqrt(3).
DCGAN_INIT = {
    "class_name": "RandomUniform",
    "config": {"minval": -0.02 * math.sqrt(3.0), "maxval": 0.02 * math.sqrt(3.0)},
}

# `kernel_initializer=TFLIB_INIT` in the DCGAN builders: tflib's defaults, for the networks
# of gan_64x64.py that do not set a weight stdev (the no-BN constant-filter generator and
# the gated networks): He with tflib's stride-aware fans for every (transposed)
# convolution (`he_init=True`) and Glorot for the linear layers (`initialization=None`).
TFLIB_INIT = "tflib"

GENERATOR_NORMS = ("batch", "none")
CRITIC_NORMS = ("layer", "batch", "none")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "gated")


def initializer(identifier):
    """A fresh Keras initializer from a name, a config dict or an instance.

    A new object each call: layers must not share one unseeded initializer instance.
    """
    if isinstance(identifier, keras.initializers.Initializer):
        return identifier.__class__.from_config(identifier.get_config())
    if isinstance(identifier, dict):
        identifier = copy.deepcopy(identifier)
    return keras.initializers.get(identifier)


def check_choice(name, value, choices, why=""):
    if value not in choices:
        raise ValueError(
            f"Invalid value for argument `{name}`. Received: {name}={value!r}. "
            f"Expected one of {', '.join(repr(c) for c in choices)}.{why}"
        )
    return value


def check_num_classes(num_classes):
    """None (unconditional) or K >= 2."""
    if num_classes is None:
        return None
    if not is_int(num_classes) or num_classes < 2:
        raise ValueError(
            "Invalid value for argument `num_classes`. "
            f"Received: num_classes={num_classes!r}. "
            "Expected None (unconditional) or an integer >= 2."
        )
    return int(num_classes)


def check_critic_norm(norm):
    """A critic's norm: "layer", "batch" or "none".

    Batch norm is for the baselines without a gradient penalty (DCGAN, LSGAN, weight
    clipping), as gan_64x64.py's `Normalize` gives them; `keras_wgan.WGAN` refuses a
    batch-norm critic under a gradient penalty (Gulrajani et al. 2017, section 4).
    """
    return check_choice("norm", norm, CRITIC_NORMS)


def check_image_shape(image_shape, min_size=MIN_IMAGE_SIZE):
    """Checks an (H, W, C) shape with H == W a power of two >= `min_size`.

    Returns:
        `(size, channels, num_doublings)`, with `size == 4 * 2**num_doublings`.
    """
    ok = isinstance(image_shape, (tuple, list)) and len(image_shape) == 3
    ok = ok and all(is_int(d) for d in image_shape)
    if ok:
        height, width, channels = image_shape
        ok = height == width and height >= min_size and height & (height - 1) == 0 and channels >= 1
    if not ok:
        sizes = ", ".join(str(min_size * 2**i) for i in range(4))
        raise ValueError(
            "Invalid value for argument `image_shape`. "
            f"Received: image_shape={image_shape!r}. Expected (H, W, C) with H == W a power "
            f"of two >= {min_size} (sizes that work: {sizes}, ...) and C >= 1."
        )
    size, _, channels = (int(d) for d in image_shape)
    return size, channels, int(math.log2(size // 4))


def normalize(x, norm, name, labels=None, num_classes=None):
    """Applies `norm`: "batch" (conditional when given labels), "layer" or "none".

    "layer" is the paper's layer norm (tflib/ops/layernorm.py): statistics of each example
    over (height, width, channels) and one gamma and beta per channel, which in Keras is
    `GroupNormalization(groups=1)` (`LayerNormalization` would learn one gamma per pixel).
    """
    if norm == "none":
        return x
    if norm == "layer":
        return keras.layers.GroupNormalization(groups=1, epsilon=1e-5, name=name)(x)
    if labels is not None:
        return ConditionalBatchNormalization(num_classes, name=name)([x, labels])
    return keras.layers.BatchNormalization(epsilon=1e-5, name=name)(x)


def activation_width(units, activation):
    """Channels the layer before `activation` must produce to leave `units` after it."""
    return 2 * units if activation == "gated" else units


def activate(x, activation, name):
    if activation == "relu":
        return keras.layers.ReLU(name=name)(x)
    if activation == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=0.2, name=name)(x)
    if activation == "tanh":
        return keras.layers.Activation("tanh", name=name)(x)
    return GatedActivation(name=name)(x)


def generator_inputs(latent_dim, num_classes):
    """The generator's inputs: z [batch, latent_dim], plus int32 labels [batch] if conditional."""
    z = keras.Input((latent_dim,), name="z")
    if num_classes is None:
        return z, None
    return z, keras.Input((), dtype="int32", name="labels")


def tanh_output(x, name):
    # float32 output layer: samples stay float32 under a mixed-precision policy.
    return keras.layers.Activation("tanh", dtype="float32", name=name)(x)
