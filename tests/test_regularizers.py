"""R1, DRAGAN, the hinge loss and spectral normalisation, pinned on closed forms.

A linear critic D(x) = w.x has the gradient w at every x, so R1 = gamma/2 ||w||^2 and
DRAGAN's penalty = lambda (||w|| - 1)^2 whatever the points; spectrally normalised it is
D(x) = w.x / ||w||, whose input gradient has norm 1. One critic update with SGD then moves w
by exactly -lr times the gradient written out below in NumPy. The same script runs on the
TensorFlow backend (in this process) and on JAX (in a subprocess), and every number of
both is checked against the hand computation; the networks that have no closed form are
checked across the backends.
"""

import json
import os
import re
import sys

import keras
import numpy as np
import pytest
from helpers import TINY, run_on_backend

import keras_wgan
from keras_wgan import architectures, cli, datasets, layers, losses, models, options, presets

LR, WEIGHT = 0.1, 2.0

# Runs under KERAS_BACKEND=tensorflow or jax the sections named in argv ("updates", "fit",
# "agree"; all without); writes out.json and out.npz (the weights of "agree").
SCRIPT = r"""
import json, sys
import numpy as np
import keras
import keras_wgan
from keras_wgan import architectures, layers, losses

inputs, out = sys.argv[1], sys.argv[2]
sections = sys.argv[3:] or ["updates", "fit", "agree"]
given = dict(np.load(inputs))
LR, WEIGHT = float(given["lr"]), float(given["weight"])


def networks(hidden=False):
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    body = [keras.layers.Dense(4, activation="tanh")] if hidden else []
    critic = keras.Sequential([keras.Input((3,)), *body, keras.layers.Dense(1, use_bias=hidden)])
    return generator, critic


def component(loss, every=1):
    # The loss with its penalty's weight WEIGHT (R1's gamma); the hinge loss has none.
    if loss == "r1":
        return losses.R1(gamma=WEIGHT, every=every)
    assert every == 1, loss
    if loss == "dragan":
        return losses.DRAGAN(gp_weight=WEIGHT)
    if loss == "wgan-gp":
        return losses.WGANGP(gp_weight=WEIGHT)
    return losses.get(loss)


def gan(loss, sn=False, hidden=False, every=1):
    generator, critic = networks(hidden)
    if sn:
        critic = architectures.spectral_normalize(critic)
    model = keras_wgan.WGAN(generator, critic, loss=component(loss, every), n_critic=1, seed=0)
    model.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR))
    if hidden:
        model.set_weights([given[f"h{i}"] for i in range(len(model.get_weights()))])
    else:
        model.critic.trainable_variables[0].assign(given["w"])
    return model


def update(model, k, **extra):
    logs = model.critic_update(given["real"][k], fake=given["fake"][k], alpha=given["alpha"][k],
                               noise=given["noise"][k], **extra)
    return {name: float(value) for name, value in logs.items()}


def kernel(model):
    return np.asarray(model.critic.trainable_variables[0].value).ravel().tolist()


def draws(order):
    # The weights after a DRAGAN update with alpha and the noise drawn, in `order`, from
    # the model's seed and passed in.
    model = gan("dragan", sn=True, hidden=True)
    drawn = {what: model.draw("uniform", (8,) if what == "alpha" else (8, 3)) for what in order}
    model.critic_update(given["real"][0], fake=given["fake"][0], **drawn)
    return model.get_weights()


def updates():
    # One update of the linear critic (four with lazy R1, K = 3) per loss.
    for name, loss, sn, extra in (
        ("r1", "r1", False, {}), ("dragan", "dragan", False, {}), ("hinge", "hinge", False, {}),
        ("sn-hinge", "hinge", True, {}), ("sn-r1", "r1", True, {}),
        ("lazy", "r1", False, {"every": 3}),
    ):
        model = gan(loss, sn, **extra)
        logs, kernels = [], []
        for k in range(4 if name == "lazy" else 1):
            logs.append(update(model, k))
            kernels.append(kernel(model))
        results[name] = {"logs": logs, "kernels": kernels}
    # DRAGAN's draws come from the model's seed, alpha then the noise: a twin that draws
    # them so and passes them makes the same update; drawn in the other order, another.
    model = gan("dragan", sn=True, hidden=True)
    model.critic_update(given["real"][0], fake=given["fake"][0])
    own = model.get_weights()
    results["draws"] = {
        order[0]: max(float(np.abs(a - b).max()) for a, b in zip(own, draws(order)))
        for order in (("alpha", "noise"), ("noise", "alpha"))
    }


def fit():
    # Lazy R1 in `fit` (K = 2, one step an epoch: a tf.function, jitted on JAX); the power
    # iteration on diag(3, 1); a spectrally normalised critic through a .keras file.
    model = gan("r1", every=2)
    history = model.fit(given["real"][0], batch_size=8, epochs=4, shuffle=False, verbose=0)
    results["fit"] = {"penalty": history.history["gradient_penalty"],
                      "updates": int(model.d_optimizer.iterations)}
    eye = np.eye(2, dtype="float32")
    wrapped = layers.SpectralNormalization(keras.layers.Dense(2, use_bias=False))
    wrapped.build((None, 2))
    wrapped.layer.kernel.assign(np.diag([3.0, 1.0]).astype("float32"))
    for _ in range(30):
        wrapped(eye, training=True)
    normalized, sigma, _ = wrapped.normalized_kernel()
    results["power"] = {"normalized": np.asarray(normalized).tolist(), "sigma": float(sigma),
                        "inference": np.asarray(wrapped(eye, training=False)).tolist(),
                        "kernel": np.asarray(wrapped.layer.kernel.value).tolist()}
    x = given["real"][0]
    critic = architectures.spectral_normalize(networks(hidden=True)[1])
    for _ in range(3):
        critic(x, training=True)
    critic.save(out + ".keras")
    again = keras.saving.load_model(out + ".keras")
    results["saved"] = {
        "outputs": float(np.abs(np.asarray(critic(x)) - np.asarray(again(x))).max()),
        "weights": max(float(np.abs(a - b).max())
                       for a, b in zip(critic.get_weights(), again.get_weights())),
        "num_u": sum(1 for v in again.non_trainable_variables if "vector_u" in v.path),
    }


def agree():
    # Networks without a closed form, for the backends to agree on: a spectrally normalised
    # hidden layer (its u moves), two critic updates and a generator update.
    for loss, extra in (("wgan-gp", {}), ("r1", {"every": 2}), ("dragan", {}), ("hinge", {})):
        model = gan(loss, sn=True, hidden=True, **extra)
        logs = [update(model, 0), update(model, 1)]
        logs.append({k: float(v) for k, v in model.generator_update(8, z=given["z"]).items()})
        results[f"agree-{loss}"] = logs
        arrays.extend(model.get_weights())


results, arrays = {"backend": keras.backend.backend()}, []
for section in sections:
    {"updates": updates, "fit": fit, "agree": agree}[section]()
np.savez(out + ".npz", *arrays)
json.dump(results, open(out + ".json", "w"))
"""


def _inputs(path=None):
    """The script's inputs (written to `path`, if given)."""
    rng = np.random.default_rng(0)
    generator, critic = _hidden_networks()
    weights = generator.get_weights() + architectures.spectral_normalize(critic).get_weights()
    given = {f"h{i}": w for i, w in enumerate(weights)}
    given.update(
        lr=LR,
        weight=WEIGHT,
        w=np.array([[0.6], [-0.8], [0.5]], "float32"),
        real=rng.normal(size=(4, 8, 3)).astype("float32"),
        fake=rng.normal(size=(4, 8, 3)).astype("float32"),
        alpha=rng.uniform(size=(4, 8)).astype("float32"),
        noise=rng.uniform(size=(4, 8, 3)).astype("float32"),
        z=rng.normal(size=(8, 2)).astype("float32"),
    )
    if path:
        np.savez(path, **given)
    return given


def _hidden_networks():
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    critic = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)]
    )
    return generator, critic


def _run_here(inputs, out):
    """The script on this process's backend (TensorFlow)."""
    argv, sys.argv = sys.argv, ["-c", inputs, out]
    try:
        exec(compile(SCRIPT, "SCRIPT", "exec"), {})
    finally:
        sys.argv = argv
    with open(out + ".json") as f:
        meta = json.load(f)
    arrays = np.load(out + ".npz")
    return meta, [arrays[f"arr_{i}"] for i in range(len(arrays.files))]


# --- the hand computations ----------------------------------------------------------------


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softplus(x):
    return np.log1p(np.exp(x))


def scores(w, x, sn):
    """D(x) and dD/dw per example of the linear critic, spectrally normalised or not."""
    d = x @ w
    if not sn:
        return d, x
    norm = np.linalg.norm(w)
    return d / norm, x / norm - np.outer(d, w) / norm**3


def hand_update(loss, w, real, fake, sn=False, penalty_scale=1.0):
    """(critic_loss, gradient_penalty, grad_norm, new w) of one SGD critic update."""
    d_real, j_real = scores(w, real, sn)
    d_fake, j_fake = scores(w, fake, sn)
    if loss == "hinge":
        value = np.mean(np.maximum(0, 1 - d_real)) + np.mean(np.maximum(0, 1 + d_fake))
        grad = -np.mean((d_real < 1)[:, None] * j_real, 0) + np.mean(
            (d_fake > -1)[:, None] * j_fake, 0
        )
        return value, None, None, w - LR * grad
    value = np.mean(softplus(-d_real)) + np.mean(softplus(d_fake))
    grad = -np.mean(sigmoid(-d_real)[:, None] * j_real, 0) + np.mean(
        sigmoid(d_fake)[:, None] * j_fake, 0
    )
    norm = 1.0 if sn else np.linalg.norm(w)  # ||grad_x D||, the same at every x
    if loss == "r1":
        penalty = 0.5 * norm**2
        penalty_grad = np.zeros_like(w) if sn else w  # SN: ||grad_x D|| = 1 for every w
    else:  # DRAGAN
        penalty = (norm - 1.0) ** 2
        penalty_grad = 2.0 * (norm - 1.0) * w / norm
    penalty, norm, penalty_grad = (penalty_scale * v for v in (penalty, norm, penalty_grad))
    new_w = w - LR * (grad + WEIGHT * penalty_grad)
    return value + WEIGHT * penalty, penalty, norm, new_w


def check_lazy_fit(fitted, w0):
    """Lazy R1 in `fit` (K = 2, one update a step, one step an epoch): the penalty, weighted
    by 2, on updates 0 and 2 only."""
    assert fitted["updates"] == 4
    assert fitted["penalty"][0] == pytest.approx(w0 @ w0, rel=1e-5)  # 2 * 1/2 ||w||^2
    assert fitted["penalty"][1] == fitted["penalty"][3] == 0.0
    assert fitted["penalty"][2] > 0.0


def check_updates(meta, given):
    """The "updates" section against `hand_update`."""
    w0 = given["w"].ravel().astype("float64")
    real = given["real"].astype("float64")
    fake = given["fake"].astype("float64")
    for name, loss, sn in (
        ("r1", "r1", False),
        ("dragan", "dragan", False),
        ("hinge", "hinge", False),
        ("sn-hinge", "hinge", True),
        ("sn-r1", "r1", True),
    ):
        value, penalty, norm, w1 = hand_update(loss, w0, real[0], fake[0], sn)
        logs = meta[name]["logs"][0]
        assert logs["critic_loss"] == pytest.approx(value, rel=1e-5), name
        if penalty is None:
            assert "gradient_penalty" not in logs, name
        else:
            assert logs["gradient_penalty"] == pytest.approx(penalty, rel=1e-5, abs=1e-7), name
            assert logs["grad_norm"] == pytest.approx(norm, rel=1e-5), name
        np.testing.assert_allclose(meta[name]["kernels"][0], w1, rtol=1e-5, atol=1e-7)
    # The closed forms themselves: R1 = gamma/2 ||w||^2 and DRAGAN lambda (||w|| - 1)^2.
    assert meta["r1"]["logs"][0]["gradient_penalty"] == pytest.approx(0.5 * w0 @ w0, rel=1e-5)
    assert meta["dragan"]["logs"][0]["gradient_penalty"] == pytest.approx(
        (np.linalg.norm(w0) - 1) ** 2, rel=1e-5
    )
    # Lazy R1, K = 3: the penalty, weighted by 3, on the critic's updates 0 and 3 only.
    w = w0
    for k in range(4):
        taken = k % 3 == 0
        value, penalty, norm, w = hand_update(
            "r1", w, real[k], fake[k], penalty_scale=3.0 if taken else 0.0
        )
        logs = meta["lazy"]["logs"][k]
        assert logs["critic_loss"] == pytest.approx(value, rel=1e-5), k
        assert logs["gradient_penalty"] == pytest.approx(penalty, rel=1e-5), k
        assert logs["grad_norm"] == pytest.approx(norm, rel=1e-5), k
        np.testing.assert_allclose(meta["lazy"]["kernels"][k], w, rtol=1e-5, atol=1e-7)
    assert meta["draws"]["alpha"] == 0.0 and meta["draws"]["noise"] > 1e-4


def check_fit(meta, given):
    """The "fit" section: lazy R1 in `fit`, the power iteration, the saved critic."""
    check_lazy_fit(meta["fit"], given["w"].ravel())
    # The power iteration on diag(3, 1): sigma 3, the kernel used diag(1, 1/3), the
    # variable itself untouched (a reparametrisation, not a projection).
    power = meta["power"]
    assert power["sigma"] == pytest.approx(3.0, rel=1e-6)
    np.testing.assert_allclose(power["normalized"], np.diag([1.0, 1 / 3]), atol=1e-6)
    assert np.linalg.svd(np.array(power["normalized"]), compute_uv=False)[0] == pytest.approx(1.0)
    np.testing.assert_allclose(power["inference"], power["normalized"], atol=1e-6)
    np.testing.assert_array_equal(power["kernel"], np.diag([3.0, 1.0]))
    saved = meta["saved"]
    assert saved["outputs"] == saved["weights"] == 0.0 and saved["num_u"] == 2


def check_agree(meta, arrays, tf_meta, tf_arrays):
    """The "agree" section: the same numbers as TensorFlow's."""
    for loss in ("wgan-gp", "r1", "dragan", "hinge"):
        for tf_logs, logs in zip(tf_meta[f"agree-{loss}"], meta[f"agree-{loss}"]):
            assert set(tf_logs) == set(logs)
            for name, value in tf_logs.items():
                assert logs[name] == pytest.approx(value, rel=1e-5, abs=1e-6), (loss, name)
    assert len(tf_arrays) == len(arrays) > 0  # the weights, the vectors u included
    for a, b in zip(tf_arrays, arrays):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def tensorflow_run(tmp_path_factory):
    """(inputs, the script's results and arrays on TensorFlow, the inputs' path)."""
    folder = tmp_path_factory.mktemp("regularizers")
    given = _inputs(str(folder / "in.npz"))
    meta, arrays = _run_here(str(folder / "in.npz"), str(folder / "tf"))
    assert meta["backend"] == "tensorflow"
    return given, meta, arrays, str(folder / "in.npz")


def test_closed_forms_on_tensorflow(tensorflow_run):
    given, meta, arrays, _ = tensorflow_run
    check_updates(meta, given)
    check_fit(meta, given)
    check_agree(meta, arrays, meta, arrays)


# Three processes of 8-18 s on two busy cores: the closed forms in the default run, the
# comparison of the networks without one under -m slow.
@pytest.mark.parametrize(
    "section",
    [
        "updates",
        pytest.param("fit", marks=pytest.mark.slow),
        pytest.param("agree", marks=pytest.mark.slow),
    ],
)
def test_closed_forms_on_jax_and_the_backends_agree(tensorflow_run, tmp_path, section):
    pytest.importorskip("jax")
    given, tf_meta, tf_arrays, inputs = tensorflow_run
    meta, arrays = run_on_backend("jax", SCRIPT, inputs, str(tmp_path / "jax"), section)
    assert meta["backend"] == "jax"
    if section == "updates":
        check_updates(meta, given)
    elif section == "fit":
        check_fit(meta, given)
    else:
        check_agree(meta, arrays, tf_meta, tf_arrays)


@pytest.mark.slow  # XLA's compilation of the double gradient: about 15 s on two busy cores
def test_lazy_r1_and_spectral_norm_compile_with_xla():
    given = _inputs(None)
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
    gan = keras_wgan.WGAN(generator, critic, loss=losses.R1(gamma=WEIGHT, every=2), n_critic=1)
    gan.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR), jit_compile=True)
    critic.trainable_variables[0].assign(given["w"])
    history = gan.fit(given["real"][0], batch_size=8, epochs=4, shuffle=False, verbose=0)
    check_lazy_fit(
        {
            "penalty": history.history["gradient_penalty"],
            "updates": int(gan.d_optimizer.iterations),
        },
        given["w"].ravel(),
    )
    sn = keras_wgan.WGAN(
        *_hidden_networks()[:1],
        architectures.spectral_normalize(_hidden_networks()[1]),
        loss="dragan",
        n_critic=1,
    )
    sn.compile(jit_compile=True)
    history = sn.fit(given["real"][0], batch_size=8, epochs=2, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())


# --- the pieces on their own ---------------------------------------------------------------


def test_hinge_losses_and_dragan_points_by_hand():
    real, fake = np.array([2.0, 0.5, -1.0]), np.array([-3.0, 0.0, 0.25])
    # relu(1 - D(x)): 0, 0.5, 2; relu(1 + D(G(z))): 0, 1, 1.25.
    assert float(losses.hinge_critic_loss(real, fake)) == pytest.approx(2.5 / 3 + 2.25 / 3)
    assert float(losses.hinge_generator_loss(fake)) == pytest.approx(2.75 / 3)
    # Kodali et al.'s code: x + alpha * (x + 0.5 * x.std() * U[0, 1) - x), std over the batch.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 3, 2)).astype("float32")
    alpha, noise = rng.uniform(size=4), rng.uniform(size=x.shape)
    perturbed = x + 0.5 * x.std() * noise
    expected = x + alpha[:, None, None] * (perturbed - x)
    got = keras.ops.convert_to_numpy(losses.dragan_points(x, alpha, noise))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_the_losses_presets_follow_their_papers_code():
    r1, dragan, hinge = (presets.get(name) for name in ("r1", "dragan", "hinge"))
    assert r1["model"] == {"loss": "r1", "n_critic": 1, "gp_weight": 10.0}
    assert r1["d_optimizer"]["class_name"] == "RMSprop"
    assert r1["d_optimizer"]["config"]["learning_rate"] == 1e-4
    assert dragan["model"] == {"loss": "dragan", "n_critic": 1, "gp_weight": 10.0}
    assert dragan["d_optimizer"]["config"] == {"learning_rate": 1e-4, "beta_1": 0.5, "beta_2": 0.9}
    assert hinge["model"] == {"loss": "hinge", "n_critic": 5}
    assert hinge["d_optimizer"]["config"] == {"learning_rate": 2e-4, "beta_1": 0.0, "beta_2": 0.9}
    # A recipe tuned for WGAN-GP gives these losses their own preset, not its optimiser.
    for name in ("r1", "dragan", "hinge"):
        settings = presets.resolve("digits", loss=name)
        assert settings["model"] == presets.get(name)["model"], name
        assert settings["optimizers"][0] == presets.get(name)["d_optimizer"], name
        assert settings["lr_decay"] is None
    assert presets.resolve("digits", loss="wgan-gp")["lr_decay"] == "linear"


#: The loss components of `tiny`, by name.
LOSS_COMPONENTS = {"r1": losses.R1, "dragan": losses.DRAGAN, "hinge": losses.Hinge}


def tiny(loss="r1", sn=False, seed=0, **kwargs):
    """A compiled toy model with the loss `loss` of arguments `kwargs` (a new component)."""
    keras.utils.set_random_seed(seed)
    critic = models.toy_critic(width=8)
    gan = keras_wgan.WGAN(
        models.toy_generator(2, width=8),
        architectures.spectral_normalize(critic) if sn else critic,
        loss=LOSS_COMPONENTS[loss](**kwargs),
        n_critic=1,
        seed=seed,
    )
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


@pytest.mark.parametrize(
    "loss, sn, kwargs",
    [
        ("r1", False, {"every": 2}),
        ("dragan", True, {}),
        pytest.param("hinge", True, {}, marks=pytest.mark.slow),  # SN's resume: dragan-sn
    ],
    ids=["lazy-r1", "dragan-sn", "hinge-sn"],
)
def test_a_saved_and_resumed_fit_continues_bit_for_bit(tmp_path, loss, sn, kwargs):
    def data(start_step):
        return datasets.load("8gaussians", 16, 1, seed=1, start_step=start_step)[0]

    whole = tiny(loss, sn, **kwargs)
    whole.fit(data(0), epochs=2, steps_per_epoch=3, verbose=0)
    half = tiny(loss, sn, **kwargs)
    half.fit(data(0), epochs=1, steps_per_epoch=3, verbose=0)
    half.save(tmp_path / "half.keras")
    resumed = keras.saving.load_model(tmp_path / "half.keras")
    assert type(resumed.gan_loss) is LOSS_COMPONENTS[loss] and resumed.gan_loss.name == loss
    assert resumed.gan_loss.get_config() == half.gan_loss.get_config()
    assert getattr(resumed.gan_loss, "every", 1) == kwargs.get("every", 1)
    # Resumed at critic update 3: lazy R1 takes its next penalty at update 4, not at once.
    assert int(resumed.d_optimizer.iterations) == 3
    resumed.fit(data(3), epochs=2, initial_epoch=1, steps_per_epoch=3, verbose=0)
    assert resumed.generator_step() == whole.generator_step() == 6
    names = [v.path for v in whole.weights]
    if sn:
        assert sum("vector_u" in name for name in names) == 4  # saved, and moved in training
    for name, a, b in zip(names, whole.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    np.testing.assert_array_equal(
        whole._seed_generator.state.numpy(), resumed._seed_generator.state.numpy()
    )


# The same on JAX: the seed, the vectors u and the critic's update count ride in the jitted
# step's state and in the .keras file.
JAX_RESUME = r"""
import json, sys
import numpy as np
import keras
import keras_wgan
from keras_wgan import architectures, datasets, losses, models

out = sys.argv[2]


def tiny(loss, sn, **kwargs):
    keras.utils.set_random_seed(0)
    critic = models.toy_critic(width=8)
    component = {"r1": losses.R1, "dragan": losses.DRAGAN}[loss](**kwargs)
    gan = keras_wgan.WGAN(models.toy_generator(2, width=8),
                          architectures.spectral_normalize(critic) if sn else critic,
                          loss=component, n_critic=1, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def data(start_step):
    return datasets.load("8gaussians", 16, 1, seed=1, start_step=start_step)[0]


differences = {}
for loss, sn, kwargs in (("r1", True, {"every": 2}), ("dragan", True, {})):
    whole = tiny(loss, sn, **kwargs)
    whole.fit(data(0), epochs=2, steps_per_epoch=3, verbose=0)
    half = tiny(loss, sn, **kwargs)
    half.fit(data(0), epochs=1, steps_per_epoch=3, verbose=0)
    half.save(out + ".keras")
    resumed = keras.saving.load_model(out + ".keras")
    resumed.fit(data(3), epochs=2, initial_epoch=1, steps_per_epoch=3, verbose=0)
    pairs = list(zip(whole.get_weights(), resumed.get_weights()))
    pairs.append((np.asarray(whole._seed_generator.state.value),
                  np.asarray(resumed._seed_generator.state.value)))
    differences[loss] = max(float(np.abs(a - b).max()) for a, b in pairs)
    differences[loss + "-steps"] = [whole.generator_step(), resumed.generator_step()]
json.dump({"differences": differences, "backend": keras.backend.backend()},
          open(out + ".json", "w"))
np.savez(out + ".npz")
"""


@pytest.mark.slow  # a JAX process of about 50 s on two busy cores
def test_a_saved_and_resumed_fit_continues_bit_for_bit_on_jax(tmp_path):
    pytest.importorskip("jax")
    meta, _ = run_on_backend("jax", JAX_RESUME, "", str(tmp_path / "m"))
    assert meta["backend"] == "jax"
    for loss in ("r1", "dragan"):
        assert meta["differences"][loss] == 0.0, loss
        assert meta["differences"][loss + "-steps"] == [6, 6]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"every": 0}, "`every`. Received: every=0. Expected an integer >= 1"),
        ({"every": 1.5}, "`every`"),
        ({"every": True}, "`every`"),
        ({"gamma": -1.0}, "`gamma`"),
    ],
)
def test_bad_regulariser_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        losses.R1(**kwargs)


def test_lazy_r1_is_refused_with_another_loss():
    # A loss without R1's penalty has no `every` to give.
    for component in (losses.WGANGP, losses.DRAGAN, losses.Hinge):
        with pytest.raises(TypeError, match="'every'|takes no arguments"):
            component(every=2)
    # The 0.1 argument names its new home, the R1 loss component.
    with pytest.raises(TypeError, match=r"no longer takes `r1_every`.*loss component"):
        keras_wgan.WGAN(
            models.toy_generator(2, width=8), models.toy_critic(width=8), loss="r1", r1_every=2
        )
    # The flat options (run settings) refuse it with a loss that does not take it.
    with pytest.raises(ValueError, match=re.escape("`r1_every` (received 2) is not an argument")):
        options.components({"loss": "wgan-gp", "r1_every": 2})
    assert options.components({"loss": "r1", "r1_every": 2})["loss"] == losses.R1(every=2)


def test_spectral_normalize_copies_the_critic_and_refuses_what_it_cannot_normalise():
    keras.utils.set_random_seed(0)
    _, critic = architectures.build("dcgan", (8, 8, 1), latent_dim=4, width=4)
    normalized = architectures.spectral_normalize(critic)
    wrapped = [l for l in normalized.layers if isinstance(l, layers.SpectralNormalization)]
    weight_layers = [
        l for l in critic.layers if isinstance(l, architectures.spectral.WEIGHT_LAYERS)
    ]
    assert [l.name for l in wrapped] == [l.name for l in weight_layers]
    for layer in weight_layers:  # the weights are copied
        inner = normalized.get_layer(layer.name).layer
        np.testing.assert_array_equal(inner.kernel.numpy(), layer.kernel.numpy())
    _, sn_critic = architectures.build(
        "dcgan", (8, 8, 1), latent_dim=4, width=4, spectral_norm=True
    )
    assert sum(isinstance(l, layers.SpectralNormalization) for l in sn_critic.layers) == len(
        wrapped
    )
    with pytest.raises(ValueError, match="spectrally normalised already"):
        architectures.spectral_normalize(normalized)
    with pytest.raises(ValueError, match="no Dense or convolution"):
        architectures.spectral_normalize(keras.Sequential([keras.Input((2,)), keras.layers.ReLU()]))

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    subclassed = Subclassed()
    subclassed(np.zeros((1, 2), "float32"))
    with pytest.raises(ValueError, match="Sequential or functional critic"):
        architectures.spectral_normalize(subclassed)
    with pytest.raises(ValueError, match="`spectral_norm`"):
        architectures.build("dcgan", (8, 8, 1), spectral_norm="yes")
    with pytest.raises(ValueError, match="has none"):
        layers.SpectralNormalization(keras.layers.ReLU()).build((None, 2))
    # A sigmoid behind the wrapper is still refused as the critic's output.
    squashed = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match="sigmoid"):
        keras_wgan.WGAN(
            models.toy_generator(2, width=8), architectures.spectral_normalize(squashed)
        )


# --- the command line -----------------------------------------------------------------------


def test_the_cli_records_the_regulariser_and_refuses_a_rerun_with_another(tmp_path, capsys):
    out = str(tmp_path / "run")
    flags = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", out] + TINY
    assert cli.main(flags + ["--loss", "r1", "--r1-every", "2", "--spectral-norm"]) == 0
    with open(os.path.join(out, "run.json")) as f:
        record = json.load(f)
    assert record["loss"] == "r1" and record["settings"]["spectral_norm"] is True
    assert record["settings"]["model"]["r1_every"] == 2
    gan = keras.saving.load_model(os.path.join(out, "checkpoint.keras"))
    assert isinstance(gan.gan_loss, losses.R1) and gan.gan_loss.every == 2
    assert gan.metadata["run"] == record
    assert any(isinstance(l, layers.SpectralNormalization) for l in gan.critic.layers)
    capsys.readouterr()
    for other, said in (
        (["--loss", "r1", "--r1-every", "3", "--spectral-norm"], "model.r1_every=2 there, 3 asked"),
        (["--loss", "r1", "--r1-every", "2"], "spectral_norm=True there, None asked"),
    ):
        assert cli.main(flags + other + ["--steps", "3"]) == 1
        error = capsys.readouterr().err
        assert "other settings" in error and said in error, error


def test_the_cli_refuses_r1_every_without_r1_in_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    base = ["train", "--dataset", "8gaussians", "--steps", "2", "--out", str(out)]
    assert cli.main(base + ["--r1-every", "2"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "keras-wgan: error: --r1-every is for the R1 penalty: add --loss r1 (the loss is "
        "'wgan-gp')."
    )
    with pytest.raises(SystemExit):
        cli.main(base + ["--loss", "r1", "--r1-every", "0"])
    assert "expected an integer >= 1" in capsys.readouterr().err
    assert not out.exists()
