"""A TensorFlow-backend Python process for the backends whose graphs TensorFlow cannot
save: the JAX backend's files (the converters take TensorFlow graphs, and jax2tf's
`XlaCallModule` op is not one they convert), and the PyTorch backend's every export
(Keras's `ExportArchive` tracks no PyTorch model).

The process loads a `.keras` copy, written into a temporary folder, and calls the export's
own functions by name (`keras_wgan.export.file.write_file`,
`keras_wgan.export.saved_model.export_generator` or `export_saved_model`); an expected
error comes back as JSON on its last line of output and is raised again here with its type.
"""

import json
import os
import subprocess
import sys
import tempfile

from keras_wgan.deploy import ConversionError

# Loads the generator a JAX or PyTorch model saved and writes the file.
_CONVERT_SCRIPT = """
import json, sys
import keras
import keras_wgan
from keras_wgan.export import file
generator_file, record, format, filepath = sys.argv[1:5]
try:
    generator = keras.saving.load_model(generator_file, compile=False)
    file.write_file(generator, json.loads(record), format, filepath)
except (ImportError, RuntimeError, OSError, ValueError) as error:
    print(json.dumps({"type": type(error).__name__, "message": str(error)}))
    sys.exit(1)
"""

# Loads the model and calls a function of `keras_wgan.export.saved_model` with it.
_CALL_SCRIPT = """
import json, sys
import keras
import keras_wgan
from keras_wgan.export import saved_model
model_file, function, kwargs = sys.argv[1:4]
try:
    model = keras.saving.load_model(model_file)
    print(json.dumps({"result": getattr(saved_model, function)(model, **json.loads(kwargs))}))
except (ImportError, RuntimeError, OSError, ValueError, FloatingPointError) as error:
    print(json.dumps({"type": type(error).__name__, "message": str(error)}))
    sys.exit(1)
"""

#: The errors a TensorFlow process reports by name, raised again here with their type.
_ERRORS = {
    error.__name__: error
    for error in (ImportError, OSError, ValueError, FloatingPointError, FileExistsError)
}

#: The folder that holds the package `keras_wgan`, for the process's import path.
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _in_tensorflow(script, what, folder, *args):
    """Runs `script` with `args` in a TensorFlow-backend Python process; returns the
    "result" of its last line (JSON), or raises the error it reports, with `folder` (the
    temporary copy's) left out of its message."""
    env = dict(
        os.environ,
        KERAS_BACKEND="tensorflow",
        PYTHONPATH=os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")])),
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True
    )
    lines = result.stdout.strip().splitlines()
    try:
        reply = json.loads(lines[-1])
    except (IndexError, ValueError):
        reply = None
    if result.returncode == 0:
        return (reply or {}).get("result")
    if reply is None:
        tail = result.stderr.strip().splitlines()[-1:] or ["no message"]
        message = f"The TensorFlow process writing {what} failed: {tail[0]}"
        error = ConversionError
    else:
        message, error = reply["message"], _ERRORS.get(reply["type"], ConversionError)
    raise error(message.replace(folder + os.sep, "").replace(folder, "the model's copy"))


def write_file_in_tensorflow(generator, record, format, filepath):
    """`keras_wgan.export.file.write_file` in a TensorFlow-backend process, on a `.keras`
    copy of `generator`."""
    with tempfile.TemporaryDirectory(prefix="keras_wgan_export_") as folder:
        saved = os.path.join(folder, "generator.keras")
        generator.save(saved)
        _in_tensorflow(_CONVERT_SCRIPT, format, folder, saved, json.dumps(record), format, filepath)


def export_in_tensorflow(function, model, **kwargs):
    """`function(model, **kwargs)` of `keras_wgan.export.saved_model` in a
    TensorFlow-backend process, on a `.keras` copy of the model; returns its result."""
    with tempfile.TemporaryDirectory(prefix="keras_wgan_export_") as folder:
        saved = os.path.join(folder, "model.keras")
        model.save(saved)
        return _in_tensorflow(
            _CALL_SCRIPT, "the SavedModel", folder, saved, function, json.dumps(kwargs)
        )
