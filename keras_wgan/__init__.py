"""keras_wgan: WGAN-GP (Gulrajani et al., 2017) as a Keras 3 model trained with `fit`."""

from keras_wgan import datasets, losses, models, presets
from keras_wgan.wgan import WGAN

__version__ = "0.1.0"

__all__ = ["WGAN", "datasets", "losses", "models", "presets", "__version__"]
