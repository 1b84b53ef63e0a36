"""Helpers shared by every dataset."""

import tensorflow as tf

from keras_wgan.utils.finite import check_finite
from keras_wgan.utils.validation import check_int

__all__ = ["check_finite", "critic_batches", "shuffled_positions"]


def shuffled_positions(num_examples, per_step, seed, start_step=0):
    """The order in which a train step reads the examples of an indexable dataset.

    Position p (counting on across repeats) reads example `index_shuffle(p mod N)` of a
    permutation drawn afresh for every pass over the data from (seed, pass). Being a pure
    function of the position, the stream starts at any train step at no cost: a resumed
    run reads exactly what the uninterrupted run would have read.

    Args:
        num_examples: N, the dataset size.
        per_step: examples per train step (`n_critic * batch_size`).
        seed: an integer.
        start_step: the train step to start at.

    Returns:
        An endless `tf.data.Dataset` of (positions, indices), int64 vectors of `per_step`
        values, one element per train step (`.unbatch()` for one per example).
    """
    if num_examples < 1:
        raise ValueError("Cannot shuffle an empty dataset.")
    n = tf.constant(num_examples, tf.int64)
    seed = tf.constant(int(seed), tf.int64)

    def step(s):
        position = s * per_step + tf.range(per_step, dtype=tf.int64)
        passes = position // n
        seeds = tf.stack([tf.fill([per_step], seed), passes, tf.zeros_like(passes)], axis=1)
        # The raw op: `tf.random.experimental.index_shuffle` pads a [n, 2] seed wrongly.
        index = tf.raw_ops.RandomIndexShuffle(
            index=position % n, seed=seeds, max_index=n - 1, rounds=4
        )
        return position, index

    steps = tf.data.Dataset.range(int(start_step), tf.int64.max)
    return steps.map(step, num_parallel_calls=tf.data.AUTOTUNE)


def critic_batches(dataset, batch_size, n_critic, shuffle_buffer=None, seed=None, start_step=0):
    """Batches a dataset of single examples for `WGAN.fit`.

    Each element holds `batch_size` examples, the real batch of one critic update, as
    `ds.batch(batch_size)` would; `WGAN.fit` reads `n_critic` consecutive batches per
    train step, so every critic update sees a fresh real batch. The dataset repeats
    forever, is shuffled when `shuffle_buffer` is given, and is prefetched. `n_critic`
    places a resumed stream: from `start_step` on, it yields what an uninterrupted run
    reads from that train step.

    Args:
        dataset: a `tf.data.Dataset` of single examples (or (example, label) pairs), or
            an array of examples.
        batch_size: examples per critic update.
        n_critic: critic updates per train step.
        shuffle_buffer: size of the shuffle buffer; None for no shuffling.
        seed: the shuffle seed. With a seed, an array is read in the order of
            `shuffled_positions`, exactly reproducible from any `start_step`.
        start_step: the train step the stream starts at (for resuming a run).

    Example:
    >>> import numpy as np
    >>> ds = critic_batches(np.zeros((100, 2), "float32"), batch_size=4, n_critic=5)
    >>> next(iter(ds)).shape
    TensorShape([4, 2])
    """
    batch_size = check_int("batch_size", batch_size, 1)
    n_critic = check_int("n_critic", n_critic, 1)
    per_step = batch_size * n_critic
    if not isinstance(dataset, tf.data.Dataset):
        check_finite(dataset)
        if shuffle_buffer and seed is not None:
            tensors = tf.nest.map_structure(tf.convert_to_tensor, dataset)
            size = int(tf.nest.flatten(tensors)[0].shape[0])
            # A whole step's examples in one gather: no per-example work.
            steps = shuffled_positions(size, per_step, seed, start_step).map(
                lambda _, i: tf.nest.map_structure(lambda t: tf.gather(t, i), tensors),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
            return split_steps(steps, batch_size)
        dataset = tf.data.Dataset.from_tensor_slices(dataset)
    if shuffle_buffer:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    steps = dataset.repeat().batch(per_step, drop_remainder=True).skip(int(start_step))
    return split_steps(steps, batch_size)


def split_steps(steps, batch_size):
    """A stream of train steps' examples (`n_critic * batch_size` an element) as the
    critic batches `WGAN.fit` reads (`batch_size` an element; `fit` joins `n_critic`
    consecutive ones into a step again), prefetched. The stream is endless, and says so
    (`rebatch` alone would make its length unknown)."""
    endless = tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY)
    return steps.rebatch(batch_size, drop_remainder=True).apply(endless).prefetch(tf.data.AUTOTUNE)
