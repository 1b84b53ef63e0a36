"""Non-finite data or losses never reach a checkpoint or an export.

`WGAN.fit` stops at the first real batch holding NaN or infinity, or the first non-finite
loss (`stop_on_nonfinite`, on by default); whatever the switch, the checkpoint callbacks
and the export refuse to write non-finite weights and keep the previous file.
"""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_wgan
from keras_wgan import callbacks, export_generator

BATCH = 4


def _gan(stop_on_nonfinite=None):
    """A tiny image WGAN: z (4) -> 4x4x1 images, a linear critic (no ReLU to hide a NaN),
    compiled with `stop_on_nonfinite` (None: the default, on)."""
    keras.utils.set_random_seed(0)
    generator = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Reshape((4, 4, 1)),
        ]
    )
    critic = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    gan = keras_wgan.WGAN(generator, critic, n_critic=1, seed=0)
    gan.compile(stop_on_nonfinite=stop_on_nonfinite)
    return gan


def _images(nan_batch=None, value=np.nan):
    """A tf.data dataset of 8 batches of BATCH images, one pixel of batch `nan_batch` set
    to `value`."""
    x = np.random.default_rng(0).uniform(-1, 1, (8 * BATCH, 4, 4, 1)).astype("float32")
    if nan_batch is not None:
        x[nan_batch * BATCH, 1, 2, 0] = value
    return tf.data.Dataset.from_tensor_slices(x).batch(BATCH)


def _finite(model):
    return all(np.isfinite(w).all() for w in model.get_weights())


def _fit(gan, data, *extra):
    # Two steps an epoch: epochs 0 and 1 are steps 1-4, batch 4 (0-based) is step 5.
    return gan.fit(data, epochs=4, steps_per_epoch=2, verbose=0, callbacks=list(extra))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_fit_stops_at_a_nonfinite_real_batch_and_keeps_the_last_good_checkpoint(tmp_path, value):
    path = str(tmp_path / "checkpoint.keras")
    gan = _gan()
    with pytest.raises(
        FloatingPointError, match="real data held NaN or infinite values at generator step 5"
    ):
        _fit(gan, _images(nan_batch=4, value=value), callbacks.AtomicCheckpoint(path))
    kept = keras.saving.load_model(path)
    assert kept.generator_step() == 4  # the end of epoch 1, before the bad batch
    assert _finite(kept)
    assert np.isfinite(kept.generate(3, seed=0)).all()


def test_callbacks_given_by_position_still_come_after_the_check(tmp_path):
    # keras.Model.fit(x, y, batch_size, epochs, verbose, callbacks, ...): the sixth.
    path = str(tmp_path / "checkpoint.keras")
    gan = _gan()
    with pytest.raises(FloatingPointError, match="at generator step 5"):
        gan.fit(
            _images(nan_batch=4),
            None,
            None,
            4,
            0,
            [callbacks.AtomicCheckpoint(path)],
            steps_per_epoch=2,
        )
    assert keras.saving.load_model(path).generator_step() == 4


class _NaNScoreBias(keras.callbacks.Callback):
    """Sets the critic's score bias to NaN when epoch 2 begins: every loss is NaN then."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            bias = self.model.critic.layers[-1].bias
            bias.assign(np.full(bias.shape, np.nan, "float32"))


def test_fit_stops_at_a_nonfinite_loss_without_any_callback_of_ours(tmp_path):
    path = str(tmp_path / "checkpoint.keras")
    gan = _gan()
    with pytest.raises(FloatingPointError, match=r"critic_loss=nan at generator step 5"):
        _fit(gan, _images(), _NaNScoreBias(), callbacks.AtomicCheckpoint(path))
    assert keras.saving.load_model(path).generator_step() == 4


def test_a_check_already_given_is_moved_first_not_doubled(tmp_path, monkeypatch):
    given = []
    fit = keras.Model.fit

    def spy(self, *args, callbacks=None, **kwargs):
        given.extend(type(c).__name__ for c in callbacks)
        return fit(self, *args, callbacks=callbacks, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    checkpoint = callbacks.AtomicCheckpoint(str(tmp_path / "checkpoint.keras"))
    _gan().fit(
        _images(),
        epochs=1,
        steps_per_epoch=1,
        verbose=0,
        callbacks=[checkpoint, callbacks.NonFiniteLoss()],
    )
    assert given == ["NonFiniteLoss", "AtomicCheckpoint"]


def test_the_switch_off_trains_on_and_the_writers_still_refuse(tmp_path):
    path = str(tmp_path / "checkpoint.keras")
    gan = _gan(stop_on_nonfinite=False)
    assert gan.get_compile_config()["stop_on_nonfinite"] is False
    history = gan.fit(_images(nan_batch=1), epochs=1, steps_per_epoch=1, verbose=0)
    assert "nonfinite_real_batches" not in history.history
    checkpoint = callbacks.AtomicCheckpoint(path)
    checkpoint.set_model(gan)
    checkpoint.save()  # after one clean step
    before = open(path, "rb").read()
    with pytest.raises(
        FloatingPointError, match="Refusing to write .*checkpoint.keras.*the variable"
    ):
        # The bad batch (the 2nd) then 2 more steps: the NaN reaches the weights.
        _fit(gan, _images(nan_batch=1).skip(1), checkpoint)
    assert not _finite(gan)  # it trained on
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.keras"]  # no temporary file left

    with pytest.raises(FloatingPointError, match=r"Refusing to write .*1.*the variable '"):
        export_generator(gan, str(tmp_path / "export"))
    assert not os.path.exists(tmp_path / "export" / "1")


def test_backup_and_restore_keeps_the_last_good_backup(tmp_path):
    backup_dir = str(tmp_path / "backup")
    gan = _gan(stop_on_nonfinite=False)
    backup = callbacks.BackupAndRestore(backup_dir, save_freq=1, delete_checkpoint=False)
    with pytest.raises(FloatingPointError, match="Refusing to write .*latest.weights.h5"):
        _fit(gan, _images(nan_batch=4), backup)
    restored = _gan()
    assert callbacks.BackupAndRestore(backup_dir).restore(restored) == 4
    assert _finite(restored)


def test_export_refuses_a_generator_with_nan_weights_and_leaves_no_version(tmp_path):
    base = str(tmp_path / "export")
    gan = _gan()
    export_generator(gan, base)
    kernel = gan.generator.layers[0].kernel
    kernel.assign(np.full(kernel.shape, np.nan, "float32"))
    with pytest.raises(FloatingPointError, match=r"the variable '.*kernel' holds NaN"):
        export_generator(gan, base)
    assert sorted(os.listdir(base)) == ["1"]  # the good version only, no temporary folder


def test_stop_on_nonfinite_is_checked_and_kept_in_the_config(tmp_path):
    with pytest.raises(ValueError, match="Invalid value for argument `stop_on_nonfinite`"):
        _gan(stop_on_nonfinite="yes")
    assert _gan().stop_on_nonfinite is True  # the default
    gan = _gan(stop_on_nonfinite=False)
    # A compile setting: kept in the compile config, and in a saved model.
    rebuilt = keras_wgan.WGAN.from_config(gan.get_config())
    rebuilt.compile_from_config(gan.get_compile_config())
    assert rebuilt.stop_on_nonfinite is False
    gan.save(tmp_path / "m.keras")
    assert keras.saving.load_model(tmp_path / "m.keras").stop_on_nonfinite is False
    # A later compile that does not name it keeps it.
    gan.compile()
    assert gan.stop_on_nonfinite is False


# The real-data check of the JAX trainer, in its own process (Keras fixes its backend at
# import).
_JAX_SCRIPT = r"""
import keras, numpy as np, tensorflow as tf, keras_wgan
keras.utils.set_random_seed(0)
g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
gan = keras_wgan.WGAN(g, d, n_critic=1, seed=0)
gan.compile()
x = np.ones((16, 2), "float32")
x[9, 1] = np.nan
try:
    gan.fit(tf.data.Dataset.from_tensor_slices(x).batch(4), epochs=1, verbose=0)
except FloatingPointError as error:
    print("RAISED", error)
"""


@pytest.mark.slow
def test_the_jax_trainer_stops_at_a_nonfinite_real_batch(tmp_path):
    pytest.importorskip("jax")
    root = os.path.dirname(os.path.dirname(os.path.abspath(keras_wgan.__file__)))
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    run = subprocess.run(
        [sys.executable, "-c", _JAX_SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "RAISED The real data held NaN or infinite values at generator step 3" in run.stdout
