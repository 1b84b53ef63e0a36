"""TF1RMSprop against TensorFlow 1's RMSProp formula, computed here by hand in NumPy."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_wgan
from keras_wgan.optimizers import TF1RMSprop

VAR = np.array([[0.5, -1.0, 2.0], [0.0, 0.25, -3.0]], dtype="float32")
GRADS = np.array(
    [
        [[0.1, -2.0, 0.003], [1.5, 0.0, -0.4]],
        [[-0.2, 1.0, 0.01], [0.5, 0.7, -0.4]],
        [[0.05, -0.5, 2.0], [-1.0, 0.3, 0.1]],
    ],
    dtype="float32",
)


def tf1_reference(var, grads, lrs, rho=0.9, momentum=0.0, epsilon=1e-10, ms0=1.0):
    """TF1's ApplyRMSProp in float64: ms = rho ms + (1 - rho) g^2;
    mom = momentum mom + lr g / sqrt(ms + eps); var -= mom; ms starts at ms0, mom at 0."""
    var = var.astype("float64")
    ms = np.full_like(var, ms0)
    mom = np.zeros_like(var)
    for g, lr in zip(grads.astype("float64"), lrs):
        ms = rho * ms + (1 - rho) * g * g
        mom = momentum * mom + lr * g / np.sqrt(ms + epsilon)
        var = var - mom
    return var, ms, mom


def run_steps(opt, grads, var=VAR):
    v = keras.Variable(var)
    for g in grads:
        opt.apply([keras.ops.convert_to_tensor(g)], [v])
    return v.numpy()


def rms_slot(opt):
    (ms,) = [v for v in opt.variables if v.name.endswith("rms")]
    return ms.numpy()


def test_three_steps_match_the_tf1_formula_and_the_first_differs_from_keras():
    lr = 0.01
    opt = TF1RMSprop(learning_rate=lr)
    v = keras.Variable(VAR)
    for t in range(3):
        opt.apply([keras.ops.convert_to_tensor(GRADS[t])], [v])
        want, ms, _ = tf1_reference(VAR, GRADS[: t + 1], [lr] * (t + 1))
        np.testing.assert_allclose(v.numpy(), want, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(rms_slot(opt), ms, rtol=1e-6)

    # The first step by hand: the accumulator starts at 1, so ms = 0.9 + 0.1 g^2.
    g = GRADS[0].astype("float64")
    tf1_first = lr * g / np.sqrt(0.9 + 0.1 * g * g + 1e-10)
    np.testing.assert_allclose(
        run_steps(TF1RMSprop(lr), GRADS[:1]), VAR - tf1_first, rtol=1e-6, atol=1e-7
    )
    # Keras starts at 0 (and eps 1e-7): about lr * sign(g) * sqrt(10) wherever g is not tiny.
    keras_var = run_steps(keras.optimizers.RMSprop(lr), GRADS[:1])
    np.testing.assert_allclose(
        keras_var, VAR - lr * g / np.sqrt(0.1 * g * g + 1e-7), rtol=1e-6, atol=1e-7
    )
    keras_first = VAR - keras_var
    big = np.abs(g) > 0.05
    np.testing.assert_allclose(keras_first[big], lr * np.sqrt(10) * np.sign(g[big]), rtol=1e-3)
    assert np.all(np.abs(keras_first[big]) > 1.5 * np.abs(tf1_first[big]))
    # initial_accumulator_value=0 and Keras's epsilon give Keras's RMSprop.
    np.testing.assert_allclose(
        run_steps(TF1RMSprop(lr, epsilon=1e-7, initial_accumulator_value=0.0), GRADS),
        run_steps(keras.optimizers.RMSprop(lr), GRADS),
        rtol=1e-6,
    )


def test_matches_tensorflow_1_rmsprop_itself():
    tf = pytest.importorskip("tensorflow")
    ref = tf.Variable(VAR)
    tf1 = tf.compat.v1.train.RMSPropOptimizer(0.01, decay=0.9, momentum=0.5, epsilon=1e-10)
    for g in GRADS:
        tf1.apply_gradients([(tf.constant(g), ref)])
    opt = TF1RMSprop(0.01, momentum=0.5)
    np.testing.assert_allclose(run_steps(opt, GRADS), ref.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(rms_slot(opt), tf1.get_slot(ref, "rms").numpy(), rtol=1e-6)


def test_momentum_matches_the_hand_formula():
    opt = TF1RMSprop(
        learning_rate=0.02, rho=0.8, momentum=0.9, epsilon=1e-6, initial_accumulator_value=0.5
    )
    got = run_steps(opt, GRADS)
    want, ms, mom = tf1_reference(
        VAR, GRADS, [0.02] * 3, rho=0.8, momentum=0.9, epsilon=1e-6, ms0=0.5
    )
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    (mom_var,) = [v for v in opt.variables if v.name.endswith("momentum")]
    np.testing.assert_allclose(mom_var.numpy(), mom, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(rms_slot(opt), ms, rtol=1e-6)
    # Without momentum no momentum variable is kept: TF1's would equal the step anyway.
    plain = TF1RMSprop()
    plain.build([keras.Variable(VAR)])
    assert [v.name for v in plain.variables if "momentum" in v.name] == []


def test_learning_rate_schedule():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    got = run_steps(TF1RMSprop(schedule), GRADS)
    want, _, _ = tf1_reference(VAR, GRADS, [0.1, 0.05, 0.025])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_config_and_serialization_round_trip():
    opt = TF1RMSprop(
        learning_rate=2e-4,
        rho=0.8,
        momentum=0.1,
        epsilon=1e-8,
        initial_accumulator_value=0.5,
        clipnorm=1.0,
        name="critic_rms",
    )
    config = opt.get_config()
    assert {
        k: config[k]
        for k in ("rho", "momentum", "epsilon", "initial_accumulator_value", "clipnorm", "name")
    } == {
        "rho": 0.8,
        "momentum": 0.1,
        "epsilon": 1e-8,
        "initial_accumulator_value": 0.5,
        "clipnorm": 1.0,
        "name": "critic_rms",
    }
    assert TF1RMSprop.from_config(config).get_config() == config

    serialized = keras.optimizers.serialize(opt)
    assert serialized["class_name"] == "TF1RMSprop"
    assert serialized["registered_name"] == "keras_wgan>TF1RMSprop"
    assert serialized["module"] == "keras_wgan.optimizers"
    assert keras.optimizers.deserialize(serialized).get_config() == config
    # The registered name alone, as a hand-written config (e.g. a preset) would give it.
    for identifier in (
        {"class_name": "keras_wgan>TF1RMSprop", "config": config},
        {"class_name": "keras_wgan>TF1RMSprop", "config": {"learning_rate": 0.1}},
    ):
        restored = keras.optimizers.deserialize(identifier)
        assert isinstance(restored, TF1RMSprop)
    assert restored.initial_accumulator_value == 1.0 and restored.epsilon == 1e-10
    assert isinstance(
        keras.optimizers.get({"class_name": "keras_wgan>TF1RMSprop", "config": {}}), TF1RMSprop
    )
    assert keras_wgan.optimizers.TF1RMSprop is TF1RMSprop

    scheduled = TF1RMSprop(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    back = keras.optimizers.deserialize(keras.optimizers.serialize(scheduled))
    assert isinstance(back._learning_rate, keras.optimizers.schedules.ExponentialDecay)
    assert back._learning_rate.get_config() == scheduled._learning_rate.get_config()


@pytest.mark.parametrize(
    "name, value",
    [
        ("rho", 1.5),
        ("rho", 1.0),
        ("rho", -0.1),
        ("rho", "0.9"),
        ("momentum", -0.5),
        ("epsilon", -1e-10),
        ("epsilon", float("nan")),
        ("initial_accumulator_value", -1.0),
        ("initial_accumulator_value", True),
    ],
)
def test_bad_arguments_name_the_argument(name, value):
    with pytest.raises(ValueError, match=f"Invalid value for argument `{name}`. Received: {name}="):
        TF1RMSprop(**{name: value})


def test_bad_rho_message():
    with pytest.raises(ValueError) as info:
        TF1RMSprop(rho=1.5)
    assert str(info.value) == (
        "Invalid value for argument `rho`. Received: rho=1.5. Expected a number in [0, 1)."
    )


def test_docstring_example_runs():
    import doctest

    import keras_wgan.optimizers as module

    assert doctest.testmod(module).failed == 0


# Runs under KERAS_BACKEND=jax: the same steps through `stateless_apply`, as the JAX
# trainer applies its optimisers, with a learning-rate schedule and momentum.
JAX_SCRIPT = r"""
import json, sys
import numpy as np
import keras
import keras_wgan
from keras_wgan.optimizers import TF1RMSprop

given = dict(np.load(sys.argv[1]))
opt = TF1RMSprop(keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5), momentum=0.5)
var = keras.Variable(given["var"])
opt.build([var])
opt_vars = [v.value for v in opt.variables]
train = [var.value]
for g in given["grads"]:
    train, opt_vars = opt.stateless_apply(opt_vars, [keras.ops.convert_to_tensor(g)], train)
names = [v.name for v in opt.variables]
np.savez(sys.argv[2], var=np.asarray(train[0]),
         rms=np.asarray(opt_vars[[n.endswith("rms") for n in names].index(True)]))
json.dump({"backend": keras.backend.backend(), "type": type(train[0]).__module__,
           "iterations": int(opt_vars[names.index("iteration")])}, open(sys.argv[3], "w"))
"""


def test_jax_stateless_apply_matches_tensorflow(tmp_path):
    pytest.importorskip("jax")
    inputs, out, meta = tmp_path / "in.npz", tmp_path / "out.npz", tmp_path / "meta.json"
    np.savez(inputs, var=VAR, grads=GRADS)
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    result = subprocess.run(
        [sys.executable, "-c", JAX_SCRIPT, str(inputs), str(out), str(meta)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    info = json.loads(meta.read_text())
    assert info["backend"] == "jax" and info["type"].startswith("jax")
    assert info["iterations"] == 3
    jax_result = np.load(out)

    opt = TF1RMSprop(keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5), momentum=0.5)
    tf_var = run_steps(opt, GRADS)
    np.testing.assert_allclose(jax_result["var"], tf_var, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(jax_result["rms"], rms_slot(opt), rtol=1e-6)
    want, _, _ = tf1_reference(VAR, GRADS, [0.1, 0.05, 0.025], momentum=0.5)
    np.testing.assert_allclose(jax_result["var"], want, rtol=1e-6, atol=1e-7)


def test_wgan_save_and_load_keeps_the_accumulators(tmp_path):
    gan = keras_wgan.WGAN(
        keras_wgan.models.toy_generator(width=8),
        keras_wgan.models.toy_critic(width=8),
        loss="wgan-clip",
        n_critic=5,
    )
    gan.compile(TF1RMSprop(5e-5), TF1RMSprop(5e-5))
    gan.fit(
        keras_wgan.datasets.toy_dataset("8gaussians", batch_size=16, n_critic=5, seed=0),
        epochs=1,
        steps_per_epoch=1,
        verbose=0,
    )
    assert int(gan.d_optimizer.iterations) == 5 and int(gan.g_optimizer.iterations) == 1
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.d_optimizer, TF1RMSprop) and isinstance(loaded.g_optimizer, TF1RMSprop)
    assert loaded.d_optimizer.get_config()["initial_accumulator_value"] == 1.0
    for before, after in (
        (gan.d_optimizer, loaded.d_optimizer),
        (gan.g_optimizer, loaded.g_optimizer),
    ):
        assert [v.name for v in before.variables] == [v.name for v in after.variables]
        rms = [v for v in before.variables if v.name.endswith("rms")]
        assert rms and len(rms) == len(before._trainable_variables)
        # Trained: the accumulators have moved off their start at one, but not far.
        moved = np.concatenate([v.numpy().ravel() for v in rms])
        assert np.all(moved > 0.5) and not np.allclose(moved, 1.0)
        for a, b in zip(before.variables, after.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
