"""Section 5.3 of Gulrajani et al. 2017: the critic's loss shows overfitting.

Trains WGAN-GP on a small subset of the embedded digits and, every `--every` generator
steps, measures the Wasserstein estimate E[D(x)] - E[D(G(z))] of the critic on the training
subset and on the held-out digits (`WGAN.evaluate`, the same fakes' distribution for both).
With few training examples the critic learns them: the two estimates diverge, the
training one above the validation one. The paper showed this on MNIST with 1,000
training examples (and on ImageNet at 64x64); here the default is 100 digits.

    python examples/paper/overfitting.py --out runs/overfitting --figure docs/figures/overfitting.png
"""

import os
import sys

import keras
import numpy as np
import tensorflow as tf

import keras_wgan
from keras_wgan import architectures, datasets

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402


class Estimates(keras.callbacks.Callback):
    """Records the Wasserstein estimate on the training and validation images."""

    def __init__(self, train, validation, every):
        super().__init__()
        self.train, self.validation, self.every = train, validation, every
        self.records = []

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.g_optimizer.iterations.numpy())
        record = {"step": step}
        for name, data in (("train", self.train), ("validation", self.validation)):
            record[name] = float(
                self.model.evaluate(data, verbose=0, return_dict=True)["wasserstein_estimate"]
            )
        self.records.append(record)
        if logs is not None:
            logs.update(train_estimate=record["train"], validation_estimate=record["validation"])


def split_digits(num_train, seed):
    images = np.stack([x.numpy() for x in datasets.image_dataset("digits")])
    order = np.random.default_rng(seed).permutation(len(images))
    return images[order[:num_train]], images[order[num_train:]]


def run(config):
    train_images, validation_images = split_digits(config.num_train, config.seed)
    keras.utils.set_random_seed(config.seed)
    generator, critic = architectures.build(
        "mlp", (8, 8, 1), latent_dim=config.latent_dim, width=config.width
    )
    gan = keras_wgan.WGAN(generator, critic, seed=config.seed)  # WGAN-GP, lambda 10, n_critic 5
    gan.compile(
        keras.optimizers.Adam(config.lr, beta_1=0.0, beta_2=0.9),
        keras.optimizers.Adam(config.lr, beta_1=0.0, beta_2=0.9),
    )
    data = datasets.critic_batches(
        train_images,
        config.batch_size,
        gan.n_critic,
        shuffle_buffer=len(train_images),
        seed=config.seed,
    )

    def batches(images):
        # The same number of examples on both sides, so the two estimates are equally noisy.
        return tf.data.Dataset.from_tensor_slices(images[: config.eval_examples]).batch(256)

    estimates = Estimates(batches(train_images), batches(validation_images), config.every)
    gan.fit(
        data,
        epochs=config.steps // config.every,
        steps_per_epoch=config.every,
        callbacks=[estimates],
        verbose=config.verbose,
        shuffle=False,
    )
    return estimates.records


def plot(path, records, num_train):
    steps = [r["step"] for r in records]
    fig, ax = _common.pyplot().subplots(figsize=(6, 3.6))
    ax.plot(steps, [r["train"] for r in records], label=f"training digits ({num_train})")
    ax.plot(steps, [r["validation"] for r in records], label="held-out digits")
    ax.set_xlabel("generator step")
    ax.set_ylabel("negative critic loss\n(Wasserstein estimate)")
    ax.set_title("WGAN-GP on a small training set: the estimates diverge")
    ax.legend()
    _common.save_figure(fig, path, dpi=90)


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    _common.add(
        parser,
        out="runs/overfitting",
        figure="overfitting.png",
        num_train=100,
        eval_examples=(100, "examples of each set behind each estimate"),
        steps=4000,
        every=200,
        width=256,
        latent_dim=128,
        batch_size=64,
        lr=3e-4,
        seed=0,
        verbose=2,
    )
    return parser.parse_args(argv)


def main(argv=None):
    config = parse_args(argv)
    _common.check_every(config)
    if not 1 <= config.num_train < 1797:
        raise SystemExit("--num-train must be between 1 and 1796 (the digits are 1,797)")
    records = run(config)
    _common.write_json(
        os.path.join(config.out, "overfitting.json"),
        {"config": _common.settings(config), "records": records},
    )
    figure = _common.output(config.figure, config.out, "overfitting.png")
    plot(figure, records, config.num_train)
    last = records[-1]
    print(
        f"At step {last['step']}: Wasserstein estimate {last['train']:.3f} on the training "
        f"digits, {last['validation']:.3f} on held-out digits (gap "
        f"{last['train'] - last['validation']:.3f})"
    )
    print(f"Wrote {figure}")
    return records


if __name__ == "__main__":
    main()
