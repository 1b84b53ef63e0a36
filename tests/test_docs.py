import os
import re
import shlex
import subprocess
import sys

import numpy as np
import pytest

README = os.path.join(os.path.dirname(__file__), "..", "README.md")


def python_blocks():
    with open(README) as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


def run_shrunk(code, *replacements):
    """Runs a README block with tiny networks and the given (text, replacement) pairs,
    each of which must apply; returns its namespace."""
    code = code.replace("toy_generator()", "toy_generator(width=8)").replace(
        "toy_critic()", "toy_critic(width=8)"
    )
    assert code.count("width=8") == 2
    for old, new in replacements:
        assert old in code, old
        code = code.replace(old, new)
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    return scope


def test_quick_start_runs(tmp_path, monkeypatch):
    """The README's quick start, shrunk (tiny widths, two steps) but otherwise as written."""
    monkeypatch.chdir(tmp_path)
    scope = run_shrunk(
        python_blocks()[0],
        ("epochs=10, steps_per_epoch=100", "epochs=1, steps_per_epoch=2, verbose=0"),
    )
    assert scope["samples"].shape == (1000, 2) and np.isfinite(scope["samples"]).all()
    assert (tmp_path / "gan.keras").exists()


def _block(marker):
    (code,) = [b for b in python_blocks() if marker in b]
    return code


def test_resuming_block_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scope = run_shrunk(
        _block("BackupAndRestore"),
        ("epochs=10, steps_per_epoch=100", "epochs=2, steps_per_epoch=2, verbose=0"),
    )
    assert scope["step"] == 0 and int(scope["gan"].g_optimizer.iterations) == 4
    assert not (tmp_path / "runs" / "python" / "backup").exists()  # deleted after a normal end


@pytest.fixture
def digits_export(tmp_path, monkeypatch):
    """A tiny digits-shaped model exported where the README's commands look for it."""
    import keras

    import keras_wgan
    from keras_wgan import architectures
    from keras_wgan.export import export_generator

    keras.utils.set_random_seed(0)
    generator, critic = architectures.build("mlp", (8, 8, 1), latent_dim=128, width=8)
    gan = keras_wgan.WGAN(generator, critic)
    export_generator(gan, str(tmp_path / "saved_models" / "digits"))
    monkeypatch.chdir(tmp_path)
    return gan


def test_serving_block_and_commands_run(digits_export, tmp_path):
    scope = {}
    exec(compile(_block("tf.saved_model.load"), "README.md", "exec"), scope)
    assert scope["images"].shape == (5, 8, 8, 1) and scope["same"]["samples"].shape == (5, 8, 8, 1)

    with open(README) as f:
        text = f.read()
    bin_dir = os.path.dirname(sys.executable)
    commands = [
        line
        for line in text.splitlines()
        if line.startswith(".venv/bin/saved_model_cli")
        or (
            line.startswith(".venv/bin/python examples/usage/serving_client.py")
            and "--dry-run" in line
        )
    ]
    assert len(commands) == 3
    root = os.path.dirname(README)
    for line in commands:
        argv = shlex.split(line)
        argv[0] = os.path.join(bin_dir, os.path.basename(argv[0]))
        argv = [os.path.join(root, a) if a.startswith("examples/") else a for a in argv]
        result = subprocess.run(argv, capture_output=True, text=True)
        assert result.returncode == 0, (line, result.stderr[-2000:])
    assert (tmp_path / "served" / "samples.npy").exists()


def test_scaling_out_block_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scope = run_shrunk(
        _block("MirroredStrategy()"),
        ("batch_size=256", "batch_size=8"),
        ("steps_per_epoch=10", "steps_per_epoch=2, verbose=0"),
    )
    assert scope["gan"].generator_step() == 2


def test_nonfinite_block_stops_at_the_bad_batch(capsys):
    scope = run_shrunk(_block("real[100] = np.nan"))
    message = capsys.readouterr().out
    assert "generator step 3" in message and "NaN" in message
    assert int(scope["gan"].g_optimizer.iterations) == 3
