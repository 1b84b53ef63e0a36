"""LSUN bedrooms at 64x64 with the paper's 64x64 ResNet (Gulrajani et al. 2017, Figure 3).

The paper's code (gan_64x64.py) trains WGAN-GP with lambda 10, n_critic 5, batch 64 and
Adam(1e-4, beta_1=0, beta_2=0.9) for 200k iterations: the recipe "lsun-bedroom" of
`keras_wgan.presets`, which `keras-wgan train --dataset lsun-bedroom` resolves too. Images
are centre-cropped and resized to 64x64. The
tensorflow-datasets `lsun/bedroom` builder needs tensorflow-io to prepare the data, which
current TensorFlow cannot install beside it: prepare it elsewhere and pass `--data-dir`, or
export the images to a folder and pass `--data folder:PATH`. Needs a GPU:

    python examples/usage/lsun_bedroom.py --out runs/lsun [--data folder:/data/bedrooms]
"""

import os
import sys

from keras_wgan import datasets, presets, runs

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402


def settings(config):
    """The run's hyperparameters: the "lsun-bedroom" recipe (`keras_wgan.presets`), which
    `keras-wgan train --dataset lsun-bedroom` resolves too, then the flags."""
    resolved = presets.resolve(
        "lsun-bedroom",
        arch=config.arch,
        width=config.width,
        batch_size=config.batch_size,
        steps=config.steps,
    )
    return runs.with_data(resolved, config.data, image_size=config.image_size)


def build(config):
    """The WGAN-GP of the paper's LSUN run, compiled."""
    return runs.build_gan(settings(config), seed=config.seed)


def train(config):
    """Trains (or resumes) the run in `config.out` and exports the generator."""
    run = settings(config)

    def load_data(gan, done):
        return datasets.load(
            config.data,
            run["batch_size"],
            gan.n_critic,
            seed=config.seed,
            start_step=done,
            image_size=config.image_size,
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
    _common.add(
        parser, out="runs/lsun-bedroom", data=("lsun-bedroom", "lsun-bedroom or folder:PATH")
    )
    # None: the recipe's value (keras_wgan.presets.RECIPES["lsun-bedroom"]).
    parser.add_argument("--arch", default=None, help="resnet-64")
    parser.add_argument("--width", type=int, default=None, help="64")
    _common.add(parser, image_size=64)
    parser.add_argument("--steps", type=int, default=None, help="generator iterations (200k)")
    parser.add_argument("--batch-size", type=int, default=None, help="64")
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
