"""The `keras-wgan` command line: train, sample, export.

Scripts parse arguments and hand plain values to the library; the library never reads
flags.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

from keras_wgan import losses as losses_lib

CHECKPOINT = "checkpoint.keras"
# The CLI's toy defaults: the paper's gan_toy.py set-up (lambda 0.1, n_critic 5, batch 256,
# Adam with beta_1 0.5, beta_2 0.9) with narrower networks and a larger step size, so that a
# run of a few thousand generator iterations converges on a CPU; the paper ran 100k
# iterations of 512-wide networks at 1e-4.
TOY_WIDTH = 256
TOY_LR = 5e-4


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-wgan", description="Train, sample and export WGAN-GP models."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a model; rerun with the same --out to resume")
    train.add_argument("--dataset", required=True, help="8gaussians, 25gaussians or swissroll")
    train.add_argument("--loss", default="wgan-gp", help=f"one of {', '.join(losses_lib.LOSSES)}")
    train.add_argument("--steps", type=_positive_int, required=True, help="generator iterations")
    train.add_argument("--out", required=True, help="run folder: checkpoint, logs, export")
    train.add_argument("--batch-size", type=_positive_int, default=None)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--n-critic", type=_positive_int, default=None)
    train.add_argument("--gp-weight", type=float, default=None, help="lambda")
    train.add_argument("--clip-value", type=float, default=None, help="c, for wgan-clip")
    train.add_argument("--width", type=_positive_int, default=None,
                       help=f"hidden units (default {TOY_WIDTH}; the paper's toy networks use 512)")
    train.add_argument("--lr", type=float, default=None,
                       help=f"learning rate of both optimisers (toy penalty runs: default "
                            f"{TOY_LR:g}; the paper's 1e-4 needs far more steps)")
    train.add_argument("--export-dir", default=None,
                       help="base folder of the TF Serving export (default: OUT/export)")
    train.add_argument("--steps-per-epoch", type=_positive_int, default=100,
                       help="steps between checkpoints and progress lines")

    sample = sub.add_parser("sample", help="draw samples from an export or a checkpoint")
    sample.add_argument("--model", required=True,
                        help="an export folder (or its base folder), a .keras file or a run folder")
    sample.add_argument("--num", type=_positive_int, default=1000)
    sample.add_argument("--out", required=True, help=".npy or .png file")
    sample.add_argument("--seed", type=int, default=0)

    export = sub.add_parser("export", help="export a checkpoint's generator for TF Serving")
    export.add_argument("--checkpoint", required=True, help="a .keras file or a run folder")
    export.add_argument("--out", required=True, help="base folder; writes <out>/<version>/")
    export.add_argument("--version", type=_positive_int, default=None)
    return parser


def _train_settings(args):
    """Resolves the run's hyperparameters: the paper's toy set-up, then the flags."""
    from keras_wgan import datasets, presets

    datasets.check_name(args.dataset)
    losses_lib.get(args.loss)
    toy = presets.get("toy")
    # gan_toy.py's hyperparameters go with its penalty; the other losses keep their own.
    preset_name = "toy" if args.loss in ("wgan-gp", "wgan-gp-one-sided") else args.loss
    preset = presets.get(preset_name)
    model_args = dict(preset["model"], loss=args.loss)
    for flag, key in (("n_critic", "n_critic"), ("gp_weight", "gp_weight"),
                      ("clip_value", "clip_value")):
        if getattr(args, flag) is not None:
            model_args[key] = getattr(args, flag)
    optimizers = [preset["d_optimizer"], preset["g_optimizer"]]
    lr = args.lr if args.lr is not None else (TOY_LR if preset_name == "toy" else None)
    if lr is not None:
        if not lr > 0:
            raise ValueError(f"Invalid value for --lr: {args.lr}. Expected a number > 0.")
        for opt in optimizers:
            opt["config"]["learning_rate"] = lr
    return {
        "model": model_args,
        "optimizers": optimizers,
        "batch_size": args.batch_size or toy["batch_size"],
        "width": args.width or TOY_WIDTH,
    }


def _load_checkpoint(path):
    import keras

    import keras_wgan  # noqa: F401  (registers the serializable classes)

    if os.path.isdir(path):
        path = os.path.join(path, CHECKPOINT)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No checkpoint at {path!r}.")
    return keras.saving.load_model(path)


def _check_run_folder(args):
    """Records what a run folder holds, and refuses to resume it as something else."""
    record = os.path.join(args.out, "run.json")
    wanted = {"dataset": args.dataset, "loss": args.loss}
    if os.path.exists(record):
        with open(record) as f:
            held = json.load(f)
        if held != wanted:
            raise ValueError(
                f"{args.out!r} holds a run with {held}, not {wanted}; pass another --out "
                "to start a new run."
            )
        return
    os.makedirs(args.out, exist_ok=True)
    with open(record, "w") as f:
        json.dump(wanted, f)


def train(args):
    import keras

    from keras_wgan import WGAN, callbacks, datasets, models, plotting
    from keras_wgan.export import export_generator

    settings = _train_settings(args)
    ckpt_path = os.path.join(args.out, CHECKPOINT)
    _check_run_folder(args)
    keras.utils.set_random_seed(args.seed)
    if os.path.exists(ckpt_path):
        gan = _load_checkpoint(ckpt_path)
        done = int(gan.g_optimizer.iterations.numpy())
        print(f"Resuming from {ckpt_path} at generator step {done}.")
    else:
        gan = WGAN(
            models.toy_generator(width=settings["width"]),
            models.toy_critic(width=settings["width"]),
            seed=args.seed,
            **settings["model"],
        )
        gan.compile(*[keras.optimizers.deserialize(c) for c in settings["optimizers"]])
        done = 0

    batch_size = settings["batch_size"]
    dataset, _ = datasets.load(args.dataset, batch_size, gan.n_critic, seed=args.seed + done)
    spe = min(args.steps_per_epoch, args.steps)
    checkpoint = callbacks.AtomicCheckpoint(ckpt_path)
    if done < args.steps:
        gan.fit(
            dataset,
            epochs=math.ceil(args.steps / spe),
            initial_epoch=done // spe,
            steps_per_epoch=spe,
            callbacks=[
                callbacks.StopAtStep(args.steps),
                callbacks.NonFiniteLoss(),
                checkpoint,
                keras.callbacks.TensorBoard(os.path.join(args.out, "logs")),
            ],
            verbose=1,
            shuffle=False,  # the dataset shuffles itself
        )
        checkpoint.set_model(gan)
        checkpoint.save()

    export_dir = export_generator(gan, args.export_dir or os.path.join(args.out, "export"))
    real = datasets.sample_toy(args.dataset, 1000, rng=args.seed)
    fake = gan.generate(1000, seed=args.seed)
    figure = os.path.join(args.out, "samples.png")
    plotting.plot_points(
        figure, real, fake,
        critic=lambda p: gan.critic(p, training=False),
        title=f"{args.loss} on {args.dataset}, {int(gan.g_optimizer.iterations.numpy())} steps",
    )
    print(f"Exported the generator to {export_dir}")
    print(f"Wrote {figure}")
    if args.dataset != "swissroll":
        samples = gan.generate(2500, seed=args.seed + 1)
        for n_std in (3, 6):
            cover = datasets.mode_coverage(samples, args.dataset, n_std=n_std)
            print(
                f"Within {n_std} std of a mode: {cover['high_quality']:.1%} of samples; modes "
                f"holding at least a fifth of their share: {cover['modes_covered']}/"
                f"{cover['num_modes']}"
            )


def _serving_fn(path):
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    fn = loaded.signatures["serving_default"]
    latent_dim = fn.structured_input_signature[1]["z"].shape[1]
    return loaded, fn, latent_dim


def sample(args):
    path = args.model
    if path.endswith(".keras") or os.path.isfile(os.path.join(path, CHECKPOINT)):
        gan = _load_checkpoint(path)
        samples = gan.generate(args.num, seed=args.seed)
    else:
        from keras_wgan.export import latest_version_dir

        _, fn, latent_dim = _serving_fn(latest_version_dir(path))
        z = np.random.default_rng(args.seed).standard_normal((args.num, latent_dim))
        samples = fn(z=z.astype("float32"))["samples"].numpy()
    if args.out.endswith(".npy"):
        np.save(args.out, samples)
    elif args.out.endswith(".png"):
        from keras_wgan import plotting

        if samples.ndim != 2 or samples.shape[1] != 2:
            raise ValueError(f"Cannot draw samples of shape {samples.shape} as points.")
        plotting.plot_points(args.out, samples)
    else:
        raise ValueError(f"Invalid value for --out: {args.out!r}. Expected a .npy or .png file.")
    print(f"Wrote {len(samples)} samples to {args.out}")


def export(args):
    from keras_wgan.export import export_generator

    gan = _load_checkpoint(args.checkpoint)
    print(f"Exported the generator to {export_generator(gan, args.out, args.version)}")


def main(argv=None):
    args = build_parser().parse_args(argv)
    command = {"train": train, "sample": sample, "export": export}[args.command]
    try:
        command(args)
    except (ValueError, FileNotFoundError, FloatingPointError, RuntimeError) as e:
        if os.environ.get("KERAS_WGAN_DEBUG"):
            raise
        print(f"keras-wgan: error: {e}", file=sys.stderr)
        return 1
    return 0
