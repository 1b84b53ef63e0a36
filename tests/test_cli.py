import importlib.util
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import keras
import numpy as np
import pytest
from helpers import TINY, dead_pid, lock_held_elsewhere, package_env, tiny_image_gan
from PIL import Image

import keras_wgan
from keras_wgan import cli, presets, runs
from keras_wgan import export as export_lib


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


def test_train_to_a_file_prints_one_line_per_epoch(tmp_path, capsys):
    """With its output sent to a file (not a terminal), `train` prints Keras's one line
    per epoch, not a progress bar redrawn with carriage returns."""
    out = str(tmp_path / "run")
    argv = ["train", "--dataset", "8gaussians", "--steps", "4", "--out", out] + TINY
    assert cli.main(argv) == 0  # TINY: 2 steps an epoch
    printed = capsys.readouterr().out
    assert "\r" not in printed and "\u2501" not in printed  # the bar's redraws and its bar
    assert len([line for line in printed.splitlines() if "critic_loss" in line]) == 2


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
    # The step before the refused rerun: 3, or 5 after the resuming test on this worker.
    path = os.path.join(run_dir, "checkpoint.keras")
    before = int(keras.saving.load_model(path).g_optimizer.iterations)
    argv = ["train", "--dataset", "25gaussians", "--steps", "9", "--out", run_dir] + TINY
    assert cli.main(argv) == 1
    assert "holds a run with" in capsys.readouterr().err
    gan = keras.saving.load_model(path)
    assert before in (3, 5) and int(gan.g_optimizer.iterations) == before  # untouched


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


def test_sample_enlarges_a_png_of_small_images_and_says_its_size(tmp_path, capsys):
    model = str(tmp_path / "gan.keras")
    tiny_image_gan().save(model)  # 4x4 images: enlarged 64 // 4 = 16 times by default
    out = str(tmp_path / "s.png")
    # A grid of 2 rows, 1-pixel gaps: 4 images are 9x9 pixels, 6 are 14x9, each pixel scaled.
    for num, scale, grid, size in (
        (4, [], "2x2", (144, 144)),
        (6, ["--scale", "1"], "3x2", (14, 9)),
    ):
        assert cli.main(["sample", "--model", model, "--num", str(num), "--out", out, *scale]) == 0
        assert Image.open(out).size == size
        said = capsys.readouterr().out.strip().splitlines()[-1]
        assert said == f"Wrote {num} samples to {out} (a {grid} grid, {size[0]}x{size[1]} pixels)"
    npy = str(tmp_path / "s.npy")
    assert cli.main(["sample", "--model", model, "--out", npy, "--scale", "2"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scale is only for images written as .png" in err, err
    assert not os.path.exists(npy)


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
    own = cli.train.settings(parse(["train", "--dataset", "digits", "--steps", "1", "--out", "x"]))
    assert (own["arch"], own["width"], own["image_shape"]) == ("mlp", 256, (8, 8, 1))
    assert own["optimizers"][0]["config"]["learning_rate"] == 3e-3 and own["lr_decay"] == "linear"
    other = cli.train.settings(
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

    outputs, labels = cli.evaluate.generate(base, 9, seed=5, num_classes=3)
    whole = export_generator(gan, str(tmp_path / "big"), max_samples=16)
    expected = tf.saved_model.load(whole).signatures[SEED_SIGNATURE](
        seed=tf.constant(5, tf.int64),
        num_samples=tf.constant(9),
        labels=tf.constant(labels, tf.int32),
    )
    np.testing.assert_allclose(outputs["samples"], expected["samples"].numpy(), atol=1e-6)


# The data-loss cases of concurrent and repeated runs: folder locks, finished runs, atomic
# writes (keras_wgan.utils.locks, keras_wgan.utils.files).
# A constant step size, so that more --steps would be a valid resume of the run.
SMALL = ["--dataset", "8gaussians", "--width", "8", "--steps-per-epoch", "1", "--lr-decay", "none"]
SMALL += ["--steps", "2"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("finished") / "run")
    previous = os.umask(0o022)
    try:
        assert cli.main(["train", "--out", out] + SMALL) == 0
    finally:
        os.umask(previous)
    return out


def _export_versions(run):
    return sorted(n for n in os.listdir(os.path.join(run, "export")) if not n.startswith("."))


def test_a_second_train_on_a_folder_in_use_fails_at_once_and_changes_nothing(finished_run, capsys):
    checkpoint = os.path.join(finished_run, "checkpoint.keras")
    before = open(checkpoint, "rb").read()
    capsys.readouterr()
    with lock_held_elsewhere(finished_run) as pid:
        assert cli.main(["train", "--out", finished_run] + SMALL[:-2] + ["--steps", "4"]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("keras-wgan: error:") and "\n" not in err
    assert str(pid) in err and finished_run in err
    assert "Resuming" not in captured.out
    assert open(checkpoint, "rb").read() == before
    assert _export_versions(finished_run) == ["1"]


def test_a_finished_runs_rerun_trains_and_exports_nothing_new(finished_run, capsys):
    checkpoint = os.path.join(finished_run, "checkpoint.keras")
    before = open(checkpoint, "rb").read()
    capsys.readouterr()
    assert cli.main(["train", "--out", finished_run] + SMALL) == 0
    out = capsys.readouterr().out
    assert "is finished" in out and "nothing new was exported" in out
    assert _export_versions(finished_run) == ["1"]
    assert open(checkpoint, "rb").read() == before
    assert cli.main(["train", "--out", finished_run, "--force-export"] + SMALL) == 0
    assert _export_versions(finished_run) == ["1", "2"]


def test_stale_temporaries_are_removed_by_the_next_run(finished_run):
    dead = dead_pid()
    export = os.path.join(finished_run, "export")
    stale = [
        os.path.join(finished_run, f".tmp-pid{dead}-checkpoint.keras.abc.keras"),
        os.path.join(finished_run, ".tmp-k3j2h1g0.keras"),  # named as the old code named them
        os.path.join(export, f".tmp-pid{dead}-7.abc"),
        os.path.join(export, ".tmp-7-x1y2z3w4"),
    ]
    for path in stale:
        if "keras" in os.path.basename(path):
            with open(path, "wb") as f:
                f.write(b"half a checkpoint")
        else:
            os.makedirs(os.path.join(path, "variables"))
        os.utime(path, (time.time() - 60,) * 2)
    assert cli.main(["train", "--out", finished_run] + SMALL) == 0
    assert [path for path in stale if os.path.exists(path)] == []
    assert not [n for n in os.listdir(finished_run) if n.startswith(".")]


def test_a_failed_sample_write_keeps_the_previous_file(finished_run, tmp_path, monkeypatch):
    out = str(tmp_path / "s.npy")
    assert cli.main(["sample", "--model", finished_run, "--num", "9", "--out", out]) == 0
    before = open(out, "rb").read()

    def disk_full(path, array, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(before[:20])  # a part of the file, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", disk_full)
    argv = ["sample", "--model", finished_run, "--num", "9", "--seed", "3", "--out", out]
    assert cli.main(argv) == 1  # one line naming the file (tests/test_bad_input.py)
    assert open(out, "rb").read() == before
    assert os.listdir(tmp_path) == ["s.npy"]


def test_written_files_get_the_umasks_mode(finished_run, tmp_path):
    previous = os.umask(0o022)
    try:
        out = str(tmp_path / "s.npy")
        assert cli.main(["sample", "--model", finished_run, "--num", "9", "--out", out]) == 0
        scores = str(tmp_path / "scores.json")
        argv = ["evaluate", "--model", finished_run, "--dataset", "8gaussians"]
        assert cli.main(argv + ["--num-samples", "100", "--out", scores]) == 0
    finally:
        os.umask(previous)
    version = os.path.join(finished_run, "export", "1")
    for path in ("checkpoint.keras", "run.json", "samples.png", "export", version):
        mode = 0o755 if os.path.isdir(os.path.join(finished_run, path)) else 0o644
        assert stat.S_IMODE(os.stat(os.path.join(finished_run, path)).st_mode) == mode, path
    for root, folders, names in os.walk(version):
        for name in names:
            assert stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode) == 0o644, name
        for name in folders:
            assert stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode) == 0o755, name
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(scores).st_mode) == 0o644


def test_an_export_into_a_base_in_use_waits_then_fails_naming_the_holder(
    finished_run, tmp_path, monkeypatch, capsys
):
    base = str(tmp_path / "serving")
    monkeypatch.setattr(export_lib.serving, "LOCK_TIMEOUT", 0.5)
    with lock_held_elsewhere(base) as pid:
        assert cli.main(["export", "--checkpoint", finished_run, "--out", base]) == 1
    err = capsys.readouterr().err.strip()
    assert str(pid) in err and base in err and "\n" not in err
    assert export_lib.versions(base) == []


def test_two_exports_into_one_base_at_once_write_two_versions(finished_run, tmp_path):
    # Two threads, as two processes would: the second waits for the base's lock, then
    # writes the next version (without the lock both chose version 1, and one failed
    # with "Directory not empty").
    gan = runs.load_checkpoint(finished_run)
    base = str(tmp_path / "serving")
    results = []

    def export():
        try:
            results.append(export_lib.export_generator(gan, base))
        except Exception as e:
            results.append(e)

    threads = [threading.Thread(target=export) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(results) == [os.path.join(base, "1"), os.path.join(base, "2")]
    assert sorted(os.listdir(base)) == ["1", "2"]  # no lock file, no temporary left


def test_the_settings_check_stands_without_run_json(tmp_path, capsys):
    # On the old code, deleting run.json disabled the check: a rerun with other settings
    # resumed the width-8 checkpoint and wrote a run.json claiming the new ones.
    out = str(tmp_path / "run")
    flags = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", out] + TINY
    assert cli.main(flags) == 0
    assert runs.checkpoint_metadata(os.path.join(out, "checkpoint.keras"))["run"]["seed"] == 1
    os.remove(os.path.join(out, "run.json"))
    before = os.stat(os.path.join(out, "checkpoint.keras")).st_mtime_ns
    capsys.readouterr()
    other = ["train", "--dataset", "8gaussians", "--steps", "4", "--out", out, "--lr", "0.5"]
    assert cli.main(other + TINY) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "other settings" in error and "learning_rate" in error
    assert os.stat(os.path.join(out, "checkpoint.keras")).st_mtime_ns == before
    assert not os.path.exists(os.path.join(out, "run.json"))  # nothing claims the new ones
    # The same flags resume, and run.json is written again from the checked settings.
    assert cli.main(["train", "--dataset", "8gaussians", "--steps", "4", "--out", out] + TINY) == 0
    with open(os.path.join(out, "run.json")) as f:
        assert (
            json.load(f) == runs.checkpoint_metadata(os.path.join(out, "checkpoint.keras"))["run"]
        )


def test_a_garbled_checkpoint_gets_one_line_naming_it(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint.keras").write_bytes(b"not a zip archive")
    flags = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", str(out)] + TINY
    assert cli.main(flags) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "checkpoint.keras" in error and "not a readable" in error


def test_a_checkpoint_garbled_inside_gets_one_line_naming_it(tmp_path, capsys):
    out = str(tmp_path / "run")
    flags = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", out] + TINY
    assert cli.main(flags) == 0
    path = os.path.join(out, "checkpoint.keras")
    data = bytearray(open(path, "rb").read())
    middle = len(data) // 2
    # The zip's index is intact, a member is not (its CRC fails when it is read).
    data[middle : middle + 4096] = np.random.default_rng(2).bytes(4096)
    open(path, "wb").write(bytes(data))
    capsys.readouterr()
    assert cli.main(flags[:4] + ["4"] + flags[5:]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "checkpoint.keras" in error and "not a readable" in error


def test_a_run_refused_for_its_data_does_not_bind_the_next_one(tmp_path, capsys):
    images, out = tmp_path / "images", str(tmp_path / "run")
    images.mkdir()
    argv = ["train", "--dataset", f"folder:{images}", "--steps", "1", "--out", out, *TINY]
    assert cli.main([*argv, "--batch-size", "2", "--image-size", "16"]) == 1
    assert "holds no image files" in capsys.readouterr().err
    assert not os.path.exists(os.path.join(out, "run.json"))
    pixels = np.random.default_rng(0).integers(0, 256, (12, 12, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(images / "good.png")
    assert cli.main([*argv, "--batch-size", "2", "--image-size", "8"]) == 0


@pytest.mark.parametrize(
    "signum, code, said",
    [
        (signal.SIGTERM, 143, "terminated (SIGTERM)"),
        pytest.param(signal.SIGINT, 130, "interrupted", marks=pytest.mark.slow),
    ],
    ids=["sigterm", "sigint"],
)
def test_a_signal_stops_train_with_one_line_and_the_rerun_resumes(tmp_path, signum, code, said):
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "keras_wgan", "train", "--dataset", "8gaussians"]
    argv += ["--steps", "100000", "--out", str(out), *TINY]
    process = subprocess.Popen(argv, env=package_env(), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.keras").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == code, err[-2000:]
    lines = [line for line in err.splitlines() if line.startswith("keras-wgan: ")]
    assert lines == [lines[-1]] and said in lines[-1] and "rerun the same command" in lines[-1]
    assert "Traceback" not in err
    assert not [name for name in os.listdir(out) if name.startswith((".tmp-", ".lock"))]
    gan = runs.load_checkpoint(str(out))
    assert gan.generator_step() >= 2


def test_warnings_are_one_line_each_naming_the_files(tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    pixels = np.random.default_rng(0).integers(0, 256, (12, 12, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(folder / "good.png")
    Image.fromarray(pixels).convert("1").save(folder / "one-bit.bmp")
    argv = ["train", "--dataset", f"folder:{folder}", "--image-size", "8", "--steps", "1"]
    assert cli.main([*argv, "--out", str(tmp_path / "run"), *TINY, "--batch-size", "2"]) == 0
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if "one-bit.bmp" in line]
    assert line.startswith("keras-wgan: warning: Skipping 1 undecodable image file(s) of 2")
    assert "list_images(" not in err  # no source line of the package under it


def test_ema_and_ttur_learning_rates_land_in_run_json_the_checkpoint_and_the_export(
    tmp_path, capsys
):
    out = str(tmp_path / "run")
    flags = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", out] + TINY
    ttur = ["--lr-critic", "3e-4", "--lr-generator", "1e-4"]
    assert cli.main(flags + ttur + ["--ema", "0.9", "--ema-start", "1"]) == 0
    with open(os.path.join(out, "run.json")) as f:
        settings = json.load(f)["settings"]
    assert settings["model"]["ema"] == 0.9 and settings["model"]["ema_start"] == 1
    rates = {k: v["config"]["learning_rate"] for k, v in settings["optimizers"].items()}
    assert rates == {"critic": 3e-4, "generator": 1e-4}
    gan = keras.saving.load_model(os.path.join(out, "checkpoint.keras"))
    assert (gan.ema.decay, gan.ema.start) == (0.9, 1) and gan.ema_generator is not None
    assert gan.metadata["run"]["settings"] == settings
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(3e-4)
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(1e-4)
    assert export_lib.metadata(os.path.join(out, "export"))["ema"] is True  # the shadow
    capsys.readouterr()
    # A rerun with another decay, or none, is another run.
    for other in (["--ema", "0.99"], []):
        assert cli.main(flags + ttur + other + ["--steps", "3"]) == 1
        error = capsys.readouterr().err
        assert "other settings" in error and "model.ema=0.9 there" in error


def test_lr_critic_and_lr_generator_override_each_optimiser_also_under_linear_decay(capsys):
    def optimizers(*flags):
        argv = ["train", "--dataset", "8gaussians", "--steps", "10", "--out", "x", *flags]
        settings = cli.train.settings(cli.build_parser().parse_args(argv))
        return settings, presets.build_optimizers(settings)

    settings, (d_opt, g_opt) = optimizers(
        "--lr", "1e-3", "--lr-critic", "4e-4", "--lr-decay", "linear"
    )
    assert [o["config"]["learning_rate"] for o in settings["optimizers"]] == [4e-4, 1e-3]
    # The linear decay starts from each optimiser's own rate and reaches 0 at --steps.
    assert float(d_opt.learning_rate) == pytest.approx(4e-4)
    assert float(g_opt.learning_rate) == pytest.approx(1e-3)
    g_opt.iterations.assign(5)
    assert float(g_opt.learning_rate) == pytest.approx(5e-4)
    # A loss whose preset names one config for both optimisers: each is set on its own.
    settings, (d_opt, g_opt) = optimizers("--loss", "dcgan", "--lr-generator", "5e-5")
    assert [o["config"]["learning_rate"] for o in settings["optimizers"]] == [2e-4, 5e-5]
    for flag in ("--lr-critic", "--lr-generator"):
        with pytest.raises(ValueError, match=f"`{flag[2:].replace('-', '_')}`.*> 0"):
            optimizers(flag, "0")
    with pytest.raises(ValueError, match="--ema-start.*add --ema"):
        optimizers("--ema-start", "5")


# Issue 34: nothing lost, every refusal one line. The finished run's generator in each format,
# written by `keras-wgan export` with the format taken from --out's suffix.
@pytest.fixture(scope="module")
def exports(finished_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    paths = {"tf_saved_model": str(folder / "base"), "litert": str(folder / "g.tflite")}
    if importlib.util.find_spec("tf2onnx") and importlib.util.find_spec("onnxruntime"):
        paths["onnx"] = str(folder / "g.onnx")  # the deploy extra's
    for path in paths.values():
        assert cli.main(["export", "--checkpoint", finished_run, "--out", path]) == 0
    return paths


def _refusal(argv, capsys):
    """(exit status, stderr) of `keras-wgan argv`, a bad flag's exit included."""
    capsys.readouterr()
    try:
        code = cli.main(argv)
    except SystemExit as exit:
        code = exit.code
    return code, capsys.readouterr().err


def test_the_suffix_names_the_format_and_sample_and_evaluate_read_every_format(exports, tmp_path):
    from keras_wgan.deploy import is_litert, onnx_file_record

    assert export_lib.versions(exports["tf_saved_model"]) == [1]
    assert is_litert(exports["litert"])
    if "onnx" in exports:
        assert onnx_file_record(exports["onnx"])["format"] == "onnx"
    sampled, scored = {}, {}
    for format, path in exports.items():
        out = str(tmp_path / f"{format}.npy")
        argv = ["sample", "--model", path, "--num", "5", "--seed", "3", "--out", out]
        assert cli.main(argv) == 0
        sampled[format] = np.load(out)
        # evaluate's samples: generate_from_seed's z, whatever the format.
        scored[format] = cli.evaluate.generate(path, 6, seed=4)[0]["samples"]
    for format in exports:
        assert sampled[format].shape == (5, 2) and scored[format].shape == (6, 2)
        np.testing.assert_allclose(sampled[format], sampled["tf_saved_model"], atol=1e-5)
        np.testing.assert_allclose(scored[format], scored["tf_saved_model"], atol=1e-5)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--out", "{tmp}/g.keras"], "'{tmp}/g.keras' names a checkpoint (.keras)"),
        (["--out", "{run}/g.onnx"], "lies in the run folder"),
        (["--out", "{run}"], "'{run}' is a run folder, which holds a checkpoint"),
        (["--out", "{run}/logs"], "lies in the run folder"),
        (["--out", "{tmp}/notes.onnx"], "the file exists and is not an ONNX file of keras_wgan"),
        (["--out", "{tmp}/notes.tflite"], "the file exists and is not a LiteRT file"),
        (["--format", "onnx", "--out", "{tmp}/g.tflite"], "names a LiteRT file (.tflite), and"),
        (["--format", "litert", "--out", "{tmp}/base"], "names a SavedModel's base folder"),
        (["--version", "2", "--out", "{tmp}/g.tflite"], "`version` is for format='tf_saved_model'"),
        (
            ["--format", "saved_model", "--out", "{tmp}/b"],
            "'saved_model' is now called 'tf_saved_model'",
        ),
    ],
)
def test_export_refuses_before_any_work_what_it_would_write_over(
    argv, message, finished_run, tmp_path, monkeypatch, capsys
):
    if "notes.onnx" in argv[-1]:
        pytest.importorskip("onnx")
    (tmp_path / "notes.onnx").write_bytes(b"my notes")
    (tmp_path / "notes.tflite").write_bytes(b"my notes")

    def listing():
        return sorted(
            (root, sorted(files))
            for folder in (tmp_path, finished_run)
            for root, _, files in os.walk(folder)
        )

    before = listing()
    # Refused before the checkpoint is read.
    monkeypatch.setattr(cli.export, "load_checkpoint", lambda path: pytest.fail("read"))
    argv = [a.format(tmp=tmp_path, run=finished_run) for a in argv]
    code, err = _refusal(["export", "--checkpoint", finished_run, *argv], capsys)
    assert code == (2 if "saved_model" in argv else 1)
    assert err.count("\n") == 1 and message.format(tmp=tmp_path, run=finished_run) in err, err
    assert listing() == before
    assert (tmp_path / "notes.onnx").read_bytes() == (tmp_path / "notes.tflite").read_bytes()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("g.onnx", b"\x08\x07", "'{path}' is an ONNX export, not a checkpoint"),
        ("g.tflite", b"\0\0\0\0TFL3", "'{path}' is a LiteRT export, not a checkpoint"),
        ("g.keras", b"", "'{path}' is not a readable .keras file (empty: 0 bytes)"),
        ("export", None, "'{path}' is a SavedModel export, not a checkpoint"),
    ],
)
def test_export_names_what_its_checkpoint_is_in_one_line(
    name, content, message, finished_run, tmp_path, capsys
):
    path = str(tmp_path / name)
    if content is None:  # the run's own export folder
        path = os.path.join(finished_run, name)
    else:
        (tmp_path / name).write_bytes(content)
    code, err = _refusal(["export", "--checkpoint", path, "--out", str(tmp_path / "b")], capsys)
    assert code == 1 and err.count("\n") == 1 and message.format(path=path) in err, err
    assert not os.path.exists(tmp_path / "b")


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (
            ["sample", "--model", "{run}", "--seed", "-1", "--out", "{tmp}/s.npy"],
            2,
            "argument --seed: expected an integer in [0, 2**63 - 1], got '-1'",
        ),
        (
            ["evaluate", "--model", "{run}", "--dataset", "8gaussians"]
            + ["--seed", "100000000000000000000"],
            2,
            "argument --seed: expected an integer in [0, 2**63 - 1]",
        ),
        (
            [
                "train",
                "--dataset",
                "8gaussians",
                "--steps",
                "1",
                "--out",
                "{tmp}/r",
                "--seed",
                "-1",
            ],
            2,
            "argument --seed: expected an integer in [0, 2**32 - 1], got '-1'",
        ),
        (
            ["sample", "--model", "{run}", "--out", "{tmp}/folder.npy"],
            1,
            "--out: '{tmp}/folder.npy' is a folder; expected a file.",
        ),
        (
            ["evaluate", "--model", "{run}", "--dataset", "8gaussians", "--out", "{tmp}/s.png"],
            1,
            "--out: '{tmp}/s.png'. Expected a .json file.",
        ),
        (
            ["sample", "--model", "{run}", "--out", "{tmp}/s.txt"],
            1,
            "--out: '{tmp}/s.txt'. Expected a .npy or .png file.",
        ),
        (
            ["sample", "--model", "{run}", "--out", "{tmp}/s.png", "--scale", "2"],
            1,
            "--scale is only for images written as .png: this model generates points.",
        ),
        (
            ["sample", "--model", "{tmp}/empty.onnx", "--out", "{tmp}/s.npy"],
            1,
            "is empty (0 bytes)",
        ),
        (["sample", "--model", "{tmp}/empty.keras", "--out", "{tmp}/s.npy"], 1, "(empty: 0 bytes)"),
        (
            ["sample", "--model", "{run}/run.json", "--out", "{tmp}/s.npy"],
            1,
            "'{run}/run.json' is not a model: sample and evaluate read an export",
        ),
    ],
)
def test_sample_and_evaluate_refuse_in_one_line_before_sampling(
    argv, code, message, finished_run, tmp_path, monkeypatch, capsys
):
    (tmp_path / "folder.npy").mkdir()
    (tmp_path / "empty.onnx").write_bytes(b"")
    (tmp_path / "empty.keras").write_bytes(b"")
    monkeypatch.setattr(keras_wgan.WGAN, "generate", lambda *a, **k: pytest.fail("sampled"))
    argv = [a.format(tmp=tmp_path, run=finished_run) for a in argv]
    found, err = _refusal(argv, capsys)
    assert found == code and err.count("\n") == 1, err
    assert message.format(tmp=tmp_path, run=finished_run) in err, err
    assert sorted(os.listdir(tmp_path)) == ["empty.keras", "empty.onnx", "folder.npy"]


def test_a_failed_rename_names_the_file_not_its_temporary(tmp_path):
    from keras_wgan.utils.files import write_atomically

    (tmp_path / "s.npy").mkdir()
    with pytest.raises(OSError) as error:
        write_atomically(str(tmp_path / "s.npy"), lambda tmp: np.save(tmp, np.zeros(2)))
    line = cli.errors.error_line(error.value)
    assert line == f"Is a directory: {str(tmp_path / 's.npy')!r}"
    assert os.listdir(tmp_path) == ["s.npy"]


@pytest.mark.parametrize(
    "made_with, spelled_out, other",
    [
        (
            ["--ema", "0.9"],
            ["--ema", "0.9", "--ema-start", "0"],
            ["--ema", "0.9", "--ema-start", "5"],
        ),
        (
            ["--loss", "r1"],
            ["--loss", "r1", "--r1-every", "1"],
            ["--loss", "r1", "--r1-every", "2"],
        ),
        ([], ["--gp-weight", "0.1", "--n-critic", "5"], ["--gp-weight", "10"]),  # toy recipe
    ],
    ids=["ema-start", "r1-every", "gp-weight"],
)
def test_a_rerun_that_spells_out_a_default_is_the_same_run(made_with, spelled_out, other):
    """Two sets of flags that make the same components are the same run (resumed, not
    refused); a value other than the default is another run."""

    def record(flags):
        argv = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", "x", *flags]
        args = cli.build_parser().parse_args(argv + TINY)
        return cli.train._components(cli.train.run_record(args, cli.train.settings(args)))

    assert record(made_with) == record(spelled_out) != record(other)


def test_an_infinite_learning_rate_is_refused_by_name(tmp_path, capsys):
    out = str(tmp_path / "run")
    argv = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", out, *TINY]
    assert cli.main([*argv, "--lr-critic", "inf"]) == 1
    assert "lr_critic=inf" in capsys.readouterr().err and not os.path.exists(out)


def test_a_signal_while_the_command_exits_still_prints_its_line():
    """After the work, while the process shuts down (TensorFlow's teardown can take
    seconds), SIGTERM still gets its line, and ends the process at once."""
    script = (
        "import os, signal, time\n"
        "from keras_wgan.cli import errors\n"
        "errors.report_signals_while_exiting()\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(30)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=package_env()
    )
    assert run.returncode == 143
    assert run.stderr.strip().splitlines()[-1] == (
        "keras-wgan: error: terminated (SIGTERM) while exiting; the command had finished."
    )
