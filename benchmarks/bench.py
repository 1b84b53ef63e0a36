"""Generator iterations per second of WGAN-GP training through `fit`, on synthetic data.

    python benchmarks/bench.py --arch cifar10-resnet --width 32 --batch-size 16 --n-critic 5 --steps 20

Run from the repository root with `keras_wgan` installed (`pip install -e .`); the script is
not part of the package and uses only its public API.

The workload is the paper's CIFAR-10 set-up at the given width and batch size: every
generator iteration makes `n_critic` critic updates with the gradient penalty, each on its
own batch of real 32x32x3 images, then one generator update with a batch of the same size,
with Adam(2e-4, beta_1=0, beta_2=0.9) on both, as the plain PyTorch peer
`benchmarks/torch_peer.py` does. The real images are one fixed random array repeated, so no
input pipeline is measured. The step is compiled and run `--warmup` iterations before `--steps` timed ones.
The output ends with a line `gen_iters_per_s=<number>`; the line before it gives the
losses' means over the whole run and whether any step's losses were NaN or infinite (with
`--steps 10000`, a stability check).

`--backend` picks the Keras backend (it must be set before Keras is imported, so the
benchmark reruns itself in a subprocess when it differs from the active one).
"""

import argparse
import math
import os
import subprocess
import sys
import time

# Keras fixes its backend when imported, here: another backend needs a fresh process (see
# `main`).
import keras


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python benchmarks/bench.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--arch", default="cifar10-resnet")
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-critic", type=int, default=5)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20, help="timed generator iterations")
    parser.add_argument("--warmup", type=int, default=3, help="untimed iterations after compiling")
    parser.add_argument(
        "--backend", default=None, help="tensorflow, jax or torch (default: active)"
    )
    parser.add_argument(
        "--jit-compile",
        choices=["auto", "true", "false"],
        default="auto",
        help="XLA on TensorFlow ('auto': Keras's choice, XLA only on a GPU)",
    )
    parser.add_argument("--steps-per-execution", type=int, default=1)
    parser.add_argument(
        "--dtype-policy", default="float32", help="float32, mixed_bfloat16 or mixed_float16"
    )
    parser.add_argument(
        "--data",
        choices=["fixed", "digits"],
        default="fixed",
        help="fixed: one random batch repeated (no input pipeline); digits: "
        "the keras_wgan.datasets pipeline (shuffle, decode, resize to "
        "--image-size, batch, prefetch) on the embedded digits",
    )
    parser.add_argument(
        "--separate-critic-calls",
        action="store_true",
        help="call the critic on real and fake data separately (the lever "
        "WGAN._joint_critic_call turns off)",
    )
    parser.add_argument(
        "--unfused-resampling",
        nargs="?",
        const="both",
        default=None,
        choices=["both", "generator", "critic"],
        help="build the ResNets' resampling convolutions as two layers each "
        "(the lever fused_resampling=True, ConvMeanPool and "
        "UpsampleConv, turns on), in both networks or in one",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("width", "batch_size", "n_critic", "image_size", "steps", "steps_per_execution"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")
    return args


class Timer(keras.callbacks.Callback):
    """Times the batch ends of `fit` from the first one at or after `warmup` iterations."""

    def __init__(self, warmup):
        super().__init__()
        self.warmup = warmup
        self.start = self.start_step = self.end = self.end_step = None

    def on_train_batch_end(self, batch, logs=None):
        step = self.model.generator_step()
        if self.start is None and step >= self.warmup:
            self.start, self.start_step = time.perf_counter(), step
        self.end, self.end_step = time.perf_counter(), step


def _repeat(batch):
    """An endless stream of the same batch: tf.data on TensorFlow; on other backends a
    `keras.utils.PyDataset`, so that the JAX benchmark runs without TensorFlow."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.data.Dataset.from_tensors(batch).repeat()

    class Repeat(keras.utils.PyDataset):
        def __len__(self):
            return 10**9

        def __getitem__(self, index):
            return batch

    return Repeat()


def run(args):
    import numpy as np

    import keras_wgan
    import keras_wgan.architectures

    keras.config.set_dtype_policy(args.dtype_policy)
    keras.utils.set_random_seed(args.seed)
    shape = (args.image_size, args.image_size, 3)
    fuse_generator = args.unfused_resampling not in ("both", "generator")
    fuse_critic = args.unfused_resampling not in ("both", "critic")
    build = keras_wgan.architectures.build
    generator, critic = build(
        args.arch, shape, latent_dim=128, width=args.width, fused_resampling=fuse_generator
    )
    if fuse_critic != fuse_generator:
        _, critic = build(
            args.arch, shape, latent_dim=128, width=args.width, fused_resampling=fuse_critic
        )
    gan = keras_wgan.WGAN(generator, critic, n_critic=args.n_critic, seed=args.seed)
    if args.separate_critic_calls:
        gan._joint_critic_call = False
    jit = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    gan.compile(
        keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9),
        keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9),
        jit_compile=jit,
        steps_per_execution=args.steps_per_execution,
    )
    if args.data == "digits":
        import keras_wgan.datasets

        data, _ = keras_wgan.datasets.load(
            "digits",
            args.batch_size,
            args.n_critic,
            seed=args.seed,
            image_size=args.image_size,
            channels=3,
        )
    else:
        real = (
            np.random.default_rng(args.seed)
            .uniform(-1, 1, (args.batch_size * args.n_critic,) + shape)
            .astype("float32")
        )
        data = _repeat(real)
    timer = Timer(args.warmup)
    total = args.warmup + args.steps
    # Rounded up to whole executions; the timer counts the iterations actually made.
    total = -(-total // args.steps_per_execution) * args.steps_per_execution
    compile_start = time.perf_counter()
    history = gan.fit(
        data, epochs=1, steps_per_epoch=total, callbacks=[timer], verbose=0, shuffle=False
    )
    timed = timer.end_step - timer.start_step
    if timed < 1:
        raise SystemExit("Too few steps to time: raise --steps.")
    seconds = timer.end - timer.start
    rate = timed / seconds
    print(
        f"keras {keras.__version__} backend={keras.backend.backend()} arch={args.arch} "
        f"width={args.width} batch={args.batch_size} n_critic={args.n_critic} "
        f"jit_compile={args.jit_compile} steps_per_execution={args.steps_per_execution} "
        f"dtype_policy={args.dtype_policy} data={args.data} joint_critic_call={gan._joint_critic_call} "
        f"unfused_resampling={args.unfused_resampling}: {timed} timed iterations in {seconds:.2f} s "
        f"({1000 * seconds / timed:.1f} ms/iter, {rate * args.batch_size:.1f} images/s "
        f"generated; first call and warm-up {timer.start - compile_start:.1f} s)"
    )
    # One epoch: each log is the mean over the whole run, NaN or infinite if any step was.
    means = {name: float(values[-1]) for name, values in sorted(history.history.items())}
    finite = all(map(math.isfinite, means.values()))
    print(
        f"means over all {total} iterations: "
        + " ".join(f"{name}={value:.4f}" for name, value in means.items())
        + ("; no NaN or Inf" if finite else "; NaN or Inf in the run")
    )
    print(f"gen_iters_per_s={rate:.3f}")
    return rate


def main(argv=None):
    args = parse_args(argv)
    if args.backend and args.backend != keras.backend.backend():
        env = dict(os.environ, KERAS_BACKEND=args.backend)
        argv = list(sys.argv[1:] if argv is None else argv)
        script = os.path.abspath(__file__)
        return subprocess.call([sys.executable, script, *argv], env=env)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
