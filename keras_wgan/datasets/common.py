"""Helpers shared by every dataset."""

import tensorflow as tf


def critic_batches(dataset, batch_size, n_critic, shuffle_buffer=None, seed=None):
    """Batches a dataset of single examples for `WGAN.fit`.

    Each element holds `n_critic * batch_size` examples, so every critic update of a
    train step sees a fresh real batch. The dataset repeats forever, is shuffled when
    `shuffle_buffer` is given, and is prefetched.

    Args:
        dataset: a `tf.data.Dataset` of single examples (or (example, label) pairs), or
            an array of examples.
        batch_size: examples per critic update.
        n_critic: critic updates per train step.
        shuffle_buffer: size of the shuffle buffer; None for no shuffling.
        seed: the shuffle seed.

    Example:
    >>> import numpy as np
    >>> ds = critic_batches(np.zeros((100, 2), "float32"), batch_size=4, n_critic=5)
    >>> next(iter(ds)).shape
    TensorShape([20, 2])
    """
    for arg, value in (("batch_size", batch_size), ("n_critic", n_critic)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(
                f"Invalid value for argument `{arg}`. Received: {arg}={value!r}. "
                "Expected an integer >= 1."
            )
    if not isinstance(dataset, tf.data.Dataset):
        dataset = tf.data.Dataset.from_tensor_slices(dataset)
    if shuffle_buffer:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    return dataset.repeat().batch(batch_size * n_critic, drop_remainder=True).prefetch(
        tf.data.AUTOTUNE
    )
