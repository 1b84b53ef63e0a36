"""Helpers shared by the tests: tensorflow-gan as an independent reference, a script run on
another Keras backend, the smallest image model, a folder lock held by another process, and
the environment of a new process that imports this copy of the package."""

import contextlib
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import types

import keras
import numpy as np
import pytest

import keras_wgan

# A constant step size: a rerun with more --steps continues the run with more --steps (a decay would refuse).
TINY = [
    "--width",
    "8",
    "--batch-size",
    "16",
    "--steps-per-epoch",
    "2",
    "--seed",
    "1",
    "--lr-decay",
    "none",
]


def import_tfgan(module):
    """Imports a tensorflow-gan submodule without running the package's __init__.

    tensorflow-gan 2.1.0's __init__ needs `tf.estimator`, removed in TensorFlow 2.16; its
    loss and metric modules still work and serve as an independent reference.
    """
    full = f"tensorflow_gan.python.{module}"
    if full in sys.modules:
        return sys.modules[full]
    stub = sys.modules.get("tensorflow_gan")
    if stub is not None and getattr(stub, "__spec__", None) is None:
        root = stub.__path__[0]  # our stub from an earlier call
    else:
        spec = importlib.util.find_spec("tensorflow_gan")
        if spec is None:
            pytest.skip("tensorflow-gan is not installed (pip install -e '.[test]')")
        root = os.path.dirname(spec.origin)
    for name, path in (
        ("tensorflow_gan", root),
        ("tensorflow_gan.python", os.path.join(root, "python")),
    ):
        if name not in sys.modules or not hasattr(sys.modules[name], "__path__"):
            package = types.ModuleType(name)
            package.__path__ = [path]
            sys.modules[name] = package
    return importlib.import_module(full)


def run_on_backend(backend, script, inputs, out, *args):
    """Runs `script` under KERAS_BACKEND=`backend` with argv (inputs, out, *args).

    The script writes `out + ".json"` and the weights to `out + ".npz"` (np.savez of a
    list); returns (the JSON, the list of weights).
    """
    env = dict(
        os.environ,
        KERAS_BACKEND=backend,
        PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    result = subprocess.run(
        [sys.executable, "-c", script, inputs, out, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out + ".json") as f:
        meta = json.load(f)
    weights = np.load(out + ".npz")
    return meta, [weights[f"arr_{i}"] for i in range(len(weights.files))]


def tiny_image_gan(num_classes=None):
    """A compiled WGAN of 4x4 gray images (conditional with `num_classes`): the smallest
    image model, for tests of callbacks, the export and serving."""
    keras.utils.set_random_seed(0)
    z = keras.Input((4,))
    inputs = [z]
    h = z
    if num_classes:
        y = keras.Input((), dtype="int32")
        inputs.append(y)
        h = keras.layers.Concatenate()(
            [z, keras.layers.Flatten()(keras.layers.Embedding(num_classes, 4)(y))]
        )
    x = keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16, activation="tanh")(h))
    generator = keras.Model(inputs if num_classes else z, x)
    image = keras.Input((4, 4, 1))
    f = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(image))
    outputs = (
        [keras.layers.Dense(1)(f), keras.layers.Dense(num_classes)(f)]
        if num_classes
        else keras.layers.Dense(1)(f)
    )
    critic = keras.Model(image, outputs)
    gan = keras_wgan.WGAN(generator, critic, n_critic=1, conditioning=num_classes, seed=0)
    gan.compile()
    return gan


# Takes `<folder>/.lock` as `keras_wgan.utils.locks` does, with fcntl alone, then sleeps.
_HOLD = """
import fcntl, os, sys, time
fd = os.open(os.path.join(sys.argv[1], ".lock"), os.O_RDWR | os.O_CREAT, 0o666)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, f"{os.getpid()}\\n".encode())
print("held", flush=True)
time.sleep(600)
"""


@contextlib.contextmanager
def lock_held_elsewhere(folder):
    """Holds `folder`'s lock from another process for the block; yields its pid and kills
    it (SIGKILL) at the end."""
    os.makedirs(folder, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def package_env(**extra):
    """The environment of a new Python process that imports this copy of `keras_wgan` (first
    on PYTHONPATH), not another one installed in the environment, plus `extra`."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(keras_wgan.__file__)))
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, **extra)


def dead_pid():
    """The id of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    return process.pid
