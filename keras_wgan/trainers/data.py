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

import inspect
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


def _check_example_spec(model, shape, dtype, argument, received):
    """Refuses examples of another shape than the generator's samples, or not floats, by
    the name of the argument that holds them (shapes without the batch axis; None fits)."""
    want = tuple(model.sample_shape[1:])
    shape = tuple(shape)
    fits = len(shape) == len(want) and all(g is None or g == w for g, w in zip(shape, want))
    if not fits:
        _refuse(
            argument,
            received,
            f"its examples have shape {shape}, but the generator makes {want}",
        )
    if not np.issubdtype(np.dtype(dtype), np.floating):
        _refuse(
            argument,
            received,
            f"its examples are {np.dtype(dtype)}; a WGAN trains on floats in the range of "
            "the generator's output (e.g. [-1, 1] for a tanh output): scale integer data "
            "first, e.g. `x.astype('float32') / 127.5 - 1` for 8-bit images",
        )


def _check_examples(model, x, argument="x"):
    received = f"an array of shape {x.shape} and dtype {x.dtype}"
    _check_example_spec(model, x.shape[1:], x.dtype, argument, received)
    check_finite(x, f"argument `{argument}`")


def _check_labels(model, y, n, argument="y"):
    if model.num_classes is None:
        if y is not None:
            _refuse(
                argument,
                f"an array of shape {np.shape(y)}",
                "this WGAN is unconditional (num_classes=None) and takes no labels; "
                "build it with `conditioning=ACGAN(num_classes)` to train on labels",
            )
        return None
    if y is None:
        _refuse(
            argument,
            "None",
            f"this WGAN is conditional (num_classes={model.num_classes}) and trains on "
            "labels: pass them as `y`, one int class per example",
        )
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (n,) or not (np.issubdtype(y.dtype, np.integer) or _whole(y)):
        _refuse(
            argument,
            f"an array of shape {y.shape} and dtype {y.dtype}",
            f"expected one integer class per example of `x`, shape ({n},)",
        )
    y = y.astype("int32")
    outside = np.flatnonzero((y < 0) | (y >= model.num_classes))
    if outside.size:
        _refuse(
            argument,
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


def _check_dataset(model, dataset, argument, training=True):
    """Checks a `tf.data` dataset's elements against the model, from their spec (before any
    is read), by the name of the argument that holds it; returns whether they are single
    examples rather than batches (by rank)."""
    spec = dataset.element_spec
    parts = spec if isinstance(spec, tuple) else (spec,)
    received = f"a dataset of elements {spec}"
    examples = parts[0]
    rank = examples.shape.rank
    single = rank == len(model.sample_shape) - 1
    if rank is not None:
        shape = examples.shape if single else examples.shape[1:]
        dtype = getattr(examples.dtype, "as_numpy_dtype", examples.dtype)
        _check_example_spec(model, shape.as_list(), dtype, argument, received)
    if model.num_classes is None and len(parts) > 1:
        _refuse(
            argument,
            received,
            "this WGAN is unconditional (num_classes=None) and takes no labels: map the "
            "dataset to its examples, or build the WGAN with `conditioning=ACGAN(num_classes)`",
        )
    if model.num_classes is not None and len(parts) == 1 and training:
        _refuse(
            argument,
            received,
            f"this WGAN is conditional (num_classes={model.num_classes}) and trains on "
            "labels: the dataset must yield (examples, labels) pairs",
        )
    if model.num_classes is not None and len(parts) > 1 and not parts[1].dtype.is_integer:
        _refuse(argument, received, "its labels must be integer classes")
    return single


def _checked_labels(model, dataset, argument):
    """`dataset` with its labels checked as they are read: an error naming the argument,
    the first label outside [0, num_classes) and its index in the batch."""
    import tensorflow as tf  # a tf.data dataset: TensorFlow is there (optional on JAX)

    if model.num_classes is None or not isinstance(dataset.element_spec, tuple):
        return dataset
    num_classes = model.num_classes

    def check(examples, labels, *rest):
        flat = tf.reshape(labels, [-1])
        outside = tf.where((flat < 0) | (flat >= num_classes))[:, 0]
        index = tf.concat([outside, [-1]], 0)[0]
        message = tf.strings.format(
            f"Invalid value for argument `{argument}`: labels must lie in [0, {num_classes}) "
            f"for num_classes={num_classes}. Received: label {{}} at index {{}} of a batch.",
            (tf.gather(flat, tf.maximum(index, 0)), index),
        )
        inside = tf.debugging.Assert(tf.equal(tf.size(outside), 0), [message])
        with tf.control_dependencies([inside]):
            return (examples, tf.identity(labels), *rest)

    return dataset.map(check)


def _dataset_arguments(model, arguments, batch_size):
    dataset = arguments["x"]
    infinite = int(dataset.cardinality()) == -1  # tf.data.INFINITE_CARDINALITY
    if _check_dataset(model, dataset, "x"):
        batch_size = batch_size or DEFAULT_BATCH_SIZE
        _check_replicas(model, batch_size)
        dataset = dataset.batch(model.n_critic * batch_size, drop_remainder=True)
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
    arguments["x"] = _checked_labels(model, dataset, "x")
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
    """Whether `fit`'s (converted) arguments read a dataset (or a generator) of unknown
    length to its end:
    Keras then warns that the input "ran out of data" at the end of every first epoch,
    which is how the epoch is meant to end."""
    x = arguments.get("x")
    unknown = inspect.isgenerator(x) or (
        _is_tf_dataset(x) and int(x.cardinality()) == -2  # tf.data.UNKNOWN_CARDINALITY
    )
    return unknown and arguments.get("steps_per_epoch") is None


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
        arguments = _dataset_arguments(model, arguments, batch_size)
    elif _is_array(x):
        batch_size = batch_size or DEFAULT_BATCH_SIZE
        _check_replicas(model, batch_size)
        arguments = _array_arguments(model, arguments, model.n_critic * batch_size)
    elif isinstance(x, keras.utils.PyDataset) or inspect.isgenerator(x):
        if batch_size is not None:
            _refuse(
                "batch_size",
                batch_size,
                f"a {type(x).__name__} yields its batches; `batch_size` batches arrays or "
                "a dataset of single examples",
            )
        arguments["x"] = _joined_batches(model, x)
    elif x is not None:
        _refuse(
            "x",
            type(x).__name__,
            "expected arrays, a tf.data.Dataset, a keras.utils.PyDataset or a Python "
            "generator of batches",
        )
    return _validation_arguments(model, arguments, batch_size or DEFAULT_BATCH_SIZE)


def _validation_arguments(model, arguments, batch_size):
    """`validation_data` checked like `x` (labels optional: the validation step reads the
    examples only) and batched like it: batches of one critic update."""
    held_out = arguments.get("validation_data")
    if held_out is not None:
        arguments["validation_data"], arrays = _held_out(
            model, held_out, batch_size, "validation_data"
        )
        if arrays:
            arguments.setdefault("validation_batch_size", batch_size)
    return arguments


def _held_out(model, data, batch_size, argument):
    """(data, whether it is arrays) of held-out real data, checked as `x` is (labels
    optional) by the name `argument`, a dataset of single examples batched by
    `batch_size`."""
    if _is_tf_dataset(data):
        if _check_dataset(model, data, argument, training=False):
            data = data.batch(batch_size)
        return data, False
    parts = data if isinstance(data, (tuple, list)) else (data,)
    if not parts or not _is_array(parts[0]):
        return data, False
    examples = np.asarray(parts[0])
    _check_examples(model, examples, argument)
    if len(parts) > 1 and parts[1] is not None and model.num_classes is not None:
        _check_labels(model, parts[1], len(examples), argument)
    return data, True


def evaluate_arguments(model, arguments):
    """`keras.Model.evaluate`'s arguments for `model`: held-out real examples (and labels
    or not), checked as `fit`'s `validation_data` is and batched the same way.

    Raises:
        ValueError: no data, or data that does not fit the model, by argument name.
    """
    arguments = dict(arguments)
    if arguments.get("x") is None:
        _refuse(
            "x",
            "None",
            "`evaluate` scores held-out real examples: the critic's Wasserstein estimate "
            "on them (`loss`, lower is better)",
        )
    for name in ("sample_weight",):
        if arguments.get(name) is not None:
            _refuse(name, type(arguments[name]).__name__, "a WGAN weighs all examples alike")
    batch_size = arguments.get("batch_size") or DEFAULT_BATCH_SIZE
    arguments["x"], arrays = _held_out(model, arguments["x"], batch_size, "x")
    if arrays:
        arguments["batch_size"] = batch_size
    return arguments


def check_latent(model, x):
    """Refuses, by name, what `predict` cannot generate from: an array that is not a
    batch of latent points (`[N, latent_dim]`), or one without the labels of a
    conditional model."""
    parts = x if isinstance(x, (tuple, list)) else (x,)
    if not _is_array(parts[0]):
        return
    z = np.asarray(parts[0])
    latent = (model.latent_dim,)
    wanted = f"latent points z of shape (N, {', '.join(map(str, latent))})"
    if model.num_classes:
        wanted = f"[z, labels]: {wanted} and N int labels in [0, {model.num_classes})"
    if tuple(z.shape[1:]) != latent or (model.num_classes and len(parts) != 2):
        _refuse(
            "x",
            f"an array of shape {z.shape}" if len(parts) == 1 else f"{len(parts)} arrays",
            f"`predict` generates samples from {wanted}, as `generate` does; to score "
            "examples use `evaluate` (the Wasserstein estimate on real data) or the critic "
            "(`gan.critic.predict(examples)`)",
        )
    if model.num_classes:
        _check_labels(model, parts[1], len(z), "x")


class JoinedBatches(keras.utils.PyDataset):
    """A `keras.utils.PyDataset` of critic batches as train-step elements: its batches
    `i * n_critic` to `i * n_critic + n_critic - 1` joined into element `i`, the labels
    checked as they are read (as those of arrays are).

    Args:
        model: the `WGAN`.
        batches: the `keras.utils.PyDataset`.
        usable: how many of its batches to read (a short last batch left out); None when
            it has no end.
    """

    def __init__(self, model, batches, usable):
        super().__init__(
            workers=batches.workers,
            use_multiprocessing=batches.use_multiprocessing,
            max_queue_size=batches.max_queue_size,
        )
        self.model = model
        self.batches = batches
        self.usable = usable

    @property
    def num_batches(self):
        return None if self.usable is None else self.usable // self.model.n_critic

    def __getitem__(self, index):
        n_critic = self.model.n_critic
        return _join(self.model, [self.batches[index * n_critic + k] for k in range(n_critic)])

    def on_epoch_begin(self):
        self.batches.on_epoch_begin()

    def on_epoch_end(self):
        self.batches.on_epoch_end()


def _joined_batches(model, batches):
    """A PyDataset or generator of critic batches as one of train-step elements, the first
    batch checked before training starts. A short last batch is left out, as `fit` leaves
    out a dataset's."""
    if isinstance(batches, keras.utils.PyDataset):
        size = _check_batch(model, batches[0])
        usable = batches.num_batches
        if usable is not None and len(_parts(batches[usable - 1])[0]) != size:
            usable -= 1
        if usable is not None and usable < model.n_critic:
            _refuse(
                "x",
                f"a {type(batches).__name__} of {batches.num_batches} batches",
                f"one generator step reads n_critic={model.n_critic} batches of {size}",
            )
        return JoinedBatches(model, batches, usable)
    first = next(batches, None)
    if first is None:
        _refuse("x", "an empty generator", "it yields no batch to train on")
    size = _check_batch(model, first)

    def steps():
        group = [first]
        for batch in batches:
            if len(_parts(batch)[0]) == size:  # a short batch cannot join full ones
                group.append(batch)
            if len(group) == model.n_critic:
                yield _join(model, group)
                group = []

    return steps()


def _parts(batch):
    return tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)


def _check_batch(model, batch):
    """Checks one batch of a PyDataset or a generator as `fit` checks arrays; returns its
    size."""
    parts = _parts(batch)
    examples = np.asarray(parts[0])
    received = f"batches of shape {examples.shape} and dtype {examples.dtype}"
    _check_example_spec(model, examples.shape[1:], examples.dtype, "x", received)
    _check_labels(model, parts[1] if len(parts) > 1 else None, len(examples), "x")
    return len(examples)


def _join(model, group):
    """`n_critic` batches of one size as one train-step element, the labels checked."""
    size = len(np.asarray(_parts(group[0])[0]))
    joined = []
    for batch in group:
        parts = _parts(batch)
        examples = np.asarray(parts[0])
        if len(examples) != size:
            _refuse(
                "x",
                f"a batch of {len(examples)} examples after one of {size}",
                "every critic update reads a batch of the same size; only the last batch "
                "may be short",
            )
        labels = _check_labels(model, parts[1] if len(parts) > 1 else None, size, "x")
        joined.append((examples,) if labels is None else (examples, labels))
    # A tuple, (examples,) or (examples, labels): what Keras takes from a generator.
    return tuple(np.concatenate(column) for column in zip(*joined))
