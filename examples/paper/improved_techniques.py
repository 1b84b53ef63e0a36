"""The improved-GAN techniques of Salimans et al. (2016) on the DCGAN loss, against WGAN-GP.

Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen, "Improved Techniques for Training
GANs", NeurIPS 2016, section 3: feature matching, minibatch discrimination, historical
averaging, one-sided label smoothing and virtual batch normalisation were the state of the
art for stabilising a standard GAN when WGAN-GP appeared. Each row trains the DCGAN pair of
Figure 2 (`architectures.build("dcgan")`, batch norm in both networks, the DCGAN preset
Adam(2e-4, 0.5)) with the DCGAN loss and one technique, then all of them, and finally the
same pair with WGAN-GP's own preset (layer norm in the critic), every row for the same
number of generator steps. Each row gets the offline score of 2,000 samples and their class
counts (mode coverage). Defaults: the embedded 32x32 MNIST, width 32, 1,000 steps.

    python examples/paper/improved_techniques.py --out runs/improved --json docs/figures/improved_techniques.json --figure docs/figures/improved_techniques.png
"""

import os
import sys
import time

import keras
import numpy as np

import keras_wgan
from keras_wgan import architectures, datasets, evaluation, options, presets, runs
from keras_wgan.architectures import improved
from keras_wgan.utils import plotting

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402

# row: (loss, flat options (keras_wgan.options), minibatch discrimination?, virtual batch norm?)
ROWS = {
    "dcgan": ("dcgan", {}, False, False),
    "feature-matching": ("dcgan", {"feature_matching": True}, False, False),
    "minibatch-discrimination": ("dcgan", {}, True, False),
    "historical-averaging": ("dcgan", {"historical_averaging": 0.1}, False, False),
    "label-smoothing": ("dcgan", {"label_smoothing": 0.9}, False, False),
    "virtual-batch-norm": ("dcgan", {}, False, True),
    "all": (
        "dcgan",
        {"feature_matching": True, "historical_averaging": 0.1, "label_smoothing": 0.9},
        True,
        True,
    ),
    "wgan-gp": ("wgan-gp", {}, False, False),
}


def build(row, shape, config):
    loss, extra, minibatch, virtual = ROWS[row]
    keras.utils.set_random_seed(config.seed)
    generator, critic = architectures.build(
        config.arch, shape, latent_dim=128, width=config.width, loss=loss
    )
    if minibatch:
        critic = improved.with_minibatch_discrimination(critic, 100, 5)
    if virtual:
        generator = improved.with_virtual_batch_norm(generator, 64, seed=config.seed)
    # The preset's flat options and the row's: the loss component wraps them
    # (`keras_wgan.options.components`), e.g. FeatureMatching(DCGAN(label_smoothing=0.9)).
    flat, model_args, training = options.split(dict(presets.get(loss)["model"], **extra))
    gan = keras_wgan.WGAN(
        generator, critic, seed=config.seed, **model_args, **options.components(flat)
    )
    gan.compile(*presets.optimizers(loss), **training)
    return gan


def run_row(row, config):
    """Trains one row in its own (resumable) run folder; returns its record and samples."""
    out = os.path.join(config.out, row)
    shape = datasets.info(config.dataset)["shape"]
    start = time.perf_counter()
    gan, _ = runs.train(
        out,
        lambda: build(row, shape, config),
        lambda gan, done: datasets.load(
            config.dataset, config.batch_size, gan.n_critic, seed=config.seed, start_step=done
        )[0],
        config.steps,
        seed=config.seed,
        steps_per_epoch=config.steps_per_epoch,
        sample_every=config.steps,
    )
    score = evaluation.offline_score(config.dataset, gan.generate(2000, seed=1))
    counts = np.array(score["class_counts"])
    record = {
        "row": row,
        "steps": gan.generator_step(),
        "score": round(float(score["inception_score"]), 3),
        "frechet": round(float(score["frechet_distance"]), 3),
        "class_counts": counts.tolist(),
        # a class holding at least a fifth of its share (10%) of the samples
        "classes_covered": int((counts >= 0.2 * counts.sum() / len(counts)).sum()),
        "largest_class_share": round(float(counts.max() / counts.sum()), 3),
        "seconds": round(time.perf_counter() - start, 1),
    }
    return record, gan.generate(config.grid_size**2, seed=0)


def figure(path, results, grid_size):
    fig, axes = _common.pyplot().subplots(
        1, len(results), figsize=(2.2 * len(results), 2.6), squeeze=False
    )
    for ax, (record, images) in zip(axes[0], results):
        grid = plotting.image_grid(images, grid_size)
        ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(record["row"].replace("-", "\n", 1), fontsize=8)
        ax.set_xlabel(f"score {record['score']:.2f}, {record['classes_covered']}/10", fontsize=8)
    _common.save_figure(fig, path, dpi=100)


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    _common.add(parser, out="runs/improved")
    parser.add_argument("--dataset", default="mnist", choices=sorted(evaluation.OFFLINE_SCORES))
    _common.add(parser, arch="dcgan")
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    _common.add(
        parser,
        steps=(1000, "generator iterations per row"),
        width=32,
        batch_size=64,
        steps_per_epoch=500,
        grid_size=6,
        seed=0,
        json="improved_techniques.json",
        figure="improved_techniques.png",
    )
    return parser.parse_args(argv)


def main(argv=None):
    config = parse_args(argv)
    results = [run_row(row, config) for row in config.rows]
    records = [record for record, _ in results]
    figure(
        _common.output(config.figure, config.out, "improved_techniques.png"),
        results,
        config.grid_size,
    )
    _common.write_json(
        _common.output(config.json, config.out, "improved_techniques.json"),
        {"config": _common.settings(config, leave_out=("out", "json", "figure")), "rows": records},
    )
    print("| row | score | Frechet | classes covered | largest class | seconds |")
    print("|---|---|---|---|---|---|")
    for r in records:
        print(
            f"| {r['row']} | {r['score']:.2f} | {r['frechet']:.2f} | {r['classes_covered']}/10 "
            f"| {100 * r['largest_class_share']:.1f}% | {r['seconds']:.0f} |"
        )
    return records


if __name__ == "__main__":
    main()
