"""Datasets by name, as `tf.data` pipelines that yield the real data of one train step."""

from keras_wgan.datasets.common import critic_batches
from keras_wgan.datasets.toy import TOY_DATASETS, mode_coverage, sample_toy, toy_dataset

DATASETS = tuple(TOY_DATASETS)


def check_name(name):
    """Raises a ValueError naming the datasets that exist."""
    if name not in DATASETS:
        raise ValueError(
            f"Invalid value for argument `dataset`. Received: dataset={name!r}. "
            f"Expected one of {list(DATASETS)}."
        )


def load(name, batch_size, n_critic, seed=None):
    """A training dataset by name: each element holds `n_critic * batch_size` examples.

    Returns:
        (dataset, info): the repeating `tf.data.Dataset` and a dict with "kind"
        ("points" or "images") and "shape" (of one example).
    """
    check_name(name)
    return toy_dataset(name, batch_size, n_critic, seed=seed), {"kind": "points", "shape": (2,)}


__all__ = ["DATASETS", "critic_batches", "load", "mode_coverage", "sample_toy", "toy_dataset"]
