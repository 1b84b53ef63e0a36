"""The robustness study of Gulrajani et al. 2017 (section 5.1, Figure 2).

Seven architectures (DCGAN; no batch norm and constant filters in G; a 4-layer 512-wide MLP
generator; no normalisation anywhere; gated multiplicative nonlinearities; tanh
nonlinearities; 101-layer ResNets) are each trained by four methods (DCGAN, LSGAN, WGAN with
weight clipping, WGAN-GP), every method with its one default set of hyperparameters
(`keras_wgan.presets`). It writes one sample grid per cell and a combined figure; on the
embedded `mnist` (32x32) and `digits` (8x8) data each cell also gets its offline quality
score (an Inception-Score analogue out of 10, `keras_wgan.evaluation.mnist` or
`keras_wgan.evaluation.digits`) and the digits its samples are classified as. The paper ran this
on LSUN bedrooms at 64x64.

    python examples/paper/robustness.py --out runs/robustness [--dataset mnist] [--steps 1000]
"""

import os
import sys
import time

import keras

import keras_wgan
from keras_wgan import architectures, datasets, evaluation, options, presets, runs
from keras_wgan.utils import plotting

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402

ARCHITECTURES = (
    "dcgan",
    "dcgan-no-bn-const",
    "mlp-generator",
    "no-norm",
    "gated",
    "tanh",
    "resnet-101",
)
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
        arch, shape, latent_dim=128, width=width, loss=model_args["loss"]
    )
    flat, model_args, training = options.split(model_args)  # the preset's flat options
    gan = keras_wgan.WGAN(generator, critic, seed=seed, **model_args, **options.components(flat))
    gan.compile(*presets.optimizers(method), **training)
    return gan


def quality(gan, dataset):
    """A cell's offline score and the class counts of 2,000 samples, or None for other data."""
    if dataset not in evaluation.OFFLINE_SCORES:
        return None
    score = evaluation.offline_score(dataset, gan.generate(2000, seed=1))
    return {
        "score": float(score["inception_score"]),
        "frechet": float(score["frechet_distance"]),
        "class_counts": score["class_counts"],
    }


def run_cell(config, arch, method):
    """Trains one cell in its own run folder (resumable); returns (images, quality, seconds)."""
    out = os.path.join(config.out, f"{arch}__{method}")
    start = time.perf_counter()
    shape = datasets.info(config.dataset)["shape"]
    gan, _ = runs.train(
        out,
        lambda: build(arch, method, shape, config.width, config.seed),
        lambda gan, done: datasets.load(
            config.dataset, config.batch_size, gan.n_critic, seed=config.seed, start_step=done
        )[0],
        config.steps,
        seed=config.seed,
        steps_per_epoch=config.steps_per_epoch,
        sample_every=config.steps,
    )
    images = gan.generate(config.grid_size**2, seed=0)
    plotting.save_image_grid(
        os.path.join(out, "samples.png"), images, config.grid_size, scale=max(1, 64 // shape[0])
    )
    return images, quality(gan, config.dataset), time.perf_counter() - start


def combined_figure(path, cells, grid_size):
    """Rows: architectures; columns: methods; each cell a sample grid and its score."""
    archs = sorted({a for a, _ in cells}, key=ARCHITECTURES.index)
    methods = sorted({m for _, m in cells}, key=METHODS.index)
    fig, axes = _common.pyplot().subplots(
        len(archs), len(methods), squeeze=False, figsize=(2.2 * len(methods), 2.3 * len(archs))
    )
    for (arch, method), (images, score, _) in cells.items():
        ax = axes[archs.index(arch), methods.index(method)]
        grid = plotting.image_grid(images, grid_size)
        ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([])
        if score is not None:
            ax.set_xlabel(f"score {score['score']:.2f}", fontsize=8)
    for row, arch in enumerate(archs):
        axes[row, 0].set_ylabel(arch, fontsize=8)
    for col, method in enumerate(methods):
        axes[0, col].set_title(method, fontsize=9)
    _common.save_figure(fig, path, dpi=100)


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    _common.add(
        parser,
        out="runs/robustness",
        dataset="mnist",
        steps=(1000, "generator iterations per cell"),
        width=32,
        batch_size=64,
        steps_per_epoch=500,
        grid_size=6,
    )
    parser.add_argument("--archs", nargs="+", default=list(ARCHITECTURES), choices=ARCHITECTURES)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    _common.add(parser, seed=0)
    return parser.parse_args(argv)


def main(argv=None):
    config = parse_args(argv)
    cells = {(a, m): run_cell(config, a, m) for a in config.archs for m in config.methods}
    path = os.path.join(config.out, "robustness.png")
    combined_figure(path, cells, config.grid_size)
    scores = {f"{a}/{m}": score for (a, m), (_, score, _) in cells.items()}
    seconds = {f"{a}/{m}": round(t, 1) for (a, m), (_, _, t) in cells.items()}
    _common.write_json(
        os.path.join(config.out, "robustness.json"),
        {"config": _common.settings(config), "scores": scores, "seconds": seconds},
    )
    for name, score in scores.items():
        text = (
            "-"
            if score is None
            else (
                f"{score['score']:.2f}, frechet {score['frechet']:.2f}, "
                f"classes {score['class_counts']}"
            )
        )
        print(f"{name}: {text} ({seconds[name]:.0f} s)")
    print(f"Wrote {path}")
    return cells


if __name__ == "__main__":
    main()
