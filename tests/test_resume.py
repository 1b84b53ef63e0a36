"""Saving and resuming: exact continuation after a crash, and checkpoints never lost."""

import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

import keras_wgan
from keras_wgan import callbacks, datasets, models, runs
from keras_wgan.datasets.common import shuffled_positions


def _gan(seed=3):
    keras.utils.set_random_seed(0)
    gan = keras_wgan.WGAN(models.toy_generator(2, width=8), models.toy_critic(width=8), seed=seed)
    gan.compile()
    return gan


def _max_difference(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a.get_weights(), b.get_weights()))


def test_checkpoint_restores_the_noise_generator_state(tmp_path):
    gan = _gan()
    gan.fit(datasets.load("8gaussians", 8, 5, seed=0)[0], steps_per_epoch=2, verbose=0)
    saved = gan._seed_generator.state.numpy().copy()
    assert not np.array_equal(saved, _gan()._seed_generator.state.numpy())
    gan.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded._seed_generator.state.numpy(), saved)
    np.testing.assert_array_equal(loaded._sample_latent(4).numpy(), gan._sample_latent(4).numpy())


def test_shuffled_positions_visit_every_example_once_per_pass_and_start_anywhere():
    stream = shuffled_positions(10, per_step=4, seed=7, start_step=0).unbatch()
    pairs = [(int(p), int(i)) for p, i in stream.take(40)]
    assert [p for p, _ in pairs] == list(range(40))
    passes = [sorted(i for p, i in pairs if p // 10 == k) for k in range(4)]
    assert all(indices == list(range(10)) for indices in passes)
    assert len({tuple(i for p, i in pairs if p // 10 == k) for k in range(4)}) > 1
    later = [
        (int(p), int(i))
        for p, i in shuffled_positions(10, 4, seed=7, start_step=3).unbatch().take(8)
    ]
    assert later == pairs[12:20]


@pytest.mark.parametrize("name", ["8gaussians", "25gaussians", "digits"])
def test_datasets_resume_exactly_at_a_step(name):
    kwargs = {"image_size": 8} if name == "digits" else {}
    # Critic batches of 4, 2 a step: step 3 begins at batch 6.
    full = datasets.load(name, 4, 2, seed=5, **kwargs)[0].take(10)
    tail = datasets.load(name, 4, 2, seed=5, start_step=3, **kwargs)[0].take(4)
    np.testing.assert_array_equal(np.stack(list(full))[6:], np.stack(list(tail)))


class _Crash(keras.callbacks.Callback):
    def __init__(self, at_step):
        super().__init__()
        self.at_step = at_step

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.g_optimizer.iterations.numpy()) == self.at_step:
            raise KeyboardInterrupt("simulated crash")


def test_backup_and_restore_continues_exactly_after_a_crash(tmp_path):
    def run(gan, step, extra=()):
        backup = callbacks.BackupAndRestore(str(tmp_path / "backup"))
        step = backup.restore(gan)
        data = datasets.load("8gaussians", 8, 5, seed=1, start_step=step)[0]
        gan.fit(data, epochs=4, steps_per_epoch=3, verbose=0, callbacks=[backup, *extra])
        return gan

    reference = _gan()
    reference.fit(
        datasets.load("8gaussians", 8, 5, seed=1)[0], epochs=4, steps_per_epoch=3, verbose=0
    )
    with pytest.raises(KeyboardInterrupt):
        run(_gan(), 0, [_Crash(at_step=8)])
    assert os.path.isfile(tmp_path / "backup" / "latest.weights.h5")
    assert not [n for n in os.listdir(tmp_path / "backup") if n.startswith(".tmp")]
    resumed = _gan()
    assert callbacks.BackupAndRestore(str(tmp_path / "backup")).restore(resumed) == 6
    resumed = run(_gan(), 6)
    assert int(resumed.g_optimizer.iterations) == int(reference.g_optimizer.iterations) == 12
    assert int(resumed.d_optimizer.iterations) == 60
    assert _max_difference(resumed, reference) == 0.0
    assert not os.path.exists(tmp_path / "backup")  # deleted once fit ends normally


def test_a_failed_checkpoint_write_keeps_the_last_good_one(tmp_path, monkeypatch):
    gan = _gan()
    path = str(tmp_path / "checkpoint.keras")
    checkpoint = callbacks.AtomicCheckpoint(path)
    checkpoint.set_model(gan)
    checkpoint.save()
    before = open(path, "rb").read()

    def broken_save(filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(gan, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save()
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["checkpoint.keras"]
    keras.saving.load_model(path)


def _train_command(out, steps):
    return [
        sys.executable,
        "-m",
        "keras_wgan",
        "train",
        "--dataset",
        "8gaussians",
        "--steps",
        str(steps),
        "--steps-per-epoch",
        "20",
        "--width",
        "8",
        "--batch-size",
        "16",
        "--seed",
        "2",
        "--out",
        str(out),
        "--export-dir",
        str(out / "export"),
    ]


def test_training_killed_with_sigkill_resumes_where_it_stopped(tmp_path):
    steps = 300
    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    killed = tmp_path / "killed"
    uninterrupted = tmp_path / "uninterrupted"
    reference_run = subprocess.Popen(  # at the same time: the reference of the end
        _train_command(uninterrupted, steps),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    process = subprocess.Popen(
        _train_command(killed, steps), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    checkpoint = killed / runs.CHECKPOINT
    deadline = time.time() + 300
    while not checkpoint.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    at_kill = runs.load_checkpoint(str(killed))
    step = int(at_kill.g_optimizer.iterations)
    assert 0 < step < steps
    assert not (killed / "export").exists()

    rerun = subprocess.run(
        _train_command(killed, steps), env=env, capture_output=True, text=True, timeout=600
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"at generator step {step}." in rerun.stdout

    _, stderr = reference_run.communicate(timeout=600)
    assert reference_run.returncode == 0, stderr[-2000:]
    resumed = runs.load_checkpoint(str(killed))
    reference = runs.load_checkpoint(str(uninterrupted))
    assert int(resumed.g_optimizer.iterations) == int(reference.g_optimizer.iterations) == steps
    assert int(resumed.d_optimizer.iterations) == 5 * steps
    assert _max_difference(resumed, reference) == 0.0
    assert os.listdir(killed / "export") == ["1"]


def test_a_learning_rate_schedule_resumes_at_its_position(tmp_path):
    keras.utils.set_random_seed(0)
    gan = keras_wgan.WGAN(models.toy_generator(2, width=8), models.toy_critic(width=8), n_critic=1)
    schedule = keras.optimizers.schedules.PolynomialDecay(
        1e-3, decay_steps=10, end_learning_rate=0.0
    )
    gan.compile(keras.optimizers.Adam(schedule), keras.optimizers.Adam(schedule))
    gan.fit(datasets.load("8gaussians", 8, 1, seed=0)[0], steps_per_epoch=4, verbose=0)
    gan.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    for name in ("d_optimizer", "g_optimizer"):
        opt, again = getattr(gan, name), getattr(loaded, name)
        assert int(again.iterations) == int(opt.iterations) == 4
        assert float(again.learning_rate) == pytest.approx(float(opt.learning_rate))
        assert float(again.learning_rate) == pytest.approx(1e-3 * (1 - 4 / 10))
