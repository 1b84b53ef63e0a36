"""The exponential moving average of the generator (`WGAN(ema=EMA(...))`): the shadow
generator's update, its start, sampling and export with it, saving and resuming, and the
JAX trainer's jitted state."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import run_on_backend

import keras_wgan
from keras_wgan import datasets
from keras_wgan.ema import EMA, ema_update

DECAY = 0.8


def tiny_gan(ema=DECAY, ema_start=0, seed=0):
    """A 2-D generator with batch norm (whose statistics the shadow copies), SGD, n_critic 1;
    `EMA(ema, start=ema_start)`, or no average with `ema=None`."""
    keras.utils.set_random_seed(seed)
    g = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(3),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(2),
        ]
    )
    d = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    )
    component = None if ema is None else EMA(ema, start=ema_start)
    gan = keras_wgan.WGAN(g, d, n_critic=1, ema=component, seed=seed)
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    return gan


DATA = np.random.default_rng(0).normal(size=(48, 2)).astype("float32") + 2.0


class RecordWeights(keras.callbacks.Callback):
    """The generator's weights after each generator step."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append([v.numpy() for v in self.model.generator.weights])


def hand_ema(initial, seen, averaged, start):
    """The shadow weights after the steps of `seen`, in NumPy (float32)."""
    shadow = [np.array(w, "float32") for w in initial]
    for step, weights in enumerate(seen, start=1):
        shadow = [
            (np.float32(DECAY) * s + np.float32(1 - DECAY) * w) if avg and step > start else w
            for s, w, avg in zip(shadow, weights, averaged)
        ]
    return shadow


@pytest.mark.parametrize("ema_start", [0, 2])
def test_the_shadow_after_three_generator_steps_is_the_hand_computed_average(ema_start):
    gan = tiny_gan(ema_start=ema_start)
    initial = [v.numpy() for v in gan.generator.weights]
    np.testing.assert_array_equal(
        np.concatenate([w.ravel() for w in initial]),
        np.concatenate([v.numpy().ravel() for v in gan.ema_generator.weights]),
    )
    record = RecordWeights()
    gan.fit(DATA, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=[record])
    assert len(record.seen) == 3 and gan.generator_step() == 3
    trainable = {id(v) for v in gan.generator.trainable_variables}
    averaged = [id(v) in trainable for v in gan.generator.weights]
    assert averaged.count(False) == 2  # batch norm's moving mean and variance: copied
    # The component's pairs: (shadow, generator weight, averaged), in `weights` order.
    assert (gan.ema.decay, gan.ema.start) == (DECAY, ema_start)
    shadows, weights, flags = zip(*gan.ema.pairs)
    assert [id(v) for v in shadows] == [id(v) for v in gan.ema_generator.weights]
    assert [id(v) for v in weights] == [id(v) for v in gan.generator.weights]
    assert list(flags) == averaged
    expected = hand_ema(initial, record.seen, averaged, ema_start)
    for got, want in zip(gan.ema_generator.weights, expected):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-7)
    # The pure update (`keras_wgan.ema.ema_update`), step by step, gives the same shadow.
    shadow = initial
    for step, seen in enumerate(record.seen, start=1):
        shadow = ema_update(shadow, seen, averaged, step, DECAY, ema_start)
    for got, want in zip(gan.ema_generator.weights, shadow):
        np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-6, atol=1e-7)
    # The average trails the raw weights (after ema_start=2 steps it was a copy).
    assert not np.allclose(gan.ema_generator.weights[0].numpy(), record.seen[-1][0])
    if ema_start == 2:
        np.testing.assert_allclose(
            gan.ema_generator.weights[0].numpy(),
            DECAY * record.seen[1][0] + (1 - DECAY) * record.seen[2][0],
            rtol=1e-6,
        )


def test_generate_uses_the_shadow_and_ema_false_the_raw_generator():
    gan = tiny_gan()
    gan.fit(DATA, batch_size=16, epochs=1, shuffle=False, verbose=0)
    z = np.random.default_rng(1).standard_normal((5, 2)).astype("float32")
    shadow = np.asarray(gan.ema_generator(z, training=False))
    raw = np.asarray(gan.generator(z, training=False))
    assert not np.allclose(shadow, raw)
    np.testing.assert_array_equal(gan.generate(z), shadow)
    np.testing.assert_array_equal(gan.generate(z, ema=True), shadow)
    np.testing.assert_array_equal(gan.generate(z, ema=False), raw)
    # Batch statistics: the generator's function on the shadow's weights, in training mode.
    twin = keras.models.clone_model(gan.generator)
    twin.set_weights([v.numpy() for v in gan.ema_generator.weights])
    np.testing.assert_allclose(
        gan.generate(z, batch_stats=True), np.asarray(twin(z, training=True)), rtol=1e-6
    )
    assert gan.sampling_generator() is gan.ema_generator
    assert gan.sampling_generator(ema=False) is gan.generator
    plain = tiny_gan(ema=None)
    assert plain.ema_generator is None and plain.sampling_generator() is plain.generator
    with pytest.raises(ValueError, match="`ema`.*no moving average"):
        plain.generate(z, ema=True)
    with pytest.raises(ValueError, match="`ema`"):
        gan.generate(z, ema="yes")


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"decay": 1.0}, "decay"),
        ({"decay": 0}, "decay"),
        ({"decay": -0.5}, "decay"),
        ({"decay": True}, "decay"),
        ({"decay": "0.9"}, "decay"),
        ({"decay": 0.9, "start": -1}, "start"),
        ({"decay": 0.9, "start": 1.5}, "start"),
    ],
)
def test_bad_ema_arguments_are_refused(kwargs, name):
    with pytest.raises(ValueError, match=f"Invalid value for argument `{name}`"):
        EMA(**kwargs)


@pytest.mark.parametrize(
    "ema, name",
    [(1.0, "decay"), (-0.5, "decay"), (0, "ema"), (True, "ema"), ("0.9", "ema")],
)
def test_bad_ema_values_given_to_the_model_are_refused(ema, name):
    g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=f"Invalid value for argument `{name}`"):
        keras_wgan.WGAN(g, d, ema=ema)


@pytest.mark.parametrize("kwargs", [{"ema": 0.9, "ema_start": 2}, {"ema_start": 5}])
def test_the_0_1_ema_start_argument_names_its_new_home(kwargs):
    g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(TypeError, match=r"no longer takes `ema_start`.*EMA\(decay, start\)"):
        keras_wgan.WGAN(g, d, **kwargs)


def test_config_round_trip_keeps_the_ema():
    gan = tiny_gan(ema=0.99, ema_start=7)
    config = gan.get_config()
    assert config["ema"]["class_name"] == "EMA"
    assert config["ema"]["config"] == {"decay": 0.99, "start": 7}
    again = keras_wgan.WGAN.from_config(config)
    assert isinstance(again.ema, EMA) and again.ema is not gan.ema
    assert (again.ema.decay, again.ema.start) == (0.99, 7) and again.ema_generator is not None
    assert [id(s) for s, _, _ in again.ema.pairs] == [id(v) for v in again.ema_generator.weights]
    assert keras_wgan.WGAN.from_config(tiny_gan(ema=None).get_config()).ema_generator is None
    # A decay alone still means EMA(decay), from the first step.
    g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    plain = keras_wgan.WGAN(g, d, ema=0.95)
    assert isinstance(plain.ema, EMA) and (plain.ema.decay, plain.ema.start) == (0.95, 0)


def test_a_saved_and_resumed_fit_gives_the_shadow_of_an_uninterrupted_run(tmp_path):
    def data(start_step):
        return datasets.load("8gaussians", 16, 1, seed=1, start_step=start_step)[0]

    whole = tiny_gan()
    whole.fit(data(0), epochs=2, steps_per_epoch=3, verbose=0)
    half = tiny_gan()
    half.fit(data(0), epochs=1, steps_per_epoch=3, verbose=0)
    half.save(tmp_path / "half.keras")
    resumed = keras.saving.load_model(tmp_path / "half.keras")
    for a, b in zip(half.ema_generator.weights, resumed.ema_generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    resumed.fit(data(3), epochs=2, initial_epoch=1, steps_per_epoch=3, verbose=0)
    assert resumed.generator_step() == whole.generator_step() == 6
    for a, b in zip(whole.ema_generator.weights, resumed.ema_generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())  # bit for bit
    assert not np.array_equal(
        whole.ema_generator.weights[0].numpy(), whole.generator.weights[0].numpy()
    )


def test_the_export_serves_the_shadow_and_ema_false_the_raw_generator(tmp_path):
    gan = tiny_gan()
    gan.fit(DATA, batch_size=16, epochs=1, shuffle=False, verbose=0)
    z = np.random.default_rng(2).standard_normal((4, 2)).astype("float32")

    def served(path):
        fn = tf.saved_model.load(path).signatures["serving_default"]
        return fn(z=tf.constant(z))["samples"].numpy()

    path = gan.export(str(tmp_path / "shadow"), verbose=False)
    np.testing.assert_allclose(served(path), gan.generate(z), rtol=1e-6, atol=1e-7)
    assert keras_wgan.export.metadata(path)["ema"] is True
    raw = keras_wgan.export_generator(gan, str(tmp_path / "raw"), ema=False)
    np.testing.assert_allclose(served(raw), gan.generate(z, ema=False), rtol=1e-6, atol=1e-7)
    assert keras_wgan.export.metadata(raw)["ema"] is False
    assert not np.allclose(served(path), served(raw))


def test_the_sampling_callbacks_draw_from_the_shadow_unless_told(tmp_path):
    gan = tiny_gan()
    gan.fit(DATA, batch_size=16, epochs=1, shuffle=False, verbose=0)
    seen = []
    generate = gan.generate
    gan.generate = lambda *args, **kwargs: (
        seen.append(kwargs.get("ema")) or generate(*args, **kwargs)
    )
    for ema in (None, False):
        grid = keras_wgan.callbacks.SampleGrid(str(tmp_path / f"s{ema}"), num_samples=8, ema=ema)
        grid.set_model(gan)
        grid.write(3)
        evaluation = keras_wgan.callbacks.Evaluation(DATA, num_samples=16, ema=ema)
        evaluation.set_model(gan)
        evaluation.on_train_begin()
        evaluation.evaluate()
    assert seen == [None, None, False, False]
    with pytest.raises(ValueError, match="`ema`"):
        keras_wgan.callbacks.SampleGrid(str(tmp_path), ema="raw")


# Three explicit updates (the same z, fakes and alphas on both backends), then three
# one-step fits (the jitted step on JAX), recording the raw and the shadow weights.
SCRIPT = r"""
import json, sys
import numpy as np
import keras
import keras_wgan
from keras_wgan.ema import EMA

inputs, out = sys.argv[1], sys.argv[2]
given = dict(np.load(inputs))
g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3),
                      keras.layers.BatchNormalization(), keras.layers.Dense(2)])
d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="relu"),
                      keras.layers.Dense(1)])
gan = keras_wgan.WGAN(g, d, n_critic=1, ema=EMA(0.8, start=1), seed=0)
gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
gan.set_weights([given[f"w{i}"] for i in range(int(given["num_weights"]))])
for k in range(3):
    gan.critic_update(given["real"][k], fake=given["fake"][k], alpha=given["alpha"][k])
    gan.generator_update(4, z=given["z"][k])
arrays = [np.asarray(v) for v in gan.ema_generator.weights]
for k in range(3):
    gan.fit(given["real"][k], batch_size=4, epochs=1, shuffle=False, verbose=0)
    arrays += [np.asarray(v) for v in gan.generator.weights]
    arrays += [np.asarray(v) for v in gan.ema_generator.weights]
trainable = {id(v) for v in gan.generator.trainable_variables}
np.savez(out + ".npz", *arrays)
json.dump({"backend": keras.backend.backend(), "step": gan.generator_step(),
           "averaged": [id(v) in trainable for v in gan.generator.weights]},
          open(out + ".json", "w"))
"""


@pytest.mark.slow  # two subprocesses, about 45 s on two shared cores
def test_jax_and_tensorflow_keep_the_same_shadow(tmp_path):
    pytest.importorskip("jax")
    gan = tiny_gan(ema=0.8, ema_start=1)
    rng = np.random.default_rng(3)
    weights = gan.get_weights()
    given = {f"w{i}": w for i, w in enumerate(weights)}
    given.update(
        num_weights=len(weights),
        real=rng.normal(size=(3, 4, 2)).astype("float32") + 2,
        fake=rng.normal(size=(3, 4, 2)).astype("float32"),
        alpha=rng.uniform(size=(3, 4)).astype("float32"),
        z=rng.normal(size=(3, 4, 2)).astype("float32"),
    )
    inputs = str(tmp_path / "inputs.npz")
    np.savez(inputs, **given)
    tf_meta, tf_arrays = run_on_backend("tensorflow", SCRIPT, inputs, str(tmp_path / "tf"))
    jax_meta, jax_arrays = run_on_backend("jax", SCRIPT, inputs, str(tmp_path / "jax"))
    assert (tf_meta["backend"], jax_meta["backend"]) == ("tensorflow", "jax")
    assert tf_meta["step"] == jax_meta["step"] == 6
    n = len(tf_meta["averaged"])
    # The explicit updates: the same shadow on both backends.
    for a, b in zip(tf_arrays[:n], jax_arrays[:n]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # Each one-step fit (jitted on JAX) folds the raw weights in: step > ema_start.
    for arrays in (tf_arrays, jax_arrays):
        shadow = arrays[:n]
        for k in range(3):
            raw = arrays[n + 2 * n * k : n + 2 * n * k + n]
            new = arrays[n + 2 * n * k + n : n + 2 * n * (k + 1)]
            for s, r, got, avg in zip(shadow, raw, new, tf_meta["averaged"]):
                want = np.float32(0.8) * s + np.float32(0.2) * r if avg else r
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
            shadow = new
    assert json.dumps(tf_meta["averaged"]).count("false") == 2
