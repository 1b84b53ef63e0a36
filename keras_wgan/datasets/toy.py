"""The paper's 2-D toy distributions, exactly as its `gan_toy.py` defines them."""

import numpy as np
import tensorflow as tf

from keras_wgan.datasets.common import critic_batches, split_steps

_S = 1 / np.sqrt(2)
_EIGHT = 2.0 * np.array(
    [(1, 0), (-1, 0), (0, 1), (0, -1), (_S, _S), (_S, -_S), (-_S, _S), (-_S, -_S)]
)
_TWENTY_FIVE = np.array([(2.0 * i, 2.0 * j) for i in range(-2, 3) for j in range(-2, 3)])

# name: (centres before scaling, noise std before scaling, final divisor)
_MIXTURES = {
    "8gaussians": (_EIGHT, 0.02, 1.414),
    "25gaussians": (_TWENTY_FIVE, 0.05, 2.828),
}
TOY_DATASETS = ("8gaussians", "25gaussians", "swissroll")


def _check(name):
    if name not in TOY_DATASETS:
        raise ValueError(
            f"Invalid value for argument `name`. Received: name={name!r}. "
            f"Expected one of {list(TOY_DATASETS)}."
        )


def modes(name):
    """(centres, std) of a Gaussian-mixture toy dataset, in the dataset's coordinates."""
    if name not in _MIXTURES:
        raise ValueError(
            f"Invalid value for argument `name`. Received: name={name!r}. "
            f"Expected one of {sorted(_MIXTURES)} (the datasets with modes)."
        )
    centres, std, divisor = _MIXTURES[name]
    return centres / divisor, std / divisor


def sample_toy(name, n, rng=None):
    """Draws `n` points of a toy distribution as a float32 array of shape [n, 2].

    - "8gaussians": centres (+-1, 0), (0, +-1), (+-1/sqrt2, +-1/sqrt2) scaled by 2, noise
      std 0.02, then divided by 1.414.
    - "25gaussians": centres (2i, 2j) for i, j in -2..2, noise std 0.05, divided by 2.828.
    - "swissroll": scikit-learn's `make_swiss_roll(noise=0.25)`, columns 0 and 2, divided
      by 7.5.

    Args:
        name: one of "8gaussians", "25gaussians", "swissroll".
        n: number of points.
        rng: a `numpy.random.Generator` or a seed.
    """
    _check(name)
    rng = np.random.default_rng(rng)
    if name == "swissroll":
        from sklearn.datasets import make_swiss_roll

        points = make_swiss_roll(n_samples=n, noise=0.25, random_state=int(rng.integers(2**31)))[0]
        return (points[:, [0, 2]] / 7.5).astype("float32")
    centres, std, divisor = _MIXTURES[name]
    idx = rng.integers(len(centres), size=n)
    points = centres[idx] + rng.standard_normal((n, 2)) * std
    return (points / divisor).astype("float32")


def toy_dataset(name, batch_size, n_critic, seed=None, start_step=0):
    """A repeating dataset of toy points for `WGAN.fit`.

    As in the paper's code, "25gaussians" is a fixed set of 100,000 points (4,000 per
    mode) read in shuffled order, and the other two are drawn afresh for every batch.
    Each element holds `batch_size` points, one critic update's (`WGAN.fit` reads
    `n_critic` of them per train step). With a `seed`, the points of train step s depend
    only on (seed, s), so a run resumed at `start_step` reads what an
    uninterrupted one would have.
    """
    _check(name)
    rng = np.random.default_rng(seed)
    if name == "25gaussians":
        centres, std, divisor = _MIXTURES[name]
        points = np.repeat(centres, 4000, axis=0) + rng.standard_normal((100_000, 2)) * std
        points = (points / divisor).astype("float32")
        return critic_batches(
            points,
            batch_size,
            n_critic,
            shuffle_buffer=len(points),
            seed=seed,
            start_step=start_step,
        )

    size = batch_size * n_critic

    def stream():
        step = int(start_step)
        while True:
            # Seeded per step, so the stream can start at any step.
            yield sample_toy(
                name, size, rng if seed is None else np.random.default_rng([seed, step])
            )
            step += 1

    dataset = tf.data.Dataset.from_generator(
        stream, output_signature=tf.TensorSpec((size, 2), tf.float32)
    )
    return split_steps(dataset, batch_size)
