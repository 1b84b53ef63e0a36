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
from keras_wgan.datasets.text import TEXT_DATASETS, is_text_dataset, text_dataset
from keras_wgan.datasets.toy import (
    TOY_DATASETS,
    mode_coverage,
    nearest_real_distance,
    sample_toy,
    toy_dataset,
)

DATASETS = (tuple(TOY_DATASETS) + tuple(IMAGE_DATASETS) + ("folder:PATH",)
            + tuple(TEXT_DATASETS) + ("text:PATH",))


def check_name(name):
    """Raises a ValueError naming the datasets that exist."""
    from keras_wgan import modalities

    modalities.for_dataset(name)


def is_toy(name):
    """Whether `name` is one of the 2-D toy datasets."""
    return name in TOY_DATASETS


def info(name, image_size=None, channels=None, **kwargs):
    """{"kind": "points", "images" or "text", "shape": one example's shape, "num_classes"}
    (and "vocabulary" for text; `kwargs` go to the text source: `data_dir`, `vocabulary`)."""
    from keras_wgan import modalities

    return modalities.for_dataset(name).info(name, image_size=image_size, channels=channels,
                                             **kwargs)


def load(name, batch_size, n_critic, seed=None, start_step=0, **kwargs):
    """A training dataset by name: each element holds `n_critic * batch_size` examples.

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
    from keras_wgan import modalities

    modality = modalities.for_dataset(name)
    dataset = modality.load(name, batch_size, n_critic, seed=seed, start_step=start_step,
                            **kwargs)
    return dataset, modality.info(name, **kwargs)  # each kind takes what describes it


__all__ = [
    "DATASETS", "critic_batches", "image_dataset", "image_info", "info", "is_toy", "load",
    "is_text_dataset", "mode_coverage", "sample_toy", "shuffled_positions", "text_dataset",
    "toy_dataset", "training_dataset",
]
