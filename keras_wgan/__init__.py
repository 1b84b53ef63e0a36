"""keras_wgan: WGAN-GP (Gulrajani et al., 2017) as a Keras 3 model trained with `fit`.

The public API is what `__all__` lists. `WGAN` and the backend-neutral parts (augment,
losses, layers, architectures, models, optimizers, presets) import with Keras alone, on any
backend; the parts built on TensorFlow (datasets, evaluation, callbacks, export, runs) are
imported on first use, so the JAX trainer runs where TensorFlow is not installed.

The package is layered: the import-linter contracts in `pyproject.toml` say which part
may import which (the development page shows them).
"""

import importlib

# Every serializable class is registered on import, so `keras.saving.load_model` finds
# the layers, optimisers and models of any checkpoint.
from keras_wgan import (
    _quiet,  # noqa: F401  (first: quiets TensorFlow's start-up for the CLI)
    architectures,
    augment,
    conditioning,
    ema,
    layers,
    losses,
    models,
    optimizers,
    options,
    presets,
)
from keras_wgan.wgan import WGAN

__version__ = "0.2.0"

# The TensorFlow-built subpackages, imported on first use (TensorFlow is optional on JAX).
_LAZY = {
    "callbacks": "keras_wgan.callbacks",
    "datasets": "keras_wgan.datasets",
    "demo": "keras_wgan.demo",
    "evaluation": "keras_wgan.evaluation",
    "export": "keras_wgan.export",
    "runs": "keras_wgan.runs",
}


def _export_saved_model(model, filepath, **options):
    """`WGAN.export`'s format "tf_saved_model": `keras_wgan.export.export_saved_model`,
    imported on the first export (it needs TensorFlow). Registered here, above every
    layer: `keras_wgan.wgan` sits below `keras_wgan.export` and does not import it."""
    exporter = importlib.import_module("keras_wgan.export")
    return exporter.export_saved_model(model, filepath, **options)


def _file_exporter(format):
    """`WGAN.export`'s formats "onnx" and "litert": `keras_wgan.export.export_file`, the
    file `filepath` itself (the `deploy` extra's packages for "onnx")."""

    def export_file(model, filepath, verbose=False, ema=None, **options):
        if options:
            raise ValueError(
                f"format={format!r} takes no {', '.join(sorted(options))}: the file holds no "
                "input checks (only format='tf_saved_model' does)."
            )
        exporter = importlib.import_module("keras_wgan.export")
        return exporter.export_file(model, filepath, format, verbose=verbose, ema=ema)

    return export_file


WGAN.register_export_format("tf_saved_model", _export_saved_model)
WGAN.register_export_format("onnx", _file_exporter("onnx"))
WGAN.register_export_format("litert", _file_exporter("litert"))


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(_LAZY[name])
    if name == "export_generator":
        return importlib.import_module("keras_wgan.export").export_generator
    raise AttributeError(f"module 'keras_wgan' has no attribute {name!r}")


__all__ = [
    "WGAN",
    "__version__",
    "architectures",
    "augment",
    "callbacks",
    "conditioning",
    "datasets",
    "demo",
    "ema",
    "evaluation",
    "export",
    "export_generator",
    "layers",
    "losses",
    "models",
    "optimizers",
    "options",
    "presets",
    "runs",
]
