"""Training on several devices and machines with TensorFlow's distribution strategies.

Logical devices must be configured before TensorFlow starts, so each check runs in its own
process: MirroredStrategy on two logical CPU devices, and MultiWorkerMirroredStrategy with
two worker processes on localhost.
"""

import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

MIRRORED = r"""
import sys
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
import keras_wgan
from keras_wgan import models

inputs, out, loss = sys.argv[1:4]
given = dict(np.load(inputs))
weights = [given[f"w{i}"] for i in range(int(given["num_weights"]))]


def build():
    gan = keras_wgan.WGAN(models.toy_generator(2, width=8), models.toy_critic(width=8),
                          n_critic=1, seed=3, loss=loss)
    # SGD: Adam's first step, g / (|g| + eps), would blow round-off in a zero gradient up
    # to a full step, and the two sides sum their gradients in different orders.
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    gan.set_weights(weights)
    return gan


# One critic and one generator update of the global batch of 16, on one device...
single = build()
single.critic_update(given["real"], fake=given["fake"], alpha=given["alpha"])
single.generator_update(16, z=given["z"])

# ... and the same, split over two replicas of 8.
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
assert strategy.num_replicas_in_sync == 2
with strategy.scope():
    mirrored = build()


def halves(name):
    return strategy.experimental_distribute_values_from_function(
        lambda ctx: given[name][8 * ctx.replica_id_in_sync_group:8 * (ctx.replica_id_in_sync_group + 1)])


real, fake, alpha, z = halves("real"), halves("fake"), halves("alpha"), halves("z")


@tf.function
def updates():
    logs = strategy.run(lambda r, f, a: mirrored.critic_update(r, fake=f, alpha=a),
                        args=(real, fake, alpha))
    strategy.run(lambda zz: mirrored.generator_update(8, z=zz), args=(z,))
    return logs


updates()
noise = strategy.experimental_local_results(
    tf.function(lambda: strategy.run(lambda: mirrored._sample_latent(4)))())

# fit() under the strategy: each replica trains on its part of the global batch.
with strategy.scope():
    fitted = build()
history = fitted.fit(given["data"], batch_size=32, epochs=1, verbose=0, shuffle=False)
try:  # 3 examples cannot be shared by 2 replicas: refused before any step
    fitted.fit(given["data"], batch_size=3, epochs=1, verbose=0)
    refused = ""
except ValueError as error:
    refused = str(error)
np.savez(out, refused=refused, single=np.array(single.get_weights(), dtype=object),
         mirrored=np.array(mirrored.get_weights(), dtype=object),
         noise=np.stack([np.asarray(n) for n in noise]),
         step=fitted.generator_step(),
         history=np.array([float(v[-1]) for v in history.history.values()]))
"""


def _run(script, *args, env=None, timeout=300):
    env = dict(env or os.environ)
    env["PYTHONPATH"] = os.getcwd() + os.pathsep + env.get("PYTHONPATH", "")
    env["KERAS_BACKEND"] = "tensorflow"
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("loss", ["wgan-gp", pytest.param("wgan-clip", marks=pytest.mark.slow)])
def test_mirrored_strategy_matches_one_device(tmp_path, loss):
    import keras

    from keras_wgan import models

    keras.utils.set_random_seed(1)
    weights = (
        models.toy_generator(2, width=8).get_weights() + models.toy_critic(width=8).get_weights()
    )
    rng = np.random.default_rng(0)
    given = {f"w{i}": w for i, w in enumerate(weights)}
    given.update(
        num_weights=len(weights),
        real=rng.standard_normal((16, 2)).astype("float32"),
        fake=rng.standard_normal((16, 2)).astype("float32"),
        alpha=rng.uniform(size=16).astype("float32"),
        z=rng.standard_normal((16, 2)).astype("float32"),
        data=rng.standard_normal((128, 2)).astype("float32"),
    )
    np.savez(tmp_path / "inputs.npz", **given)
    out = tmp_path / "out.npz"
    result = _run(MIRRORED, str(tmp_path / "inputs.npz"), str(out), loss)
    assert result.returncode == 0, result.stderr[-3000:]
    got = np.load(out, allow_pickle=True)
    # Losses scaled by the global batch: the two replicas' summed gradients are the
    # single device's, so the weights after one update of each network agree.
    for a, b in zip(got["single"], got["mirrored"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    noise = got["noise"]
    assert noise.shape == (2, 4, 2) and not np.allclose(noise[0], noise[1])  # own noise per replica
    assert int(got["step"]) == 128 // 32
    assert "batch_size must be a multiple of 2" in str(got["refused"])
    assert np.isfinite(got["history"]).all()


WORKER = r"""
import json, os, sys
import numpy as np
import tensorflow as tf
import keras
import keras_wgan
from keras_wgan import models

out = sys.argv[1]
strategy = tf.distribute.MultiWorkerMirroredStrategy()
assert strategy.num_replicas_in_sync == 2
with strategy.scope():
    keras.utils.set_random_seed(7)
    gan = keras_wgan.WGAN(models.toy_generator(2, width=8), models.toy_critic(width=8),
                          n_critic=2, seed=3)
    gan.compile()
data = np.random.default_rng(0).standard_normal((256, 2)).astype("float32")
options = tf.data.Options()
options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
dataset = tf.data.Dataset.from_tensor_slices(data).batch(32, drop_remainder=True).with_options(options)
history = gan.fit(dataset, epochs=2, verbose=0)
np.savez(out, *gan.get_weights())
json.dump({"step": gan.generator_step(),
           "losses": [float(v) for v in history.history["critic_loss"]]}, open(out + ".json", "w"))
"""


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _wait_for_all(processes, timeout):
    """Waits for every process.

    A worker that fails leaves its peers blocked in a collective, so once one exits with an
    error (or the deadline passes) the others are killed. Workers that succeed are never
    killed: they may finish some seconds apart.
    """
    deadline = time.monotonic() + timeout
    while True:
        codes = [p.poll() for p in processes]  # every one polled: any() would stop early
        if None not in codes:
            break
        if any(code not in (None, 0) for code in codes) or time.monotonic() > deadline:
            for p in processes:
                if p.poll() is None:
                    p.kill()
            break
        time.sleep(0.5)
    for p in processes:
        p.wait()


@pytest.mark.slow
def test_multi_worker_mirrored_strategy_with_two_workers_on_localhost(tmp_path):
    workers = [f"localhost:{port}" for port in _free_ports(2)]
    processes, logs = [], [tmp_path / f"worker{i}.log" for i in range(2)]
    for index in range(2):
        env = dict(
            os.environ,
            TF_CONFIG=json.dumps(
                {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            ),
        )
        env["PYTHONPATH"] = os.getcwd() + os.pathsep + env.get("PYTHONPATH", "")
        env["KERAS_BACKEND"] = "tensorflow"
        with open(logs[index], "w") as log:  # a file, not a pipe: nothing reads it until the end
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-c", WORKER, str(tmp_path / f"worker{index}.npz")],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    _wait_for_all(processes, timeout=300)
    for process, log in zip(processes, logs):
        assert process.returncode == 0, log.read_text()[-3000:]
    results = [np.load(tmp_path / f"worker{i}.npz") for i in range(2)]
    metas = [json.load(open(tmp_path / f"worker{i}.npz.json")) for i in range(2)]
    # The dataset's batches of 32 are global batches, 16 examples per worker (8 per
    # critic update): 256 / 32 = 8 steps per epoch, 2 epochs.
    assert metas[0]["step"] == metas[1]["step"] == 2 * 256 // 32
    for key in results[0].files:  # the workers hold the same weights at the end
        np.testing.assert_allclose(results[0][key], results[1][key], rtol=1e-6, atol=1e-7)
    assert all(np.isfinite(metas[0]["losses"]))
