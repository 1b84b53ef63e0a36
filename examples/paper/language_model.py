"""The paper's character-level language model (section 5.5) with three losses, side by side.

Trains the language model of `gan_language.py` (1-D residual networks, a softmax
generator read by the critic as it is, one-hot real sequences) on a text dataset with
WGAN-GP, WGAN with weight clipping and the DCGAN loss at equal generator steps, each
method with its own preset (`keras_wgan.presets`: clipping's RMSProp, DCGAN's Adam), and
every `--every` steps scores 640 samples from fixed noise by the paper's character n-gram
Jensen-Shannon divergences js1..js4 (bits) to the corpus, beside the held-out baseline
(640 real lines against the rest). The figure plots js1..js4 over training; the JSON
holds the curves and decoded samples of each method.

    python examples/paper/language_model.py --out runs/language --figure docs/figures/language_model.png
"""

import os
import sys

import keras

from keras_wgan import callbacks, datasets, presets, runs
from keras_wgan.evaluation import text_reference
from keras_wgan.runs import kinds

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402

METHODS = ("wgan-gp", "wgan-clip", "dcgan")
LABELS = {"wgan-gp": "WGAN-GP", "wgan-clip": "WGAN, weight clipping", "dcgan": "DCGAN loss"}


def train(method, config):
    """Trains one method; returns (evaluation records, decoded samples)."""
    keras.utils.set_random_seed(config.seed)
    settings = presets.resolve(config.recipe, loss=method, width=config.width, steps=config.steps)
    settings = runs.with_data(settings, config.dataset)
    gan = runs.build_gan(settings, seed=config.seed)
    kind = kinds.for_model(gan)
    data, _ = datasets.load(
        config.dataset,
        settings["batch_size"],
        gan.n_critic,
        seed=config.seed,
        **kind.load_kwargs(gan, settings),
    )
    evaluation = callbacks.Evaluation(
        config.dataset, every_n_steps=config.every, num_samples=640, seed=config.seed
    )
    # One epoch per evaluation, so each record's losses average exactly its own window.
    gan.fit(
        data,
        epochs=config.steps // config.every,
        steps_per_epoch=config.every,
        callbacks=[evaluation],
        verbose=config.verbose,
        shuffle=False,
    )
    samples = kind.scored(kind.decode(gan, gan.generate(config.num_shown, seed=config.seed + 1)))
    return evaluation.records, samples


def plot(path, results, baseline):
    fig, axes = _common.pyplot().subplots(1, 4, figsize=(16, 3.8), sharex=True)
    for n, ax in enumerate(axes, start=1):
        for method, (records, _) in results.items():
            ax.plot(
                [r["step"] for r in records], [r[f"js{n}"] for r in records], label=LABELS[method]
            )
        ax.axhline(baseline[f"js{n}"], color="gray", linestyle="--", label="held-out real lines")
        ax.set_title(f"js{n}: {n}-gram Jensen-Shannon divergence")
        ax.set_xlabel("generator step")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("bits (lower is better)")
    axes[-1].legend(loc="upper right", fontsize=8)
    _common.save_figure(fig, path, dpi=90)


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    parser.add_argument("--dataset", default="text", help="text, text:PATH or lm1b")
    parser.add_argument("--recipe", default="text", help="keras_wgan.presets.RECIPES name")
    _common.add(
        parser, out=("runs/language", "folder of the recorded numbers"), figure="language_model.png"
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    _common.add(parser, steps=2000, every=100)
    parser.add_argument("--width", type=int, default=None, help="default: the recipe's")
    _common.add(parser, num_shown=(8, "decoded samples kept"), seed=0, verbose=2)
    return parser.parse_args(argv)


def main(argv=None):
    config = parse_args(argv)
    _common.check_every(config)
    results = {method: train(method, config) for method in config.methods}
    baseline = text_reference(config.dataset)["baseline"]
    settings = _common.settings(config, leave_out=("out", "figure", "verbose"))
    _common.write_json(
        os.path.join(config.out, "language_model.json"),
        {
            "config": settings,
            "baseline": baseline,
            "records": {m: r for m, (r, _) in results.items()},
            "samples": {m: s for m, (_, s) in results.items()},
        },
    )
    figure = _common.output(config.figure, config.out, "language_model.png")
    plot(figure, results, baseline)
    print(
        "held-out real lines: "
        + ", ".join(f"js{n} {baseline[f'js{n}']:.3f}" for n in range(1, 5))
        + f", words in corpus {baseline['words_in_corpus']:.1%}"
    )
    for method, (records, samples) in results.items():
        last = records[-1]
        print(
            f"{method} at step {last['step']}: "
            + ", ".join(f"js{n} {last[f'js{n}']:.3f}" for n in range(1, 5))
            + f", words in corpus {last['words_in_corpus']:.1%}"
        )
        for line in samples[:3]:
            print(f"    {line}")
    print(f"Wrote {figure}")
    return results


if __name__ == "__main__":
    main()
