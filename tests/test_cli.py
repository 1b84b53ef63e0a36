import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_wgan import cli

# A constant step size: a rerun with more --steps continues the run (a decay would refuse).
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


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("run"))
    assert cli.main(["train", "--dataset", "8gaussians", "--steps", "3", "--out", out] + TINY) == 0
    return out


def test_train_writes_checkpoint_logs_figure_and_export(run_dir):
    assert os.path.isfile(os.path.join(run_dir, "checkpoint.keras"))
    assert os.listdir(os.path.join(run_dir, "logs"))
    assert os.path.isfile(os.path.join(run_dir, "samples.png"))
    assert os.path.isfile(os.path.join(run_dir, "export", "1", "saved_model.pb"))
    gan = keras.saving.load_model(os.path.join(run_dir, "checkpoint.keras"))
    assert int(gan.g_optimizer.iterations) == 3


def test_export_loads_with_tensorflow_alone_and_matches_the_model(run_dir, tmp_path):
    gan = keras.saving.load_model(os.path.join(run_dir, "checkpoint.keras"))
    z = np.random.default_rng(0).standard_normal((7, 2)).astype("float32")
    np.save(tmp_path / "z.npy", z)
    script = (
        "import sys, numpy as np, tensorflow as tf\n"
        f"m = tf.saved_model.load({os.path.join(run_dir, 'export', '1')!r})\n"
        "f = m.signatures['serving_default']\n"
        "assert list(f.structured_input_signature[1]) == ['z']\n"
        f"z = np.load({str(tmp_path / 'z.npy')!r})\n"
        "for n in (1, 7):\n"
        "    out = f(z=tf.constant(z[:n]))\n"
        "    assert list(out) == ['samples'] and out['samples'].shape == (n, 2)\n"
        f"np.save({str(tmp_path / 'out.npy')!r}, out['samples'].numpy())\n"
        "assert 'keras_wgan' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=str(tmp_path))
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), gan.generate(z), rtol=1e-5, atol=1e-6)


def test_rerun_resumes_and_exports_the_next_version(run_dir, capsys):
    assert (
        cli.main(["train", "--dataset", "8gaussians", "--steps", "5", "--out", run_dir] + TINY) == 0
    )
    assert "Resuming" in capsys.readouterr().out
    gan = keras.saving.load_model(os.path.join(run_dir, "checkpoint.keras"))
    assert int(gan.g_optimizer.iterations) == 5
    assert int(gan.d_optimizer.iterations) == 5 * gan.n_critic
    assert os.path.isdir(os.path.join(run_dir, "export", "2"))


def test_rerun_as_another_run_is_refused(run_dir, capsys):
    argv = ["train", "--dataset", "25gaussians", "--steps", "9", "--out", run_dir] + TINY
    assert cli.main(argv) == 1
    assert "holds a run with" in capsys.readouterr().err
    gan = keras.saving.load_model(os.path.join(run_dir, "checkpoint.keras"))
    assert int(gan.g_optimizer.iterations) == 5  # untouched


@pytest.mark.parametrize("source", ["export", "checkpoint.keras"])
def test_sample_writes_points(run_dir, tmp_path, source):
    out = str(tmp_path / "s.npy")
    assert (
        cli.main(["sample", "--model", os.path.join(run_dir, source), "--num", "9", "--out", out])
        == 0
    )
    assert np.load(out).shape == (9, 2)
    png = str(tmp_path / "s.png")
    assert cli.main(["sample", "--model", os.path.join(run_dir, source), "--out", png]) == 0
    assert os.path.getsize(png) > 0


def test_export_command_never_overwrites(run_dir, tmp_path):
    base = str(tmp_path / "serving")
    assert cli.main(["export", "--checkpoint", run_dir, "--out", base, "--version", "3"]) == 0
    assert os.listdir(base) == ["3"]
    assert cli.main(["export", "--checkpoint", run_dir, "--out", base, "--version", "3"]) == 1
    assert cli.main(["export", "--checkpoint", run_dir, "--out", base]) == 0
    assert sorted(os.listdir(base)) == ["3", "4"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--dataset", "fashion-mnist", "--steps", "1", "--out", "x"], "25gaussians"),
        (
            ["train", "--dataset", "8gaussians", "--loss", "wgan", "--steps", "1", "--out", "x"],
            "wgan-gp",
        ),
        (["sample", "--model", "nowhere", "--out", "x.npy"], "No SavedModel"),
    ],
)
def test_bad_input_gives_one_line_error(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("keras-wgan: error:") and message in err and "\n" not in err
    assert not os.path.exists(tmp_path / "x")


def test_module_entry_point_help():
    result = subprocess.run(
        [sys.executable, "-m", "keras_wgan", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "train" in result.stdout


def test_digits_defaults_go_with_their_architecture():
    parse = cli.build_parser().parse_args
    own = cli._train_settings(parse(["train", "--dataset", "digits", "--steps", "1", "--out", "x"]))
    assert (own["arch"], own["width"], own["image_shape"]) == ("mlp", 256, (8, 8, 1))
    assert own["optimizers"][0]["config"]["learning_rate"] == 3e-3 and own["lr_decay"] == "linear"
    other = cli._train_settings(
        parse(["train", "--dataset", "digits", "--arch", "dcgan", "--steps", "1", "--out", "x"])
    )
    assert other["width"] is None  # the architecture's own default
    assert other["optimizers"][0]["config"]["learning_rate"] == 1e-4  # the wgan-gp preset


def _command():
    """The installed `keras-wgan` script beside this interpreter."""
    import sysconfig

    path = os.path.join(sysconfig.get_path("scripts"), "keras-wgan")
    assert os.path.isfile(path), (
        f"no {path}: install the package (pip install -e .) to test the command itself"
    )
    return path


def test_the_command_prints_one_line_for_bad_input_and_no_tensorflow_logs(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KERAS_WGAN_VERBOSE", "TF_CPP_MIN_LOG_LEVEL")
    }
    for argv in (
        ["train", "--dataset", "nope", "--steps", "1", "--out", str(tmp_path / "x")],
        ["train", "--dataset", "digits", "--out", str(tmp_path / "x")],
    ):  # no --steps
        run = subprocess.run(
            [_command()] + argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
        )
        lines = (run.stdout + run.stderr).strip().splitlines()
        assert run.returncode != 0 and len(lines) == 1, lines
        assert "error:" in lines[0]
    assert not os.path.exists(tmp_path / "x")
    # --verbose brings TensorFlow's own start-up lines back.
    run = subprocess.run(
        [_command(), "sample", "--verbose", "--model", str(tmp_path / "nowhere"), "--out", "x.npy"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert len(run.stderr.strip().splitlines()) > 1


def test_an_export_is_sampled_within_its_max_samples_and_refuses_bad_labels(tmp_path, capsys):
    from helpers import tiny_image_gan

    from keras_wgan.export import export_generator

    gan = tiny_image_gan(3)
    base = str(tmp_path / "serving")
    path = export_generator(gan, base, max_samples=4)
    out = str(tmp_path / "s.npy")
    assert (
        cli.main(["sample", "--model", base, "--num", "10", "--labels", "0", "2", "--out", out])
        == 0
    )
    assert np.load(out).shape == (10, 4, 4, 1)  # three requests of at most 4
    assert cli.main(["sample", "--model", path, "--num", "2", "--labels", "3", "--out", out]) == 1
    assert "[0, 3)" in capsys.readouterr().err
    # evaluate's samples are generate_from_seed's, whatever the request size.
    import tensorflow as tf

    from keras_wgan.export import SEED_SIGNATURE

    outputs, labels = cli._generate(base, 9, seed=5, num_classes=3)
    whole = export_generator(gan, str(tmp_path / "big"), max_samples=16)
    expected = tf.saved_model.load(whole).signatures[SEED_SIGNATURE](
        seed=tf.constant(5, tf.int64),
        num_samples=tf.constant(9),
        labels=tf.constant(labels, tf.int32),
    )
    np.testing.assert_allclose(outputs["samples"], expected["samples"].numpy(), atol=1e-6)
