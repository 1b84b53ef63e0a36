"""Figures 3 and 4 of Gulrajani et al. 2017: the critic's loss tracks sample quality.

Trains the same generator and critic with WGAN-GP, WGAN with weight clipping and the DCGAN
loss, each with its preset hyperparameters (`keras_wgan.presets`), on the embedded `mnist`
(32x32, the DCGAN pair by default) or `digits` (8x8), and every `--every` generator steps
records the training loss and the sample quality (the offline score,
`keras_wgan.evaluation.mnist` or `keras_wgan.evaluation.digits`). The figure plots, for each method,
the negative critic loss (WGAN-GP, clipping) or the discriminator loss (DCGAN) against the
generator step, beside the quality score. The paper's Figure 3 comes from LSUN bedrooms and
its Figure 4 from DCGAN on LSUN; this is the same study at CPU scale.

    python examples/paper/critic_loss_vs_quality.py --out runs/curves --figure docs/figures/critic_loss_vs_quality.png
    python examples/paper/critic_loss_vs_quality.py --dataset digits --arch mlp --width 256 --steps 3000
"""

import os
import sys

import keras
import numpy as np

import keras_wgan
from keras_wgan import architectures, callbacks, datasets, evaluation, options, presets

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402

METHODS = ("wgan-gp", "wgan-clip", "dcgan")
LABELS = {"wgan-gp": "WGAN-GP", "wgan-clip": "WGAN, weight clipping", "dcgan": "DCGAN"}


def train(method, config):
    """Trains one method; returns its evaluation records (one per `config.every` steps)."""
    keras.utils.set_random_seed(config.seed)
    model_args = presets.get(method)["model"]
    # The critic's normalisation follows the method (layer norm for WGAN-GP, batch norm
    # for the others), as in examples/paper/robustness.py.
    generator, critic = architectures.build(
        config.arch,
        datasets.info(config.dataset)["shape"],
        latent_dim=config.latent_dim,
        width=config.width,
        loss=model_args["loss"],
    )
    flat, model_args, training = options.split(model_args)  # the preset's flat options
    gan = keras_wgan.WGAN(
        generator, critic, seed=config.seed, **model_args, **options.components(flat)
    )
    gan.compile(*presets.optimizers(method), **training)
    data, _ = datasets.load(config.dataset, config.batch_size, gan.n_critic, seed=config.seed)
    evaluation = callbacks.Evaluation(
        config.dataset, every_n_steps=config.every, num_samples=config.num_samples, seed=config.seed
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
    return evaluation.records


def score_key(dataset):
    return f"{evaluation.OFFLINE_SCORES[dataset]}_score"


def plot(path, results, dataset):
    fig, axes = _common.pyplot().subplots(
        2, len(results), figsize=(4.2 * len(results), 6), sharex=True
    )
    for col, (method, records) in enumerate(results.items()):
        steps = [r["step"] for r in records]
        loss_axis, score_axis = axes[0][col], axes[1][col]
        if method == "dcgan":
            loss_axis.plot(steps, [r["critic_loss"] for r in records], color="tab:red")
            loss_axis.set_ylabel("discriminator loss")
        else:
            loss_axis.plot(steps, [-r["critic_loss"] for r in records], color="tab:blue")
            loss_axis.set_ylabel("negative critic loss")
        loss_axis.set_title(LABELS[method])
        score_axis.plot(steps, [r[score_key(dataset)] for r in records], color="tab:green")
        score_axis.set_ylabel(f"{dataset} score (of 10)")
        score_axis.set_ylim(1, 10)
        score_axis.set_xlabel("generator step")
    _common.save_figure(fig, path, dpi=90)


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    _common.add(
        parser,
        out=("runs/curves", "folder of the recorded numbers"),
        figure="critic_loss_vs_quality.png",
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--dataset", default="mnist", choices=sorted(evaluation.OFFLINE_SCORES))
    parser.add_argument(
        "--arch", default="dcgan", help="an architecture of keras_wgan.architectures"
    )
    _common.add(
        parser,
        steps=2000,
        every=200,
        num_samples=2000,
        width=32,
        latent_dim=128,
        batch_size=64,
        seed=0,
        verbose=2,
    )
    return parser.parse_args(argv)


def main(argv=None):
    config = parse_args(argv)
    _common.check_every(config)
    results = {method: train(method, config) for method in config.methods}
    settings = _common.settings(config, leave_out=("out", "figure", "verbose"))
    _common.write_json(
        os.path.join(config.out, "critic_loss_vs_quality.json"),
        {"config": settings, "records": results},
    )
    figure = _common.output(config.figure, config.out, "critic_loss_vs_quality.png")
    plot(figure, results, config.dataset)
    for method, records in results.items():
        # The plotted quantity: the negative critic loss, or DCGAN's discriminator loss.
        sign, name = (
            (1, "discriminator loss") if method == "dcgan" else (-1, "negative critic loss")
        )
        curve = np.array([sign * r["critic_loss"] for r in records])
        scores = np.array([r[score_key(config.dataset)] for r in records])
        corr = float(np.corrcoef(curve, scores)[0, 1]) if len(records) > 2 else float("nan")
        print(
            f"{method}: {config.dataset} score {scores[0]:.2f} -> {scores[-1]:.2f}; correlation of "
            f"the {name} with the score over training: {corr:+.2f}"
        )
    print(f"Wrote {figure}")
    return results


if __name__ == "__main__":
    main()
