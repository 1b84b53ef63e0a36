"""An offline quality score for samples of the embedded 8x8 `digits`.

The Inception Score and FID (Salimans et al., 2016; Heusel et al., 2017) need a
classifier of the data; for scikit-learn's `load_digits()` (1,797 8x8 images, no
network needed) this module trains a small CNN once, caches it, and scores samples with
its logits and penultimate features. The numbers are comparable between runs of this
package only, not with published Inception-network scores.
"""

import dataclasses
import json
import os
import warnings

import numpy as np

from keras_wgan import metrics
from keras_wgan.utils.files import write_atomically

# Bump when the architecture or training changes, so old caches are not reused.
_VERSION = 1
_SEED = 0
_HOLDOUT = 0.25
_EPOCHS = 20
_BATCH_SIZE = 32
_NUM_CLASSES = 10

# path -> (mtime_ns, model, features of the real digits), so that scoring every epoch
# does not reload the model from disk.
_LOADED = {}


@dataclasses.dataclass(frozen=True)
class ClassifierSpec:
    """What the cached classifier of one dataset is: its data, network and training.

    `keras_wgan.mnist_score` gives the 28x28 MNIST digits their own; the functions of
    this module take one (`spec=`) and default to the digits'.
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


def _cache_dir(cache_dir):
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_WGAN_CACHE") or os.path.join(
            os.path.expanduser("~"), ".cache", "keras_wgan"
        )
    return os.path.abspath(os.fspath(cache_dir))


def _real_digits():
    """All 1,797 real digits as float32 [N, 8, 8, 1] in [-1, 1], and their labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 8.0 - 1.0).astype("float32")[..., None]
    return images, digits.target.astype("int64")


def _build(seed):
    """The classifier: two convolutions and a dense layer whose output is the features."""
    import keras

    def init(offset):
        return keras.initializers.GlorotUniform(seed=seed + offset)

    inputs = keras.Input((8, 8, 1), name="images")
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", kernel_initializer=init(1))(
        inputs
    )
    x = keras.layers.Conv2D(
        32, 3, strides=2, padding="same", activation="relu", kernel_initializer=init(2)
    )(x)
    x = keras.layers.Flatten()(x)
    features = keras.layers.Dense(64, activation="relu", kernel_initializer=init(3), name="features")(x)
    logits = keras.layers.Dense(_NUM_CLASSES, kernel_initializer=init(4), name="logits")(features)
    return keras.Model(inputs, {"logits": logits, "features": features}, name="digits_classifier")


def _train(seed=_SEED, spec=None):
    """Trains the classifier on 75% of the real images; returns (model, info)."""
    import keras
    from sklearn.model_selection import train_test_split

    spec = spec or DIGITS
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


def _save(folder, model, info, spec=None):
    spec = spec or DIGITS
    os.makedirs(folder, exist_ok=True)

    def write_info(path):
        with open(path, "w") as f:
            json.dump(info, f, indent=2)

    # The info first: a model file present implies its info is too.
    write_atomically(os.path.join(folder, spec.info_file), write_info)
    write_atomically(os.path.join(folder, spec.model_file), model.save)


def _load_or_train(cache_dir, spec=None):
    """(model, reference features), trained and cached on first use."""
    import keras

    spec = spec or DIGITS
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
            warnings.warn(f"Could not load the cached {spec.name} classifier {path} ({error}); "
                          "retraining.")
        else:
            reference = _predict(model, spec.real()[0])["features"]
            _LOADED[path] = (mtime, model, reference)
            return model, reference
    model, info = _train(spec=spec)
    _save(folder, model, info, spec)
    reference = _predict(model, spec.real()[0])["features"]
    _LOADED[path] = (os.stat(path).st_mtime_ns, model, reference)
    return model, reference


def digits_classifier(cache_dir=None):
    """The digits classifier, trained on first use and cached as a `.keras` file.

    A two-convolution CNN trained (seeded, a few seconds on CPU) on a stratified 75% of
    scikit-learn's `load_digits()`, scaled to [-1, 1] by x / 8 - 1; the other 25% measures
    its accuracy (see `digits_classifier_info`). The model and a JSON of its accuracy are
    written atomically (a temporary file, then `os.replace`) to the cache folder and loaded
    from there afterwards.

    Args:
        cache_dir: the cache folder. Defaults to None: the environment variable
            `KERAS_WGAN_CACHE` if set, else `~/.cache/keras_wgan`.

    Returns:
        A `keras.Model` taking float32 images [N, 8, 8, 1] in [-1, 1] and returning a dict
        with "logits" [N, 10] and "features" [N, 64] (the penultimate ReLU layer, used for
        the Fréchet distance).

    Example:
    >>> model = digits_classifier()  # doctest: +SKIP
    >>> sorted(model.predict(np.zeros((2, 8, 8, 1)), verbose=0))  # doctest: +SKIP
    ['features', 'logits']
    """
    return _load_or_train(cache_dir)[0]


def classifier_info(spec, cache_dir=None):
    """What the cache records about a dataset's classifier, training it if needed."""
    _load_or_train(cache_dir, spec)
    with open(os.path.join(_cache_dir(cache_dir), spec.info_file)) as f:
        return json.load(f)


def digits_classifier_info(cache_dir=None):
    """What the cache records about the digits classifier, training it if needed.

    Returns:
        A dict with "heldout_accuracy" (on the 25% of the digits not trained on),
        "num_train", "num_heldout", "seed", "epochs" and "version".
    """
    return classifier_info(DIGITS, cache_dir)


def _check_images(images, splits, spec=None):
    spec = spec or DIGITS
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
    """`digits_score` with the classifier of `spec` (a `ClassifierSpec`)."""
    metrics._check_int("splits", splits, 1)
    images = _check_images(images, splits, spec)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer) or (
                labels.min() < 0 or labels.max() >= _NUM_CLASSES):
            raise ValueError(
                f"Invalid value for argument `labels`. Received an array of shape "
                f"{labels.shape} and dtype {labels.dtype}. Expected {len(images)} integers "
                f"in [0, {_NUM_CLASSES}), one per image."
            )
    model, reference = _load_or_train(cache_dir, spec)
    outputs = _predict(model, images)
    logits = outputs["logits"]
    is_mean, is_std = metrics.inception_score(logits, splits=splits)
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    result = {
        "inception_score": is_mean,
        "inception_score_std": is_std,
        "frechet_distance": metrics.frechet_distance(outputs["features"], reference),
        "class_counts": np.bincount(logits.argmax(axis=1), minlength=_NUM_CLASSES).tolist(),
        "confidence": float(probabilities.max(axis=1).mean()),
    }
    if labels is not None:
        result["label_accuracy"] = float(np.mean(logits.argmax(axis=1) == labels))
    return result


def digits_score(images, cache_dir=None, splits=10, labels=None):
    """Scores samples of the `digits` dataset with the cached digits classifier.

    The Inception Score (Salimans et al., 2016, section 4) of the classifier's logits in
    `splits` splits, and the Fréchet distance (Heusel et al., 2017, equation 6) between
    the classifier's penultimate features of `images` and of all 1,797 real digits. Real
    digits score an IS close to 10 and a distance close to 0; scores depend on the number
    of images, so compare runs at equal counts.

    Args:
        images: [N, 8, 8, 1] or [N, 8, 8] images in [-1, 1], N >= max(2, splits).
        cache_dir: the classifier's cache folder (see `digits_classifier`). Defaults to
            None.
        splits: the Inception Score's number of splits. Defaults to 10.
        labels: for samples of a conditional model, the class each image was generated
            for ([N] integers in 0..9); adds "label_accuracy", the share of images the
            classifier assigns to that class. Defaults to None.

    Returns:
        A dict with "inception_score" and "inception_score_std" (mean and standard
        deviation over the splits), "frechet_distance", "class_counts" (a list of the
        number of images predicted as each digit 0..9) and "confidence" (the mean of the
        largest softmax probability); "label_accuracy" when `labels` are given.

    Raises:
        ValueError: if `images` has the wrong shape, too few images or values outside
            [-1, 1], or `splits` is not a positive integer.

    Example:
    >>> from sklearn.datasets import load_digits
    >>> real = load_digits().images[..., None] / 8.0 - 1.0
    >>> digits_score(real)["inception_score"] > 9  # doctest: +SKIP
    True
    """
    return classifier_score(DIGITS, images, cache_dir, splits, labels)


DIGITS = ClassifierSpec("digits", (8, 8, 1), _VERSION, _EPOCHS, _real_digits, _build)
_MODEL_FILE, _INFO_FILE = DIGITS.model_file, DIGITS.info_file


__all__ = ["ClassifierSpec", "classifier_score", "digits_classifier", "digits_classifier_info",
           "digits_score"]
