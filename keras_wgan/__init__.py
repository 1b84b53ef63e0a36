"""keras_wgan: WGAN-GP (Gulrajani et al., 2017) as a Keras 3 model trained with `fit`."""

from keras_wgan import callbacks, datasets, losses, metrics, models, presets
from keras_wgan.export import export_generator
from keras_wgan.wgan import WGAN

__version__ = "0.1.0"

__all__ = [
    "WGAN", "callbacks", "datasets", "export_generator", "losses", "metrics", "models",
    "presets", "__version__",
]
