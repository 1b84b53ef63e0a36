"""keras_wgan: WGAN-GP (Gulrajani et al., 2017) as a Keras 3 model trained with `fit`.

`WGAN` and the backend-neutral parts (losses, models, presets, callbacks) import with Keras
alone, on any backend; the parts built on TensorFlow (datasets, export, metrics) are
imported on first use, so the JAX trainer runs where TensorFlow is not installed.
"""

import importlib

from keras_wgan import _quiet  # noqa: F401  (first: quiets TensorFlow's start-up for the CLI)
from keras_wgan import callbacks, losses, models, presets
from keras_wgan import optimizers  # registers keras_wgan>TF1RMSprop for loading
from keras_wgan.wgan import WGAN

__version__ = "0.1.0"

_LAZY = {"datasets": "keras_wgan.datasets", "metrics": "keras_wgan.metrics",
         "export": "keras_wgan.export"}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(_LAZY[name])
    if name == "export_generator":
        return importlib.import_module("keras_wgan.export").export_generator
    raise AttributeError(f"module 'keras_wgan' has no attribute {name!r}")


__all__ = [
    "WGAN", "callbacks", "datasets", "export_generator", "losses", "metrics", "models",
    "optimizers", "presets", "__version__",
]
