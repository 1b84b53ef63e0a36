"""An offline quality score for samples of the shipped 28x28 MNIST digits ("mnist").

The same protocol as `keras_wgan.evaluation.digits`, with a classifier of its own: a small
CNN trained once (seeded) on a stratified 75% of the 10,000 shipped digits and cached;
the other 25% measures its accuracy (`mnist_classifier_info`). Samples are scored at
32x32 (the padded digits; 28x28 samples are padded the same way): an Inception-Score
analogue out of 10 from its logits, a Frechet distance in its penultimate features
against all 10,000 real digits, class counts, and label accuracy for conditional models.
The numbers compare runs of this package, not published Inception-network scores.
"""

import numpy as np

from keras_wgan.datasets.mnist import PAD, load_mnist
from keras_wgan.evaluation import classifier

_VERSION = 1
_EPOCHS = 8


def _real_mnist():
    """The 10,000 shipped digits as float32 [N, 32, 32, 1] in [-1, 1], and their labels."""
    images, labels = load_mnist()
    return as_mnist(images[..., None].astype("float32") / 127.5 - 1.0), labels.astype("int64")


def as_mnist(images):
    """Images in [-1, 1] as the MNIST classifier takes them: 32x32 gray (28x28 images are
    padded with background, other sizes resized)."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.shape[-1] == 3:
        images = images.mean(axis=-1, keepdims=True)
    if images.shape[1:3] == (28, 28):
        return np.pad(images, [(0, 0), (PAD, PAD), (PAD, PAD), (0, 0)], constant_values=-1.0)
    if images.shape[1:3] != (32, 32):
        import tensorflow as tf

        images = tf.clip_by_value(tf.image.resize(images, (32, 32), antialias=True), -1, 1).numpy()
    return images


def _build(seed):
    """Three convolutions (two of stride 2) and a dense layer whose output is the features."""
    return classifier.small_cnn(seed, (32, 32, 1), (32, 64, 64), 128, "mnist_classifier")


MNIST = classifier.ClassifierSpec(
    "mnist",
    (32, 32, 1),
    _VERSION,
    _EPOCHS,
    _real_mnist,
    _build,
    value_note="pixels 0..255 scaled by x / 127.5 - 1",
)


def mnist_classifier(cache_dir=None):
    """The MNIST classifier, trained on first use and cached (see `digits_classifier`)."""
    return classifier.load_or_train(MNIST, cache_dir)[0]


def mnist_classifier_info(cache_dir=None):
    """{"heldout_accuracy", "num_train", "num_heldout", "seed", "epochs", "version"}."""
    return classifier.classifier_info(MNIST, cache_dir)


def mnist_score(images, cache_dir=None, splits=10, labels=None):
    """Scores samples of "mnist" as `digits_score` scores digits (same keys).

    Args:
        images: [N, H, W, 1] (or [N, H, W]) images in [-1, 1]: 32x32, or 28x28 (padded).
        cache_dir, splits, labels: as for `keras_wgan.evaluation.digits.digits_score`.
    """
    return classifier.classifier_score(MNIST, as_mnist(images), cache_dir, splits, labels)


__all__ = ["as_mnist", "mnist_classifier", "mnist_classifier_info", "mnist_score"]
