"""`keras-wgan sample`: samples of an export or a checkpoint, written to a file."""

import numpy as np

from keras_wgan.cli import common
from keras_wgan.runs import kinds, limits

#: Every suffix some kind of samples is written as.
SUFFIXES = tuple(dict.fromkeys(s for kind in kinds.KINDS.values() for s in kind.suffixes))


def add_parser(sub, parents):
    sample = sub.add_parser(
        "sample", parents=parents, help="draw samples from an export or a checkpoint"
    )
    common.add_model(sample)
    sample.add_argument("--num", type=common.positive_int, default=1000)
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
    sample.add_argument(
        "--scale",
        type=common.positive_int,
        default=None,
        metavar="N",
        help="images as .png only (refused otherwise): enlarge the grid this many times, "
        f"each pixel a square (default: each image about {kinds.IMAGE_SIDE} pixels a side, "
        "8 for 8x8 digits)",
    )
    sample.set_defaults(run=run)


def _check_labels(export, labels):
    """Refuses labels a conditional export lacks, or labels outside its classes (where the
    export records them: not a LiteRT file)."""
    num_classes = export.num_classes
    if export.conditional:
        if labels is None:
            raise ValueError("This export is class-conditional: pass --labels.")
        if num_classes and (np.min(labels) < 0 or np.max(labels) >= num_classes):
            raise ValueError(
                f"--labels must be class indices in [0, {num_classes}) for this "
                f"export; got {sorted(set(np.asarray(labels).tolist()))}."
            )
    elif labels is not None:
        raise ValueError("--labels is only for class-conditional models.")


def _check_suffix(out, kind, export=None):
    """Refuses, before sampling, an --out the kind of samples cannot be written as."""
    common.check_out(out, kind.suffixes)
    if out.endswith(".txt") and export is not None and not export.text:
        raise ValueError(
            f"Invalid value for --out: {out!r}. {export.path!r} holds no vocabulary to "
            "decode its text with (a LiteRT file has no record): write its token ids to "
            "a .npy file, or sample its ONNX file or SavedModel."
        )


def _check_scale(scale, out, kind):
    """Refuses, before sampling, a --scale for a file that is not enlarged."""
    if scale is not None and not kind.takes_scale(out):
        if kind is kinds.IMAGES:
            why = f"{out!r} holds the images as they are"
        else:
            why = f"this model generates {kind.name}"
        raise ValueError(f"--scale is only for images written as .png: {why}.")


def _wrote_line(num, out, layout):
    """The line `sample` prints: the file, and for a .png grid of images its layout."""
    line = f"Wrote {num} samples to {out}"
    if layout is None:
        return line
    return (
        f"{line} (a {layout['columns']}x{layout['rows']} grid, "
        f"{layout['width']}x{layout['height']} pixels)"
    )


def run(args):
    path = args.model
    common.check_out(args.out, SUFFIXES)
    labels = None if args.labels is None else np.resize(np.array(args.labels, "int32"), args.num)
    if common.is_checkpoint(path):
        gan = common.load_checkpoint(path)
        kind = kinds.for_model(gan)
        _check_suffix(args.out, kind)
        _check_scale(args.scale, args.out, kind)
        limits.check_sampling(args.num, gan.sample_shape[1:], gan.latent_dim, name="num")
        outputs = kind.decode(gan, gan.generate(args.num, labels=labels, seed=args.seed))
    else:
        export = common.read_export(path)
        kind = kinds.KINDS[export.kind]
        _check_suffix(args.out, kind, export)
        _check_scale(args.scale, args.out, kind)
        _check_labels(export, labels)
        limits.check_sampling(args.num, export.sample_shape, export.latent_dim, name="num")
        z = np.random.default_rng(args.seed).standard_normal((args.num, export.latent_dim))
        outputs = export(z.astype("float32"), labels)
    layout = kind.write(args.out, outputs, scale=args.scale)
    print(_wrote_line(len(outputs["samples"]), args.out, layout))
