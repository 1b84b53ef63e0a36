"""A Keras user's own arrays, networks and callbacks: `fit`, Keras's callbacks, schedules in
generator steps, and a clear error before training for each likely mistake."""

import csv
import os
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import package_env

import keras_wgan
from keras_wgan import datasets
from keras_wgan.conditioning import ACGAN
from keras_wgan.wgan import PresetReplacedWarning


def networks(dim=2, latent=2, critic_out=None):
    keras.utils.set_random_seed(0)
    g = keras.Sequential(
        [keras.Input((latent,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(dim)]
    )
    d = keras.Sequential(
        [
            keras.Input((dim,)),
            keras.layers.Dense(8, activation="relu"),
            critic_out or keras.layers.Dense(1),
        ]
    )
    return g, d


def points_gan(**kwargs):
    gan = keras_wgan.WGAN(*networks(), seed=0, **kwargs)
    gan.compile()
    return gan


def conditional_gan(num_classes=3):
    keras.utils.set_random_seed(0)
    z, labels = keras.Input((2,)), keras.Input((), dtype="int32")
    embedded = keras.layers.Embedding(num_classes, 2)(labels)
    g = keras.Model([z, labels], keras.layers.Dense(2)(keras.layers.Concatenate()([z, embedded])))
    x = keras.Input((2,))
    hidden = keras.layers.Dense(8, activation="relu")(x)
    d = keras.Model(x, [keras.layers.Dense(1)(hidden), keras.layers.Dense(num_classes)(hidden)])
    gan = keras_wgan.WGAN(g, d, conditioning=ACGAN(num_classes), seed=0)
    gan.compile()
    return gan


POINTS = np.random.default_rng(0).normal(size=(230, 2)).astype("float32")


# --- fit on arrays ----------------------------------------------------------------------


def test_fit_on_arrays_reads_batch_size_examples_per_critic_update():
    gan = points_gan(n_critic=5)
    history = gan.fit(POINTS, batch_size=10, epochs=3, verbose=0)
    # 230 // (5 * 10) = 4 steps an epoch, the 30 left over wait for a later epoch (no
    # last partial batch, which n_critic could not split).
    assert gan.generator_step() == 12 and history.epoch == [0, 1, 2]
    assert int(gan.d_optimizer.iterations) == 60


def test_every_epoch_reads_a_fresh_permutation_and_shuffle_false_keeps_the_order():
    order = []
    batches = keras_wgan.trainers.data.ArrayBatches((np.arange(20)[:, None],), 10, seed=0)
    for _ in range(3):
        order.append(np.concatenate([batches[i][:, 0] for i in range(len(batches))]))
        batches.on_epoch_end()
    assert all(sorted(o) == list(range(20)) for o in order)
    assert not np.array_equal(order[0], order[1]) and not np.array_equal(order[1], order[2])
    in_order = keras_wgan.trainers.data.ArrayBatches((np.arange(20)[:, None],), 10, shuffle=False)
    assert in_order[1][:, 0].tolist() == list(range(10, 20))


def test_two_fit_calls_read_what_one_fit_of_both_epochs_reads():
    one, two = points_gan(), points_gan()
    one.fit(POINTS, batch_size=8, epochs=2, verbose=0)
    two.fit(POINTS, batch_size=8, epochs=1, verbose=0)
    two.fit(POINTS, batch_size=8, epochs=1, verbose=0)
    for a, b in zip(one.get_weights(), two.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_labels_train_a_conditional_model_and_validation_split_holds_out_the_end():
    gan = conditional_gan()
    labels = np.arange(len(POINTS)) % 3
    history = gan.fit(POINTS, labels, batch_size=8, epochs=2, validation_split=0.2, verbose=0)
    assert gan.generator_step() == 2 * (184 // 40)
    assert np.isfinite(history.history["val_wasserstein_estimate"]).all()


def test_a_finite_dataset_of_single_examples_is_batched_per_step():
    gan = points_gan(n_critic=2)
    gan.fit(tf.data.Dataset.from_tensor_slices(POINTS), batch_size=16, epochs=2, verbose=0)
    assert gan.generator_step() == 2 * (230 // 32)


@pytest.mark.parametrize("drop_remainder", [False, True])
def test_a_dataset_batched_the_keras_way_reads_n_critic_batches_per_step(drop_remainder):
    """`ds.batch(B)` is B examples per critic update: the same training as the arrays
    read in order with `batch_size=B`, the short last batch dropped, and no warning."""
    batched = tf.data.Dataset.from_tensor_slices(POINTS).batch(8, drop_remainder=drop_remainder)
    from_dataset, from_arrays = points_gan(), points_gan()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "Your input ran out of data"
        from_dataset.fit(batched, epochs=2, verbose=0)
    from_arrays.fit(POINTS, batch_size=8, shuffle=False, epochs=2, verbose=0)
    # 230 // 8 = 28 full batches (the last, of 6, dropped): 5 steps of 5 an epoch.
    assert from_dataset.generator_step() == from_arrays.generator_step() == 10
    assert int(from_dataset.d_optimizer.iterations) == 50
    for a, b in zip(from_dataset.get_weights(), from_arrays.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_batch_size_not_a_multiple_of_n_critic_is_the_critic_s_batch():
    gan = points_gan(n_critic=5)
    gan.fit(tf.data.Dataset.from_tensor_slices(POINTS).batch(40), epochs=1, verbose=0)
    assert gan.generator_step() == 1  # 230 // 40 = 5 full batches of 40, one step
    assert int(gan.d_optimizer.iterations) == 5


def test_a_dataset_that_repeats_forever_needs_steps_per_epoch():
    gan = points_gan()
    endless = datasets.critic_batches(POINTS, batch_size=8, n_critic=5)
    with pytest.raises(ValueError, match="`steps_per_epoch`.*repeats forever"):
        gan.fit(endless, epochs=1, verbose=0)
    gan.fit(endless, steps_per_epoch=2, verbose=0)
    assert gan.generator_step() == 2


def test_fit_on_a_dataset_does_not_warn_about_shuffle(recwarn):
    gan = points_gan()
    gan.fit(datasets.critic_batches(POINTS, 8, 5), steps_per_epoch=1, verbose=0)
    assert not [w for w in recwarn if "shuffle" in str(w.message)]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda gan: gan.fit(POINTS.astype("uint8"), verbose=0), "argument `x`.*dtype uint8"),
        (lambda gan: gan.fit(POINTS[:, :1], verbose=0), "argument `x`.*generator makes"),
        (lambda gan: gan.fit(POINTS, np.zeros(230), verbose=0), "argument `y`.*unconditional"),
        (lambda gan: gan.fit(POINTS[:20], batch_size=8, verbose=0), "argument `x`.*20 training"),
        (
            lambda gan: gan.fit(np.where(POINTS > 2, np.nan, POINTS), verbose=0),
            "NaN or Inf",
        ),
        (
            lambda gan: gan.fit(POINTS, sample_weight=np.ones(230), verbose=0),
            "argument `sample_weight`",
        ),
        (
            lambda gan: gan.fit(
                tf.data.Dataset.from_tensor_slices((POINTS, np.zeros(230))), verbose=0
            ),
            "argument `x`.*unconditional",
        ),
    ],
    ids=["uint8", "shape", "labels-unconditional", "too-few", "nan", "sample-weight", "ds-labels"],
)
def test_data_mistakes_are_refused_by_name_before_training(call, match):
    gan = points_gan()
    with pytest.raises(ValueError, match=match):
        call(gan)
    assert gan.generator_step() == 0


def test_labels_of_a_conditional_model_are_checked():
    gan = conditional_gan(num_classes=3)
    with pytest.raises(ValueError, match="argument `y`.*conditional"):
        gan.fit(POINTS, verbose=0)
    labels = np.zeros(230, "int64")
    labels[17] = 3
    with pytest.raises(ValueError, match=r"\[0, 3\).*label 3 at index 17"):
        gan.fit(POINTS, labels, verbose=0)


class PointBatches(keras.utils.PyDataset):
    """A user's PyDataset, the Keras way: `ceil(N / B)` batches, the last one short."""

    def __init__(self, x, y=None, batch_size=8):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part] if self.y is None else (self.x[part], self.y[part])


def point_batches(x, y=None, batch_size=8):
    """A user's Python generator of batches: one pass, the last batch short."""
    for start in range(0, len(x), batch_size):
        part = slice(start, start + batch_size)
        yield x[part] if y is None else (x[part], y[part])


#: Each way of handing `fit` the same data: batches of 8 examples, in order.
INPUTS = {
    "arrays": lambda x, y=None: dict(x=x, y=y, batch_size=8, shuffle=False),
    "dataset": lambda x, y=None: dict(
        x=tf.data.Dataset.from_tensor_slices(x if y is None else (x, y)).batch(8)
    ),
    "examples": lambda x, y=None: dict(
        x=tf.data.Dataset.from_tensor_slices(x if y is None else (x, y)), batch_size=8
    ),
    # shuffle=False: Keras would shuffle the order of a PyDataset's (joined) batches.
    "py-dataset": lambda x, y=None: dict(x=PointBatches(x, y), shuffle=False),
    "generator": lambda x, y=None: dict(x=point_batches(x, y)),
}


# Arrays and ds.batch(B) are compared bit for bit above; here the other three.
@pytest.mark.parametrize("kind", ["examples", "generator", "py-dataset"])
def test_every_input_path_trains_alike(kind):
    """Arrays, datasets, a PyDataset and a generator of the same batches: the same steps
    and the same weights, bit for bit (the short last batch left out)."""
    gan, reference = points_gan(), points_gan()
    gan.fit(**INPUTS[kind](POINTS), epochs=1, verbose=0)
    reference.fit(POINTS, batch_size=8, shuffle=False, epochs=1, verbose=0)
    assert gan.generator_step() == reference.generator_step() == 230 // 40
    for a, b in zip(gan.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", sorted(INPUTS))
@pytest.mark.parametrize(
    "mistake, data, match",
    [
        ("uint8", lambda: (POINTS.astype("uint8"),), "argument `x`.*uint8.*127.5"),
        ("shape", lambda: (POINTS[:, :1],), r"argument `x`.*shape \(1,\).*generator makes"),
        ("labels", lambda: (POINTS, np.zeros(230, "int32")), "`[xy]`.*unconditional"),
    ],
)
def test_every_input_path_refuses_the_same_mistakes_by_name(kind, mistake, data, match):
    gan = points_gan()
    with pytest.raises(ValueError, match=match):
        gan.fit(**INPUTS[kind](*data()), epochs=1, verbose=0)
    assert gan.generator_step() == 0


@pytest.mark.parametrize("kind", sorted(INPUTS))
def test_every_input_path_names_a_label_out_of_range_and_its_index(kind):
    labels = np.zeros(230, "int32")
    labels[3] = 7
    gan = conditional_gan(num_classes=3)
    with pytest.raises(Exception, match=r"\[0, 3\).*label:? 7 at index:? 3"):
        gan.fit(**INPUTS[kind](POINTS, labels), epochs=1, verbose=0)


def test_validation_data_is_checked_and_batched_like_the_training_data():
    gan = points_gan()
    single = tf.data.Dataset.from_tensor_slices(POINTS[:50])  # single examples
    history = gan.fit(POINTS, batch_size=8, validation_data=single, epochs=1, verbose=0)
    assert np.isfinite(history.history["val_loss"][0])
    for held_out in (POINTS[:50].astype("uint8"), single.map(lambda x: tf.cast(x, "uint8"))):
        with pytest.raises(ValueError, match="argument `validation_data`.*uint8"):
            gan.fit(POINTS, batch_size=8, validation_data=held_out, epochs=1, verbose=0)


# --- compile and the networks ------------------------------------------------------------


def test_compile_with_keras_strings_says_which_preset_it_replaces():
    gan = keras_wgan.WGAN(*networks())
    with pytest.warns(
        PresetReplacedWarning,
        match=r"critic's Adam\(learning_rate=0.001.*"
        r"replaces its preset Adam\(learning_rate=0.0001, beta_1=0, beta_2=0.9\)",
    ):
        gan.compile("adam", "adam")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PresetReplacedWarning)
        keras_wgan.WGAN(*networks()).compile()  # the preset: nothing to say
        same = [keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9) for _ in range(2)]
        keras_wgan.WGAN(*networks()).compile(*same)


def test_predict_generates_from_z_and_evaluate_scores_real_examples():
    gan = points_gan()
    gan.fit(POINTS, batch_size=8, epochs=1, verbose=0)
    z = np.random.default_rng(0).normal(size=(5, 2)).astype("float32")
    np.testing.assert_allclose(gan.predict(z, verbose=0), gan.generate(z), rtol=1e-6)
    with pytest.raises(ValueError, match=r"argument `x`.*latent points z of shape \(N, 2\)"):
        gan.predict(POINTS[:, :1], verbose=0)
    scores = gan.evaluate(POINTS[:64], return_dict=True, verbose=0)
    assert scores["loss"] == scores["wasserstein_estimate"]
    with pytest.raises(ValueError, match="argument `x`.*uint8"):
        gan.evaluate(POINTS.astype("uint8"), verbose=0)
    single = tf.data.Dataset.from_tensor_slices(POINTS[:64])  # batched for you, as in fit
    assert np.isfinite(gan.evaluate(single, return_dict=True, verbose=0)["loss"])
    labels = np.zeros(5, "int32")
    labels[2] = 9
    with pytest.raises(ValueError, match="label 9 at index 2"):
        conditional_gan().predict([z, labels], verbose=0)


def test_compile_refuses_metrics_and_one_shared_optimizer():
    gan = keras_wgan.WGAN(*networks())
    with pytest.raises(ValueError, match="does not take `metrics`.*Evaluation"):
        gan.compile(metrics=["mae"])
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="one optimiser object"):
        gan.compile(shared, shared)


@pytest.mark.parametrize(
    "last, match",
    [
        (keras.layers.Dense(1, activation="sigmoid"), "sigmoid activation"),
        (keras.layers.Dense(2), r"one score per example.*\(None, 2\)"),
    ],
    ids=["sigmoid", "two-outputs"],
)
def test_a_critic_that_is_not_a_critic_is_refused(last, match):
    with pytest.raises(ValueError, match=match):
        keras_wgan.WGAN(*networks(critic_out=last))


def test_generate_returns_float32_under_mixed_precision():
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        gan = keras_wgan.WGAN(*networks())
    finally:
        keras.config.set_dtype_policy("float32")
    assert gan.generator.compute_dtype == "bfloat16"
    assert gan.generate(4, seed=0).dtype == np.float32


# --- Keras's callbacks -------------------------------------------------------------------


def test_keras_learning_rate_callbacks_change_both_optimisers():
    gan = points_gan()
    gan.compile(keras.optimizers.Adam(2e-4), keras.optimizers.Adam(1e-4))
    callbacks = [
        keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5),
        keras.callbacks.ReduceLROnPlateau(
            "wasserstein_estimate", mode="min", factor=0.1, patience=0, min_delta=1e9
        ),
    ]
    history = gan.fit(POINTS, batch_size=8, epochs=2, callbacks=callbacks, verbose=0)
    # Halved at each epoch's start; divided by 10 at the end of the second (the first sets
    # the best value, and nothing improves by 1e9).
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(2e-4 * 0.025)
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(1e-4 * 0.025)
    # Logged at each epoch's end, before the reduction.
    assert history.history["learning_rate_critic"] == pytest.approx([1e-4, 5e-5])
    assert history.history["learning_rate_generator"] == pytest.approx([5e-5, 2.5e-5])
    gan.learning_rate = 5e-6  # the generator's: both double
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(1e-5)
    assert int(gan.optimizer.iterations) == gan.generator_step()


def test_keras_saving_and_logging_callbacks_work_in_fit(tmp_path):
    gan = points_gan()
    callbacks = [
        keras.callbacks.ModelCheckpoint(str(tmp_path / "model.keras")),
        keras.callbacks.ModelCheckpoint(str(tmp_path / "m.weights.h5"), save_weights_only=True),
        keras.callbacks.BackupAndRestore(str(tmp_path / "backup")),
        keras.callbacks.TensorBoard(str(tmp_path / "logs")),
        keras.callbacks.CSVLogger(str(tmp_path / "log.csv")),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.EarlyStopping("wasserstein_estimate", mode="min", patience=5),
    ]
    gan.fit(POINTS, batch_size=8, epochs=2, callbacks=callbacks, verbose=0)
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.generator_step() == gan.generator_step() == 10
    np.testing.assert_array_equal(loaded.generate(5, seed=1), gan.generate(5, seed=1))
    other = points_gan()
    other.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(other.generate(5, seed=1), gan.generate(5, seed=1))
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert [row["epoch"] for row in rows] == ["0", "1"] and "wasserstein_estimate" in rows[0]
    assert os.listdir(tmp_path / "logs" / "train")


def test_keras_callbacks_with_their_default_monitors_watch_the_wasserstein_estimate(tmp_path):
    """`loss` and `val_loss` are the critic's Wasserstein estimates (lower is better), so
    EarlyStopping, ModelCheckpoint(save_best_only=True) and ReduceLROnPlateau work with
    their defaults: no "not available" warning, a best value, a best model written."""
    gan = points_gan()
    stop = keras.callbacks.EarlyStopping(patience=5)
    best = keras.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), save_best_only=True)
    plateau = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=0, min_delta=1e9)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # Keras warns of a missing monitor
        history = gan.fit(
            POINTS,
            validation_data=POINTS[:40],
            batch_size=8,
            epochs=2,
            callbacks=[stop, best, plateau],
            verbose=0,
        )
    logs = history.history
    assert logs["loss"] == logs["wasserstein_estimate"]
    assert logs["val_loss"] == logs["val_wasserstein_estimate"]
    assert stop.best == min(logs["val_loss"]) == best.best
    assert keras.saving.load_model(tmp_path / "best.keras").generator_step() >= 5
    # Nothing improves by 1e9: halved once, at the end of the second epoch.
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(0.5e-4)


def test_backup_and_restore_resumes_an_interrupted_fit(tmp_path):
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    gan = points_gan()
    with pytest.raises(KeyboardInterrupt):
        gan.fit(POINTS, batch_size=8, epochs=4, callbacks=[backup, Interrupt()], verbose=0)
    again = points_gan()
    history = again.fit(POINTS, batch_size=8, epochs=4, callbacks=[backup], verbose=0)
    assert history.epoch == [2, 3] and again.generator_step() == 4 * 5
    uninterrupted = points_gan()
    uninterrupted.fit(POINTS, batch_size=8, epochs=4, verbose=0)
    for a, b in zip(again.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(a, b)  # the resumed epochs read the same data


def test_terminate_on_nan_stops_a_run_that_does_not_stop_itself():
    gan = points_gan()
    gan.compile(keras.optimizers.SGD(1e30), keras.optimizers.SGD(1e30), stop_on_nonfinite=False)
    assert gan.stop_on_nonfinite is False
    stop = keras.callbacks.TerminateOnNaN()
    history = gan.fit(POINTS * 1e20, batch_size=8, epochs=3, callbacks=[stop], verbose=0)
    assert gan.stop_training and history.epoch == [0]


# --- schedules in generator steps --------------------------------------------------------


def test_one_schedule_ends_at_the_same_generator_step_on_both_optimisers(tmp_path):
    def decay():
        return keras.optimizers.schedules.PolynomialDecay(1e-3, decay_steps=4, end_learning_rate=0)

    gan = points_gan(n_critic=5)
    gan.compile(keras.optimizers.Adam(decay()), keras.optimizers.Adam(decay()))
    gan.fit(POINTS, batch_size=8, epochs=1, steps_per_epoch=2, verbose=0)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(
        float(gan.g_optimizer.learning_rate)
    )
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(5e-4)
    gan.save(tmp_path / "m.keras")  # the wrapped schedule is saved as such, not wrapped again
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    loaded.fit(POINTS, batch_size=8, epochs=1, steps_per_epoch=2, verbose=0)
    assert float(loaded.d_optimizer.learning_rate) == 0.0 == float(loaded.g_optimizer.learning_rate)


# --- the same script on JAX --------------------------------------------------------------

_JAX_SCRIPT = r"""
import logging
import jax, keras, numpy as np, keras_wgan
COMPILED = 0
class Count(logging.Handler):
    def emit(self, record):
        global COMPILED
        COMPILED += "Finished XLA compilation of jit(train_step)" in record.getMessage()
jax.config.update("jax_log_compiles", True)
logging.getLogger("jax").addHandler(Count())
g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
gan = keras_wgan.WGAN(g, d, seed=0)
gan.compile()
x = np.random.default_rng(0).normal(size=(230, 2)).astype("float32")
callbacks = [keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5),
             keras.callbacks.ReduceLROnPlateau("wasserstein_estimate", mode="min", patience=0,
                                               factor=0.1, min_delta=1e9)]
gan.fit(x, batch_size=8, epochs=2, callbacks=callbacks, verbose=0)
gan.fit(x, batch_size=8, epochs=1, verbose=0)
print("STEPS", gan.generator_step(), "COMPILED", COMPILED)
print("LR", float(gan.d_optimizer.learning_rate), float(gan.g_optimizer.learning_rate))
import sys
np.save(sys.argv[2], gan.generate(np.ones((3, 2), "float32")))
gan.export(sys.argv[1], verbose=False)
"""


@pytest.mark.slow
def test_the_same_script_trains_and_exports_on_jax_compiling_its_step_once(tmp_path):
    pytest.importorskip("jax")
    env = package_env(KERAS_BACKEND="jax")
    exported, generated = str(tmp_path / "exported"), str(tmp_path / "generated.npy")
    run = subprocess.run(
        [sys.executable, "-c", _JAX_SCRIPT, exported, generated],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "STEPS 15 COMPILED 1" in run.stdout
    lr = [float(v) for v in run.stdout.split("LR ")[1].split()]
    assert lr == pytest.approx([1e-4 * 0.025] * 2)
    serve = tf.saved_model.load(exported).signatures["serving_default"]
    samples = serve(z=tf.ones((3, 2)))["samples"].numpy()
    np.testing.assert_allclose(samples, np.load(generated), atol=1e-5)
