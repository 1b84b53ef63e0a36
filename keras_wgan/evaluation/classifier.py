"""An offline quality score from a small classifier of the data, trained once and cached.

The Inception Score and FID (Salimans et al., 2016; Heusel et al., 2017) need a
classifier of the data. For small datasets that ship with the package (the 8x8 `digits`,
the shipped MNIST) a `ClassifierSpec` names the data, the network and its training; this
module trains that classifier once (seeded), caches it, and scores samples with its logits
and penultimate features (`classifier_score`): the Frechet distance, precision, recall,
density and coverage all compare those features with the real data's. The numbers are comparable between runs of
this package only, not with published Inception-network scores.
"""

import dataclasses
import json
import os
import warnings

import numpy as np

from keras_wgan.evaluation import image_metrics
from keras_wgan.evaluation.precision_recall import sample_scores
from keras_wgan.utils.files import write_atomically
from keras_wgan.utils.validation import check_int

_SEED = 0
_HOLDOUT = 0.25
_BATCH_SIZE = 32
_NUM_CLASSES = 10

# path -> (mtime_ns, model, features of the real digits), so that scoring every epoch
# does not reload the model from disk.
_LOADED = {}


@dataclasses.dataclass(frozen=True)
class ClassifierSpec:
    """What the cached classifier of one dataset is: its data, network and training.

    `keras_wgan.evaluation.digits.DIGITS` and `keras_wgan.evaluation.mnist.MNIST` are the
    two the package ships.
    """

    name: str
    shape: tuple
    version: int
    epochs: int
    real: callable  # () -> (images float32 [N, *shape] in [-1, 1], labels int64 [N])
    build: callable  # (seed) -> keras.Model with outputs {"logits", "features"}
    holdout: float = _HOLDOUT
    value_note: str = "the digits' 0..16 scaled by x / 8 - 1"

    @property
    def model_file(self):
        return f"{self.name}_classifier_v{self.version}.keras"

    @property
    def info_file(self):
        return f"{self.name}_classifier_v{self.version}.json"


def small_cnn(seed, shape, conv_filters, feature_units, name):
    """The network of a `ClassifierSpec`: a small CNN whose penultimate layer is the features.

    3x3 ReLU convolutions with "same" padding, one per entry of `conv_filters` (the first
    of stride 1, the others of stride 2), flattened; a dense ReLU layer of `feature_units`,
    the "features"; a dense layer to the "logits" of the 10 classes. The kernels are Glorot
    uniform seeded `seed + 1`, `seed + 2`, ... in layer order.

    Args:
        seed: the seed of the initialisers.
        shape: the images' shape (H, W, C).
        conv_filters: the channels of each convolution.
        feature_units: the width of the features layer.
        name: the model's name.

    Returns:
        A `keras.Model` from images `shape` to a dict with "logits" [N, 10] and
        "features" [N, feature_units].

    Example:
    >>> model = small_cnn(0, (8, 8, 1), (4, 8), 16, "tiny")
    >>> model.output["features"].shape, model.output["logits"].shape
    ((None, 16), (None, 10))
    """
    import keras

    def init(offset):
        return keras.initializers.GlorotUniform(seed=seed + offset)

    inputs = keras.Input(shape, name="images")
    x = inputs
    for i, filters in enumerate(conv_filters):
        x = keras.layers.Conv2D(
            filters,
            3,
            strides=1 if i == 0 else 2,
            padding="same",
            activation="relu",
            kernel_initializer=init(i + 1),
        )(x)
    x = keras.layers.Flatten()(x)
    offset = len(conv_filters)
    features = keras.layers.Dense(
        feature_units, activation="relu", kernel_initializer=init(offset + 1), name="features"
    )(x)
    logits = keras.layers.Dense(_NUM_CLASSES, kernel_initializer=init(offset + 2), name="logits")(
        features
    )
    return keras.Model(inputs, {"logits": logits, "features": features}, name=name)


def _cache_dir(cache_dir):
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_WGAN_CACHE") or os.path.join(
            os.path.expanduser("~"), ".cache", "keras_wgan"
        )
    return os.path.abspath(os.fspath(cache_dir))


def _train(spec, seed=_SEED):
    """Trains the classifier on 75% of the real images; returns (model, info)."""
    import keras
    from sklearn.model_selection import train_test_split

    images, labels = spec.real()
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=spec.holdout, stratify=labels, random_state=seed
    )
    model = spec.build(seed)
    trainer = keras.Model(model.input, model.output["logits"])
    trainer.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    # One seeded permutation per epoch, fed in order, keeps training reproducible
    # without touching any global random state.
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(x_train)) for _ in range(spec.epochs)])
    trainer.fit(x_train[order], y_train[order], batch_size=_BATCH_SIZE, shuffle=False, verbose=0)
    predicted = _predict(model, x_test)["logits"].argmax(axis=1)
    info = {
        "version": spec.version,
        "heldout_accuracy": float(np.mean(predicted == y_test)),
        "num_train": int(len(x_train)),
        "num_heldout": int(len(x_test)),
        "seed": seed,
        "epochs": spec.epochs,
    }
    return model, info


def _predict(model, images):
    outputs = model.predict(images, batch_size=512, verbose=0)
    return {name: np.asarray(value, dtype=np.float64) for name, value in outputs.items()}


def _save(folder, model, info, spec):
    os.makedirs(folder, exist_ok=True)

    def write_info(path):
        with open(path, "w") as f:
            json.dump(info, f, indent=2)

    # The info first: a model file present implies its info is too.
    write_atomically(os.path.join(folder, spec.info_file), write_info)
    write_atomically(os.path.join(folder, spec.model_file), model.save)


def load_or_train(spec, cache_dir=None):
    """(model, reference features) of the classifier of `spec`, trained and cached on first
    use (the cache folder: `cache_dir`, else `KERAS_WGAN_CACHE`, else
    `~/.cache/keras_wgan`)."""
    import keras

    folder = _cache_dir(cache_dir)
    path = os.path.join(folder, spec.model_file)
    if os.path.exists(path) and os.path.exists(os.path.join(folder, spec.info_file)):
        mtime = os.stat(path).st_mtime_ns
        cached = _LOADED.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1], cached[2]
        try:
            model = keras.saving.load_model(path, compile=False)
        except Exception as error:  # an unreadable cache is rebuilt, not fatal
            warnings.warn(
                f"Could not load the cached {spec.name} classifier {path} ({error}); retraining.",
                stacklevel=2,
            )
        else:
            reference = _predict(model, spec.real()[0])["features"]
            _LOADED[path] = (mtime, model, reference)
            return model, reference
    model, info = _train(spec)
    _save(folder, model, info, spec)
    reference = _predict(model, spec.real()[0])["features"]
    _LOADED[path] = (os.stat(path).st_mtime_ns, model, reference)
    return model, reference


def classifier_info(spec, cache_dir=None):
    """What the cache records about a dataset's classifier, training it if needed."""
    load_or_train(spec, cache_dir)
    with open(os.path.join(_cache_dir(cache_dir), spec.info_file)) as f:
        return json.load(f)


def _check_images(images, splits, spec):
    array = np.asarray(images, dtype=np.float32)
    if array.ndim == 3:
        array = array[..., None]
    received = f"array of shape {np.shape(images)}"
    if array.ndim != 4 or array.shape[1:] != tuple(spec.shape):
        side = spec.shape[0]
        raise ValueError(
            f"Invalid value for argument `images`. Received: images={received}. "
            f"Expected shape [num_images, {side}, {side}, 1] or [num_images, {side}, {side}]."
        )
    if len(array) < max(2, splits):
        raise ValueError(
            f"Invalid value for argument `images`. Received: images={received}. "
            f"Expected at least max(2, splits)={max(2, splits)} images."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"Invalid value for argument `images`. Received: images={received} with "
            "non-finite values. Expected finite values in [-1, 1]."
        )
    if array.min() < -1.0 - 1e-5 or array.max() > 1.0 + 1e-5:
        raise ValueError(
            f"Invalid value for argument `images`. Received: images={received} with values "
            f"in [{array.min()}, {array.max()}]. Expected values in [-1, 1] ({spec.value_note})."
        )
    return np.clip(array, -1.0, 1.0)


def classifier_score(spec, images, cache_dir=None, splits=10, labels=None):
    """Scores images with the classifier of `spec` (a `ClassifierSpec`).

    See `keras_wgan.evaluation.digits.digits_score` for what each number is.
    """
    check_int("splits", splits, 1)
    images = _check_images(images, splits, spec)
    if labels is not None:
        labels = np.asarray(labels)
        if (
            labels.shape != (len(images),)
            or not np.issubdtype(labels.dtype, np.integer)
            or (labels.min() < 0 or labels.max() >= _NUM_CLASSES)
        ):
            raise ValueError(
                f"Invalid value for argument `labels`. Received an array of shape "
                f"{labels.shape} and dtype {labels.dtype}. Expected {len(images)} integers "
                f"in [0, {_NUM_CLASSES}), one per image."
            )
    model, reference = load_or_train(spec, cache_dir)
    outputs = _predict(model, images)
    logits = outputs["logits"]
    is_mean, is_std = image_metrics.inception_score(logits, splits=splits)
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    result = {
        "inception_score": is_mean,
        "inception_score_std": is_std,
        "frechet_distance": image_metrics.frechet_distance(outputs["features"], reference),
        "class_counts": np.bincount(logits.argmax(axis=1), minlength=_NUM_CLASSES).tolist(),
        "confidence": float(probabilities.max(axis=1).mean()),
        **sample_scores(reference, outputs["features"]),
    }
    if labels is not None:
        result["label_accuracy"] = float(np.mean(logits.argmax(axis=1) == labels))
    return result


__all__ = [
    "ClassifierSpec",
    "classifier_info",
    "classifier_score",
    "load_or_train",
    "small_cnn",
]
