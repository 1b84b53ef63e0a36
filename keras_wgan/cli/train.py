"""`keras-wgan train`: the flags, the run's recorded settings, and the run (`runs.train`)."""

import json
import os
from typing import NamedTuple

import keras

from keras_wgan import augment as augment_lib
from keras_wgan import datasets, options, presets, runs
from keras_wgan import losses as losses_lib
from keras_wgan.cli.common import positive_int, seed_flag
from keras_wgan.runs import CHECKPOINT, kinds, limits
from keras_wgan.utils.files import write_atomically

#: The run's settings, beside its checkpoint (which holds them too).
RUN_RECORD = "run.json"


class Flag(NamedTuple):
    """A flag of `keras-wgan train` other than a component's option (those are
    `keras_wgan.options.OPTIONS`, which add their own flags)."""

    flag: str
    #: Where its value goes as it is: "recipe" (`presets.resolve`, over the recipe's value),
    #: "run" (`runs.train`), or None (`settings` reads it).
    to: str | None
    #: `argparse`'s keywords.
    argparse: dict
    #: The title of its group in `--help`; None: the main one.
    group: str | None = None

    @property
    def dest(self):
        return self.flag[2:].replace("-", "_")


_IMPROVED = "the layers of Salimans et al. 2016, for the GAN baselines"

#: The flags of `keras-wgan train` that are not a component's, in `--help`'s order.
FLAGS = (
    Flag(
        "--dataset",
        None,
        dict(
            required=True,
            help="8gaussians, 25gaussians, swissroll, digits, mnist (embedded), "
            "mnist-full, cifar10, lsun-bedroom, folder:PATH, or text "
            "(embedded), text:PATH, lm1b",
        ),
    ),
    Flag(
        "--arch",
        "recipe",
        dict(
            default=None,
            help="image architecture (keras_wgan.architectures.ARCHITECTURES); "
            "default: mlp for digits, dcgan for folders, cifar10-resnet for "
            "cifar10, resnet-64 for lsun-bedroom (text: language, the only one)",
        ),
    ),
    Flag(
        "--conditional",
        None,
        dict(action="store_true", help="class-conditional AC-GAN form (datasets with labels)"),
    ),
    Flag(
        "--paper",
        None,
        dict(
            action="store_true",
            help="the paper's own set-up where this package's default differs "
            "(toy data: gan_toy.py's 512-wide networks, constant 1e-4; text: "
            "gan_language.py's 512 channels, n_critic 10, constant 1e-4)",
        ),
    ),
    Flag(
        "--lr-decay",
        None,
        dict(
            default=None,
            choices=("none", "linear"),
            help="learning-rate schedule: constant, or linear to 0 over --steps; "
            "default: the recipe's (keras_wgan.presets.RECIPES)",
        ),
    ),
    Flag("--image-size", None, dict(type=positive_int, default=None)),
    Flag(
        "--latent-dim",
        "recipe",
        dict(
            type=positive_int,
            default=None,
            help="size of z (default 2 for toy data, 128 for images)",
        ),
    ),
    Flag("--data-dir", None, dict(default=None, help="tensorflow-datasets data folder")),
    Flag(
        "--sample-every",
        "run",
        dict(type=positive_int, default=500, help="generator steps between sample grids (images)"),
    ),
    Flag(
        "--loss", "recipe", dict(default="wgan-gp", help=f"one of {', '.join(losses_lib.LOSSES)}")
    ),
    Flag("--steps", "recipe", dict(type=positive_int, required=True, help="generator iterations")),
    Flag("--out", None, dict(required=True, help="run folder: checkpoint, logs, export")),
    Flag("--batch-size", "recipe", dict(type=positive_int, default=None)),
    Flag(
        "--seed",
        "run",
        dict(
            type=seed_flag(2**32 - 1, 32),
            default=0,
            help="seed of the weights and the noise (Keras's set_random_seed: [0, 2**32 - 1])",
        ),
    ),
    Flag("--n-critic", "recipe", dict(type=positive_int, default=None)),
    Flag(
        "--width",
        "recipe",
        dict(
            type=positive_int,
            default=None,
            help="base width or hidden units (default: the recipe's; toy 256, "
            "the paper's toy networks use 512)",
        ),
    ),
    Flag(
        "--lr",
        "recipe",
        dict(
            type=float,
            default=None,
            help="learning rate of both optimisers (default: the recipe's)",
        ),
    ),
    Flag(
        "--lr-critic",
        "recipe",
        dict(
            type=float,
            default=None,
            metavar="LR",
            help="learning rate of the critic's optimiser (two time-scale updates, TTUR); "
            "overrides --lr and the recipe's, and decays with --lr-decay linear",
        ),
    ),
    Flag(
        "--lr-generator",
        "recipe",
        dict(
            type=float,
            default=None,
            metavar="LR",
            help="learning rate of the generator's optimiser; overrides --lr and the recipe's",
        ),
    ),
    Flag(
        "--spectral-norm",
        "recipe",
        dict(
            action="store_true",
            help="spectrally normalise every Dense and convolution layer of the critic "
            "(Miyato et al. 2018), with any --loss",
        ),
    ),
    Flag(
        "--minibatch-discrimination",
        None,
        dict(
            nargs="*",
            type=positive_int,
            default=None,
            metavar="N",
            help="a minibatch-discrimination layer before the critic's score: "
            "B kernels of C dimensions (default 100 5); refused under a "
            "gradient penalty",
        ),
        group=_IMPROVED,
    ),
    Flag(
        "--virtual-batch-norm",
        "recipe",
        dict(
            nargs="?",
            type=positive_int,
            const=64,
            default=None,
            metavar="R",
            help="virtual batch norm in the generator, with a fixed reference "
            "batch of R latent vectors (default 64)",
        ),
        group=_IMPROVED,
    ),
    Flag(
        "--export-dir",
        "run",
        dict(default=None, help="base folder of the TF Serving export (default: OUT/export)"),
    ),
    Flag(
        "--max-samples",
        "run",
        dict(
            type=positive_int,
            default=None,
            help="the export's limit on samples per request (default 1024)",
        ),
    ),
    Flag(
        "--force-export",
        "run",
        dict(
            action="store_true",
            help="export a finished run again as a new version; by default a rerun of a run "
            "already at --steps trains nothing and exports only if the latest export is not of "
            "its last step",
        ),
    ),
    Flag(
        "--steps-per-epoch",
        "run",
        dict(
            type=positive_int,
            default=100,
            help="steps between checkpoints and progress lines (a progress bar on a terminal; one "
            "line per epoch when the output goes to a file or a pipe)",
        ),
    ),
)


def add_parser(sub, parents):
    train = sub.add_parser(
        "train",
        parents=parents,
        help="train a model; rerun with the same --out to resume (one process at a time: "
        "a second train on a folder in use fails at once, naming the process that holds it)",
    )
    groups = {None: train}
    for flag in FLAGS:
        if flag.group not in groups:
            groups[flag.group] = train.add_argument_group(flag.group)
        groups[flag.group].add_argument(flag.flag, **flag.argparse)
    options.add_flags(train)  # the components' options, a group each
    train.set_defaults(run=run)


def _flags(args, to):
    """{name: value} of the flags of `FLAGS` that go to `to` as they are."""
    return {flag.dest: getattr(args, flag.dest) for flag in FLAGS if flag.to == to}


def settings(args):
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
        lr_decay=decay,
        minibatch_discrimination=minibatch,
        **_flags(args, "recipe"),
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


def _flatten(tree, prefix=""):
    if isinstance(tree, dict):
        flat = {}
        for key, value in tree.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: tree}


def run_record(args, settings):
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
    if held is None or held == wanted or _components(held) == _components(wanted):
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


def _components(record):
    """A run record with its flat options replaced by the components they make (their
    configs): two sets of flags that make the same components are the same run, so a
    rerun that spells out a default (`--ema-start 0`, `--r1-every 1`) resumes it. None for
    a record whose options make no components (it is compared as it is)."""
    try:
        settings = dict(record["settings"])
        flat, model_args, training = options.split(dict(settings["model"]))
        made = options.components(dict(flat, num_classes=2 if settings["conditional"] else None))
    except (KeyError, TypeError, ValueError):
        return None
    settings["model"] = {
        **model_args,
        **training,
        **{name: keras.saving.serialize_keras_object(c) for name, c in made.items()},
    }
    return dict(record, settings=settings)


def _write_run_record(args, wanted):
    """Writes `run.json` (atomically) from the record that was checked."""

    def write(path):
        with open(path, "w") as f:
            json.dump(wanted, f, indent=1)

    write_atomically(os.path.join(args.out, RUN_RECORD), write)


def run(args):
    """Trains (or resumes) the run in --out (`runs.train`): its settings are checked, and
    the run folder's recorded ones compared with them, before anything is written."""
    settings_ = settings(args)
    # Sizes and folders before anything is built or trained: a run the machine cannot
    # hold, or an export that would fail, is refused now rather than after the training.
    limits.check_outputs(args.out, args.export_dir, args.max_samples)
    limits.check_run(settings_, args.steps, args.steps_per_epoch)
    wanted = run_record(args, settings_)

    def load_data(gan, done):
        _check_run_folder(args, wanted)
        # The checked settings travel in the checkpoint (the model's metadata), and
        # run.json is rewritten from them: only once the model is built and the data is
        # readable, so that settings the model refuses leave nothing behind.
        gan.metadata = dict(gan.metadata or {}, run=wanted)
        dataset, _ = datasets.load(
            args.dataset,
            settings_["batch_size"],
            gan.n_critic,
            seed=args.seed,
            start_step=done,
            **kinds.for_model(gan).load_kwargs(gan, settings_, data_dir=args.data_dir),
        )
        _write_run_record(args, wanted)
        return dataset

    def report(gan, export_path):
        if export_path is None:
            print(
                "Its latest export holds that step already; nothing new was exported "
                "(--force-export writes another version)."
            )
        else:
            print(f"Exported the generator to {export_path}")
        kinds.for_model(gan).report(
            gan,
            args.dataset,
            args.out,
            args.seed,
            title=f"{args.loss} on {args.dataset}, {gan.generator_step()} steps",
            data_dir=args.data_dir,
        )

    runs.train(
        args.out,
        lambda: runs.build_gan(settings_, seed=args.seed),
        load_data,
        args.steps,
        report=report,
        **_flags(args, "run"),
    )
