"""The critic's Wasserstein estimate against the exact Wasserstein-1 distance, on toy data.

The paper reads the negative critic loss as an estimate of W1 between the real and the
generated distributions. On the 2-D toy data W1 can be computed exactly
(`keras_wgan.evaluation.wasserstein_distance`, POT's network simplex on 2,000 samples of
each). This trains WGAN-GP (the toy recipe of `keras-wgan train`) and WGAN with weight
clipping (its preset: RMSProp(5e-5), c = 0.01) on 8gaussians, 25gaussians and swissroll
and records, every `--every` generator steps, the critic's estimate E[D(x)] - E[D(G(z))]
(averaged over those steps) beside the exact W1 of 2,000 fresh samples.

    python examples/paper/wasserstein_estimate.py --out runs/w1 --figure docs/figures/wasserstein_estimate.png
"""

import os
import sys

import keras

from keras_wgan import callbacks, datasets, presets, runs

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402

DATASETS = ("8gaussians", "25gaussians", "swissroll")
METHODS = ("wgan-gp", "wgan-clip")
LABELS = {"wgan-gp": "WGAN-GP", "wgan-clip": "weight clipping"}


def train(dataset, method, config):
    """Trains one (dataset, method); returns its evaluation records."""
    keras.utils.set_random_seed(config.seed)
    settings = presets.resolve(presets.recipe_name(dataset), loss=method, steps=config.steps)
    settings = runs.with_data(settings, dataset)
    gan = runs.build_gan(settings, seed=config.seed)
    data, _ = datasets.load(dataset, settings["batch_size"], gan.n_critic, seed=config.seed)
    evaluation = callbacks.Evaluation(
        dataset,
        every_n_steps=config.every,
        num_samples=config.num_samples,
        seed=config.seed,
        wasserstein=True,
        wasserstein_samples=config.num_samples,
    )
    # One epoch per evaluation: each record's training metrics average its own window.
    gan.fit(
        data,
        epochs=config.steps // config.every,
        steps_per_epoch=config.every,
        callbacks=[evaluation],
        verbose=config.verbose,
        shuffle=False,
    )
    return evaluation.records


def plot(path, results):
    names = list(results)
    fig, axes = _common.pyplot().subplots(
        1, len(names), figsize=(5 * len(names), 3.8), squeeze=False
    )
    colors = {"wgan-gp": "tab:blue", "wgan-clip": "tab:orange"}
    for ax, dataset in zip(axes[0], names):
        for method, records in results[dataset].items():
            steps = [r["step"] for r in records]
            ax.plot(
                steps,
                [r["wasserstein_distance"] for r in records],
                color=colors[method],
                label=f"{LABELS[method]}: exact W1",
            )
            ax.plot(
                steps,
                [r["wasserstein_estimate"] for r in records],
                color=colors[method],
                linestyle="--",
                label=f"{LABELS[method]}: critic's estimate",
            )
        ax.set_title(dataset)
        ax.set_xlabel("generator step")
        ax.set_yscale("log")
    axes[0][0].set_ylabel("Wasserstein-1 distance")
    axes[0][-1].legend(fontsize=8)
    _common.save_figure(fig, path, dpi=90)


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    _common.add(
        parser, out=("runs/w1", "folder of the recorded numbers"), figure="wasserstein_estimate.png"
    )
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    _common.add(parser, steps=2000, every=100, num_samples=2000, seed=0, verbose=0)
    return parser.parse_args(argv)


def main(argv=None):
    config = parse_args(argv)
    _common.check_every(config)
    results = {d: {m: train(d, m, config) for m in config.methods} for d in config.datasets}
    settings = _common.settings(config, leave_out=("out", "figure", "verbose"))
    _common.write_json(
        os.path.join(config.out, "wasserstein_estimate.json"),
        {"config": settings, "records": results},
    )
    figure = _common.output(config.figure, config.out, "wasserstein_estimate.png")
    plot(figure, results)
    for dataset, by_method in results.items():
        for method, records in by_method.items():
            last = records[-1]
            print(
                f"{dataset} {method} at step {last['step']}: exact W1 "
                f"{last['wasserstein_distance']:.4f}, critic's estimate "
                f"{last['wasserstein_estimate']:.4f} "
                f"(ratio {last['wasserstein_estimate'] / last['wasserstein_distance']:.2f})"
            )
    print(f"Wrote {figure}")
    return results


if __name__ == "__main__":
    main()
