"""Export the generator: TF Serving's SavedModel (versioned folders), Keras's SavedModel
folder, or one ONNX or LiteRT file, each written atomically; and an export read back.

One module per concern, as Keras's own `keras/src/export/`:

- `serving`: TF Serving's layout (`versions`, `latest_version_dir`, `metadata`), a version
  folder written whole under the base folder's lock;
- `signatures`: the SavedModel's two endpoints, their input checks, `seed_latent`,
  `check_max_samples` and the outputs decoded from the samples;
- `description`: the model's description every format records (`describe`), computed
  once, and the generator an export writes;
- `formats`: the formats' names (`FORMATS`, Keras's), the suffix that names each, and what
  an export may be written over;
- `saved_model`: `export_generator`, `export_saved_model`, the archive, and on JAX the
  generator converted by jax2tf;
- `file`: `export_file` (ONNX, LiteRT) and the `inference_function` the files hold;
- `tensorflow_process`: the TensorFlow-backend process that writes the JAX and PyTorch
  backends' exports;
- `reading`: `load_export`, an export of any format read back as one function of z.
"""

from keras_wgan.export.description import describe
from keras_wgan.export.file import export_file, inference_function
from keras_wgan.export.formats import (
    FILE_FORMATS,
    FORMATS,
    check_destination,
    check_format,
    format_of,
)
from keras_wgan.export.reading import LoadedExport, load_export
from keras_wgan.export.saved_model import JAX_PLATFORMS, export_generator, export_saved_model
from keras_wgan.export.serving import METADATA, latest_version_dir, metadata, versions
from keras_wgan.export.signatures import (
    DEFAULT_MAX_SAMPLES,
    MAX_SAMPLES_LIMIT,
    SEED_SIGNATURE,
    check_max_samples,
    seed_latent,
)

__all__ = [
    "DEFAULT_MAX_SAMPLES",
    "FILE_FORMATS",
    "FORMATS",
    "JAX_PLATFORMS",
    "LoadedExport",
    "MAX_SAMPLES_LIMIT",
    "METADATA",
    "SEED_SIGNATURE",
    "check_destination",
    "check_format",
    "check_max_samples",
    "describe",
    "export_file",
    "export_generator",
    "export_saved_model",
    "format_of",
    "inference_function",
    "latest_version_dir",
    "load_export",
    "metadata",
    "seed_latent",
    "versions",
]
