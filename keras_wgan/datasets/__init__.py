"""Datasets by name, as `tf.data` pipelines that yield the real data of one train step.

Toy 2-D data: "8gaussians", "25gaussians", "swissroll" (`keras_wgan.datasets.toy`).
Images: "digits" (embedded, offline), "cifar10", "lsun-bedroom", "folder:PATH"
(`keras_wgan.datasets.images`).
Text: "text" (embedded, offline), "text:PATH", "lm1b" (`keras_wgan.datasets.text`).
"""

from keras_wgan.datasets.common import critic_batches, shuffled_positions
from keras_wgan.datasets.images import (
    IMAGE_DATASETS,
    image_dataset,
    image_info,
    is_image_dataset,
    training_dataset,
)
from keras_wgan.datasets.text import (
    LM1B_LINES,
    TEXT_DATASETS,
    is_text_dataset,
    text_dataset,
    text_info,
)
from keras_wgan.datasets.toy import TOY_DATASETS, sample_toy, toy_dataset

DATASETS = (
    tuple(TOY_DATASETS)
    + tuple(IMAGE_DATASETS)
    + ("folder:PATH",)
    + tuple(TEXT_DATASETS)
    + ("text:PATH",)
)


#: The kinds of data, by what one example is.
KINDS = ("points", "images", "text")


def kind(name):
    """The kind of data a dataset name holds: "points", "images" or "text".

    Raises:
        ValueError: naming the datasets that exist, for a name that is none of them.

    Example:
    >>> kind("25gaussians"), kind("digits"), kind("text")
    ('points', 'images', 'text')
    """
    if name in TOY_DATASETS:
        return "points"
    if is_image_dataset(name):
        return "images"
    if is_text_dataset(name):
        return "text"
    raise ValueError(
        f"Invalid value for argument `dataset`. Received: dataset={name!r}. "
        f"Expected one of {list(DATASETS)}."
    )


def check_name(name):
    """Raises a ValueError naming the datasets that exist."""
    kind(name)


def is_toy(name):
    """Whether `name` is one of the 2-D toy datasets."""
    return name in TOY_DATASETS


def info(
    name, image_size=None, channels=None, data_dir=None, vocabulary=None, max_lines=None, **kwargs
):
    """{"kind": "points", "images" or "text", "shape": one example's shape, "num_classes"}
    (and "vocabulary" for text).

    Args:
        name: a dataset name (see the module docstring).
        image_size, channels: for images, the size and channels they are loaded at.
        data_dir, vocabulary, max_lines: for text, the tensorflow-datasets folder, a fixed
            vocabulary and the number of lm1b lines read.
        **kwargs: the other arguments of `load`, which do not change what an example is.
    """
    what = kind(name)
    if what == "points":
        return {"kind": "points", "shape": (2,), "num_classes": None}
    if what == "images":
        return dict(image_info(name, image_size=image_size, channels=channels), kind="images")
    return dict(
        text_info(
            name, data_dir=data_dir, vocabulary=vocabulary, max_lines=max_lines or LM1B_LINES
        ),
        kind="text",
    )


def load(name, batch_size, n_critic, seed=None, start_step=0, **kwargs):
    """A training dataset by name: batches of `batch_size` examples, one critic update's
    (`WGAN.fit` reads `n_critic` consecutive batches per train step).

    Args:
        name: a toy, image or text dataset name (see the module docstring).
        batch_size: examples per critic update.
        n_critic: critic updates per train step.
        seed: seeds the data (toy points) or the shuffle order (images, text).
        start_step: the train step the stream starts at, for resuming a run: toy data,
            digits, folders and text then yield exactly what an uninterrupted run reads
            from that step (see `images.training_dataset` for tfds image sources).
        **kwargs: for images, the arguments of `images.training_dataset`
            (`image_size`, `with_labels`, `dequantize`, `data_dir`, `channels`); for
            text, those of `text.text_dataset` (`vocabulary`, `one_hot`, `data_dir`).

    Returns:
        (dataset, info): the repeating `tf.data.Dataset` and `info(name)`.
    """
    what = kind(name)
    if what == "points":
        if kwargs:
            raise ValueError(f"The toy dataset {name!r} takes no {sorted(kwargs)}.")
        dataset = toy_dataset(name, batch_size, n_critic, seed=seed, start_step=start_step)
    elif what == "images":
        dataset = training_dataset(
            name, batch_size, n_critic, seed=seed, start_step=start_step, **kwargs
        )
    else:
        dataset = text_dataset(
            name, batch_size, n_critic, seed=seed, start_step=start_step, **kwargs
        )
    return dataset, info(name, **kwargs)  # each kind takes what describes it


__all__ = [
    "DATASETS",
    "critic_batches",
    "image_dataset",
    "image_info",
    "info",
    "is_toy",
    "load",
    "is_text_dataset",
    "kind",
    "sample_toy",
    "shuffled_positions",
    "text_dataset",
    "toy_dataset",
    "training_dataset",
]
