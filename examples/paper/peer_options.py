"""What the peers' options do on MNIST, at equal generator steps: EMA, augmentation, losses.

Each row is one `keras-wgan train --dataset mnist` run (the recipe
`keras_wgan.presets.RECIPES["mnist"]`: the `mlp` pair 512 wide, Adam(1e-3, 0, 0.9) decayed
linearly to 0) plus the row's flags, scored on 5,000 samples by the MNIST classifier of
`keras_wgan.evaluation.mnist`: the Inception-Score analogue out of 10, the Frechet distance
of the classifier's features, and precision, recall, density and coverage in the same
features (k = 3). The first rows add the generator's moving average (`--ema 0.999`, which
`generate` then uses) and differentiable augmentation (`--augment translation,cutout`) to
WGAN-GP; the others swap the loss. Writes a JSON of the numbers and prints a Markdown
table (about 5 minutes per row on 2 CPU cores):

    python examples/paper/peer_options.py --out runs/peers --json docs/figures/peer_options.json
"""

import os
import sys
import time

import keras
import numpy as np

from keras_wgan import cli, runs
from keras_wgan.evaluation import mnist_score

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402

EMA = ["--ema", "0.999"]
AUGMENT = ["--augment", "translation,cutout"]
ROWS = {
    "wgan-gp": [],
    "wgan-gp + ema": EMA,
    "wgan-gp + augment": AUGMENT,
    "wgan-gp + ema + augment": EMA + AUGMENT,
    "r1": ["--loss", "r1"],
    "dragan": ["--loss", "dragan"],
    "hinge + spectral norm": ["--loss", "hinge", "--spectral-norm"],
    "dcgan": ["--loss", "dcgan"],
}


def run_row(config, name, flags, seed):
    out = os.path.join(config.out, name.replace(" + ", "__").replace(" ", "-") + f"-seed{seed}")
    argv = [
        "train",
        "--dataset",
        "mnist",
        "--steps",
        str(config.steps),
        "--seed",
        str(seed),
        "--out",
        out,
        *flags,
    ]
    start = time.monotonic()
    if cli.main(argv) != 0:
        raise RuntimeError(f"keras-wgan {' '.join(argv)} failed")
    minutes = (time.monotonic() - start) / 60
    gan = runs.load_checkpoint(out)
    scores = mnist_score(gan.generate(config.num_samples, seed=seed + 1))
    return {
        "row": name,
        "seed": seed,
        "steps": gan.generator_step(),
        "minutes": minutes,
        "command": "keras-wgan " + " ".join(argv),
        **{key: float(np.asarray(value)) for key, value in scores.items() if np.ndim(value) == 0},
    }


def table(rows):
    lines = [
        "| run | seed | minutes | score (of 10) | Frechet | precision | recall | density | coverage |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['row']} | {r['seed']} | {r['minutes']:.1f} | {r['inception_score']:.2f} | "
            f"{r['frechet_distance']:.1f} | {r['precision']:.3f} | {r['recall']:.3f} | "
            f"{r['density']:.3f} | {r['coverage']:.3f} |"
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    _common.add(parser, out="runs/peers", json=None)
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    _common.add(parser, steps=3000, num_samples=5000)
    return parser.parse_args(argv)


def main(argv=None):
    config = parse_args(argv)
    rows = []
    for name in config.rows:
        for seed in config.seeds:
            keras.backend.clear_session()
            rows.append(run_row(config, name, ROWS[name], seed))
    return _common.report_runs(config, rows, table)


if __name__ == "__main__":
    main()
