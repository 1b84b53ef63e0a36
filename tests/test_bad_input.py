"""Bad input: a clear error, and nothing lost."""

import errno
import json
import os
import shutil
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import TINY, tiny_image_gan

import keras_wgan
from keras_wgan import cli, datasets, models, presets, runs
from keras_wgan.datasets.common import critic_batches
from keras_wgan.runs import limits
from keras_wgan.utils import memory


def _one_line_error(argv, capsys):
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("keras-wgan: error:") and "\n" not in err and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    "flags, names",
    [
        (["--dataset", "fashion-mnist"], ["25gaussians", "digits", "cifar10"]),
        (["--dataset", "digits", "--arch", "vgg"], ["dcgan", "cifar10-resnet", "resnet-101"]),
        (["--dataset", "8gaussians", "--loss", "wgan-lp"], ["wgan-gp", "wgan-clip", "hinge"]),
    ],
)
def test_unknown_names_say_which_exist(flags, names, capsys, tmp_path):
    err = _one_line_error(["train", "--steps", "1", "--out", str(tmp_path / "run")] + flags, capsys)
    assert all(name in err for name in names)


@pytest.mark.parametrize(
    "shape",
    [(8, 8, 1), (4, 4, 3), (16,), (4, 4, 1, 1)],  # size, channels, rank, rank
)
def test_images_that_do_not_fit_the_model_are_refused_by_name(shape):
    gan = tiny_image_gan()  # makes 4x4x1 images
    data = np.zeros((8,) + shape, "float32")
    with pytest.raises(ValueError, match=r"generator makes \(4, 4, 1\)"):
        gan.fit(data, batch_size=8, epochs=1, verbose=0)


def test_nan_or_inf_in_the_data_is_refused_before_training():
    points = np.zeros((10, 2), "float32")
    points[7, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or Inf values in 1 example.*index 7"):
        critic_batches(points, batch_size=2, n_critic=1)


def test_cli_rejects_bad_numbers_before_writing_anything(capsys, tmp_path):
    out = tmp_path / "run"
    base = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", str(out)]
    assert "gp_weight=-1.0" in _one_line_error(base + ["--gp-weight", "-1"], capsys)
    with pytest.raises(SystemExit):  # argparse: n_critic must be >= 1
        cli.main(base + ["--n-critic", "0"])
    assert "expected an integer >= 1" in capsys.readouterr().err
    digits = ["train", "--dataset", "digits", "--conditional", "--steps", "2", "--out", str(out)]
    # --ac-weight-generator is ACGAN's `generator_weight`: the error names both.
    line = _one_line_error(digits + ["--ac-weight-generator", "-1"], capsys)
    assert "generator_weight=-1.0" in line and "(--ac-weight-generator)" in line
    assert not out.exists()  # no run folder, no half-written run.json


@pytest.mark.parametrize(
    "flags, option, loss",
    [
        (["--loss", "wgan-clip", "--gp-weight", "10"], "gp_weight", "wgan-clip"),
        (["--clip-value", "0.02"], "clip_value", "wgan-gp"),
        (["--loss", "hinge", "--gp-weight", "5"], "gp_weight", "hinge"),
        (["--loss", "lsgan", "--label-smoothing", "0.9"], "label_smoothing", "lsgan"),
    ],
)
def test_a_flag_the_chosen_loss_does_not_take_is_refused(flags, option, loss, capsys, tmp_path):
    # 0.2: every option reaches a component that takes it; one the loss would ignore is
    # refused (exit 1, one line, as other bad input) before anything is written, never
    # recorded in run.json.
    out = tmp_path / "run"
    argv = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", str(out)] + flags
    try:
        code = cli.main(argv)
    except SystemExit as stop:  # argparse's way of exiting with 2
        code = stop.code
    err = capsys.readouterr().err.strip()
    assert err.startswith(("keras-wgan: error:", "keras-wgan train: error:")), err
    assert "\n" not in err and "Traceback" not in err
    flag = "--" + option.replace("_", "-")
    assert f"The option {flag}" in err and repr(loss) in err, err
    assert code == 1, (code, err)
    assert not out.exists()  # no run folder, no run.json claiming the option


def _poisoned(at_step, per_step=16):
    """Finite toy points, then NaN from generator step `at_step` on."""

    def step(s):
        points = tf.random.stateless_normal([per_step, 2], seed=tf.stack([s, s]))
        return tf.where(s >= at_step, tf.fill([per_step, 2], np.nan), points)

    return tf.data.Dataset.range(10_000).map(step)


class _NaNScoreBias(keras.callbacks.Callback):
    """Sets the critic's score bias to NaN when epoch `epoch` begins.

    The score layer has no activation after it, so every critic score, and with them the
    critic loss, is NaN from that step on. NaN data would not do: in a compiled step
    TensorFlow fuses matmul, bias and ReLU, and the fused ReLU maps NaN to 0, so a NaN
    batch first shows in the loss one step later, through the weights it corrupted.
    """

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            bias = self.model.critic.layers[-1].bias
            bias.assign(np.full(bias.shape, np.nan, "float32"))


def test_a_nan_loss_stops_the_run_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    keras.utils.set_random_seed(0)
    gan = keras_wgan.WGAN(models.toy_generator(width=8), models.toy_critic(width=8), n_critic=1)
    gan.compile()
    out = str(tmp_path / "run")
    os.makedirs(os.path.join(out, "export", "1"))
    data = datasets.load("8gaussians", 16, 1, seed=0)[0]
    with pytest.raises(FloatingPointError, match="critic_loss=nan at generator step 7") as info:
        # Epoch 2 (0-based) of 3 steps begins with generator step 7.
        runs.train(
            out,
            lambda: gan,
            lambda gan, done: data,
            steps=20,
            steps_per_epoch=3,
            callbacks=[_NaNScoreBias(epoch=2)],
        )
    assert "last checkpoint is kept" in str(info.value)
    kept = runs.load_checkpoint(out)
    assert int(kept.g_optimizer.iterations) == 6  # the end of the last whole epoch
    assert all(np.isfinite(w).all() for w in kept.get_weights())
    assert os.listdir(os.path.join(out, "export")) == ["1"]  # no export of a failed run
    assert sorted(os.listdir(out)) == ["checkpoint.keras", "export", "logs"]


def test_a_diverging_cli_run_leaves_checkpoint_and_export_untouched(capsys, tmp_path, monkeypatch):
    out = str(tmp_path / "run")
    argv = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", out] + TINY
    assert cli.main(argv) == 0
    checkpoint = os.path.join(out, runs.CHECKPOINT)
    before = open(checkpoint, "rb").read()
    capsys.readouterr()
    # The resumed run meets NaN data at once, at generator step 3.
    monkeypatch.setattr(datasets, "load", lambda *a, **k: (_poisoned(at_step=0, per_step=80), None))
    err = _one_line_error(
        ["train", "--dataset", "8gaussians", "--steps", "40", "--out", out] + TINY, capsys
    )
    assert "real data held NaN or infinite values at generator step 3" in err
    assert open(checkpoint, "rb").read() == before
    assert os.listdir(os.path.join(out, "export")) == ["1"]
    assert [n for n in os.listdir(out) if n.startswith(".tmp")] == []


def test_resuming_with_other_hyperparameters_is_refused_by_name(capsys, tmp_path):
    out = str(tmp_path / "run")
    assert cli.main(["train", "--dataset", "8gaussians", "--steps", "1", "--out", out] + TINY) == 0
    before = open(os.path.join(out, runs.CHECKPOINT), "rb").read()
    capsys.readouterr()
    err = _one_line_error(
        ["train", "--dataset", "8gaussians", "--steps", "3", "--out", out, "--lr", "0.1"] + TINY,
        capsys,
    )
    assert "learning_rate=0.002 there, 0.1 asked" in err and "another --out" in err
    assert open(os.path.join(out, runs.CHECKPOINT), "rb").read() == before


def test_resuming_with_a_dataset_of_another_shape_is_refused(tmp_path):
    gan = tiny_image_gan()
    data, _ = datasets.load("digits", 4, 1, seed=0)  # 8x8 digits, the model makes 4x4
    with pytest.raises(
        ValueError,
        match=r"argument `x`: its examples have shape \(8, 8, 1\), but the generator makes",
    ):
        runs.train(str(tmp_path / "run"), lambda: gan, lambda gan, done: data, 2, steps_per_epoch=1)
    assert not (tmp_path / "run" / "export").exists()


# --- sizes, folders and the file system (on the old code: tracebacks, exhausted memory, or
# failures only after the whole training) ---------------------------------------------------

QUICK = ["--width", "8", "--steps-per-epoch", "1", "--seed", "1"]


@pytest.fixture
def small_machine(monkeypatch):
    """A machine of 16 GiB, whatever this one has: the refusals do not depend on it."""
    monkeypatch.setattr(memory, "physical_memory", lambda: 16 * 2**30)


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--batch-size", "10000000"], "`batch_size`"),
        (["--latent-dim", "100000000"], "`latent_dim`"),
        (["--n-critic", "1000000"], "`n_critic`"),
        (["--steps", str(2**63 - 1)], "`steps`"),
        (["--max-samples", str(2**40)], "`max_samples`"),
        (["--out", ""], "`out`"),
    ],
)
def test_sizes_past_the_machine_or_the_counters_are_refused_before_anything_is_built(
    flags, named, small_machine, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    # The recipe's width (256): the sizes the probe found exhausting memory.
    argv = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", str(tmp_path / "run")]
    err = _one_line_error(argv + flags, capsys)
    assert named in err, err
    assert os.listdir(tmp_path) == []  # nothing built, nothing written, not even --out ""


def test_a_refused_size_says_what_it_needs_and_what_the_machine_has(small_machine, capsys):
    argv = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", "unused"]
    err = _one_line_error(argv + ["--latent-dim", "100000000"], capsys)
    assert "would take about 381.5 GiB" in err and "this machine has 16.0 GiB" in err


def test_the_recipes_fit_a_small_machine():
    for dataset in ("8gaussians", "digits", "text"):
        name = presets.recipe_name(dataset)
        settings = runs.with_data(presets.resolve(name, steps=200_000), dataset)
        limits.check_run(settings, 200_000, memory=4 * 2**30)
    for shape in ((32, 32, 3), (64, 64, 3)):  # the paper's cifar10 and lsun-bedroom
        settings = dict(presets.resolve("cifar10", steps=100_000), image_shape=shape)
        limits.check_run(settings, 100_000, memory=4 * 2**30)
    limits.check_sampling(50_000, (32, 32, 3), 128, memory=4 * 2**30)


@pytest.mark.parametrize("where", ["out", "export-dir", "under"])
def test_a_file_where_a_folder_goes_is_refused_before_training(where, capsys, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    out, export_dir = tmp_path / "run", tmp_path / "serving"
    if where == "out":
        out = a_file
    elif where == "export-dir":
        export_dir = a_file
    else:
        export_dir = a_file / "serving"
    argv = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", str(out)]
    err = _one_line_error(argv + QUICK + ["--export-dir", str(export_dir)], capsys)
    assert str(a_file) in err and ("is a file" in err or "under the file" in err)
    assert sorted(os.listdir(tmp_path)) == ["a_file"]  # no run folder: nothing trained


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("tiny") / "run")
    assert cli.main(["train", "--dataset", "8gaussians", "--steps", "2", "--out", out] + QUICK) == 0
    return out


@pytest.mark.parametrize("source", ["checkpoint", "export"])
def test_sampling_more_than_the_machine_holds_is_refused_before_sampling(
    source, tiny_run, small_machine, capsys, tmp_path
):
    model = tiny_run if source == "checkpoint" else os.path.join(tiny_run, "export")
    num = str(10**9)
    evaluate = ["evaluate", "--model", model, "--dataset", "8gaussians", "--num-samples", num]
    assert "`num_samples`" in _one_line_error(evaluate, capsys)
    sample = ["sample", "--model", model, "--num", num, "--out", str(tmp_path / "s.npy")]
    assert "`num`" in _one_line_error(sample, capsys)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_disk_gets_one_line_naming_the_file(
    code, tiny_run, capsys, tmp_path, monkeypatch
):
    def refused(path, *args, **kwargs):
        raise OSError(code, os.strerror(code))  # as NumPy does, naming no file

    monkeypatch.setattr(np, "save", refused)
    out = str(tmp_path / "s.npy")
    err = _one_line_error(["sample", "--model", tiny_run, "--num", "4", "--out", out], capsys)
    assert os.strerror(code) in err and repr(out) in err
    assert os.listdir(tmp_path) == []


def test_a_read_only_run_folder_gets_one_line_naming_the_file(capsys, tmp_path, monkeypatch):
    def read_only(*args, dir=None, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), dir)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    out = str(tmp_path / "run")
    argv = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", out]
    err = _one_line_error(argv + QUICK, capsys)
    assert err == f"keras-wgan: error: Read-only file system: {out!r}"


def test_verbose_shows_the_traceback_too(tiny_run, capsys, tmp_path, monkeypatch):
    def disk_full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "save", disk_full)
    argv = ["sample", "--verbose", "--model", tiny_run, "--num", "4", "--out"]
    assert cli.main(argv + [str(tmp_path / "s.npy")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("keras-wgan: error:")


def _copy_export(tiny_run, tmp_path):
    base = str(tmp_path / "export")
    shutil.copytree(os.path.join(tiny_run, "export"), base)
    return os.path.join(base, os.listdir(base)[0])


@pytest.mark.parametrize("broken", ["keras_wgan.json", "saved_model.pb"])
def test_a_corrupt_export_gets_one_line_naming_it(broken, tiny_run, capsys, tmp_path):
    version = _copy_export(tiny_run, tmp_path)
    with open(os.path.join(version, broken), "wb") as f:
        f.write(b"\x00garbled{")
    argv = ["sample", "--model", os.path.dirname(version), "--num", "4"]
    err = _one_line_error(argv + ["--out", str(tmp_path / "s.npy")], capsys)
    assert broken in err or version in err, err


def test_a_broken_run_json_without_a_checkpoint_binds_nothing_and_is_rewritten(tmp_path):
    # Nothing was trained there (no checkpoint), so there is no run to resume or protect.
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text("{half")
    argv = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", str(out)]
    assert cli.main(argv + QUICK) == 0
    assert json.loads((out / "run.json").read_text())["settings"]["steps"] == 2


def test_a_one_line_corpus_is_refused_before_training(capsys, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the only line\n")
    out = tmp_path / "run"
    argv = ["train", "--dataset", f"text:{corpus}", "--steps", "2", "--out", str(out)]
    err = _one_line_error(argv + QUICK, capsys)
    assert str(corpus) in err and "needs at least 2" in err
    assert not out.exists()
