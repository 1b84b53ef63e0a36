"""What `WGAN.fit` makes of the data a Keras user hands it.

A train step of a WGAN makes `n_critic` critic updates, each on its own real batch, and one
generator update. `WGAN.fit` takes the data as Keras users give it to any model, with a
batch the examples of one critic update, and reads `n_critic` consecutive batches per
generator step (the step receives them joined, `n_critic * batch_size` examples):

- arrays (`x`, and `y` as the labels of a conditional model), `fit(x, batch_size=B)`: an
  epoch is one pass over a fresh permutation of the data, `N // (n_critic * B)` generator
  steps; the remaining examples of each permutation wait for a later epoch's.
- a `tf.data.Dataset` batched the Keras way, `ds.batch(B)`: every `n_critic` consecutive
  batches make one generator step. A batch of another size than the first (the short last
  batch of a pass) is dropped, and so are the batches at the end of a pass that do not
  fill a step: nothing is reinterpreted. The package's own loaders
  (`keras_wgan.datasets.load`, `critic_batches`) yield such batches.
- a finite `tf.data.Dataset` of single examples: batched in order (`batch_size`, default
  32), the last partial step dropped (shuffle it beforehand, as for any Keras model).

A dataset that repeats forever needs `steps_per_epoch`, in generator steps.
"""

import threading

import keras
import numpy as np

from keras_wgan.utils.finite import check_finite

#: Keras's default `batch_size`.
DEFAULT_BATCH_SIZE = 32


class ArrayBatches(keras.utils.PyDataset):
    """Arrays as train-step elements of `per_step` examples, reshuffled every epoch.

    With a seed, each epoch's permutation is drawn from (seed, the generator step the epoch
    starts at), so a run continued by another `fit` call (or resumed by `BackupAndRestore`,
    or from a saved model) reads what the uninterrupted run would have read.

    Args:
        arrays: a tuple of arrays of equal length (examples, and labels or not).
        per_step: examples per element (`n_critic * batch_size`).
        shuffle: draw a new permutation every epoch (else read in order).
        seed: seeds the permutations; None for fresh ones.
        step: a function returning the current generator step; None to count epochs.
    """

    def __init__(self, arrays, per_step, shuffle=True, seed=None, step=None):
        super().__init__()
        self.arrays = arrays
        self.per_step = per_step
        self.shuffle = shuffle
        self.seed = seed
        self._step = step
        self._epochs = 0
        self._rng = np.random.default_rng()
        # Drawn when an epoch begins (a callback such as `BackupAndRestore` may restore
        # the model after `fit` has begun, so not before), in the thread that runs `fit`:
        # the reads may come from a worker thread, where a JAX model's step is unreadable.
        self._order = None
        self._lock = threading.Lock()

    def _permutation(self):
        n = len(self.arrays[0])
        if not self.shuffle:
            return np.arange(n)
        if self.seed is None:
            return self._rng.permutation(n)
        start = int(self._step()) if self._step is not None else self._epochs
        return np.random.default_rng([int(self.seed), start]).permutation(n)

    def __len__(self):
        return len(self.arrays[0]) // self.per_step

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"Element {index} of {len(self)}.")
        with self._lock:
            if self._order is None:
                self._order = self._permutation()
            order = self._order
        picked = order[index * self.per_step : (index + 1) * self.per_step]
        batch = tuple(array[picked] for array in self.arrays)
        return batch if len(batch) > 1 else batch[0]

    def on_epoch_begin(self):
        with self._lock:
            self._order = self._permutation()

    def on_epoch_end(self):
        with self._lock:
            self._epochs += 1
            self._order = None


def _is_tf_dataset(x):
    return type(x).__module__.startswith("tensorflow") and hasattr(x, "element_spec")


def _is_array(x):
    return isinstance(x, np.ndarray) or (
        hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "__array__")
    )


def _refuse(argument, value, why):
    raise ValueError(f"Invalid value for argument `{argument}`: {why}. Received: {value}.")


def _check_examples(model, x):
    want = tuple(model.sample_shape[1:])
    if tuple(x.shape[1:]) != want:
        _refuse(
            "x",
            f"an array of shape {x.shape}",
            f"its examples have shape {tuple(x.shape[1:])}, but the generator makes {want}",
        )
    if not np.issubdtype(x.dtype, np.floating):
        _refuse(
            "x",
            f"an array of dtype {x.dtype}",
            "a WGAN trains on floats in the range of the generator's output (e.g. [-1, 1] "
            "for a tanh output); scale integer data first, e.g. "
            "`x.astype('float32') / 127.5 - 1` for 8-bit images",
        )
    check_finite(x, "argument `x`")


def _check_labels(model, y, n):
    if model.num_classes is None:
        if y is not None:
            _refuse(
                "y",
                f"an array of shape {np.shape(y)}",
                "this WGAN is unconditional (num_classes=None) and takes no labels; "
                "build it with `conditioning=ACGAN(num_classes)` to train on labels",
            )
        return None
    if y is None:
        _refuse(
            "y",
            "None",
            f"this WGAN is conditional (num_classes={model.num_classes}) and trains on "
            "labels: pass them as `y`, one int class per example",
        )
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (n,) or not (np.issubdtype(y.dtype, np.integer) or _whole(y)):
        _refuse(
            "y",
            f"an array of shape {y.shape} and dtype {y.dtype}",
            f"expected one integer class per example of `x`, shape ({n},)",
        )
    y = y.astype("int32")
    outside = np.flatnonzero((y < 0) | (y >= model.num_classes))
    if outside.size:
        _refuse(
            "y",
            f"label {y[outside[0]]} at index {outside[0]}",
            f"labels must lie in [0, {model.num_classes}) for num_classes="
            f"{model.num_classes}; {outside.size} do not",
        )
    return y


def _whole(y):
    return np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y)) and np.all(y == y // 1)


def _split_validation(arrays, fraction):
    """Keras's `validation_split` of arrays: the last `fraction` of the examples."""
    if not 0.0 < fraction < 1.0:
        _refuse("validation_split", fraction, "expected a fraction in (0, 1)")
    n = len(arrays[0])
    cut = int(n * (1.0 - fraction))
    return tuple(a[:cut] for a in arrays), tuple(a[cut:] for a in arrays)


def _array_arguments(model, arguments, per_step):
    x = np.asarray(arguments["x"])
    _check_examples(model, x)
    y = _check_labels(model, arguments.pop("y", None), len(x))
    arrays = (x,) if y is None else (x, y)
    fraction = arguments.pop("validation_split", 0.0)
    if fraction:
        if arguments.get("validation_data") is not None:
            _refuse("validation_split", fraction, "give `validation_data` or it, not both")
        arrays, held_out = _split_validation(arrays, fraction)
        arguments["validation_data"] = held_out if len(held_out) > 1 else held_out[0]
    if len(arrays[0]) < per_step:
        _refuse(
            "x",
            f"{len(arrays[0])} training examples",
            f"one generator step reads n_critic * batch_size = {model.n_critic} * "
            f"{per_step // model.n_critic} = {per_step} examples; pass a smaller "
            "`batch_size`",
        )
    arguments["x"] = ArrayBatches(
        arrays,
        per_step,
        shuffle=bool(arguments.pop("shuffle", True)),
        seed=model.seed,
        step=model.generator_step,
    )
    # The permutation is ours; Keras would also shuffle the order of the elements.
    arguments["shuffle"] = False
    return arguments


def _single_examples(model, dataset):
    """Whether a dataset yields single examples rather than batches (by rank)."""
    spec = dataset.element_spec
    first = spec[0] if isinstance(spec, tuple) else spec
    shape = getattr(first, "shape", None)
    return shape is not None and shape.rank == len(model.sample_shape) - 1


def _dataset_arguments(model, arguments, batch_size):
    dataset = arguments["x"]
    spec = dataset.element_spec
    if model.num_classes is None and isinstance(spec, tuple) and len(spec) > 1:
        _refuse(
            "x",
            f"a dataset of {type(spec).__name__} elements {spec}",
            "this WGAN is unconditional (num_classes=None) and takes no labels: map the "
            "dataset to its examples, or build the WGAN with `num_classes=`",
        )
    infinite = int(dataset.cardinality()) == -1  # tf.data.INFINITE_CARDINALITY
    if _single_examples(model, dataset):
        batch_size = batch_size or DEFAULT_BATCH_SIZE
        _check_replicas(model, batch_size)
        per_step = model.n_critic * batch_size
        dataset = dataset.batch(per_step, drop_remainder=True)
    elif batch_size is not None:
        _refuse(
            "batch_size",
            batch_size,
            "the dataset is batched already; `batch_size` batches a dataset of single "
            "examples (or arrays)",
        )
    else:
        dataset = _steps_of_critic_batches(model, dataset)
    if infinite and arguments.get("steps_per_epoch") is None:
        _refuse(
            "steps_per_epoch",
            "None",
            "the dataset repeats forever (as `keras_wgan.datasets.critic_batches` does), "
            "so an epoch would never end: pass `steps_per_epoch=`, the generator steps of "
            "an epoch",
        )
    arguments["x"] = dataset
    if "shuffle" not in arguments:  # Keras would warn that it cannot shuffle a dataset
        arguments["shuffle"] = False
    return arguments


def _first(element):
    """The examples of a dataset element: the element, or the first of a tuple."""
    return element[0] if isinstance(element, (tuple, list)) else element


def _batch_size(dataset):
    """The size of a batched dataset's batches: static, or that of its first batch."""
    size = _first(dataset.element_spec).shape[0]
    if size is not None:
        return int(size)
    for element in dataset.take(1):
        return int(_first(element).shape[0])
    _refuse("x", "an empty dataset", "it yields no batch to train on")


def _steps_of_critic_batches(model, dataset):
    """A dataset of critic batches (`ds.batch(B)`) as train-step elements: `n_critic`
    consecutive batches of B joined into one of `n_critic * B` (see the module docstring).
    """
    import tensorflow as tf  # a tf.data dataset: TensorFlow is there (optional on JAX)

    size = _batch_size(dataset)
    _check_replicas(model, size)
    n_critic = model.n_critic
    if _first(dataset.element_spec).shape[0] is None:
        # A short batch (the last of a pass) cannot join a step of full ones.
        dataset = dataset.filter(lambda *e: tf.shape(_first(e))[0] == size)

    def join(*element):
        joined = tuple(
            tf.reshape(t, [n_critic * size, *[-1 if d is None else d for d in t.shape[2:]]])
            for t in element
        )
        return joined if len(joined) > 1 else joined[0]

    return dataset.batch(n_critic, drop_remainder=True).map(join)


def _check_replicas(model, batch_size):
    """Under a `tf.distribute` strategy each replica takes its share of every critic batch."""
    strategy = getattr(model, "distribute_strategy", None)
    replicas = getattr(strategy, "num_replicas_in_sync", 1)
    if replicas > 1 and batch_size % replicas:
        _refuse(
            "batch_size",
            batch_size,
            f"the model trains on {replicas} replicas, which share every critic batch, so "
            f"batch_size must be a multiple of {replicas}",
        )


def runs_to_its_end(arguments):
    """Whether `fit`'s (converted) arguments read a dataset of unknown length to its end:
    Keras then warns that the input "ran out of data" at the end of every first epoch,
    which is how the epoch is meant to end."""
    x = arguments.get("x")
    return (
        _is_tf_dataset(x)
        and int(x.cardinality()) == -2  # tf.data.UNKNOWN_CARDINALITY
        and arguments.get("steps_per_epoch") is None
    )


def fit_arguments(model, arguments):
    """`keras.Model.fit`'s arguments for `model`, the data made into train-step elements.

    Args:
        model: a `keras_wgan.WGAN`.
        arguments: `fit`'s arguments by name, as given (left unchanged).

    Returns:
        The arguments for `keras.Model.fit`.

    Raises:
        ValueError: data that does not fit the model (shape, dtype, NaN, labels), too few
            examples for one step, `sample_weight` or `class_weight`, or a dataset that
            repeats forever without `steps_per_epoch`.
    """
    arguments = dict(arguments)
    for name in ("sample_weight", "class_weight"):
        if arguments.get(name) is not None:
            _refuse(name, type(arguments[name]).__name__, "a WGAN weighs all examples alike")
    batch_size = arguments.pop("batch_size", None)
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        _refuse("batch_size", batch_size, "expected a positive integer")
    x = arguments.get("x")
    if _is_tf_dataset(x):
        return _dataset_arguments(model, arguments, batch_size)
    if _is_array(x):
        batch_size = batch_size or DEFAULT_BATCH_SIZE
        _check_replicas(model, batch_size)
        arguments = _array_arguments(model, arguments, model.n_critic * batch_size)
        held_out = arguments.get("validation_data")
        if _is_array(held_out) or (isinstance(held_out, (tuple, list)) and _is_array(held_out[0])):
            arguments.setdefault("validation_batch_size", batch_size)
        return arguments
    if batch_size is not None:
        arguments["batch_size"] = batch_size
    return arguments
