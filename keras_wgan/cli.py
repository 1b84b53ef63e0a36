"""The `keras-wgan` command line: train, sample, export, evaluate.

Scripts parse arguments and hand plain values to the library; the library never reads
flags.
"""

import argparse
import json
import os
import sys

import numpy as np

from keras_wgan import losses as losses_lib
from keras_wgan.files import write_atomically
from keras_wgan.runs import CHECKPOINT

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
    train.add_argument("--dataset", required=True,
                       help="8gaussians, 25gaussians, swissroll, digits, cifar10, lsun-bedroom "
                            "or folder:PATH")
    train.add_argument("--arch", default=None,
                       help="image architecture (keras_wgan.architectures.ARCHITECTURES); "
                            "default: dcgan for digits and folders, cifar10-resnet for cifar10, "
                            "resnet-64 for lsun-bedroom")
    train.add_argument("--conditional", action="store_true",
                       help="class-conditional AC-GAN form (datasets with labels)")
    train.add_argument("--image-size", type=_positive_int, default=None)
    train.add_argument("--latent-dim", type=_positive_int, default=None,
                       help="size of z (default 2 for toy data, 128 for images)")
    train.add_argument("--data-dir", default=None, help="tensorflow-datasets data folder")
    train.add_argument("--sample-every", type=_positive_int, default=500,
                       help="generator steps between sample grids (images)")
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
    sample.add_argument("--labels", type=int, nargs="+", default=None,
                        help="class labels for a conditional model, repeated to --num")

    export = sub.add_parser("export", help="export a checkpoint's generator for TF Serving")
    export.add_argument("--checkpoint", required=True, help="a .keras file or a run folder")
    export.add_argument("--out", required=True, help="base folder; writes <out>/<version>/")
    export.add_argument("--version", type=_positive_int, default=None)
    evaluate = sub.add_parser("evaluate", help="score an export's samples against a dataset")
    evaluate.add_argument("--model", required=True,
                          help="an export folder (or its base folder), a .keras file or a run folder")
    evaluate.add_argument("--dataset", required=True, help="the dataset the model was trained on")
    evaluate.add_argument("--num-samples", type=_positive_int, default=5000,
                          help="samples to score (the paper's Inception Scores use 50000)")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--num-classes", type=_positive_int, default=None,
                          help="classes of a conditional export (sampled in equal shares)")
    evaluate.add_argument("--inception", default=None,
                          help="the Inception network: a TF-Hub handle or a local SavedModel "
                               "folder (images other than digits)")
    evaluate.add_argument("--reference-examples", type=_positive_int, default=50000,
                          help="real images behind the reference statistics (cached)")
    evaluate.add_argument("--data-dir", default=None, help="tensorflow-datasets data folder")
    evaluate.add_argument("--out", default=None, help="also write the scores to this .json file")
    return parser


# Default architecture, width, batch size and learning rate (None: the loss's preset) of
# each image dataset: the paper's set-ups, except digits, the embedded default, which uses
# fully connected networks and a larger step so that a CPU run converges in minutes.
IMAGE_DEFAULTS = {
    "digits": {"arch": "mlp", "width": 256, "batch_size": 64, "lr": 3e-4},
    "cifar10": {"arch": "cifar10-resnet", "width": None, "batch_size": 64, "lr": None},
    "lsun-bedroom": {"arch": "resnet-64", "width": None, "batch_size": 64, "lr": None},
    "folder": {"arch": "dcgan", "width": None, "batch_size": 64, "lr": None},
}


def _train_settings(args):
    """Resolves the run's hyperparameters: the presets of the paper, then the flags."""
    from keras_wgan import datasets, presets

    datasets.check_name(args.dataset)
    losses_lib.get(args.loss)
    toy = datasets.is_toy(args.dataset)
    penalty = args.loss in ("wgan-gp", "wgan-gp-one-sided")
    # gan_toy.py's hyperparameters go with its penalty; the other losses keep their own.
    preset_name = "toy" if toy and penalty else args.loss
    preset = presets.get(preset_name)
    model_args = dict(preset["model"], loss=args.loss)
    for flag in ("n_critic", "gp_weight", "clip_value"):
        if getattr(args, flag) is not None:
            model_args[flag] = getattr(args, flag)
    settings = {"model": model_args, "toy": toy}
    default_lr = TOY_LR if preset_name == "toy" else None
    if toy:
        if args.arch or args.conditional or args.image_size:
            raise ValueError("--arch, --conditional and --image-size are for image datasets.")
        settings.update(batch_size=args.batch_size or presets.get("toy")["batch_size"],
                        width=args.width or TOY_WIDTH, latent_dim=args.latent_dim or 2)
    else:
        kind = "folder" if args.dataset.startswith("folder:") else args.dataset
        defaults = IMAGE_DEFAULTS[kind]
        info = datasets.info(args.dataset, image_size=args.image_size)
        if args.conditional and not info["num_classes"]:
            raise ValueError(
                f"--conditional needs a dataset with labels; {args.dataset!r} has none.")
        arch = args.arch or defaults["arch"]
        # The dataset's width and step size go with its default architecture and the penalty.
        own = arch == defaults["arch"]
        if own and penalty:
            default_lr = defaults["lr"]
        settings.update(
            arch=arch,
            width=args.width or (defaults["width"] if own else None),
            batch_size=args.batch_size or defaults["batch_size"],
            latent_dim=args.latent_dim or 128,
            image_shape=info["shape"],
            num_classes=info["num_classes"] if args.conditional else None,
        )
    optimizers = [preset["d_optimizer"], preset["g_optimizer"]]
    lr = args.lr if args.lr is not None else default_lr
    if lr is not None:
        if not lr > 0:
            raise ValueError(f"Invalid value for --lr: {args.lr}. Expected a number > 0.")
        for opt in optimizers:
            opt["config"]["learning_rate"] = lr
    settings["optimizers"] = optimizers
    return settings


def _new_model(args, settings):
    import keras

    from keras_wgan import WGAN, architectures, models

    if settings["toy"]:
        generator = models.toy_generator(settings["latent_dim"], width=settings["width"])
        critic = models.toy_critic(width=settings["width"])
        extra = {}
    else:
        generator, critic = architectures.build(
            settings["arch"], settings["image_shape"], latent_dim=settings["latent_dim"],
            width=settings["width"], num_classes=settings["num_classes"],
        )
        extra = {"num_classes": settings["num_classes"]}
    gan = WGAN(generator, critic, seed=args.seed, **settings["model"], **extra)
    gan.compile(*[keras.optimizers.deserialize(c) for c in settings["optimizers"]])
    return gan


def _load_checkpoint(path):
    from keras_wgan import runs

    return runs.load_checkpoint(path)


def _flatten(tree, prefix=""):
    if isinstance(tree, dict):
        flat = {}
        for key, value in tree.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: tree}


def _check_run_folder(args, settings):
    """Records what a run folder holds, and refuses to resume it as something else.

    Rerunning with the same flags resumes the run; different hyperparameters would be
    silently ignored (the checkpoint holds the model and its optimisers), so they are
    refused with the names of the settings that differ.
    """
    record = os.path.join(args.out, "run.json")
    settings = dict(settings, optimizers=dict(zip(("critic", "generator"), settings["optimizers"])))
    wanted = json.loads(json.dumps(
        {"dataset": args.dataset, "loss": args.loss, "seed": args.seed, "settings": settings}))
    if os.path.exists(record):
        with open(record) as f:
            held = json.load(f)
        if held != wanted:
            held_flat, wanted_flat = _flatten(held), _flatten(wanted)
            differ = [
                f"{key}={held_flat.get(key)!r} there, {wanted_flat.get(key)!r} asked"
                for key in sorted(set(held_flat) | set(wanted_flat))
                if held_flat.get(key) != wanted_flat.get(key)
            ]
            raise ValueError(
                f"{args.out!r} holds a run with other settings ({'; '.join(differ)}); rerun "
                "with its flags to resume it, or pass another --out to start a new run."
            )
        return
    def write(path):
        with open(path, "w") as f:
            json.dump(wanted, f, indent=1)

    write_atomically(record, write)


def train(args):
    import keras

    from keras_wgan import datasets, runs

    settings = _train_settings(args)
    _check_run_folder(args, settings)
    keras.utils.set_random_seed(args.seed)
    gan, done = runs.resume_or_create(args.out, lambda: _new_model(args, settings))
    image_kwargs = {}
    if not settings["toy"]:
        image_kwargs = dict(image_size=gan.sample_shape[1], with_labels=bool(gan.num_classes),
                            data_dir=args.data_dir)
    dataset, _ = datasets.load(args.dataset, settings["batch_size"], gan.n_critic,
                               seed=args.seed, start_step=done, **image_kwargs)
    export_dir = runs.fit_run(
        gan, dataset, args.steps, args.out, steps_per_epoch=args.steps_per_epoch,
        sample_every=args.sample_every, seed=args.seed, export_dir=args.export_dir,
    )
    print(f"Exported the generator to {export_dir}")
    report = _report_points if settings["toy"] else _report_images
    report(args, gan)


def _report_points(args, gan):
    from keras_wgan import datasets, plotting

    real = datasets.sample_toy(args.dataset, 1000, rng=args.seed)
    fake = gan.generate(1000, seed=args.seed)
    figure = os.path.join(args.out, "samples.png")
    plotting.plot_points(
        figure, real, fake,
        critic=lambda p: gan.critic_outputs(p, training=False)[0],
        title=f"{args.loss} on {args.dataset}, {gan.generator_step()} steps",
    )
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


def _report_images(args, gan):
    from keras_wgan import plotting

    figure = os.path.join(args.out, "samples.png")
    rows = gan.num_classes or 8
    labels = None
    if gan.num_classes:
        labels = [c for c in range(gan.num_classes) for _ in range(10)]
    images = gan.generate(len(labels) if labels else 64, labels=labels, seed=args.seed)
    plotting.save_image_grid(figure, images, rows, scale=max(1, 128 // gan.sample_shape[1]))
    print(f"Wrote {figure}")
    if args.dataset == "digits":
        from keras_wgan.digits_score import digits_score
        from keras_wgan.evaluation import as_digits

        # Scored at 8x8 also when trained at another --image-size.
        score = digits_score(as_digits(gan.generate(5000, seed=args.seed + 1)))
        print(
            f"Digits quality: Inception-Score analogue {score['inception_score']:.2f} / 10 "
            f"(+- {score['inception_score_std']:.2f}), Frechet distance "
            f"{score['frechet_distance']:.3f}, classes {list(score['class_counts'])}"
        )


def _serving_fn(path):
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    fn = loaded.signatures["serving_default"]
    latent_dim = fn.structured_input_signature[1]["z"].shape[1]
    return loaded, fn, latent_dim


def sample(args):
    path = args.model
    labels = None if args.labels is None else np.resize(np.array(args.labels, "int32"), args.num)
    if path.endswith(".keras") or os.path.isfile(os.path.join(path, CHECKPOINT)):
        gan = _load_checkpoint(path)
        samples = gan.generate(args.num, labels=labels, seed=args.seed)
    else:
        from keras_wgan.export import latest_version_dir

        _, fn, latent_dim = _serving_fn(latest_version_dir(path))
        inputs = {"z": np.random.default_rng(args.seed).standard_normal((args.num, latent_dim))}
        inputs["z"] = inputs["z"].astype("float32")
        if "labels" in fn.structured_input_signature[1]:
            if labels is None:
                raise ValueError("This export is class-conditional: pass --labels.")
            inputs["labels"] = labels
        elif labels is not None:
            raise ValueError("--labels is only for class-conditional models.")
        samples = fn(**inputs)["samples"].numpy()
    if args.out.endswith(".npy"):
        np.save(args.out, samples)
    elif args.out.endswith(".png"):
        from keras_wgan import plotting

        if samples.ndim == 4:
            plotting.save_image_grid(args.out, samples, rows=max(1, int(np.sqrt(len(samples)))))
        else:
            plotting.plot_points(args.out, samples)
    else:
        raise ValueError(f"Invalid value for --out: {args.out!r}. Expected a .npy or .png file.")
    print(f"Wrote {len(samples)} samples to {args.out}")


def _generate(path, num, seed, num_classes=None):
    """`num` samples of an export (through `generate_from_seed`) or of a checkpoint.

    A conditional model gets its classes in equal shares, as the conditional Inception
    Scores are measured.
    """
    if path.endswith(".keras") or os.path.isfile(os.path.join(path, CHECKPOINT)):
        gan = _load_checkpoint(path)
        labels = None if not gan.num_classes else np.arange(num) % gan.num_classes
        return gan.generate(num, labels=labels, seed=seed)
    import tensorflow as tf

    from keras_wgan.export import SEED_SIGNATURE, latest_version_dir

    loaded = tf.saved_model.load(latest_version_dir(path))
    if SEED_SIGNATURE not in loaded.signatures:
        raise ValueError(f"The export at {path!r} has no {SEED_SIGNATURE!r} signature; "
                         "re-export it with this version of keras-wgan.")
    fn = loaded.signatures[SEED_SIGNATURE]
    inputs = {"seed": tf.constant(seed, tf.int64), "num_samples": tf.constant(num, tf.int32)}
    if "labels" in fn.structured_input_signature[1]:
        if not num_classes:
            raise ValueError("This export is class-conditional: pass --num-classes.")
        inputs["labels"] = tf.constant(np.arange(num) % num_classes, tf.int32)
    return fn(**inputs)["samples"].numpy()


def evaluate(args):
    from keras_wgan import datasets
    from keras_wgan.evaluation import evaluate_samples

    datasets.check_name(args.dataset)
    samples = _generate(args.model, args.num_samples, args.seed, args.num_classes)
    kwargs = {}
    if not datasets.is_toy(args.dataset) and args.dataset != "digits":
        kwargs = dict(network=args.inception, reference_examples=args.reference_examples,
                      data_dir=args.data_dir, image_size=samples.shape[1:3])
    scores = evaluate_samples(samples, args.dataset, **kwargs)
    if not scores:
        raise ValueError(f"There is no quality score for {args.dataset!r}.")
    for name, value in scores.items():
        print(f"{name}: {value:.4f}")
    record = {"model": args.model, "dataset": args.dataset, "num_samples": args.num_samples,
              "seed": args.seed, **scores}
    if kwargs:  # the Inception scores: say which weights made them
        from keras_wgan import inception

        record["inception_network"] = inception.network_source(args.inception)
        print(f"Inception network: {record['inception_network']}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(record, f, indent=1)


def export(args):
    from keras_wgan.export import export_generator

    gan = _load_checkpoint(args.checkpoint)
    print(f"Exported the generator to {export_generator(gan, args.out, args.version)}")


def main(argv=None):
    args = build_parser().parse_args(argv)
    command = {"train": train, "sample": sample, "export": export, "evaluate": evaluate}[args.command]
    try:
        command(args)
    except (ValueError, FileNotFoundError, FloatingPointError, RuntimeError) as e:
        if os.environ.get("KERAS_WGAN_DEBUG"):
            raise
        print(f"keras-wgan: error: {e}", file=sys.stderr)
        return 1
    return 0
