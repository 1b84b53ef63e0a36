"""LSUN bedrooms at 64x64 with the paper's 64x64 ResNet (Gulrajani et al. 2017, Figure 3).

The paper's code (gan_64x64.py) trains WGAN-GP with lambda 10, n_critic 5, batch 64 and
Adam(1e-4, beta_1=0, beta_2=0.9). Images are centre-cropped and resized to 64x64. The
tensorflow-datasets `lsun/bedroom` builder needs tensorflow-io to prepare the data, which
current TensorFlow cannot install beside it: prepare it elsewhere and pass `--data-dir`, or
export the images to a folder and pass `--data folder:PATH`. Needs a GPU:

    python examples/lsun_bedroom.py --out runs/lsun [--data folder:/data/bedrooms]
"""

import argparse

import keras

import keras_wgan
from keras_wgan import architectures, datasets, presets, runs


def build(config):
    """The WGAN-GP of the paper's LSUN run, compiled."""
    shape = datasets.info(config.data, image_size=config.image_size)["shape"]
    generator, critic = architectures.build(config.arch, shape, latent_dim=128, width=config.width)
    gan = keras_wgan.WGAN(generator, critic, n_critic=5, gp_weight=10.0, seed=config.seed)
    gan.compile(*presets.optimizers("wgan-gp"))
    return gan


def train(config):
    """Trains (or resumes) the run in `config.out` and exports the generator."""
    keras.utils.set_random_seed(config.seed)
    gan, done = runs.resume_or_create(config.out, lambda: build(config))
    dataset, _ = datasets.load(config.data, config.batch_size, gan.n_critic,
                               seed=config.seed, start_step=done, image_size=config.image_size,
                               data_dir=config.data_dir)
    return runs.fit_run(gan, dataset, config.steps, config.out,
                        steps_per_epoch=config.steps_per_epoch,
                        sample_every=config.sample_every, seed=config.seed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/lsun-bedroom")
    parser.add_argument("--data", default="lsun-bedroom", help="lsun-bedroom or folder:PATH")
    parser.add_argument("--arch", default="resnet-64")
    parser.add_argument("--width", type=int, default=None)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100_000, help="generator iterations")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps-per-epoch", type=int, default=1000)
    parser.add_argument("--sample-every", type=int, default=1000)
    parser.add_argument("--data-dir", default=None, help="tensorflow-datasets data folder")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    print(f"Exported the generator to {train(parse_args(argv))}")


if __name__ == "__main__":
    main()
