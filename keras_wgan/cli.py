"""The `keras-wgan` command line: train, sample, export, evaluate, demo.

Scripts parse arguments and hand plain values to the library; the library never reads
flags.
"""

import argparse
import json
import os
import shlex
import signal
import sys
import threading
import traceback
import warnings

import keras
import numpy as np
import tensorflow as tf

from keras_wgan import augment as augment_lib
from keras_wgan import datasets, options, presets, runs
from keras_wgan import demo as demo_lib
from keras_wgan import losses as losses_lib
from keras_wgan.evaluation import OFFLINE_SCORES, evaluate_samples, inception
from keras_wgan.export import (
    FORMATS,
    SEED_SIGNATURE,
    export_generator,
    latest_version_dir,
    metadata,
    seed_latent,
)
from keras_wgan.runs import CHECKPOINT, kinds, limits
from keras_wgan.utils.files import write_atomically

#: The run's settings, beside its checkpoint (which holds them too).
RUN_RECORD = "run.json"


_positive_int = options.positive_int


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors are one line (with where to find the usage)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    parser = _Parser(prog="keras-wgan", description="Train, sample and export WGAN-GP models.")
    common = _Parser(add_help=False)
    common.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's start-up logs, hidden by default (as does KERAS_WGAN_VERBOSE=1)",
    )
    parser.add_argument("--verbose", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)

    def add_parser(name, **kwargs):
        return sub.add_parser(name, parents=[common], **kwargs)

    train = add_parser(
        "train",
        help="train a model; rerun with the same --out to resume (one process at a time: "
        "a second train on a folder in use fails at once, naming the process that holds it)",
    )
    train.add_argument(
        "--dataset",
        required=True,
        help="8gaussians, 25gaussians, swissroll, digits, mnist (embedded), "
        "mnist-full, cifar10, lsun-bedroom, folder:PATH, or text "
        "(embedded), text:PATH, lm1b",
    )
    train.add_argument(
        "--arch",
        default=None,
        help="image architecture (keras_wgan.architectures.ARCHITECTURES); "
        "default: mlp for digits, dcgan for folders, cifar10-resnet for "
        "cifar10, resnet-64 for lsun-bedroom (text: language, the only one)",
    )
    train.add_argument(
        "--conditional",
        action="store_true",
        help="class-conditional AC-GAN form (datasets with labels)",
    )
    train.add_argument(
        "--paper",
        action="store_true",
        help="the paper's own set-up where this package's default differs "
        "(toy data: gan_toy.py's 512-wide networks, constant 1e-4; text: "
        "gan_language.py's 512 channels, n_critic 10, constant 1e-4)",
    )
    train.add_argument(
        "--lr-decay",
        default=None,
        choices=("none", "linear"),
        help="learning-rate schedule: constant, or linear to 0 over --steps; "
        "default: the recipe's (keras_wgan.presets.RECIPES)",
    )
    train.add_argument("--image-size", type=_positive_int, default=None)
    train.add_argument(
        "--latent-dim",
        type=_positive_int,
        default=None,
        help="size of z (default 2 for toy data, 128 for images)",
    )
    train.add_argument("--data-dir", default=None, help="tensorflow-datasets data folder")
    train.add_argument(
        "--sample-every",
        type=_positive_int,
        default=500,
        help="generator steps between sample grids (images)",
    )
    train.add_argument("--loss", default="wgan-gp", help=f"one of {', '.join(losses_lib.LOSSES)}")
    train.add_argument("--steps", type=_positive_int, required=True, help="generator iterations")
    train.add_argument("--out", required=True, help="run folder: checkpoint, logs, export")
    train.add_argument("--batch-size", type=_positive_int, default=None)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--n-critic", type=_positive_int, default=None)
    train.add_argument(
        "--width",
        type=_positive_int,
        default=None,
        help="base width or hidden units (default: the recipe's; toy 256, "
        "the paper's toy networks use 512)",
    )
    train.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate of both optimisers (default: the recipe's)",
    )
    train.add_argument(
        "--lr-critic",
        type=float,
        default=None,
        metavar="LR",
        help="learning rate of the critic's optimiser (two time-scale updates, TTUR); "
        "overrides --lr and the recipe's, and decays with --lr-decay linear",
    )
    train.add_argument(
        "--lr-generator",
        type=float,
        default=None,
        metavar="LR",
        help="learning rate of the generator's optimiser; overrides --lr and the recipe's",
    )
    train.add_argument(
        "--spectral-norm",
        action="store_true",
        help="spectrally normalise every Dense and convolution layer of the critic "
        "(Miyato et al. 2018), with any --loss",
    )
    improved = train.add_argument_group("the layers of Salimans et al. 2016, for the GAN baselines")
    improved.add_argument(
        "--minibatch-discrimination",
        nargs="*",
        type=_positive_int,
        default=None,
        metavar="N",
        help="a minibatch-discrimination layer before the critic's score: "
        "B kernels of C dimensions (default 100 5); refused under a "
        "gradient penalty",
    )
    improved.add_argument(
        "--virtual-batch-norm",
        nargs="?",
        type=_positive_int,
        const=64,
        default=None,
        metavar="R",
        help="virtual batch norm in the generator, with a fixed reference "
        "batch of R latent vectors (default 64)",
    )
    options.add_flags(train)
    train.add_argument(
        "--export-dir",
        default=None,
        help="base folder of the TF Serving export (default: OUT/export)",
    )
    train.add_argument(
        "--max-samples",
        type=_positive_int,
        default=None,
        help="the export's limit on samples per request (default 1024)",
    )
    train.add_argument(
        "--force-export",
        action="store_true",
        help="export a finished run again as a new version; by default a rerun of a run "
        "already at --steps trains nothing and exports only if the latest export is not of "
        "its last step",
    )
    train.add_argument(
        "--steps-per-epoch",
        type=_positive_int,
        default=100,
        help="steps between checkpoints and progress lines",
    )

    sample = add_parser("sample", help="draw samples from an export or a checkpoint")
    sample.add_argument(
        "--model",
        required=True,
        help="an export folder (or its base folder), a .keras file or a run folder",
    )
    sample.add_argument("--num", type=_positive_int, default=1000)
    sample.add_argument(
        "--out",
        required=True,
        help=".npy or .png file (points, images); .txt or .npy (text: one "
        "decoded sample a line, or the token ids); replaced atomically: a failed write "
        "keeps the file that was there",
    )
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument(
        "--labels",
        type=int,
        nargs="+",
        default=None,
        help="class labels for a conditional model, repeated to --num",
    )

    export = add_parser(
        "export", help="export a checkpoint's generator for TF Serving, ONNX or LiteRT"
    )
    export.add_argument("--checkpoint", required=True, help="a .keras file or a run folder")
    export.add_argument(
        "--format",
        choices=FORMATS,
        default="saved_model",
        help="saved_model (default: TF Serving's versioned folders), onnx or litert (one "
        "file, without the SavedModel's input checks; pip install 'keras-wgan[deploy]')",
    )
    export.add_argument(
        "--out",
        required=True,
        help="saved_model: base folder; writes <out>/<version>/ (an export into a base "
        "another export is writing waits for it, then writes the next version); onnx, "
        "litert: the file (.onnx, .tflite)",
    )
    export.add_argument("--version", type=_positive_int, default=None, help="saved_model only")
    export.add_argument(
        "--max-samples",
        type=_positive_int,
        default=None,
        help="saved_model only: the most samples one request may ask for (default 1024); "
        "larger requests are refused with INVALID_ARGUMENT",
    )
    evaluate = add_parser("evaluate", help="score an export's samples against a dataset")
    evaluate.add_argument(
        "--model",
        required=True,
        help="an export folder (or its base folder), a .keras file or a run folder",
    )
    evaluate.add_argument("--dataset", required=True, help="the dataset the model was trained on")
    evaluate.add_argument(
        "--num-samples",
        type=_positive_int,
        default=5000,
        help="samples to score (the paper's Inception Scores use 50000)",
    )
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument(
        "--num-classes",
        type=_positive_int,
        default=None,
        help="classes of a conditional export (sampled in equal shares)",
    )
    evaluate.add_argument(
        "--inception",
        default=None,
        help="the Inception network: a TF-Hub handle or a local SavedModel "
        "folder (images other than digits)",
    )
    evaluate.add_argument(
        "--reference-examples",
        type=_positive_int,
        default=50000,
        help="real images behind the reference statistics (cached)",
    )
    evaluate.add_argument("--data-dir", default=None, help="tensorflow-datasets data folder")
    evaluate.add_argument(
        "--out", default=None, help="also write the scores to this .json file (atomically)"
    )
    evaluate.add_argument(
        "--batch-stats",
        action="store_true",
        help="sample with the batch statistics of each generator call (100 "
        "samples), as the paper's code does, instead of the moving "
        "averages of batch norm; a checkpoint or .keras model only",
    )
    demo = add_parser(
        "demo",
        help="write a static web page that runs an ONNX export in the browser (onnxruntime-web)",
    )
    demo.add_argument(
        "--model", required=True, help="an ONNX file of `keras-wgan export --format onnx`"
    )
    demo.add_argument(
        "--out",
        required=True,
        help="the page's folder: index.html, demo.js, config.json, model.onnx (new, empty, or "
        "an earlier demo, replaced whole; written beside it and renamed into place)",
    )
    demo.add_argument(
        "--runtime-url",
        default=demo_lib.RUNTIME_URL,
        help="onnxruntime-web's script, absolute or relative to the page (a local copy for "
        "offline use); its .mjs and .wasm files must lie beside it",
    )
    demo.add_argument(
        "--num",
        type=_positive_int,
        default=None,
        help="samples a grid (default: 36 images, a multiple of the classes for a conditional "
        f"model; 512 points; 16 lines of text; at most {demo_lib.MAX_SAMPLES})",
    )
    demo.add_argument(
        "--seed", type=int, default=0, help="seed of the first grid's latent points (config.json)"
    )
    return parser


def _train_settings(args):
    """Resolves the run's hyperparameters: the dataset's recipe, then the flags.

    The recipes are `keras_wgan.presets.RECIPES`, which the example scripts use too.
    """
    kind = datasets.kind(args.dataset)
    losses_lib.get(args.loss)
    if kind != "images" and (args.conditional or args.image_size or args.conditioning):
        raise ValueError("--conditional, --conditioning and --image-size are for image datasets.")
    if kind == "points" and args.arch:
        raise ValueError("--arch is for image and text datasets.")
    if kind == "text" and args.arch not in (None, "language"):
        raise ValueError(
            f"--arch {args.arch} is an image architecture; text has one, 'language' (the default)."
        )
    if args.paper and kind == "images":
        raise ValueError(
            "--paper picks the paper's set-up for toy data and text; the cifar10 "
            "and lsun-bedroom recipes are the paper's already (keras_wgan.presets)."
        )
    for flag in ("conditioning", "ac_weight_critic", "ac_weight_generator"):
        if getattr(args, flag) is not None and not args.conditional:
            raise ValueError(
                f"--{flag.replace('_', '-')} is for class-conditional runs: add --conditional."
            )
    minibatch = args.minibatch_discrimination
    if minibatch is not None:
        if len(minibatch) not in (0, 2):
            raise ValueError(
                "--minibatch-discrimination takes no value (100 kernels of 5) or "
                f"two, B and C; got {len(minibatch)}."
            )
        minibatch = minibatch or [100, 5]
    if kind == "text" and (minibatch or args.virtual_batch_norm):
        raise ValueError(
            "--minibatch-discrimination and --virtual-batch-norm are for image and toy networks."
        )
    if args.ema_start is not None and args.ema is None:
        raise ValueError("--ema-start is for a moving average of the generator: add --ema.")
    augment = _augment_policies(args, kind)
    if args.r1_every is not None and args.loss != "r1":  # said in flag terms
        raise ValueError(
            f"--r1-every is for the R1 penalty: add --loss r1 (the loss is {args.loss!r})."
        )
    name = presets.recipe_name(
        args.dataset, conditional=args.conditional, paper=args.paper, arch=args.arch
    )
    decay = {None: "recipe", "none": None, "linear": "linear"}[args.lr_decay]
    settings = presets.resolve(
        name,
        loss=args.loss,
        arch=args.arch,
        width=args.width,
        batch_size=args.batch_size,
        latent_dim=args.latent_dim,
        lr=args.lr,
        lr_critic=args.lr_critic,
        lr_generator=args.lr_generator,
        lr_decay=decay,
        steps=args.steps,
        n_critic=args.n_critic,
        minibatch_discrimination=minibatch,
        virtual_batch_norm=args.virtual_batch_norm,
        spectral_norm=args.spectral_norm,
        # The components' flags, from the table of options (keras_wgan.options).
        **dict(options.from_flags(args), augment=augment),
    )
    # Every option reaches a component that takes it, before anything is written: a flag
    # the chosen loss ignores (--gp-weight with wgan-clip) is refused, never recorded.
    flat, _, _ = options.split(settings["model"])
    options.components(dict(flat, num_classes=2 if settings["conditional"] else None))
    return runs.with_data(
        settings, args.dataset, image_size=args.image_size, data_dir=args.data_dir
    )


def _augment_policies(args, kind):
    """The policies of --augment as a list (in `augment.POLICIES` order), or None;
    refuses augmentation of points and text, and the other augmentation flags without
    --augment (or --ada-kimg without --ada-target)."""
    if args.augment is None:
        for flag in ("augment_probability", "ada_target", "ada_kimg"):
            if getattr(args, flag) is not None:
                raise ValueError(
                    f"--{flag.replace('_', '-')} is for augmented runs: add --augment."
                )
        return None
    if kind != "images":
        raise ValueError(f"--augment is for image datasets; {args.dataset!r} holds {kind}.")
    if args.ada_kimg is not None and args.ada_target is None:
        raise ValueError("--ada-kimg is ADA's speed: add --ada-target.")
    for flag, value, expected, ok in (
        ("--augment-probability", args.augment_probability, "in [0, 1]", lambda v: 0 <= v <= 1),
        ("--ada-target", args.ada_target, "in [0, 1), such as 0.6", lambda v: 0 <= v < 1),
        ("--ada-kimg", args.ada_kimg, "> 0", lambda v: 0 < v < float("inf")),
    ):
        if value is not None and not ok(value):
            raise ValueError(f"{flag} takes a number {expected}; got {value}.")
    try:
        return list(augment_lib.check_policies(args.augment))
    except ValueError:
        raise ValueError(
            f"--augment takes distinct policies among {', '.join(augment_lib.POLICIES)}, "
            f"comma-separated; got {args.augment!r}."
        ) from None


def _new_model(args, settings):
    return runs.build_gan(settings, seed=args.seed)


def _load_checkpoint(path):
    return runs.load_checkpoint(path)


def _flatten(tree, prefix=""):
    if isinstance(tree, dict):
        flat = {}
        for key, value in tree.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: tree}


def _run_record(args, settings):
    """What identifies a run: the dataset, the loss, the seed and the resolved settings, as
    JSON holds them."""
    settings = dict(settings, optimizers=dict(zip(("critic", "generator"), settings["optimizers"])))
    if settings["lr_decay"] is None:
        # A constant step size does not depend on the run's length: a rerun with more
        # --steps continues the run. A decay does, so its length is part of the record.
        settings.pop("steps")
    return json.loads(
        json.dumps(
            {"dataset": args.dataset, "loss": args.loss, "seed": args.seed, "settings": settings}
        )
    )


def _check_run_folder(args, wanted):
    """Refuses to resume a run folder as something else.

    Rerunning with the same flags resumes the run; different hyperparameters would be
    silently ignored (the checkpoint holds the model and its optimisers), so they are
    refused with the names of the settings that differ. The settings a run was made with
    are read from its checkpoint, which holds them in the model's `metadata`, so the check
    stands whether or not `run.json` is there; `run.json` is the record of a checkpoint
    written before the settings were kept in it.
    """
    checkpoint = os.path.join(args.out, CHECKPOINT)
    record = os.path.join(args.out, RUN_RECORD)
    held = None
    if os.path.exists(checkpoint):
        held = (runs.checkpoint_metadata(checkpoint) or {}).get("run")
    # Without a checkpoint there is nothing to resume: a run.json left by a run refused
    # before its first checkpoint does not bind the next one.
    if held is None and os.path.exists(checkpoint) and os.path.exists(record):
        try:
            with open(record) as f:
                held = json.load(f)
        except ValueError as error:
            raise ValueError(f"The run record {record!r} is not valid JSON ({error}).") from None
    if held is None or held == wanted:
        return
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


def _write_run_record(args, wanted):
    """Writes `run.json` (atomically) from the record that was checked."""

    def write(path):
        with open(path, "w") as f:
            json.dump(wanted, f, indent=1)

    write_atomically(os.path.join(args.out, RUN_RECORD), write)


def train(args):
    """Trains (or resumes) the run in --out, holding its lock from before its checkpoint
    is read until its export and report are written (`runs.locked`)."""
    settings = _train_settings(args)
    # Sizes and folders before anything is built or trained: a run the machine cannot
    # hold, or an export that would fail, is refused now rather than after the training.
    limits.check_outputs(args.out, args.export_dir, args.max_samples)
    limits.check_run(settings, args.steps, args.steps_per_epoch)
    with runs.locked(args.out):
        _train_locked(args, settings)


def _train_locked(args, settings):
    wanted = _run_record(args, settings)
    _check_run_folder(args, wanted)
    keras.utils.set_random_seed(args.seed)
    gan, done = runs.resume_or_create(args.out, lambda: _new_model(args, settings))
    # The checked settings travel in the checkpoint (the model's metadata), and run.json
    # is rewritten from them: only once the model is built, so that settings the model
    # refuses leave nothing behind.
    gan.metadata = dict(gan.metadata or {}, run=wanted)
    kind = kinds.for_model(gan)
    dataset, _ = datasets.load(
        args.dataset,
        settings["batch_size"],
        gan.n_critic,
        seed=args.seed,
        start_step=done,
        **kind.load_kwargs(gan, settings, data_dir=args.data_dir),
    )
    _write_run_record(args, wanted)  # once the data is readable too
    export_dir = runs.fit_run(
        gan,
        dataset,
        args.steps,
        args.out,
        steps_per_epoch=args.steps_per_epoch,
        sample_every=args.sample_every,
        seed=args.seed,
        export_dir=args.export_dir,
        max_samples=args.max_samples,
        force_export=args.force_export,
    )
    if export_dir is None:
        print(
            "Its latest export holds that step already; nothing new was exported "
            "(--force-export writes another version)."
        )
    else:
        print(f"Exported the generator to {export_dir}")
    kind.report(
        gan,
        args.dataset,
        args.out,
        args.seed,
        title=f"{args.loss} on {args.dataset}, {gan.generator_step()} steps",
        data_dir=args.data_dir,
    )


def _serving_fn(path):
    """(loaded SavedModel, its serving_default, latent_dim, the export's `metadata`: {}
    for an export written before it was recorded)."""
    loaded = tf.saved_model.load(path)
    fn = loaded.signatures["serving_default"]
    latent_dim = fn.structured_input_signature[1]["z"].shape[1]
    return loaded, fn, latent_dim, metadata(path)


def _check_export_sampling(num, fn, latent_dim, info, name="num_samples"):
    """Refuses `num` samples of an export that the machine cannot hold (its sample shape
    from its record, or from its signature's outputs for an export without one)."""
    shape = info.get("sample_shape")
    if shape is None:
        shape = fn.structured_outputs["samples"].shape[1:]
    limits.check_sampling(num, [d or 1 for d in shape], latent_dim, name=name)


def _request(fn, z, labels, max_samples):
    """`fn(z=..., labels=...)` in requests of at most `max_samples` rows (the export's
    limit), joined into one dict of NumPy arrays."""
    step = max_samples or len(z)
    parts = []
    for start in range(0, len(z), step):
        inputs = {"z": tf.constant(z[start : start + step], tf.float32)}
        if labels is not None:
            inputs["labels"] = tf.constant(labels[start : start + step], tf.int32)
        parts.append({k: v.numpy() for k, v in fn(**inputs).items()})
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}


def _check_labels(fn, labels, num_classes=None):
    """Refuses labels a conditional export lacks, or labels outside its classes."""
    if "labels" in fn.structured_input_signature[1]:
        if labels is None:
            raise ValueError("This export is class-conditional: pass --labels.")
        if num_classes and (np.min(labels) < 0 or np.max(labels) >= num_classes):
            raise ValueError(
                f"--labels must be class indices in [0, {num_classes}) for this "
                f"export; got {sorted(set(np.asarray(labels).tolist()))}."
            )
    elif labels is not None:
        raise ValueError("--labels is only for class-conditional models.")


def sample(args):
    path = args.model
    labels = None if args.labels is None else np.resize(np.array(args.labels, "int32"), args.num)
    if path.endswith(".keras") or os.path.isfile(os.path.join(path, CHECKPOINT)):
        gan = _load_checkpoint(path)
        limits.check_sampling(args.num, gan.sample_shape[1:], gan.latent_dim, name="num")
        kind = kinds.for_model(gan)
        outputs = kind.decode(gan, gan.generate(args.num, labels=labels, seed=args.seed))
    else:
        _, fn, latent_dim, info = _serving_fn(latest_version_dir(path))
        _check_labels(fn, labels, info.get("num_classes"))
        _check_export_sampling(args.num, fn, latent_dim, info, name="num")
        z = np.random.default_rng(args.seed).standard_normal((args.num, latent_dim))
        outputs = _request(fn, z.astype("float32"), labels, info.get("max_samples"))
        kind = kinds.for_outputs(outputs)
    if not args.out.endswith(kind.suffixes):
        raise ValueError(
            f"Invalid value for --out: {args.out!r}. Expected a {' or '.join(kind.suffixes)} file."
        )
    kind.write(args.out, outputs)
    print(f"Wrote {len(outputs['samples'])} samples to {args.out}")


def _generate(path, num, seed, num_classes=None, batch_stats=False):
    """(outputs, labels or None): `num` samples of an export (the z of `generate_from_seed`,
    sent in requests within its max_samples) or of a checkpoint, as the export's dict of NumPy arrays
    (from an export "samples", and "images_uint8" or "tokens" and "text"; from a checkpoint
    what `runs.kinds.Kind.decode` gives), and the classes they were
    generated for.

    A conditional model gets its classes in equal shares, as the conditional Inception
    Scores are measured. `batch_stats` (a checkpoint only: an export is in inference mode)
    normalises each call of 100 samples with its own batch statistics, the paper's protocol.
    """
    if path.endswith(".keras") or os.path.isfile(os.path.join(path, CHECKPOINT)):
        gan = _load_checkpoint(path)
        limits.check_sampling(num, gan.sample_shape[1:], gan.latent_dim)
        labels = None if not gan.num_classes else np.arange(num) % gan.num_classes
        if batch_stats:  # the paper's code drew its Inception-Score samples 100 at a time
            samples = gan.generate(num, labels=labels, seed=seed, batch_size=100, batch_stats=True)
        else:
            samples = gan.generate(num, labels=labels, seed=seed)
        return kinds.for_model(gan).decode(gan, samples), labels
    if batch_stats:
        raise ValueError(
            f"--batch-stats needs a checkpoint or a .keras model, not {path!r}: "
            "an export's generator is in inference mode (moving averages)."
        )
    loaded, fn, latent_dim, info = _serving_fn(latest_version_dir(path))
    _check_export_sampling(num, fn, latent_dim, info)
    if SEED_SIGNATURE not in loaded.signatures:
        raise ValueError(
            f"The export at {path!r} has no {SEED_SIGNATURE!r} signature; "
            "re-export it with this version of keras-wgan."
        )
    labels = None
    if "labels" in fn.structured_input_signature[1]:
        if not num_classes:
            raise ValueError("This export is class-conditional: pass --num-classes.")
        labels = np.arange(num) % num_classes
    elif num_classes:
        raise ValueError(
            "--num-classes is for class-conditional exports; this one takes no labels."
        )
    # generate_from_seed's z, sent to serving_default in requests within the export's
    # max_samples: the samples one generate_from_seed request of `num` would give.
    z = seed_latent(seed, num, latent_dim).numpy()
    return {**_request(fn, z, labels, info.get("max_samples")), "z": z}, labels


def evaluate(args):
    kind = kinds.for_dataset(args.dataset)
    outputs, labels = _generate(
        args.model, args.num_samples, args.seed, args.num_classes, batch_stats=args.batch_stats
    )
    made = kinds.for_outputs(outputs)
    if made is not kind:
        raise ValueError(
            f"{args.model!r} generates {made.name}; {args.dataset!r} holds "
            f"{kind.name}: pass the dataset the model was trained on."
        )
    samples = kind.scored(outputs)
    kwargs = {}
    if labels is not None and args.dataset in OFFLINE_SCORES:
        kwargs["labels"] = labels  # scores the share of samples of the class asked for
    if kind.name == "text":
        kwargs["data_dir"] = args.data_dir
    elif kind.name == "images" and args.dataset not in OFFLINE_SCORES:
        kwargs = dict(
            kwargs,
            network=args.inception,
            reference_examples=args.reference_examples,
            data_dir=args.data_dir,
            image_size=np.shape(samples)[1:3],
        )
    scores = evaluate_samples(samples, args.dataset, **kwargs)
    if not scores:
        raise ValueError(f"There is no quality score for {args.dataset!r}.")
    mode = (
        "batch statistics of each 100 samples (the paper's protocol)"
        if args.batch_stats
        else "moving averages (inference mode)"
    )
    if kind.name != "text":  # the language model has no batch norm
        print(f"Batch norm: {mode}")
    for name, value in scores.items():
        print(f"{name}: {value:.4f}")
    record = {
        "model": args.model,
        "dataset": args.dataset,
        "num_samples": args.num_samples,
        "seed": args.seed,
        "batch_stats": bool(args.batch_stats),
        **scores,
    }
    if "network" in kwargs:  # the Inception scores: say which weights made them
        record["inception_network"] = inception.network_source(args.inception)
        print(f"Inception network: {record['inception_network']}")
    if args.out:

        def write(tmp):
            with open(tmp, "w") as f:
                json.dump(record, f, indent=1)

        write_atomically(args.out, write)


def export(args):
    gan = _load_checkpoint(args.checkpoint)
    path = export_generator(gan, args.out, args.version, args.max_samples, format=args.format)
    print(f"Exported the generator to {path}")


def demo(args):
    out = demo_lib.write_demo(args.model, args.out, args.runtime_url, args.num, args.seed)
    print(
        f"Wrote the demo page to {out}; serve it with: python -m http.server -d {shlex.quote(out)}"
    )


def main(argv=None):
    args = build_parser().parse_args(argv)
    command = {
        "train": train,
        "sample": sample,
        "export": export,
        "evaluate": evaluate,
        "demo": demo,
    }[args.command]
    previous_term = _terminate_as_interrupt()
    try:
        with warnings.catch_warnings():
            if not args.verbose:
                warnings.showwarning = _warning_line
            command(args)
    except KeyboardInterrupt as interrupt:
        if args.verbose:
            traceback.print_exc()
        print(f"keras-wgan: error: {_interrupted_line(args, interrupt)}", file=sys.stderr)
        return 143 if isinstance(interrupt, Terminated) else 130
    except Exception as e:
        message = _error_line(e)
        if message is None or os.environ.get("KERAS_WGAN_DEBUG"):
            raise
        if args.verbose:
            traceback.print_exc()
        print(f"keras-wgan: error: {message}", file=sys.stderr)
        return 1
    finally:
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
    return 0


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that the command stops as on Ctrl-C: locks
    released, temporaries removed, one line printed."""


def _raise_terminated(signum, frame):
    raise Terminated()


def _terminate_as_interrupt():
    """Makes SIGTERM raise `Terminated` (main thread only); returns the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


def _interrupted_line(args, interrupt):
    how = "terminated (SIGTERM)" if isinstance(interrupt, Terminated) else "interrupted"
    if args.command == "train":
        return (
            f"{how}; {args.out!r} keeps its last checkpoint (written at the end of each "
            "epoch): rerun the same command to resume."
        )
    return f"{how}; nothing was written in place of an earlier file."


def _warning_line(message, category, filename, lineno, file=None, line=None):
    """A warning as one line, without the package's source line under it."""
    print(f"keras-wgan: warning: {message}", file=sys.stderr if file is None else file)


#: The library names arguments; the command line says which flag sets them.
_FLAG_WORDING = {"`conditional=True`": "--conditional"}
# An option's refusal and its component's argument errors, in the words of its flag.
for _option in options.OPTIONS:
    if _option.flag is not None:
        _flag = "--" + _option.name.replace("_", "-")
        _FLAG_WORDING[f"The option `{_option.name}`"] = f"The option {_flag}"
        _FLAG_WORDING[f"argument `{_option.argument}`."] = (
            f"argument `{_option.argument}` ({_flag})."
        )


def _os_error_line(error):
    """An `OSError` as the system's message and the path(s) it concerns: "No space left
    on device: 'runs/x/run.json'"; one raised with a message of its own, as that."""
    if error.strerror is None:
        return str(error)
    paths = [repr(os.fsdecode(p)) for p in (error.filename, error.filename2) if p is not None]
    return f"{error.strerror}: {' -> '.join(paths)}" if paths else f"{error}"


def _op_error_line(error):
    """A TensorFlow error (a refused request of an export, a file TensorFlow could not
    read or write): its assertion's or its own message, without the graph dump."""
    lines = [line.strip() for line in error.message.splitlines() if line.strip()]
    named = [
        line for line in lines if "assertion failed" in line or line.startswith("Shape of tensor")
    ]
    plain = [line for line in lines if not line.startswith(("Graph execution", "Detected at"))]
    return (named or plain or lines or [type(error).__name__])[0]


def _error_line(error):
    """The one line the CLI prints for an expected error, or None for a bug (re-raised).

    Expected: bad values (`ValueError`), a missing optional package (`ImportError`, which
    names the extra), a generator a converter cannot convert (a `RuntimeError`), what the
    system refused (`OSError`: a full disk,
    a read-only file system, a file where a folder should be), a folder in use, a
    diverged run, and what TensorFlow refused or could not read or write (`OpError`).
    """
    if isinstance(error, OSError):
        return _os_error_line(error)
    if isinstance(error, ImportError) and "keras-wgan[" in str(error):
        return str(error)  # an optional package, the message naming its extra
    if isinstance(error, (ValueError, FloatingPointError, RuntimeError)):
        message = str(error)
        for argument, flag in _FLAG_WORDING.items():
            message = message.replace(argument, flag)
        return message
    if isinstance(error, tf.errors.OpError):
        return _op_error_line(error)
    return None
