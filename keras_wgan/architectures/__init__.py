"""Image generators and critics of the paper: ResNets, DCGAN and the Figure 2 variants.

`build(name, image_shape)` returns a `(generator, critic)` pair for one of
`ARCHITECTURES`; the builders behind it take the variants as arguments.
`spectral_normalize(critic)` spectrally normalises any Sequential or functional critic
(Miyato et al. 2018). Builders only: the layers they are made of live in
`keras_wgan.layers`.
"""

from keras_wgan.architectures.dcgan import (
    dcgan_critic,
    dcgan_generator,
    mlp_critic,
    mlp_generator,
)
from keras_wgan.architectures.registry import (
    ARCHITECTURES,
    CONDITIONAL_ARCHITECTURES,
    DEFAULT_WIDTHS,
    build,
)
from keras_wgan.architectures.resnet import resnet_critic, resnet_generator
from keras_wgan.architectures.spectral import spectral_normalize

__all__ = [
    "ARCHITECTURES",
    "CONDITIONAL_ARCHITECTURES",
    "DEFAULT_WIDTHS",
    "build",
    "dcgan_critic",
    "dcgan_generator",
    "mlp_critic",
    "mlp_generator",
    "resnet_critic",
    "resnet_generator",
    "spectral_normalize",
]
