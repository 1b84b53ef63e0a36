"""The speed benchmark and its PyTorch peer, scripts in benchmarks/, run at a tiny size.

They are timed elsewhere (benchmarks/README.md); here each runs 2 iterations and must end
with the line `gen_iters_per_s=<number>`. The peer needs PyTorch, which the test extra does
not install: its tests skip without it.
"""

import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHMARKS = os.path.join(ROOT, "benchmarks")
TINY = ["--width", "8", "--image-size", "8", "--batch-size", "2", "--steps", "2", "--warmup", "1"]
LAST_LINE = re.compile(r"gen_iters_per_s=(\d+\.\d+)")


def run_script(name, *args):
    """Runs benchmarks/`name` from the repository root; returns the rate of its last line."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, os.path.join(BENCHMARKS, name), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    match = LAST_LINE.fullmatch(lines[-1])
    assert match, result.stdout[-3000:]
    assert "; no NaN or Inf" in lines[-2]
    rate = float(match.group(1))
    assert rate > 0
    return rate


# The JAX run of the benchmark is in the default run (tests/trainers/test_jax_trainer.py).
@pytest.mark.slow
def test_bench_runs_as_a_script():
    run_script("bench.py", *TINY)


def test_torch_peer_runs():
    pytest.importorskip("torch")
    run_script("torch_peer.py", *TINY)


def test_torch_peer_networks_have_the_benchmarks_shapes():
    """The peer's generator and critic have the trainable parameters of the
    `cifar10-resnet` pair the benchmark builds, at each image size."""
    pytest.importorskip("torch")
    from keras_wgan import architectures

    spec = importlib.util.spec_from_file_location(
        "torch_peer", os.path.join(BENCHMARKS, "torch_peer.py")
    )
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)

    def count(weights):
        return sum(int(np.prod(tuple(w.shape))) for w in weights)

    for size in (8, 32):
        generator, critic = architectures.build(
            "cifar10-resnet", (size, size, 3), latent_dim=128, width=8
        )
        assert count(generator.trainable_weights) == count(peer.Generator(8, size).parameters())
        assert count(critic.trainable_weights) == count(peer.Critic(8, size).parameters())
