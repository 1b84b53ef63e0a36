"""An offline quality score for samples of the embedded 8x8 `digits`.

For scikit-learn's `load_digits()` (1,797 8x8 images, no network needed) a small CNN is
trained once (seeded), cached, and scores samples with its logits and penultimate features
(`keras_wgan.evaluation.classifier`). The numbers are comparable between runs of this
package only, not with published Inception-network scores.
"""

from sklearn.datasets import load_digits

from keras_wgan.evaluation import classifier

# Bump when the architecture or training changes, so old caches are not reused.
_VERSION = 1
_EPOCHS = 20


def _real_digits():
    """All 1,797 real digits as float32 [N, 8, 8, 1] in [-1, 1], and their labels."""
    digits = load_digits()
    images = (digits.images / 8.0 - 1.0).astype("float32")[..., None]
    return images, digits.target.astype("int64")


def _build(seed):
    """The classifier: two convolutions and a dense layer whose output is the features."""
    return classifier.small_cnn(seed, (8, 8, 1), (16, 32), 64, "digits_classifier")


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
        the Fréchet distance, precision, recall, density and coverage).

    Example:
    >>> model = digits_classifier()  # doctest: +SKIP
    >>> sorted(model.predict(np.zeros((2, 8, 8, 1)), verbose=0))  # doctest: +SKIP
    ['features', 'logits']
    """
    return classifier.load_or_train(DIGITS, cache_dir)[0]


def digits_classifier_info(cache_dir=None):
    """What the cache records about the digits classifier, training it if needed.

    Returns:
        A dict with "heldout_accuracy" (on the 25% of the digits not trained on),
        "num_train", "num_heldout", "seed", "epochs" and "version".
    """
    return classifier.classifier_info(DIGITS, cache_dir)


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
        largest softmax probability), and "precision", "recall", "density" and "coverage"
        of the penultimate features against the real digits' with k = 3 neighbours
        (`keras_wgan.evaluation.precision_recall_density_coverage`; NaN, with a warning,
        for 3 images or fewer); "label_accuracy" when `labels` are given.

    Raises:
        ValueError: if `images` has the wrong shape, too few images or values outside
            [-1, 1], or `splits` is not a positive integer.

    Example:
    >>> from sklearn.datasets import load_digits
    >>> real = load_digits().images[..., None] / 8.0 - 1.0
    >>> digits_score(real)["inception_score"] > 9  # doctest: +SKIP
    True
    """
    return classifier.classifier_score(DIGITS, images, cache_dir, splits, labels)


DIGITS = classifier.ClassifierSpec("digits", (8, 8, 1), _VERSION, _EPOCHS, _real_digits, _build)

__all__ = ["DIGITS", "digits_classifier", "digits_classifier_info", "digits_score"]
