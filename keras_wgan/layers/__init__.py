"""The package's Keras layers, one public layer per file, each registered for `.keras` saving.

- `ConvMeanPool`, `UpsampleConv`: the paper's resampling convolutions, fused
  (`ResamplingConv` is their base).
- `ConditionalBatchNormalization`: per-class scale and offset (the paper's AC-GAN ResNet).
- `GatedActivation`: the gated nonlinearity of Figure 2's "gated" row.
- `CharacterSoftmax`: the language model's last layer, carrying its vocabulary.
- `MinibatchDiscrimination`, `VirtualBatchNormalization`, `ReferenceBatch`,
  `DropReference`: Salimans et al. 2016's layers for standard GANs.
- `SpectralNormalization`: a wrapped layer's kernel divided by its spectral norm
  (Miyato et al. 2018).
"""

from keras_wgan.layers.character_softmax import CharacterSoftmax
from keras_wgan.layers.conditional_batch_normalization import ConditionalBatchNormalization
from keras_wgan.layers.conv_mean_pool import ConvMeanPool
from keras_wgan.layers.drop_reference import DropReference
from keras_wgan.layers.gated_activation import GatedActivation
from keras_wgan.layers.minibatch_discrimination import MinibatchDiscrimination
from keras_wgan.layers.reference_batch import ReferenceBatch
from keras_wgan.layers.resampling_conv import ResamplingConv
from keras_wgan.layers.spectral_normalization import SpectralNormalization
from keras_wgan.layers.upsample_conv import UpsampleConv
from keras_wgan.layers.virtual_batch_normalization import VirtualBatchNormalization

__all__ = [
    "CharacterSoftmax",
    "ConditionalBatchNormalization",
    "ConvMeanPool",
    "DropReference",
    "GatedActivation",
    "MinibatchDiscrimination",
    "ReferenceBatch",
    "ResamplingConv",
    "SpectralNormalization",
    "UpsampleConv",
    "VirtualBatchNormalization",
]
