"""`keras-wgan evaluate`: the quality scores of a model's samples against its dataset."""

import json

import numpy as np

from keras_wgan.cli import common
from keras_wgan.evaluation import OFFLINE_SCORES, evaluate_samples, inception
from keras_wgan.export import SEED_SIGNATURE, seed_latent
from keras_wgan.runs import kinds, limits
from keras_wgan.utils.files import write_atomically


def add_parser(sub, parents):
    evaluate = sub.add_parser(
        "evaluate", parents=parents, help="score an export's samples against a dataset"
    )
    common.add_model(evaluate)
    evaluate.add_argument("--dataset", required=True, help="the dataset the model was trained on")
    for flag, default, help in (
        ("--num-samples", 5000, "samples to score (the paper's Inception Scores use 50000)"),
        ("--num-classes", None, "classes of a conditional export (sampled in equal shares)"),
    ):
        evaluate.add_argument(flag, type=common.positive_int, default=default, help=help)
    evaluate.add_argument(
        "--inception",
        default=None,
        help="the Inception network: a TF-Hub handle or a local SavedModel "
        "folder (images other than digits)",
    )
    evaluate.add_argument(
        "--reference-examples",
        type=common.positive_int,
        default=50000,
        help="real images behind the reference statistics (cached)",
    )
    evaluate.add_argument("--data-dir", default=None, help="tensorflow-datasets data folder")
    evaluate.add_argument(
        "--out",
        default=None,
        help="also write the scores to this .json file (atomically; checked before sampling)",
    )
    evaluate.add_argument(
        "--batch-stats",
        action="store_true",
        help="sample with the batch statistics of each generator call (100 "
        "samples), as the paper's code does, instead of the moving "
        "averages of batch norm; a checkpoint or .keras model only",
    )
    evaluate.set_defaults(run=run)


def generate(path, num, seed, num_classes=None, batch_stats=False):
    """(outputs, labels or None): `num` samples of an export or of a checkpoint, as a dict
    of NumPy arrays (an export's outputs: "samples", and "images_uint8" or "tokens" and
    "text", plus the "z" sent; from a checkpoint what `runs.kinds.Kind.decode` gives), and
    the classes they were generated for.

    An export of any format (`keras_wgan.export.load_export`: a SavedModel, an ONNX or a
    LiteRT file) gets the z that `generate_from_seed` draws for `seed`, sent in calls
    within its max_samples: the samples one `generate_from_seed` request of `num` gives,
    and the same z for every format of one generator.

    A conditional model gets its classes in equal shares, as the conditional Inception
    Scores are measured. `batch_stats` (a checkpoint only: an export is in inference mode)
    normalises each call of 100 samples with its own batch statistics, the paper's protocol.
    """
    if common.is_checkpoint(path):
        gan = common.load_checkpoint(path)
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
    export = common.read_export(path)
    limits.check_sampling(num, export.sample_shape, export.latent_dim)
    if export.format == "tf_saved_model" and not export.seeded:
        raise ValueError(
            f"The export at {path!r} has no {SEED_SIGNATURE!r} signature; "
            "re-export it with this version of keras-wgan."
        )
    if export.kind == "text" and not export.text:
        raise ValueError(
            f"{path!r} holds no vocabulary to decode its text with (a LiteRT file has no "
            "record): evaluate its ONNX file, its SavedModel or its checkpoint."
        )
    labels = None
    if export.conditional:
        if not num_classes:
            raise ValueError("This export is class-conditional: pass --num-classes.")
        labels = np.arange(num) % num_classes
    elif num_classes:
        raise ValueError(
            "--num-classes is for class-conditional exports; this one takes no labels."
        )
    z = seed_latent(seed, num, export.latent_dim).numpy()
    return {**export(z, labels), "z": z}, labels


def run(args):
    if args.out:
        common.check_out(args.out, (".json",))
    kind = kinds.for_dataset(args.dataset)
    outputs, labels = generate(
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
