"""The same WGAN on TensorFlow, JAX and PyTorch, each backend in its own process: one
critic and one generator update agree with TensorFlow's, the penalties of a linear critic
match their closed forms, a `.keras` file written on one backend loads on the others with
the same samples, and a 0.1 checkpoint loads and trains on."""

import importlib.util
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_wgan  # noqa: F401  (registers the classes a checkpoint names)

WORKER = os.path.join(os.path.dirname(__file__), "backends", "worker.py")
DATA = os.path.join(os.path.dirname(__file__), "data")
BACKENDS = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(
            importlib.util.find_spec(module) is None,
            reason=f"{module} is not installed (the `{name}` extra)",
        ),
    )
    for name, module in (("tensorflow", "tensorflow"), ("jax", "jax"), ("torch", "torch"))
]


def _run(*jobs):
    """Runs `worker.py` once per (backend, args) job, all at once, each in its own process;
    fails naming the first that failed."""
    # One thread each: the test run's other process shares the cores (PyTorch's OpenMP
    # threads spin while they wait).
    started = []
    for backend, args in jobs:
        env = dict(os.environ, KERAS_BACKEND=backend, CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1")
        started.append(
            subprocess.Popen(
                [sys.executable, WORKER, *args],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for (backend, _), process in zip(jobs, started):
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, f"{backend}: {stderr[-3000:]}"


def _installed():
    return [p.values[0] for p in BACKENDS if not any(m.args[0] for m in p.marks)]


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """{backend: its output folder} after `worker.py first` on every installed backend."""
    out = str(tmp_path_factory.mktemp("backends"))
    _run(*[(name, ["first", out]) for name in _installed()])
    return {name: out for name in _installed()}


@pytest.fixture(scope="module")
def loaded(first):
    """Each installed backend other than this process's has loaded the others' `.keras`
    files (`worker.py load`), all at once."""
    jobs = []
    for backend, out in first.items():
        if backend != keras.backend.backend():
            paths = [os.path.join(out, f"{other}.keras") for other in first if other != backend]
            jobs.append((backend, ["load", out, *paths]))
    _run(*jobs)
    return first


def _read(out, backend):
    with open(os.path.join(out, f"{backend}.json")) as f:
        return json.load(f)


@pytest.mark.parametrize("backend", BACKENDS)
def test_penalties_of_a_linear_critic_match_their_closed_forms(first, backend):
    forms = _read(first[backend], backend)["closed_forms"]
    norm = float(np.linalg.norm([0.6, 0.8, 1.2]))  # the gradient of D(x) = w . x is w
    np.testing.assert_allclose(
        forms["wgan-gp"], [10 * (norm - 1) ** 2, (norm - 1) ** 2, norm], rtol=1e-5
    )
    np.testing.assert_allclose(forms["one-sided"][1], max(norm - 1, 0) ** 2, rtol=1e-5)
    np.testing.assert_allclose(forms["r1"], [2 * 0.5 * norm**2, 0.5 * norm**2, norm], rtol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_update_of_each_network_matches_tensorflow(first, backend):
    out = first[backend]
    ours = np.load(os.path.join(out, f"{backend}_step.npz"))
    reference = np.load(os.path.join(out, "tensorflow_step.npz"))
    assert sorted(ours.files) == sorted(reference.files)
    for key in reference.files:
        np.testing.assert_allclose(ours[key], reference[key], rtol=1e-4, atol=1e-5, err_msg=key)
    logs, reference_logs = _read(out, backend)["logs"], _read(out, "tensorflow")["logs"]
    assert logs.keys() == reference_logs.keys()
    for name in logs:
        np.testing.assert_allclose(
            logs[name], reference_logs[name], rtol=1e-4, atol=1e-5, err_msg=name
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_resumed_run_matches_an_unbroken_one_bit_for_bit(first, backend):
    """One epoch, save, load, one more epoch: the weights of two epochs straight, exactly
    (the optimisers' state and the seed's stream travel in the .keras file)."""
    out = first[backend]
    straight = np.load(os.path.join(out, f"{backend}_straight.npz"))
    resumed = np.load(os.path.join(out, f"{backend}_resumed.npz"))
    assert straight.files == resumed.files
    for key in straight.files:
        np.testing.assert_array_equal(resumed[key], straight[key], err_msg=key)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_keras_file_written_on_one_backend_loads_on_the_others(loaded, backend):
    out = loaded[backend]
    others = [b for b in loaded if b != backend]
    paths = [os.path.join(out, f"{other}.keras") for other in others]
    here = backend == keras.backend.backend()  # this process's backend: no new process
    z = np.load(os.path.join(out, "z.npy"))
    for other, path in zip(others, paths):
        if here:
            loaded = keras.saving.load_model(path).generate(z)
        else:
            loaded = np.load(os.path.join(out, f"{other}_loaded_on_{backend}.npy"))
        written = np.load(os.path.join(out, f"{other}_samples.npy"))
        np.testing.assert_allclose(loaded, written, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["points", "conditional"])
def test_a_0_1_checkpoint_loads_as_components_and_trains_on(name):
    """Written by keras_wgan 0.1.0 (flat options: gp_weight, ema_start, num_classes,
    conditioning="ac-gan", ada_target, ...): its config is migrated to components, its
    weights, optimiser state and seed load, and it gives the samples it gave then."""
    model = keras.saving.load_model(os.path.join(DATA, f"wgan_0.1_{name}.keras"))
    if name == "points":
        assert model.gan_loss.weight == 0.01 and model.gan_loss.loss.gp_weight == 5.0
        assert (model.ema.decay, model.ema.start) == (0.9, 1)
        assert model.metadata == {"note": "0.1"}
        z, labels, y = np.ones((4, 3), "float32"), None, []
    else:
        assert model.conditioning.classify_fake and model.conditioning.num_classes == 3
        assert (model.augment.target, model.augment.kimg) == (0.6, 1.0)
        z, labels, y = np.ones((3, 4), "float32"), [0, 1, 2], [np.arange(32) % 3]
    expected = np.load(os.path.join(DATA, f"wgan_0.1_{name}_samples.npy"))
    np.testing.assert_allclose(model.generate(z, labels=labels), expected, atol=1e-6)
    step = model.generator_step()
    assert step == 4
    real = np.random.default_rng(0).normal(size=(32,) + model.sample_shape[1:]).astype("float32")
    model.fit(real, *y, batch_size=8, epochs=1, verbose=0)
    assert model.generator_step() > step
