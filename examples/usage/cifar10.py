"""The paper's CIFAR-10 ResNet (Gulrajani et al. 2017, section 5.3 and appendix).

Set-up of the paper's code (gan_cifar_resnet.py): ResNet generator and critic of width 128,
100k generator iterations, n_critic 5, critic batch 64 and generator batch 128, Adam(2e-4,
beta_1=0, beta_2=0.9) decayed linearly to 0, lambda 10, uniform dequantisation of the pixels.
The paper reports an Inception Score of 7.86 unconditional and 8.42 with `--conditional`
(conditional batch norm in the generator, an AC-GAN head on the critic). Needs a GPU for the
full run; the data comes from tensorflow-datasets (downloaded on first use):

    python examples/usage/cifar10.py --out runs/cifar10 [--conditional]

The same recipe runs as `keras-wgan train --dataset cifar10 --steps 100000 --out
runs/cifar10` (both resolve `keras_wgan.presets.RECIPES["cifar10"]`). Rerunning the same
command resumes the run.
"""

import os
import sys

from keras_wgan import datasets, presets, runs

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402


def settings(config):
    """The run's hyperparameters: the "cifar10" recipe (`keras_wgan.presets`), which
    `keras-wgan train --dataset cifar10` resolves too, then the flags."""
    name = "cifar10-conditional" if config.conditional else "cifar10"
    resolved = presets.resolve(
        name,
        width=config.width,
        batch_size=config.batch_size,
        lr=config.lr,
        steps=config.steps,
        n_critic=config.n_critic,
        generator_batch_size=config.generator_batch_size,
    )
    return runs.with_data(resolved, "cifar10")


def build(config):
    """The WGAN of the paper's CIFAR-10 run, compiled."""
    return runs.build_gan(settings(config), seed=config.seed)


def train(config):
    """Trains (or resumes) the run in `config.out` and exports the generator."""
    run = settings(config)

    def load_data(gan, done):
        return datasets.load(
            "cifar10",
            run["batch_size"],
            gan.n_critic,
            seed=config.seed,
            start_step=done,
            with_labels=config.conditional,
            dequantize=run["dequantize"],
            data_dir=config.data_dir,
        )[0]

    _, path = runs.train(
        config.out,
        lambda: build(config),
        load_data,
        run["steps"],
        seed=config.seed,
        steps_per_epoch=config.steps_per_epoch,
        sample_every=config.sample_every,
    )
    return path


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    _common.add(parser, out="runs/cifar10")
    parser.add_argument("--conditional", action="store_true", help="the AC-GAN form (8.42)")
    # None: the recipe's value (keras_wgan.presets.RECIPES["cifar10"]).
    parser.add_argument("--steps", type=int, default=None, help="generator iterations (100k)")
    parser.add_argument("--width", type=int, default=None, help="128")
    parser.add_argument("--batch-size", type=int, default=None, help="critic batch (64)")
    parser.add_argument("--generator-batch-size", type=int, default=None, help="128")
    parser.add_argument("--n-critic", type=int, default=None, help="5")
    parser.add_argument("--lr", type=float, default=None, help="2e-4, decayed linearly to 0")
    _common.add(
        parser,
        steps_per_epoch=1000,
        sample_every=1000,
        data_dir=(None, "tensorflow-datasets data folder"),
        seed=0,
    )
    return parser.parse_args(argv)


def main(argv=None):
    path = train(parse_args(argv))
    print(
        f"Exported the generator to {path}"
        if path
        else "The run is finished; its export is current."
    )


if __name__ == "__main__":
    main()
