"""Bad input: a clear error, and nothing lost."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import tiny_image_gan

import keras_wgan
from keras_wgan import cli, datasets, models, runs
from keras_wgan.datasets.common import critic_batches

# A constant step size: these runs are resumed with more --steps (a decay would refuse).
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
        (["--dataset", "8gaussians", "--loss", "hinge"], ["wgan-gp", "wgan-clip", "lsgan"]),
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
    assert "ac_weight_generator=-1.0" in _one_line_error(
        digits + ["--ac-weight-generator", "-1"], capsys
    )
    assert not out.exists()  # no run folder, no half-written run.json


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
        runs.fit_run(
            gan,
            data,
            steps=20,
            out=out,
            steps_per_epoch=3,
            extra_callbacks=[_NaNScoreBias(epoch=2)],
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
    with pytest.raises(ValueError, match="must agree on rank, size and channels"):
        runs.fit_run(gan, data, steps=2, out=str(tmp_path / "run"), steps_per_epoch=1)
    assert not (tmp_path / "run" / "export").exists()
