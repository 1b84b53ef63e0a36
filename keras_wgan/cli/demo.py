"""`keras-wgan demo`: a static web page that runs an ONNX export in the browser."""

import shlex

from keras_wgan import demo as demo_lib
from keras_wgan.cli.common import positive_int


def add_parser(sub, parents):
    demo = sub.add_parser(
        "demo",
        parents=parents,
        help="write a static web page that runs an ONNX export in the browser (onnxruntime-web)",
    )
    demo.add_argument(
        "--model", required=True, help="an ONNX file of `keras-wgan export --format onnx`"
    )
    demo.add_argument(
        "--out",
        required=True,
        help="the page's folder, new or not: index.html, demo.js, config.json, model.onnx, "
        f"listed in its manifest {demo_lib.MANIFEST}; a rerun replaces only the files listed "
        "there and keeps everything else (the runtime's copy, notes, the model); a killed "
        "write loses nothing (the next run puts the old page back)",
    )
    demo.add_argument(
        "--runtime-url",
        default=demo_lib.RUNTIME_URL,
        help="onnxruntime-web's script: an absolute http(s) URL, or its path relative to the "
        "page's folder (a local copy for offline use, in the folder or beside it; it must "
        "exist); its .mjs and .wasm files must lie beside it",
    )
    demo.add_argument(
        "--num",
        type=positive_int,
        default=None,
        help="samples a grid (default: 36 images, a multiple of the classes for a conditional "
        f"model; 512 points; 16 lines of text; at most {demo_lib.MAX_SAMPLES})",
    )
    demo.add_argument(
        "--seed", type=int, default=0, help="seed of the first grid's latent points (config.json)"
    )
    demo.set_defaults(run=run)


def run(args):
    out = demo_lib.write_demo(args.model, args.out, args.runtime_url, args.num, args.seed)
    print(
        f"Wrote the demo page to {out}; serve it with: python -m http.server -d {shlex.quote(out)}"
    )
