"""The JAX trainer against the TensorFlow one: same penalty, losses and updates.

Keras fixes its backend at import, so each trainer runs in its own process on the same
weights and inputs, written to a file.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import run_on_backend

pytest.importorskip("jax")

# Runs under KERAS_BACKEND=tensorflow or jax: one critic update with given fake data and
# alpha, one generator update with given z, then a short `fit`, from the same weights.
SCRIPT = r"""
import json, sys
import numpy as np
import keras
import keras_wgan
from keras_wgan import models

inputs, out, loss = sys.argv[1], sys.argv[2], sys.argv[3]
given = dict(np.load(inputs))
gan = keras_wgan.WGAN(models.toy_generator(2, width=8), models.toy_critic(width=8), seed=3,
                      loss=loss, n_critic=2)
# SGD: Adam's first step, g / (|g| + eps), would blow round-off in a zero gradient up.
gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
gan.set_weights([given[f"w{i}"] for i in range(len(gan.get_weights()))])
logs = {k: float(v) for k, v in gan.critic_update(given["real"], fake=given["fake"],
                                                  alpha=given["alpha"]).items()}
logs.update({k: float(v) for k, v in gan.generator_update(8, z=given["z"]).items()})
after_updates = gan.get_weights()
history = gan.fit(given["data"], batch_size=8, epochs=1, verbose=0, shuffle=False)
result = {"logs": logs, "history": {k: v[-1] for k, v in history.history.items()},
          "step": gan.generator_step(), "backend": keras.backend.backend()}
np.savez(out + ".npz", *after_updates, *gan.get_weights())
json.dump(result, open(out + ".json", "w"))
"""


def run(backend, inputs, out, loss):
    return run_on_backend(backend, SCRIPT, inputs, out, loss)


# Under -m slow: tests/test_backends.py compares one update on every backend by default.
@pytest.mark.slow
@pytest.mark.parametrize("loss", ["wgan-gp", "wgan-clip"])
def test_jax_and_tensorflow_trainers_agree(tmp_path, loss):
    import keras

    from keras_wgan import models

    keras.utils.set_random_seed(5)
    generator, critic = models.toy_generator(2, width=8), models.toy_critic(width=8)
    weights = generator.get_weights() + critic.get_weights()
    rng = np.random.default_rng(0)
    given = {f"w{i}": w for i, w in enumerate(weights)}
    given.update(
        real=rng.standard_normal((8, 2)).astype("float32"),
        fake=rng.standard_normal((8, 2)).astype("float32"),
        alpha=rng.uniform(size=8).astype("float32"),
        z=rng.standard_normal((8, 2)).astype("float32"),
        data=rng.standard_normal((64, 2)).astype("float32"),
    )
    inputs = str(tmp_path / "inputs.npz")
    np.savez(inputs, **given)
    tf_meta, tf_weights = run("tensorflow", inputs, str(tmp_path / "tf"), loss)
    jax_meta, jax_weights = run("jax", inputs, str(tmp_path / "jax"), loss)
    assert (tf_meta["backend"], jax_meta["backend"]) == ("tensorflow", "jax")
    assert set(tf_meta["logs"]) == set(jax_meta["logs"])
    if loss == "wgan-gp":
        assert {"gradient_penalty", "grad_norm"} <= set(tf_meta["logs"])
    for name, value in tf_meta["logs"].items():
        assert jax_meta["logs"][name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    half = len(tf_weights) // 2
    for a, b in zip(tf_weights[:half], jax_weights[:half]):  # after the two updates
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # A `fit` epoch runs on both and counts the same steps (the noise streams differ).
    assert tf_meta["step"] == jax_meta["step"] == 1 + 64 // 16
    assert set(tf_meta["history"]) == set(jax_meta["history"])
    assert all(np.isfinite(v) for v in jax_meta["history"].values())


# Runs under KERAS_BACKEND=tensorflow or jax with one technique of Salimans et al. 2016:
# two rounds of a critic and a generator update on given data (the second round has a
# non-zero historical-average term), then a short `fit`, from the same weights.
TECHNIQUE_SCRIPT = r"""
import json, sys
import numpy as np
import keras
import keras_wgan
from keras_wgan import losses, models

inputs, out, technique = sys.argv[1], sys.argv[2], sys.argv[3]
given = dict(np.load(inputs))
loss = {"feature_matching": losses.FeatureMatching("dcgan", layer="critic_dense_0"),
        "historical_averaging": losses.HistoricalAveraging("wgan-gp", 0.5)}[technique]
gan = keras_wgan.WGAN(models.toy_generator(2, width=8), models.toy_critic(width=8), seed=3,
                      n_critic=2, loss=loss)
gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
for name, net in (("g", gan.generator), ("c", gan.critic)):
    net.set_weights([given[f"{name}{i}"] for i in range(len(net.get_weights()))])
logs = {}
for step in range(2):
    for k, v in gan.critic_update(given["real"], fake=given["fake"], alpha=given["alpha"]).items():
        logs[f"{k}_{step}"] = float(v)
    for k, v in gan.generator_update(8, z=given["z"], real=given["real"]).items():
        logs[f"{k}_{step}"] = float(v)
after_updates = gan.get_weights()  # the networks', then the historical averages
history = gan.fit(given["data"], batch_size=8, epochs=1, verbose=0, shuffle=False)
result = {"logs": logs, "history": {k: v[-1] for k, v in history.history.items()},
          "step": gan.generator_step(), "backend": keras.backend.backend()}
np.savez(out + ".npz", *after_updates)
json.dump(result, open(out + ".json", "w"))
"""


# Under -m slow: the step is one code on every backend (tests/test_backends.py compares
# its gradient plumbing in the default run).
@pytest.mark.slow
@pytest.mark.parametrize("technique", ["feature_matching", "historical_averaging"])
def test_jax_and_tensorflow_trainers_agree_on_the_improved_techniques(tmp_path, technique):
    import keras

    from keras_wgan import models

    keras.utils.set_random_seed(5)
    generator, critic = models.toy_generator(2, width=8), models.toy_critic(width=8)
    rng = np.random.default_rng(0)
    given = {f"g{i}": w for i, w in enumerate(generator.get_weights())}
    given.update({f"c{i}": w for i, w in enumerate(critic.get_weights())})
    given.update(
        real=rng.standard_normal((8, 2)).astype("float32"),
        fake=rng.standard_normal((8, 2)).astype("float32"),
        alpha=rng.uniform(size=8).astype("float32"),
        z=rng.standard_normal((8, 2)).astype("float32"),
        data=rng.standard_normal((64, 2)).astype("float32"),
    )
    inputs = str(tmp_path / "inputs.npz")
    np.savez(inputs, **given)
    tf_meta, tf_weights = run_on_backend(
        "tensorflow", TECHNIQUE_SCRIPT, inputs, str(tmp_path / "tf"), technique
    )
    jax_meta, jax_weights = run_on_backend(
        "jax", TECHNIQUE_SCRIPT, inputs, str(tmp_path / "jax"), technique
    )
    assert (tf_meta["backend"], jax_meta["backend"]) == ("tensorflow", "jax")
    assert set(tf_meta["logs"]) == set(jax_meta["logs"])
    for name, value in tf_meta["logs"].items():
        assert jax_meta["logs"][name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    # The networks' weights and, under historical averaging, the running means and counts.
    num_networks = len(generator.get_weights()) + len(critic.get_weights())
    extra = 2 * (num_networks // 2 + 1) if technique == "historical_averaging" else 0
    assert len(tf_weights) == len(jax_weights) == num_networks + extra
    for a, b in zip(tf_weights, jax_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    if extra:
        assert [float(w) for w in tf_weights if w.shape == ()] == [2.0, 2.0]
    assert tf_meta["step"] == jax_meta["step"] == 2 + 64 // 16
    assert set(tf_meta["history"]) == set(jax_meta["history"])
    assert all(np.isfinite(v) for v in jax_meta["history"].values())


# Saves a JAX-trained model with historical averaging and feature matching in the middle of
# a run, loads it, and trains both on: the running means travel with the model.
JAX_RESUME = r"""
import json, sys
import numpy as np
import keras
import keras_wgan
from keras_wgan import losses, models

_, out = sys.argv[1], sys.argv[2]
loss = losses.HistoricalAveraging(losses.FeatureMatching(losses.DCGAN()), 0.1)
gan = keras_wgan.WGAN(models.toy_generator(2, width=8), models.toy_critic(width=8), seed=3,
                      loss=loss, n_critic=1)
gan.compile()
data = np.random.default_rng(0).standard_normal((64, 2)).astype("float32") + 2
gan.fit(data[:16], batch_size=8, epochs=1, verbose=0, shuffle=False)
path = out + ".keras"
gan.save(path)
loaded = keras.saving.load_model(path)
counts = [float(v) for v in loaded.get_weights() if np.ndim(v) == 0]
same_at_load = all(np.array_equal(a, b) for a, b in zip(gan.get_weights(), loaded.get_weights()))
for model in (gan, loaded):
    model.fit(data[16:32], batch_size=8, epochs=1, verbose=0, shuffle=False)
json.dump({"counts": counts, "same_at_load": same_at_load,
           "steps": [gan.generator_step(), loaded.generator_step()]}, open(out + ".json", "w"))
np.savez(out + ".npz", *gan.get_weights(), *loaded.get_weights())
"""


@pytest.mark.slow
def test_historical_averaging_saves_loads_and_resumes_on_jax(tmp_path):
    meta, weights = run_on_backend("jax", JAX_RESUME, "", str(tmp_path / "m"))
    assert meta["counts"] == [2.0, 2.0]  # the critic's and the generator's, 2 updates each
    assert meta["same_at_load"]
    assert meta["steps"] == [4, 4]
    half = len(weights) // 2
    for a, b in zip(weights[:half], weights[half:]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


DATA_PARALLEL = r"""
import json, sys
import numpy as np
import jax
import keras
import keras_wgan
from keras_wgan import models

assert len(jax.devices()) == 2
keras.distribution.set_distribution(keras.distribution.DataParallel())
keras.utils.set_random_seed(0)
gan = keras_wgan.WGAN(models.toy_generator(2, width=8), models.toy_critic(width=8), n_critic=2, seed=3)
gan.compile()
data = np.random.default_rng(0).standard_normal((256, 2)).astype("float32")
history = gan.fit(data, batch_size=16, epochs=2, verbose=0, shuffle=False)
kernel = gan.critic.trainable_variables[0].value
json.dump({"step": gan.generator_step(), "devices": len(kernel.sharding.device_set),
           "losses": [float(v) for v in history.history["critic_loss"]]}, open(sys.argv[1], "w"))
"""


@pytest.mark.slow
def test_jax_trainer_under_keras_data_parallel(tmp_path):
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
        PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    out = str(tmp_path / "out.json")
    result = subprocess.run(
        [sys.executable, "-c", DATA_PARALLEL, out],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out) as f:
        meta = json.load(f)
    assert meta["step"] == 2 * 256 // 32
    assert meta["devices"] == 2  # the weights are replicated on both devices
    assert all(np.isfinite(meta["losses"]))


# The speed benchmark, a script outside the package.
BENCH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "benchmarks",
    "bench.py",
)

WITHOUT_TENSORFLOW = r"""
import importlib.util
import sys
sys.modules["tensorflow"] = None  # any import of TensorFlow now fails
import numpy as np
import keras
import keras_wgan
from keras_wgan import models

spec = importlib.util.spec_from_file_location("bench", sys.argv[1])
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

gan = keras_wgan.WGAN(models.toy_generator(2, width=8), models.toy_critic(width=8), n_critic=2)
gan.compile()
gan.fit(np.zeros((32, 2), "float32"), batch_size=8, epochs=1, verbose=0)
assert gan.generator_step() == 2
# The paper's ResNet pair, with its fused resampling layers: the benchmark's GPU workload.
rate = bench.run(bench.parse_args(["--arch", "cifar10-resnet", "--image-size", "8",
                                    "--width", "4", "--batch-size", "2", "--steps", "2",
                                    "--warmup", "1"]))
assert rate > 0
"""


def test_the_jax_trainer_and_benchmark_run_without_tensorflow():
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TENSORFLOW, BENCH],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "gen_iters_per_s=" in result.stdout
    assert "critic_loss=" in result.stdout and "; no NaN or Inf" in result.stdout
