"""Image generators and critics of the paper: ResNets, DCGAN and the Figure 2 variants.

`build(name, image_shape)` returns a `(generator, critic)` pair for one of
`ARCHITECTURES`; the builders behind it take the variants as arguments.
"""

from keras_wgan.architectures.conditional_batch_normalization import (
    ConditionalBatchNormalization,
)
from keras_wgan.architectures.conv_mean_pool import ConvMeanPool
from keras_wgan.architectures.dcgan import (
    dcgan_critic,
    dcgan_generator,
    mlp_critic,
    mlp_generator,
)
from keras_wgan.architectures.gated_activation import GatedActivation
from keras_wgan.architectures.registry import (
    ARCHITECTURES,
    CONDITIONAL_ARCHITECTURES,
    DEFAULT_WIDTHS,
    build,
)
from keras_wgan.architectures.resnet import resnet_critic, resnet_generator
from keras_wgan.architectures.upsample_conv import UpsampleConv

__all__ = [
    "ARCHITECTURES",
    "CONDITIONAL_ARCHITECTURES",
    "ConditionalBatchNormalization",
    "ConvMeanPool",
    "DEFAULT_WIDTHS",
    "GatedActivation",
    "UpsampleConv",
    "build",
    "dcgan_critic",
    "dcgan_generator",
    "mlp_critic",
    "mlp_generator",
    "resnet_critic",
    "resnet_generator",
]
