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

import argparse
import json
import os
import time

import keras
import numpy as np

import keras_wgan
from keras_wgan import architectures, datasets, modalities, presets, runs
from keras_wgan.utils import plotting
from keras_wgan.architectures import improved

# row: (loss, WGAN options, minibatch discrimination?, virtual batch norm?)
ROWS = {
    "dcgan": ("dcgan", {}, False, False),
    "feature-matching": ("dcgan", {"feature_matching": True}, False, False),
    "minibatch-discrimination": ("dcgan", {}, True, False),
    "historical-averaging": ("dcgan", {"historical_averaging": 0.1}, False, False),
    "label-smoothing": ("dcgan", {"label_smoothing": 0.9}, False, False),
    "virtual-batch-norm": ("dcgan", {}, False, True),
    "all": ("dcgan", {"feature_matching": True, "historical_averaging": 0.1,
                      "label_smoothing": 0.9}, True, True),
    "wgan-gp": ("wgan-gp", {}, False, False),
}


def build(row, shape, config):
    loss, options, minibatch, virtual = ROWS[row]
    keras.utils.set_random_seed(config.seed)
    generator, critic = architectures.build(config.arch, shape, latent_dim=128,
                                            width=config.width, loss=loss)
    if minibatch:
        critic = improved.with_minibatch_discrimination(critic, 100, 5)
    if virtual:
        generator = improved.with_virtual_batch_norm(generator, 64, seed=config.seed)
    gan = keras_wgan.WGAN(generator, critic, seed=config.seed, **presets.get(loss)["model"],
                          **options)
    gan.compile(*presets.optimizers(loss))
    return gan


def run_row(row, config):
    """Trains one row in its own (resumable) run folder; returns its record and samples."""
    out = os.path.join(config.out, row)
    shape = datasets.info(config.dataset)["shape"]
    start = time.perf_counter()
    gan, done = runs.resume_or_create(out, lambda: build(row, shape, config))
    data, _ = datasets.load(config.dataset, config.batch_size, gan.n_critic, seed=config.seed,
                            start_step=done)
    runs.fit_run(gan, data, config.steps, out, steps_per_epoch=config.steps_per_epoch,
                 sample_every=config.steps, seed=config.seed)
    score = modalities.offline_score(config.dataset, gan.generate(2000, seed=1))
    counts = np.array(score["class_counts"])
    record = {"row": row, "steps": gan.generator_step(),
              "score": round(float(score["inception_score"]), 3),
              "frechet": round(float(score["frechet_distance"]), 3),
              "class_counts": counts.tolist(),
              # a class holding at least a fifth of its share (10%) of the samples
              "classes_covered": int((counts >= 0.2 * counts.sum() / len(counts)).sum()),
              "largest_class_share": round(float(counts.max() / counts.sum()), 3),
              "seconds": round(time.perf_counter() - start, 1)}
    return record, gan.generate(config.grid_size**2, seed=0)


def figure(path, results, grid_size):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(2.2 * len(results), 2.6), squeeze=False)
    for ax, (record, images) in zip(axes[0], results):
        grid = plotting.image_grid(images, grid_size)
        ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(record["row"].replace("-", "\n", 1), fontsize=8)
        ax.set_xlabel(f"score {record['score']:.2f}, {record['classes_covered']}/10", fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/improved")
    parser.add_argument("--dataset", default="mnist", choices=sorted(modalities.OFFLINE_SCORES))
    parser.add_argument("--arch", default="dcgan")
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    parser.add_argument("--steps", type=int, default=1000, help="generator iterations per row")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps-per-epoch", type=int, default=500)
    parser.add_argument("--grid-size", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="default: OUT/improved_techniques.json")
    parser.add_argument("--figure", default=None, help="default: OUT/improved_techniques.png")
    return parser.parse_args(argv)


def main(argv=None):
    config = parse_args(argv)
    results = [run_row(row, config) for row in config.rows]
    records = [record for record, _ in results]
    figure(config.figure or os.path.join(config.out, "improved_techniques.png"), results,
           config.grid_size)
    path = config.json or os.path.join(config.out, "improved_techniques.json")
    kept = {k: v for k, v in vars(config).items() if k not in ("out", "json", "figure")}
    with open(path, "w") as f:
        json.dump({"config": kept, "rows": records}, f, indent=1)
    print("| row | score | Frechet | classes covered | largest class | seconds |")
    print("|---|---|---|---|---|---|")
    for r in records:
        print(f"| {r['row']} | {r['score']:.2f} | {r['frechet']:.2f} | {r['classes_covered']}/10 "
              f"| {100 * r['largest_class_share']:.1f}% | {r['seconds']:.0f} |")
    return records


if __name__ == "__main__":
    main()
