"""Run by tests/test_backends.py in a fresh process per backend (KERAS_BACKEND is read once,
at the first import of Keras).

    python worker.py first OUT_DIR     # one update of each network, closed forms, a .keras file
    python worker.py load OUT_DIR FILE...   # loads .keras files, samples from fixed z
"""

import json
import os
import sys

import keras
import numpy as np

import keras_wgan
from keras_wgan import losses

BACKEND = keras.backend.backend()
RNG = np.random.default_rng(0)
REAL = RNG.normal(size=(4, 3)).astype("float32")
FAKE = RNG.normal(size=(4, 3)).astype("float32")
ALPHA = RNG.uniform(size=(4,)).astype("float32")
Z = RNG.normal(size=(4, 2)).astype("float32")


def _networks():
    g = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(3)]
    )
    d = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(1)]
    )
    rng = np.random.default_rng(1)
    for net in (g, d):
        for v in net.weights:
            v.assign(rng.normal(scale=0.5, size=v.shape).astype("float32"))
    return g, d


def _numpy(x):
    return float(keras.ops.convert_to_numpy(x))


def closed_forms():
    """Penalties of a linear critic D(x) = w . x: its gradient is w at every x."""
    w = np.array([[0.6], [0.8], [1.2]], "float32")
    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
    critic.set_weights([w])
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    out = {}
    for name, loss in {
        "wgan-gp": losses.WGANGP(gp_weight=10.0),
        "one-sided": losses.WGANGP(one_sided=True),
        "r1": losses.R1(gamma=2.0),
    }.items():
        gan = keras_wgan.WGAN(generator, critic, loss=loss)
        weighted, penalty, norm = loss.penalty(
            gan._penalty_gradient, REAL, FAKE, {"alpha": ALPHA}, 0
        )
        out[name] = [_numpy(weighted), _numpy(penalty), _numpy(norm)]
    return out


def first(out_dir):
    g, d = _networks()
    gan = keras_wgan.WGAN(g, d, n_critic=1, seed=0)
    gan.compile()
    critic_logs = gan.critic_update(REAL, fake=FAKE, alpha=ALPHA)
    generator_logs = gan.generator_update(4, z=Z)
    weights = {f"w{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(gan.weights)}
    np.savez(os.path.join(out_dir, f"{BACKEND}_step.npz"), **weights)
    logs = {k: _numpy(v) for k, v in {**critic_logs, **generator_logs}.items()}
    # A short fit from a seed, then a .keras file and its samples for the other backends.
    keras.utils.set_random_seed(0)
    g, d = _networks()
    gan = keras_wgan.WGAN(g, d, n_critic=2, ema=0.9, seed=0)
    gan.compile()
    gan.fit(RNG.normal(size=(32, 3)).astype("float32"), batch_size=4, epochs=1, verbose=0)
    gan.save(os.path.join(out_dir, f"{BACKEND}.keras"))
    np.save(os.path.join(out_dir, f"{BACKEND}_samples.npy"), gan.generate(Z))
    np.save(os.path.join(out_dir, "z.npy"), Z)
    resume(out_dir)
    with open(os.path.join(out_dir, f"{BACKEND}.json"), "w") as f:
        json.dump({"logs": logs, "closed_forms": closed_forms()}, f)


def resume(out_dir):
    """Two epochs straight, and one epoch, a save, a load and one more: the weights of both."""
    x = np.random.default_rng(2).normal(size=(16, 3)).astype("float32")

    def model():
        g, d = _networks()
        gan = keras_wgan.WGAN(g, d, n_critic=2, seed=5)
        gan.compile()
        return gan

    straight = model()
    straight.fit(x, batch_size=4, epochs=2, shuffle=False, verbose=0)
    first = model()
    first.fit(x, batch_size=4, epochs=1, shuffle=False, verbose=0)
    path = os.path.join(out_dir, f"{BACKEND}_half.keras")
    first.save(path)
    resumed = keras.saving.load_model(path)
    resumed.fit(x, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for name, gan in (("straight", straight), ("resumed", resumed)):
        weights = {f"w{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(gan.weights)}
        np.savez(os.path.join(out_dir, f"{BACKEND}_{name}.npz"), **weights)


def load(out_dir, files):
    for path in files:
        model = keras.saving.load_model(path)
        name = os.path.basename(path).replace(".keras", "")
        np.save(os.path.join(out_dir, f"{name}_loaded_on_{BACKEND}.npy"), model.generate(Z))


if __name__ == "__main__":
    if sys.argv[1] == "first":
        first(sys.argv[2])
    else:
        load(sys.argv[2], sys.argv[3:])
