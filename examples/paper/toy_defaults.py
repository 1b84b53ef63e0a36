"""What `keras-wgan train` gives on the toy data with its defaults, per dataset and seed.

Runs `keras-wgan train --dataset NAME --steps STEPS --seed S` for each dataset and seed (the
recipes `keras_wgan.presets.RECIPES["8gaussians"]` and so on; `--paper` for gan_toy.py's own
settings), then scores 10,000 samples of each run's generator: the share within 3 standard
deviations of a mode (VEEGAN's "high quality"), the modes holding at least a fifth of their
share of those, and the mean distance to the nearest real point over that of real points
(1 is ideal; the Swiss roll's score). Writes a JSON of the numbers and prints a Markdown
table (about 1 minute per run on 2 CPU cores):

    python examples/paper/toy_defaults.py --out runs/toy_defaults --json docs/figures/toy_defaults.json
"""

import os
import sys

import keras

from keras_wgan import cli, datasets, runs
from keras_wgan.evaluation import evaluate_samples

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402


def run_one(config, name, seed):
    """Trains (or resumes) one run through the command line and scores its generator."""
    out = os.path.join(config.out, f"{name}-seed{seed}")
    argv = [
        "train",
        "--dataset",
        name,
        "--steps",
        str(config.steps),
        "--seed",
        str(seed),
        "--out",
        out,
        "--steps-per-epoch",
        str(min(500, config.steps)),
    ]
    if config.paper:
        argv.append("--paper")
    if cli.main(argv) != 0:
        raise RuntimeError(f"keras-wgan {' '.join(argv)} failed")
    gan = runs.load_checkpoint(out)
    samples = gan.generate(config.num_samples, seed=seed + 1)
    scores = evaluate_samples(samples, name)
    return dict(
        dataset=name,
        seed=seed,
        steps=gan.generator_step(),
        command="keras-wgan " + " ".join(argv),
        **scores,
    )


def table(rows):
    lines = ["| dataset | seed | within 3 std | modes | distance ratio |", "|---|---|---|---|---|"]
    for r in rows:
        hq = f"{r['high_quality']:.1%}" if "high_quality" in r else "-"
        modes = (
            f"{int(r['modes_covered'])}/{len(datasets.toy.modes(r['dataset'])[0])}"
            if "modes_covered" in r
            else "-"
        )
        lines.append(
            f"| {r['dataset']} | {r['seed']} | {hq} | {modes} | {r['distance_ratio']:.2f} |"
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    _common.add(parser, out="runs/toy_defaults", json=None)
    parser.add_argument(
        "--datasets", nargs="+", default=list(datasets.TOY_DATASETS), choices=datasets.TOY_DATASETS
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    _common.add(parser, steps=2000, num_samples=10_000)
    parser.add_argument("--paper", action="store_true", help="gan_toy.py's own settings")
    return parser.parse_args(argv)


def main(argv=None):
    config = parse_args(argv)
    rows = []
    for name in config.datasets:
        for seed in config.seeds:
            keras.backend.clear_session()
            rows.append(run_one(config, name, seed))
    return _common.report_runs(config, rows, table)


if __name__ == "__main__":
    main()
