"""Every kind of checkpoint loads in a fresh process: resume, export and sample from it.

Keras finds a custom class of a `.keras` file only once its module has registered it; a
command started in a new process imports no more than `keras_wgan` and the modules the
command itself needs. So each case trains a couple of steps here, then runs the commands
that load the checkpoint (`train` again with more steps, `export --checkpoint`,
`sample --model`) each in a new interpreter, as a user's next command would.
"""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_wgan
from keras_wgan import cli

# The folder holding the package under test: the new processes must import it, not
# another copy installed in the environment.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(keras_wgan.__file__)))

# A constant step size: a rerun with more --steps continues the run (a decay would refuse).
_TINY = ["--width", "8", "--steps-per-epoch", "1", "--lr-decay", "none", "--seed", "1"]

_slow = pytest.mark.slow

# (train flags, the sample file): one case per data kind and per family of networks a
# checkpoint can hold, and so per custom layer, initializer and optimiser of the package.
CASES = [
    pytest.param(
        ["--dataset", "text", "--batch-size", "8"], "s.txt", id="text-language", marks=_slow
    ),
    # Slow too: the default run resumes in fresh processes in tests/test_resume.py (SIGKILL)
    # and tests/test_chaos.py (a kill inside a write).
    pytest.param(["--dataset", "8gaussians"], "s.npy", id="points-mlp", marks=_slow),
    pytest.param(["--dataset", "digits", "--arch", "mlp"], "s.png", id="digits-mlp", marks=_slow),
    pytest.param(
        ["--dataset", "digits", "--arch", "dcgan", "--batch-size", "8"],
        "s.png",
        id="digits-dcgan",
        marks=_slow,
    ),
    pytest.param(
        ["--dataset", "digits", "--arch", "cifar10-resnet", "--batch-size", "8"],
        "s.png",
        id="digits-resnet",
        marks=_slow,
    ),
    pytest.param(
        ["--dataset", "digits", "--arch", "cifar10-resnet", "--conditional", "--batch-size", "8"],
        "s.png",
        id="digits-resnet-conditional",
        marks=_slow,
    ),
    pytest.param(
        ["--dataset", "8gaussians", "--loss", "dcgan", "--minibatch-discrimination", "4", "2"],
        "s.npy",
        id="points-minibatch-discrimination",
        marks=_slow,
    ),
    pytest.param(
        [
            "--dataset",
            "digits",
            "--arch",
            "dcgan",
            "--batch-size",
            "8",
            "--virtual-batch-norm",
            "8",
        ],
        "s.png",
        id="digits-virtual-batch-norm",
        marks=_slow,
    ),
    pytest.param(
        ["--dataset", "8gaussians", "--loss", "wgan-clip"],
        "s.npy",
        id="points-wgan-clip-rmsprop",
        marks=_slow,
    ),
]


def _script(code, cwd):
    """Runs `python -c CODE` in a new process; returns its output."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([_ROOT, os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )
    assert run.returncode == 0, f"{code} failed:\n{run.stdout}\n{run.stderr}"
    return run.stdout


def _command(argv, cwd):
    """Runs `python -m keras_wgan ARGV` in a new process; returns its output."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([_ROOT, os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run(
        [sys.executable, "-m", "keras_wgan", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )
    assert run.returncode == 0, f"keras-wgan {' '.join(argv)} failed:\n{run.stdout}\n{run.stderr}"
    return run.stdout


@pytest.mark.parametrize("flags, sample_file", CASES)
def test_a_checkpoint_resumes_exports_and_samples_in_a_new_process(flags, sample_file, tmp_path):
    out = str(tmp_path / "run")
    assert cli.main(["train", *flags, *_TINY, "--steps", "2", "--out", out]) == 0

    printed = _command(["train", *flags, *_TINY, "--steps", "3", "--out", out], tmp_path)
    assert "Resuming" in printed
    gan = keras.saving.load_model(os.path.join(out, "checkpoint.keras"))
    assert gan.generator_step() == 3
    assert all(np.isfinite(w).all() for w in gan.get_weights())

    # `export` and `sample`, one after the other in one more new process: each loads the
    # checkpoint itself, in a process that never built the model.
    commands = [
        ["export", "--checkpoint", out, "--out", str(tmp_path / "exported")],
        ["sample", "--model", out, "--num", "4", "--out", sample_file],
    ]
    _script(
        "from keras_wgan import cli\n"
        f"for argv in {commands!r}:\n    assert cli.main(argv) == 0, argv\n",
        tmp_path,
    )
    assert os.path.isfile(tmp_path / "exported" / "1" / "saved_model.pb")
    assert os.path.getsize(tmp_path / sample_file) > 0
