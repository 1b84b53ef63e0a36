"""Class-conditional digits: the paper's AC-GAN against Odena et al.'s, side by side.

Each row is one `keras-wgan train --dataset digits --conditional` run (the recipe
`keras_wgan.presets.RECIPES["digits-conditional"]` plus the row's flags), scored on 5,000
samples, 500 per class, by the digits classifier of `keras_wgan.evaluation.digits`: label
accuracy (the share of samples the classifier puts in the class asked for), the
Inception-Score analogue out of 10 and the Frechet distance. Writes a JSON of the numbers and
prints a Markdown table (about 2 minutes per `mlp` row and 15 per `cifar10-resnet` row on 2
CPU cores):

    python examples/paper/conditional_digits.py --out runs/conditional --json docs/figures/conditional_digits.json
"""

import os
import sys

import keras
import numpy as np

from keras_wgan import cli, runs
from keras_wgan.evaluation import digits_score

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402

# (row name, extra flags): the paper's AC-GAN (class loss on real images, weights 1 / 0.1)
# and Odena et al.'s (real and generated images), on the default `mlp` pair and on the
# paper's CIFAR-10 ResNet (conditional batch norm) at width 64.
# The paper's ResNet at width 64 with WGAN-GP's preset (Adam(1e-4, 0, 0.9) constant, critic
# batch 64), not the CPU recipe "digits-conditional-cifar10-resnet" that `--arch
# cifar10-resnet` gets by default.
_PAPER_RESNET = [
    "--arch",
    "cifar10-resnet",
    "--width",
    "64",
    "--batch-size",
    "64",
    "--lr",
    "1e-4",
    "--lr-decay",
    "none",
]
ROWS = {
    "mlp, ac-gan-paper (default)": [],
    "mlp, ac-gan, generator weight 0.1": ["--conditioning", "ac-gan"],
    "mlp, ac-gan, generator weight 1": ["--conditioning", "ac-gan", "--ac-weight-generator", "1"],
    "cifar10-resnet, ac-gan-paper": [*_PAPER_RESNET, "--ac-weight-generator", "0.1"],
    "cifar10-resnet, ac-gan, generator weight 1": [
        *_PAPER_RESNET,
        "--conditioning",
        "ac-gan",
        "--ac-weight-generator",
        "1",
    ],
}


def run_row(config, name, flags, seed):
    out = os.path.join(config.out, name.replace(", ", "__").replace(" ", "-") + f"-seed{seed}")
    argv = [
        "train",
        "--dataset",
        "digits",
        "--conditional",
        "--steps",
        str(config.steps),
        "--seed",
        str(seed),
        "--out",
        out,
        "--steps-per-epoch",
        "500",
        *flags,
    ]
    if cli.main(argv) != 0:
        raise RuntimeError(f"keras-wgan {' '.join(argv)} failed")
    gan = runs.load_checkpoint(out)
    labels = np.arange(config.num_samples) % gan.num_classes
    score = digits_score(
        gan.generate(config.num_samples, labels=labels, seed=seed + 1), labels=labels
    )
    return {
        "row": name,
        "seed": seed,
        "steps": gan.generator_step(),
        "command": "keras-wgan " + " ".join(argv),
        "label_accuracy": score["label_accuracy"],
        "score": score["inception_score"],
        "frechet": score["frechet_distance"],
    }


def table(rows):
    lines = ["| run | seed | label accuracy | score (of 10) | Frechet |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['row']} | {r['seed']} | {r['label_accuracy']:.1%} | "
            f"{r['score']:.2f} | {r['frechet']:.2f} |"
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    _common.add(parser, out="runs/conditional", json=None)
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
