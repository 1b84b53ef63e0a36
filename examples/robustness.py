"""The robustness study of Gulrajani et al. 2017 (section 5.1, Figure 2).

Seven architectures (DCGAN; no batch norm and constant filters in G; a 4-layer 512-wide MLP
generator; no normalisation anywhere; gated multiplicative nonlinearities; tanh
nonlinearities; 101-layer ResNets) are each trained by four methods (DCGAN, LSGAN, WGAN with
weight clipping, WGAN-GP), every method with its one default set of hyperparameters
(`keras_wgan.presets`). It writes one sample grid per cell and a combined figure; on the
embedded `digits` data each cell also gets its quality score (an Inception-Score analogue
out of 10, from `keras_wgan.digits_score`). The paper ran this on LSUN bedrooms at 64x64.

    python examples/robustness.py --out runs/robustness [--dataset digits] [--steps 2000]
"""

import argparse
import json
import os

import keras

import keras_wgan
from keras_wgan import architectures, datasets, plotting, presets, runs

ARCHITECTURES = ("dcgan", "dcgan-no-bn-const", "mlp-generator", "no-norm", "gated", "tanh",
                 "resnet-101")
METHODS = ("dcgan", "lsgan", "wgan-clip", "wgan-gp")


def build(arch, method, shape, width, seed):
    """One cell's model: the architecture, trained by the method's preset.

    The critic's normalisation follows the method, as gan_64x64.py's `Normalize` does:
    layer norm for WGAN-GP, batch norm for DCGAN, LSGAN and weight clipping (none in
    "no-norm").
    """
    keras.utils.set_random_seed(seed)
    model_args = presets.get(method)["model"]
    generator, critic = architectures.build(
        arch, shape, latent_dim=128, width=width, loss=model_args["loss"])
    gan = keras_wgan.WGAN(generator, critic, seed=seed, **model_args)
    gan.compile(*presets.optimizers(method))
    return gan


def quality(gan, dataset):
    """The digits quality score of a cell, or None for other data."""
    if dataset != "digits":
        return None
    from keras_wgan.digits_score import digits_score

    return digits_score(gan.generate(2000, seed=1))["inception_score"]


def run_cell(config, arch, method):
    """Trains one cell in its own run folder (resumable) and returns (images, score)."""
    out = os.path.join(config.out, f"{arch}__{method}")
    shape = datasets.info(config.dataset)["shape"]
    gan, done = runs.resume_or_create(
        out, lambda: build(arch, method, shape, config.width, config.seed))
    data, _ = datasets.load(config.dataset, config.batch_size, gan.n_critic,
                            seed=config.seed, start_step=done)
    runs.fit_run(gan, data, config.steps, out, steps_per_epoch=config.steps_per_epoch,
                 sample_every=config.steps, seed=config.seed)
    images = gan.generate(config.grid_size**2, seed=0)
    plotting.save_image_grid(os.path.join(out, "samples.png"), images, config.grid_size,
                             scale=max(1, 64 // shape[0]))
    return images, quality(gan, config.dataset)


def combined_figure(path, cells, grid_size):
    """Rows: architectures; columns: methods; each cell a sample grid and its score."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    archs = sorted({a for a, _ in cells}, key=ARCHITECTURES.index)
    methods = sorted({m for _, m in cells}, key=METHODS.index)
    fig, axes = plt.subplots(len(archs), len(methods), squeeze=False,
                             figsize=(2.2 * len(methods), 2.3 * len(archs)))
    for (arch, method), (images, score) in cells.items():
        ax = axes[archs.index(arch), methods.index(method)]
        grid = plotting.image_grid(images, grid_size)
        ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([])
        if score is not None:
            ax.set_xlabel(f"score {score:.2f}", fontsize=8)
    for row, arch in enumerate(archs):
        axes[row, 0].set_ylabel(arch, fontsize=8)
    for col, method in enumerate(methods):
        axes[0, col].set_title(method, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/robustness")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--steps", type=int, default=2000, help="generator iterations per cell")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps-per-epoch", type=int, default=500)
    parser.add_argument("--grid-size", type=int, default=6)
    parser.add_argument("--archs", nargs="+", default=list(ARCHITECTURES), choices=ARCHITECTURES)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    config = parse_args(argv)
    cells = {(a, m): run_cell(config, a, m) for a in config.archs for m in config.methods}
    path = os.path.join(config.out, "robustness.png")
    combined_figure(path, cells, config.grid_size)
    scores = {f"{a}/{m}": score for (a, m), (_, score) in cells.items()}
    with open(os.path.join(config.out, "robustness.json"), "w") as f:
        json.dump({"config": vars(config), "scores": scores}, f, indent=1)
    for name, score in scores.items():
        print(f"{name}: {'-' if score is None else f'{score:.2f}'}")
    print(f"Wrote {path}")
    return cells


if __name__ == "__main__":
    main()
