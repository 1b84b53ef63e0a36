"""Differentiable augmentation (`keras_wgan.augment`, `WGAN(augment=DiffAugment(...))`) and
ADA (`augment=ADA(...)`): each policy against NumPy, the identity at p = 0, gradients, where
the trainers apply it, ADA's update rule, saving and resuming, and the JAX trainer against
the TensorFlow one."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import package_env, run_on_backend

import keras_wgan
from keras_wgan import augment, models
from keras_wgan.augment import ADA, DiffAugment


def image_nets(seed=0):
    """An 8x8 gray generator (z of 4) and a one-hidden-layer critic."""
    keras.utils.set_random_seed(seed)
    z = keras.Input((4,))
    x = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64, activation="tanh")(z))
    image = keras.Input((8, 8, 1))
    h = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(image))
    return keras.Model(z, x), keras.Model(image, keras.layers.Dense(1)(h))


def image_gan(seed=0, **kwargs):
    g, d = image_nets(seed)
    gan = keras_wgan.WGAN(g, d, n_critic=2, seed=seed, **kwargs)
    gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))
    return gan


RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(-1, 1, (3, 8, 8, 2)).astype("float32")
DATA = RNG.uniform(-1, 1, (48, 8, 8, 1)).astype("float32")


def np_translation(x, dy, dx):
    """x shifted down by dy and right by dx, zero-filled, by slicing."""
    out = np.zeros_like(x)
    h, w = x.shape[:2]
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


# --- the policies --------------------------------------------------------------------------


def test_policies_come_in_diffaugment_order_and_bad_ones_are_refused():
    assert augment.check_policies("cutout,translation") == ("translation", "cutout")
    assert augment.check_policies(["color"]) == ("color",)
    assert augment.check_policies(None) == ()
    for bad in ("", "flip", "cutout,cutout", ["color", 3], 5, []):
        with pytest.raises(ValueError, match="Invalid value for argument `augment`"):
            augment.check_policies(bad)


@pytest.mark.parametrize(
    "component, kwargs, name",
    [
        (DiffAugment, {"policies": "translation,flip"}, "policies"),
        (DiffAugment, {"policies": []}, "policies"),
        (DiffAugment, {"policies": None}, "policies"),
        (DiffAugment, {"policies": "cutout", "probability": 1.5}, "probability"),
        (DiffAugment, {"policies": "cutout", "probability": -0.1}, "probability"),
        (ADA, {"policies": "cutout,flip"}, "policies"),
        (ADA, {"policies": "cutout", "target": 1.0}, "target"),
        (ADA, {"policies": "cutout", "target": 1.5}, "target"),
        (ADA, {"policies": "cutout", "target": 0.6, "kimg": 0}, "kimg"),
        (ADA, {"policies": "cutout", "probability": 1.5}, "probability"),
    ],
)
def test_bad_augmentation_arguments_are_refused(component, kwargs, name):
    with pytest.raises(ValueError, match=f"Invalid value for argument `{name}`"):
        component(**kwargs)


def test_bad_policies_given_to_the_model_are_refused():
    g, d = image_nets()
    with pytest.raises(ValueError, match="Invalid value for argument `augment`"):
        keras_wgan.WGAN(g, d, augment="translation,flip")
    with pytest.raises(ValueError, match="Invalid value for argument `augment`"):
        keras_wgan.WGAN(g, d, augment=5)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"augment_probability": 0.5}, "augment_probability"),
        ({"ada_target": 0.6}, "ada_target"),
        ({"augment": "cutout", "augment_probability": 1.5}, "augment_probability"),
        ({"augment": "cutout", "ada_target": 1.0}, "ada_target"),
        ({"augment": "cutout", "ada_kimg": 0}, "ada_kimg"),
    ],
)
def test_the_0_1_augmentation_arguments_name_their_new_home(kwargs, name):
    g, d = image_nets()
    with pytest.raises(TypeError, match=rf"no longer takes `{name}`.*`augment=.*DiffAugment.*ADA"):
        keras_wgan.WGAN(g, d, **kwargs)


def test_augmentation_of_points_is_refused_at_construction():
    g, d = models.toy_generator(width=8), models.toy_critic(width=8)
    with pytest.raises(ValueError, match=r"`augment`.*images.*\(None, 2\)"):
        keras_wgan.WGAN(g, d, augment="translation")


def test_parameters_follow_diffaugment_ranges_and_the_probability():
    top = np.nextafter(np.float32(1), np.float32(0))
    uniforms = np.array([[0.0] * 10, [top] * 10, [0.5] * 10], "float32")
    params = augment.parameters(uniforms, augment.POLICIES, (8, 8), probability=0.5)
    got = {p: {k: np.asarray(v).tolist() for k, v in d.items()} for p, d in params.items()}
    assert got["color"]["mask"] == got["cutout"]["mask"] == [True, False, False]  # u < p
    assert got["color"]["brightness"] == pytest.approx([-0.5, 0.5, 0.0])
    assert got["color"]["saturation"] == pytest.approx([0.0, 2.0, 1.0])
    assert got["color"]["contrast"] == pytest.approx([0.5, 1.5, 1.0])
    assert got["translation"]["shift"] == [[-1, -1], [1, 1], [0, 0]]  # round(8 / 8) = 1
    # The square of side 4 is centred on 0..8, DiffAugment's range for an even side.
    assert got["cutout"]["corner"] == [[-2, -2], [6, 6], [2, 2]]
    assert augment.num_uniforms(augment.POLICIES) == 10


def test_probability_zero_is_the_identity():
    uniforms = RNG.uniform(size=(3, 10)).astype("float32")
    params = augment.parameters(uniforms, augment.POLICIES, (8, 8), probability=0.0)
    np.testing.assert_array_equal(np.asarray(augment.apply(IMAGES, params)), IMAGES)
    ones = augment.parameters(uniforms, augment.POLICIES, (8, 8), probability=1.0)
    assert not np.allclose(np.asarray(augment.apply(IMAGES, ones)), IMAGES)


def test_translation_moves_each_image_by_its_shift():
    shift = [[1, -2], [0, 0], [-8, 3]]
    got = np.asarray(augment.translation(IMAGES, shift))
    for x, y, (dy, dx) in zip(IMAGES, got, shift):
        np.testing.assert_array_equal(y, np_translation(x, dy, dx))
    assert not got[2].any()  # shifted by the whole height


def test_cutout_zeros_exactly_the_drawn_square():
    uniforms = RNG.uniform(size=(3, 3)).astype("float32")
    corner = np.asarray(augment.parameters(uniforms, ("cutout",), (8, 8))["cutout"]["corner"])
    got = np.asarray(augment.cutout(IMAGES, corner))
    for x, y, (r, c) in zip(IMAGES, got, corner):
        square = np.zeros((8, 8), bool)
        square[max(r, 0) : max(r + 4, 0), max(c, 0) : max(c + 4, 0)] = True
        assert not y[square].any()
        np.testing.assert_array_equal(y[~square], x[~square])


def test_color_follows_diffaugment_formula():
    b, s, c = np.array([0.3, -0.5, 0.1]), np.array([1.7, 0.0, 1.0]), np.array([0.5, 1.2, 1.5])
    got = np.asarray(augment.color(IMAGES, b, s, c))
    x = IMAGES.astype("float64") + b[:, None, None, None]
    mean = x.mean(axis=3, keepdims=True)
    x = (x - mean) * s[:, None, None, None] + mean
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    want = (x - mean) * c[:, None, None, None] + mean
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _input_gradient(fn, x, w):
    """d/dx sum(w * fn(x)) by a tape."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(w * fn(x))
    return tape.gradient(total, x).numpy()


def test_gradients_through_each_policy():
    w = RNG.normal(size=IMAGES.shape).astype("float32")
    shift = [[1, -2], [-3, 0], [2, 2]]
    # Translation's transpose is the opposite shift.
    got = _input_gradient(lambda x: augment.translation(x, shift), IMAGES, w)
    np.testing.assert_array_equal(got, np.asarray(augment.translation(w, -np.array(shift))))
    corner = [[-2, 3], [0, 0], [6, 6]]
    got = _input_gradient(lambda x: augment.cutout(x, corner), IMAGES, w)
    np.testing.assert_array_equal(got, np.asarray(augment.cutout(w, corner)))
    # Color is affine in x: x -> C(S(x + b)), with S = s I + (1 - s) mean over channels and
    # C = c I + (1 - c) mean over the image, both symmetric; its gradient is S(C w).
    s, c = np.array([1.7, 0.0, 1.0]), np.array([0.5, 1.2, 1.5])
    got = _input_gradient(lambda x: augment.color(x, [0.1, 0.2, 0.3], s, c), IMAGES, w)
    s, c = s[:, None, None, None], c[:, None, None, None]
    cw = c * w + (1 - c) * w.mean(axis=(1, 2, 3), keepdims=True)
    want = s * cw + (1 - s) * cw.mean(axis=3, keepdims=True)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # Masked off (p = 0): the gradient of the identity.
    params = augment.parameters(np.zeros((3, 10), "float32"), augment.POLICIES, (8, 8), 0.0)
    np.testing.assert_array_equal(_input_gradient(lambda x: augment.apply(x, params), IMAGES, w), w)


# --- where the trainers apply it -----------------------------------------------------------


def replay_draw(gan, batch_size):
    """The parameters of one augmented batch as the component draws them: U[0, 1) draws
    from the model's seed (`gan.draw`), mapped at the component's current p."""
    policies = gan.augment.policies
    uniforms = gan.draw("uniform", (batch_size, augment.num_uniforms(policies)))
    return augment.parameters(uniforms, policies, (8, 8), gan.augment.p())


def test_the_critic_and_the_generator_see_augmented_batches():
    """One critic and one generator update with augmentation equal, on the same weights,
    the updates of a model without it given the augmented batches (drawn from the same seed
    state): the loss, x-hat between the augmented batches, and the generator's gradient
    through T."""
    real, fake = DATA[:8], DATA[8:16]
    alpha = RNG.uniform(size=8).astype("float32")
    z = RNG.normal(size=(8, 4)).astype("float32")
    gan = image_gan(augment="color,translation,cutout")
    plain = image_gan()
    assert isinstance(gan.augment, DiffAugment) and gan.augment_p == 1.0
    assert tuple(gan.augment.policies) == augment.POLICIES
    state = gan._seed_generator.state.numpy()
    logs = gan.critic_update(real, fake=fake, alpha=alpha)
    # The same draws, replayed: the real batch's first, then the generated batch's.
    gan._seed_generator.state.assign(state)
    real_params = replay_draw(gan, 8)
    fake_params = replay_draw(gan, 8)
    assert not np.array_equal(real_params["cutout"]["corner"], fake_params["cutout"]["corner"])
    want = plain.critic_update(
        augment.apply(real, real_params), fake=augment.apply(fake, fake_params), alpha=alpha
    )
    assert set(logs) == set(want) | {"augment_rt"}
    for name, value in want.items():
        assert float(logs[name]) == pytest.approx(float(value), rel=1e-6), name
    for a, b in zip(gan.critic.get_weights(), plain.critic.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    # The generator: -E[D(T(G(z)))], differentiated through T.
    state = gan._seed_generator.state.numpy()
    logs = gan.generator_update(8, z=z)
    gan._seed_generator.state.assign(state)
    params = replay_draw(gan, 8)
    with tf.GradientTape() as tape:
        score = plain.critic(augment.apply(plain.generator(z), params))
        loss = -tf.reduce_mean(score)
    grads = tape.gradient(loss, plain.generator.trainable_variables)
    assert float(logs["generator_loss"]) == pytest.approx(float(loss), rel=1e-6)
    for v, g in zip(plain.generator.trainable_variables, grads):
        v.assign(v - 0.05 * g)
    for a, b in zip(gan.generator.get_weights(), plain.generator.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_at_probability_zero_the_updates_are_those_of_no_augmentation():
    real, fake = DATA[:8], DATA[8:16]
    alpha = RNG.uniform(size=8).astype("float32")
    z = RNG.normal(size=(8, 4)).astype("float32")
    gan = image_gan(augment=DiffAugment(["color", "translation", "cutout"], probability=0.0))
    plain = image_gan()
    for model in (gan, plain):
        model.critic_update(real, fake=fake, alpha=alpha)
        model.generator_update(8, z=z)
    for a, b in zip(gan.generator.weights + gan.critic.weights, plain.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert gan.augment_p == 0.0


# --- ADA ------------------------------------------------------------------------------------


def test_ada_moves_p_towards_the_target_by_its_rule():
    up = float(augment.ada_adjust(0.5, 0.7, 0.6, images=2000, kimg=20))
    down = float(augment.ada_adjust(0.5, 0.5, 0.6, images=2000, kimg=20))
    assert (up, down) == pytest.approx((0.6, 0.4))
    assert float(augment.ada_adjust(0.99, 1.0, 0.6, 2000, 20)) == 1.0  # clipped
    assert float(augment.ada_adjust(0.01, -1.0, 0.6, 2000, 20)) == 0.0
    # Accumulated over critic batches, adjusted every ADA_INTERVAL generator steps.
    assert augment.ADA_INTERVAL == 4
    state = (0.5, 0.0, 0.0)
    for step, rt in enumerate([0.9, 0.5, 0.9, 0.5], start=1):
        state = augment.ada_accumulate(state, rt, batch_size=500)
        state = [float(v) for v in augment.ada_step(state, step, target=0.6, kimg=20)]
        if step < 4:
            assert state[0] == 0.5 and state[2] == 500 * step
    assert state == pytest.approx([0.6, 0.0, 0.0])  # r_t = 0.7 over 2000 images
    # The heuristic ignores a constant added to the critic's scores.
    real, fake = RNG.normal(size=16), RNG.normal(size=16) - 0.5
    assert float(augment.overfitting_sign(real, fake)) == float(
        augment.overfitting_sign(real + 100.0, fake + 100.0)
    )


def test_fit_with_ada_moves_p_by_the_rule_and_logs_it():
    # 48 images, n_critic 2, batch 6: 4 steps, one adjustment of 48 / 480 = 0.1.
    gan = image_gan(augment=ADA("translation,cutout", target=0.6, kimg=0.48, probability=0.5))
    history = gan.fit(DATA, batch_size=6, epochs=1, shuffle=False, verbose=0)
    rt = history.history["augment_rt"][0]  # the mean over the 8 equal critic batches
    want = 0.6 if rt > 0.6 else 0.4
    assert gan.augment_p == pytest.approx(want)
    # Logged after each step: 0.5 three times, then the adjusted p.
    assert history.history["augment_p"][0] == pytest.approx((3 * 0.5 + want) / 4)
    assert [float(v) for v in gan.augment.state[1:]] == [0.0, 0.0]


def test_ada_state_is_saved_loaded_and_resumed_exactly(tmp_path):
    gan = image_gan(augment=ADA("color,translation,cutout", target=0.2, kimg=0.1))
    # 3 steps: the checkpoint falls inside ADA's interval of 4 steps.
    gan.fit(DATA[:36], batch_size=6, epochs=1, shuffle=False, verbose=0)
    accumulated = [float(v) for v in gan.augment.state]
    assert accumulated[2] == 36.0  # the images of three steps, not yet used
    gan.save(tmp_path / "m.keras")
    resumed = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(resumed.augment, ADA)
    assert [float(v) for v in resumed.augment.state] == accumulated
    assert resumed.get_config()["augment"]["config"] == {
        "policies": ["color", "translation", "cutout"],
        "probability": 0.0,
        "target": 0.2,
        "kimg": 0.1,
    }
    for model in (gan, resumed):  # two more epochs: two adjustments of p
        model.fit(DATA[:36], batch_size=6, epochs=3, initial_epoch=1, shuffle=False, verbose=0)
    assert resumed.generator_step() == gan.generator_step() == 9
    assert resumed.augment_p == gan.augment_p
    for a, b in zip(gan.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)  # bit for bit


# --- both backends --------------------------------------------------------------------------

# Runs under KERAS_BACKEND=tensorflow or jax. "updates": one critic and one generator
# update with given augmentation draws (the generator's gradient flows through all three
# policies), and a short fit with ADA. "resume": a fit with ADA, saved, loaded, and both
# models trained on.
SCRIPT = r"""
import json, sys
import numpy as np
import keras
import keras_wgan
from keras_wgan import augment
from keras_wgan.augment import ADA

inputs, out, mode = sys.argv[1:4]
given = dict(np.load(inputs))
backend = keras.backend.backend()


def build(n_critic, component="color,translation,cutout"):
    z = keras.Input((4,))
    x = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64, activation="tanh")(z))
    image = keras.Input((8, 8, 1))
    h = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(image))
    gan = keras_wgan.WGAN(keras.Model(z, x), keras.Model(image, keras.layers.Dense(1)(h)),
                          n_critic=n_critic, seed=3, augment=component)
    gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))
    for name, net in (("g", gan.generator), ("c", gan.critic)):
        net.set_weights([given[f"{name}{i}"] for i in range(len(net.weights))])
    return gan


result, arrays = {"backend": backend}, []
if mode == "updates":
    gan = build(2)
    queue = list(given["draws"])  # the real batch's, the generated batch's, then G(z)'s
    def draw(kind, shape, maxval=None):  # the augmentation's U[0, 1) draws, given
        assert (kind, tuple(shape)) == ("uniform", (8, 10)), (kind, shape)
        return queue.pop(0)
    gan.draw = draw
    logs = gan.critic_update(given["real"], fake=given["fake"], alpha=given["alpha"])
    logs.update(gan.generator_update(8, z=given["z"]))
    assert not queue
    result["logs"] = {k: float(v) for k, v in logs.items()}
    arrays += gan.get_weights()
    fitted = build(1, ADA("color,translation,cutout", target=0.2, kimg=0.1))
    history = fitted.fit(given["data"], batch_size=6, epochs=1, shuffle=False, verbose=0)
    result.update(history=history.history, step=fitted.generator_step())
else:  # 3 steps an epoch: the checkpoint falls inside ADA's interval of 4 steps
    gan = build(2, ADA("color,translation,cutout", target=0.2, kimg=0.1))
    gan.fit(given["data"], batch_size=6, epochs=1, shuffle=False, verbose=0)
    result["saved"] = [float(v) for v in gan.augment.state]
    gan.save(out + ".keras")
    resumed = keras.saving.load_model(out + ".keras")
    result["loaded"] = [float(v) for v in resumed.augment.state]
    for model in (gan, resumed):
        model.fit(given["data"], batch_size=6, epochs=3, initial_epoch=1, shuffle=False,
                  verbose=0)
    result["p"] = [gan.augment_p, resumed.augment_p]
    result["steps"] = [gan.generator_step(), resumed.generator_step()]
    arrays += gan.get_weights() + resumed.get_weights()
json.dump(result, open(out + ".json", "w"))
np.savez(out + ".npz", *arrays)
"""


def _given(tmp_path):
    g, d = image_nets(5)
    rng = np.random.default_rng(4)
    given = {f"g{i}": w for i, w in enumerate(g.get_weights())}
    given.update({f"c{i}": w for i, w in enumerate(d.get_weights())})
    given.update(
        draws=rng.uniform(size=(3, 8, 10)).astype("float32"),
        real=DATA[:8],
        fake=DATA[8:16],
        alpha=rng.uniform(size=8).astype("float32"),
        z=rng.normal(size=(8, 4)).astype("float32"),
        data=DATA[:36],
    )
    inputs = str(tmp_path / "inputs.npz")
    np.savez(inputs, **given)
    return inputs


# Under -m slow: the step is one code on every backend, whose gradient plumbing
# tests/test_backends.py compares in the default run.
@pytest.mark.slow
def test_jax_and_tensorflow_augment_alike(tmp_path):
    pytest.importorskip("jax")
    inputs = _given(tmp_path)
    tf_meta, tf_arrays = run_on_backend(
        "tensorflow", SCRIPT, inputs, str(tmp_path / "tf"), "updates"
    )
    jax_meta, jax_arrays = run_on_backend("jax", SCRIPT, inputs, str(tmp_path / "jax"), "updates")
    assert (tf_meta["backend"], jax_meta["backend"]) == ("tensorflow", "jax")
    assert len(tf_arrays) == len(jax_arrays)
    for a, b in zip(tf_arrays, jax_arrays):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert set(tf_meta["logs"]) == set(jax_meta["logs"])
    assert {"augment_rt", "gradient_penalty"} <= set(tf_meta["logs"])
    for name, value in tf_meta["logs"].items():
        assert jax_meta["logs"][name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    # A fit with ADA on each (their noise streams differ): finite logs, p and r_t among them.
    for meta in (tf_meta, jax_meta):
        assert meta["step"] == 6
        assert {"augment_p", "augment_rt"} <= set(meta["history"])
        assert all(np.isfinite(v).all() for v in meta["history"].values())


@pytest.mark.slow  # a subprocess each, 20 to 30 s on two shared cores
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_ada_resumes_exactly_on_each_backend(tmp_path, backend):
    if backend == "jax":
        pytest.importorskip("jax")
    meta, arrays = run_on_backend(backend, SCRIPT, _given(tmp_path), str(tmp_path / "m"), "resume")
    assert meta["saved"] == meta["loaded"] and meta["saved"][2] == 36.0
    assert meta["steps"] == [9, 9] and meta["p"][0] == meta["p"][1]
    assert all(np.isfinite(a).all() for a in arrays)
    half = len(arrays) // 2
    for a, b in zip(arrays[:half], arrays[half:]):
        np.testing.assert_array_equal(a, b)


# Under MirroredStrategy on two logical CPUs a fixed p trains and ADA is refused; under
# JAX's DataParallel on two host devices ADA trains (its step sees the global batch).
DISTRIBUTED = r"""
import json, sys
import numpy as np
import keras
import keras_wgan
from keras_wgan.augment import ADA, DiffAugment

out = sys.argv[1]
data = np.random.default_rng(0).uniform(-1, 1, (48, 8, 8, 1)).astype("float32")


def build(component):
    z = keras.Input((4,))
    x = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64, activation="tanh")(z))
    image = keras.Input((8, 8, 1))
    h = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(image))
    gan = keras_wgan.WGAN(keras.Model(z, x), keras.Model(image, keras.layers.Dense(1)(h)),
                          n_critic=2, seed=0, augment=component)
    gan.compile()
    return gan


result = {}
if keras.backend.backend() == "jax":
    import jax
    assert len(jax.devices()) == 2
    keras.distribution.set_distribution(keras.distribution.DataParallel())
    ada = build(ADA("translation,cutout", target=0.1, kimg=0.05))
    history = ada.fit(data, batch_size=6, epochs=2, verbose=0)
    result["history"] = history.history
else:
    import tensorflow as tf
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        fixed = build(DiffAugment("translation,cutout", probability=0.5))
        ada = build(ADA("translation,cutout", target=0.6))
    result["history"] = fixed.fit(data, batch_size=6, epochs=1, verbose=0).history
    try:
        ada.fit(data, batch_size=6, epochs=1, verbose=0)
    except ValueError as error:
        result["refused"] = str(error)
json.dump(result, open(out, "w"))
"""

MIRRORED_PRELUDE = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
"""


@pytest.mark.slow  # a subprocess each, about 20 s on two shared cores
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_augmentation_under_distribution(tmp_path, backend):
    if backend == "jax":
        pytest.importorskip("jax")
    extra = {"KERAS_BACKEND": backend}
    script = DISTRIBUTED
    if backend == "jax":
        extra["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    else:
        script = MIRRORED_PRELUDE + DISTRIBUTED
    out = str(tmp_path / "out.json")
    result = subprocess.run(
        [sys.executable, "-c", script, out],
        env=package_env(**extra),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out) as f:
        meta = json.load(f)
    assert all(np.isfinite(v).all() for v in meta["history"].values())
    assert "augment_p" in meta["history"]
    if backend == "tensorflow":
        assert meta["history"]["augment_p"] == [0.5]
        assert "ADA adapts p" in meta["refused"] and "tf.distribute" in meta["refused"]
        assert "`DiffAugment`" in meta["refused"]  # what to use there instead


# --- the command line -----------------------------------------------------------------------


def test_the_augmentation_flags_are_part_of_the_run_record():
    from keras_wgan import cli

    argv = ["train", "--dataset", "digits", "--steps", "1", "--out", "x", "--seed", "2"]
    argv += ["--augment", "cutout,translation", "--ada-target", "0.6", "--ada-kimg", "5"]
    args = cli.build_parser().parse_args(argv)
    settings = cli.train.settings(args)
    model = cli.train.run_record(args, settings)["settings"]["model"]
    assert (model["augment"], model["ada_target"], model["ada_kimg"]) == (
        ["translation", "cutout"],
        0.6,
        5.0,
    )
    assert "augment_probability" not in model  # unset flags stay out (older records hold)
    plain = cli.build_parser().parse_args(argv[:9])
    assert "augment" not in cli.train.settings(plain)["model"]


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--dataset", "8gaussians", "--augment", "cutout"], "--augment is for image datasets"),
        (["--dataset", "text", "--augment", "cutout"], "--augment is for image datasets"),
        (["--dataset", "digits", "--augment", "cutout,flip"], "policies among color"),
        (["--dataset", "digits", "--ada-target", "0.6"], "--ada-target is for augmented runs"),
        (["--dataset", "digits", "--augment", "color", "--ada-kimg", "5"], "add --ada-target"),
        (["--dataset", "digits", "--augment", "color", "--augment-probability", "2"], "[0, 1]"),
        (["--dataset", "digits", "--augment", "color", "--ada-target", "1"], "[0, 1)"),
    ],
)
def test_bad_augmentation_flags_get_one_line(flags, message, capsys, tmp_path, monkeypatch):
    from keras_wgan import cli

    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--steps", "1", "--out", "x"] + flags) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("keras-wgan: error:") and message in err and "\n" not in err
    assert not (tmp_path / "x").exists()
