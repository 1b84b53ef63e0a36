"""The paper's CIFAR-10 ResNet (Gulrajani et al. 2017, section 5.3 and appendix).

Set-up of the paper's code (gan_cifar_resnet.py): ResNet generator and critic of width 128,
100k generator iterations, n_critic 5, critic batch 64 and generator batch 128, Adam(2e-4,
beta_1=0, beta_2=0.9) decayed linearly to 0, lambda 10, uniform dequantisation of the pixels.
The paper reports an Inception Score of 7.86 unconditional and 8.42 with `--conditional`
(conditional batch norm in the generator, an AC-GAN head on the critic). Needs a GPU for the
full run; the data comes from tensorflow-datasets (downloaded on first use):

    python examples/cifar10.py --out runs/cifar10 [--conditional]

Rerunning the same command resumes the run.
"""

import argparse

import keras

import keras_wgan
from keras_wgan import architectures, datasets, runs


def linear_decay(learning_rate, steps):
    """Learning rate decayed linearly from `learning_rate` to 0 over `steps` updates."""
    return keras.optimizers.schedules.PolynomialDecay(learning_rate, steps, 0.0, power=1.0)


def build(config):
    """The WGAN of the paper's CIFAR-10 run, compiled."""
    info = datasets.info("cifar10")
    generator, critic = architectures.build(
        "cifar10-resnet", info["shape"], latent_dim=128, width=config.width,
        num_classes=info["num_classes"] if config.conditional else None,
    )
    gan = keras_wgan.WGAN(
        generator, critic, n_critic=config.n_critic, gp_weight=10.0,
        generator_batch_size=config.generator_batch_size, seed=config.seed,
        num_classes=info["num_classes"] if config.conditional else None,
    )
    # One decay per generator iteration: the critic's optimiser steps n_critic times as often.
    gan.compile(
        d_optimizer=keras.optimizers.Adam(
            linear_decay(config.lr, config.steps * config.n_critic), beta_1=0.0, beta_2=0.9),
        g_optimizer=keras.optimizers.Adam(
            linear_decay(config.lr, config.steps), beta_1=0.0, beta_2=0.9),
    )
    return gan


def train(config):
    """Trains (or resumes) the run in `config.out` and exports the generator."""
    keras.utils.set_random_seed(config.seed)
    gan, done = runs.resume_or_create(config.out, lambda: build(config))
    dataset, _ = datasets.load(
        "cifar10", config.batch_size, gan.n_critic, seed=config.seed, start_step=done,
        with_labels=config.conditional, dequantize=True, data_dir=config.data_dir,
    )
    return runs.fit_run(gan, dataset, config.steps, config.out,
                        steps_per_epoch=config.steps_per_epoch,
                        sample_every=config.sample_every, seed=config.seed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/cifar10")
    parser.add_argument("--steps", type=int, default=100_000, help="generator iterations")
    parser.add_argument("--conditional", action="store_true", help="the AC-GAN form (8.42)")
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64, help="critic batch")
    parser.add_argument("--generator-batch-size", type=int, default=128)
    parser.add_argument("--n-critic", type=int, default=5)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--steps-per-epoch", type=int, default=1000)
    parser.add_argument("--sample-every", type=int, default=1000)
    parser.add_argument("--data-dir", default=None, help="tensorflow-datasets data folder")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    print(f"Exported the generator to {train(parse_args(argv))}")


if __name__ == "__main__":
    main()
