"""`keras-wgan sample`: samples of an export or a checkpoint, written to a file."""

import numpy as np

from keras_wgan.cli.common import (
    add_model,
    check_export_sampling,
    is_checkpoint,
    load_checkpoint,
    positive_int,
    request,
    serving_fn,
)
from keras_wgan.export import latest_version_dir
from keras_wgan.runs import kinds, limits


def add_parser(sub, parents):
    sample = sub.add_parser(
        "sample", parents=parents, help="draw samples from an export or a checkpoint"
    )
    add_model(sample)
    sample.add_argument("--num", type=positive_int, default=1000)
    sample.add_argument(
        "--out",
        required=True,
        help=".npy or .png file (points, images); .txt or .npy (text: one "
        "decoded sample a line, or the token ids); replaced atomically: a failed write "
        "keeps the file that was there",
    )
    sample.add_argument(
        "--labels",
        type=int,
        nargs="+",
        default=None,
        help="class labels for a conditional model, repeated to --num",
    )
    sample.set_defaults(run=run)


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


def run(args):
    path = args.model
    labels = None if args.labels is None else np.resize(np.array(args.labels, "int32"), args.num)
    if is_checkpoint(path):
        gan = load_checkpoint(path)
        limits.check_sampling(args.num, gan.sample_shape[1:], gan.latent_dim, name="num")
        kind = kinds.for_model(gan)
        outputs = kind.decode(gan, gan.generate(args.num, labels=labels, seed=args.seed))
    else:
        _, fn, latent_dim, info = serving_fn(latest_version_dir(path))
        _check_labels(fn, labels, info.get("num_classes"))
        check_export_sampling(args.num, fn, latent_dim, info, name="num")
        z = np.random.default_rng(args.seed).standard_normal((args.num, latent_dim))
        outputs = request(fn, z.astype("float32"), labels, info.get("max_samples"))
        kind = kinds.for_outputs(outputs)
    if not args.out.endswith(kind.suffixes):
        raise ValueError(
            f"Invalid value for --out: {args.out!r}. Expected a {' or '.join(kind.suffixes)} file."
        )
    kind.write(args.out, outputs)
    print(f"Wrote {len(outputs['samples'])} samples to {args.out}")
