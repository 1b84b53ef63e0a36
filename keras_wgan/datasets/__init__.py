"""Datasets by name, as `tf.data` pipelines that yield the real data of one train step.

Toy 2-D data: "8gaussians", "25gaussians", "swissroll" (`keras_wgan.datasets.toy`).
Images: "digits" (embedded, offline), "cifar10", "lsun-bedroom", "folder:PATH"
(`keras_wgan.datasets.images`).
"""

from keras_wgan.datasets.common import critic_batches, shuffled_positions
from keras_wgan.datasets.images import (
    IMAGE_DATASETS,
    image_dataset,
    image_info,
    is_image_dataset,
    training_dataset,
)
from keras_wgan.datasets.toy import (
    TOY_DATASETS,
    mode_coverage,
    nearest_real_distance,
    sample_toy,
    toy_dataset,
)

DATASETS = tuple(TOY_DATASETS) + tuple(IMAGE_DATASETS) + ("folder:PATH",)


def check_name(name):
    """Raises a ValueError naming the datasets that exist."""
    if name not in TOY_DATASETS and not is_image_dataset(name):
        raise ValueError(
            f"Invalid value for argument `dataset`. Received: dataset={name!r}. "
            f"Expected one of {list(DATASETS)}."
        )


def is_toy(name):
    """Whether `name` is one of the 2-D toy datasets."""
    return name in TOY_DATASETS


def info(name, image_size=None, channels=None):
    """{"kind": "points" or "images", "shape": one example's shape, "num_classes"}."""
    check_name(name)
    if is_toy(name):
        return {"kind": "points", "shape": (2,), "num_classes": None}
    return dict(image_info(name, image_size=image_size, channels=channels), kind="images")


def load(name, batch_size, n_critic, seed=None, start_step=0, **image_kwargs):
    """A training dataset by name: each element holds `n_critic * batch_size` examples.

    Args:
        name: a toy or image dataset name (see the module docstring).
        batch_size: examples per critic update.
        n_critic: critic updates per train step.
        seed: seeds the data (toy points) or the shuffle order (images).
        start_step: the train step the stream starts at, for resuming a run: toy data,
            digits and folders then yield exactly what an uninterrupted run reads from
            that step (see `images.training_dataset` for tfds sources).
        **image_kwargs: for images, the arguments of `images.training_dataset`
            (`image_size`, `with_labels`, `dequantize`, `data_dir`, `channels`).

    Returns:
        (dataset, info): the repeating `tf.data.Dataset` and `info(name)`.
    """
    check_name(name)
    if is_toy(name):
        if image_kwargs:
            raise ValueError(f"The toy dataset {name!r} takes no {sorted(image_kwargs)}.")
        return toy_dataset(name, batch_size, n_critic, seed=seed, start_step=start_step), info(name)
    dataset = training_dataset(name, batch_size, n_critic, seed=seed, start_step=start_step,
                               **image_kwargs)
    return dataset, info(name, image_kwargs.get("image_size"), image_kwargs.get("channels"))


__all__ = [
    "DATASETS", "critic_batches", "image_dataset", "image_info", "info", "is_toy", "load",
    "mode_coverage", "sample_toy", "shuffled_positions", "toy_dataset", "training_dataset",
]
