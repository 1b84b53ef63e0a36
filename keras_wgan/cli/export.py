"""`keras-wgan export`: a checkpoint's generator for TF Serving, ONNX or LiteRT."""

from keras_wgan.cli.common import load_checkpoint, positive_int
from keras_wgan.export import FORMATS, export_generator


def add_parser(sub, parents):
    export = sub.add_parser(
        "export",
        parents=parents,
        help="export a checkpoint's generator for TF Serving, ONNX or LiteRT",
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
    export.add_argument("--version", type=positive_int, default=None, help="saved_model only")
    export.add_argument(
        "--max-samples",
        type=positive_int,
        default=None,
        help="saved_model only: the most samples one request may ask for (default 1024); "
        "larger requests are refused with INVALID_ARGUMENT",
    )
    export.set_defaults(run=run)


def run(args):
    gan = load_checkpoint(args.checkpoint)
    path = export_generator(gan, args.out, args.version, args.max_samples, format=args.format)
    print(f"Exported the generator to {path}")
