"""Sample quality by dataset: the scores of each kind of data, chosen by the dataset's name.

- toy points: the mean distance of a sample to the nearest real point over that of fresh
  real points (`toy.nearest_real_distance`, 1 is ideal); for "8gaussians" and
  "25gaussians" also the share of samples within 3 standard deviations of a mode and the
  number of modes covered (`toy.mode_coverage`); optionally the exact W1 distance;
- "digits", "mnist": the offline Inception-Score analogue and Frechet distance of a small
  classifier trained on the real digits (`digits`, `mnist`);
- other image datasets: Inception Score, FID and KID with the Inception network of the
  published numbers against cached reference statistics (`inception`);
- on both kinds of images and on one's own data, also precision, recall, density and
  coverage (`precision_recall`) of the features the Frechet distance uses;
- text: the character n-gram Jensen-Shannon divergences js1..js4 (bits) to the corpus
  and the share of words found in it (`text_metrics.text_scores`);
- one's own data, given in place of the name: the Frechet and kernel distances of
  features, and the exact W1 distance of low-dimensional data (`reference.Reference`).
"""

import numpy as np
import tensorflow as tf

from keras_wgan import datasets
from keras_wgan.datasets.toy import sample_toy
from keras_wgan.evaluation import inception
from keras_wgan.evaluation.digits import digits_score
from keras_wgan.evaluation.mnist import mnist_score
from keras_wgan.evaluation.optimal_transport import wasserstein_distance
from keras_wgan.evaluation.precision_recall import SCORE_NAMES
from keras_wgan.evaluation.reference import Reference
from keras_wgan.evaluation.text import text_reference
from keras_wgan.evaluation.text_metrics import text_scores
from keras_wgan.evaluation.toy import mode_coverage, nearest_real_distance

#: The image datasets with an offline classifier score, and the prefix of its metrics.
OFFLINE_SCORES = {"digits": "digits", "mnist": "mnist", "mnist-full": "mnist"}


def as_digits(images):
    """Images in [-1, 1] as the digits classifier takes them: 8x8 (area resize), gray."""
    images = np.asarray(images)
    if images.shape[1:3] != (8, 8):
        images = tf.clip_by_value(tf.image.resize(images, (8, 8), method="area"), -1, 1).numpy()
    if images.shape[-1] == 3:
        images = images.mean(axis=-1, keepdims=True)
    return images


def offline_score(dataset, images, splits=10, labels=None):
    """The offline classifier score of images of "digits" (8x8) or MNIST (32x32)."""
    if dataset == "digits":
        return digits_score(as_digits(images), splits=splits, labels=labels)
    return mnist_score(images, splits=splits, labels=labels)


def point_scores(samples, dataset, wasserstein=False, wasserstein_samples=2000):
    """`distance_ratio`, and `high_quality`, `modes_covered` (the mixtures); with
    `wasserstein=True` also the exact W1 distance (`wasserstein_distance`) between
    `wasserstein_samples` of the samples and as many fresh real points."""
    samples = np.asarray(samples)
    scores = {"distance_ratio": nearest_real_distance(samples, dataset)["distance_ratio"]}
    if wasserstein:
        n = min(len(samples), wasserstein_samples)
        real = sample_toy(dataset, n, rng=12345)
        scores["wasserstein_distance"] = wasserstein_distance(samples[:n], real)
    if dataset != "swissroll":
        cover = mode_coverage(samples, dataset, n_std=3)
        scores.update(
            high_quality=float(cover["high_quality"]), modes_covered=float(cover["modes_covered"])
        )
    return scores


def image_scores(
    samples,
    dataset,
    network=None,
    reference_examples=50_000,
    splits=10,
    labels=None,
    **image_kwargs,
):
    """The offline classifier's scores (digits, MNIST) or IS/FID/KID (other images)."""
    samples = np.asarray(samples)
    if dataset in OFFLINE_SCORES:
        prefix = OFFLINE_SCORES[dataset]
        score = offline_score(dataset, samples, splits=splits, labels=labels)
        result = {
            f"{prefix}_score": float(score["inception_score"]),
            f"{prefix}_score_std": float(score["inception_score_std"]),
            f"{prefix}_frechet": float(score["frechet_distance"]),
            **{name: float(score[name]) for name in SCORE_NAMES},
        }
        if labels is not None:
            result["label_accuracy"] = float(score["label_accuracy"])
        return result
    reference = inception.reference_statistics(
        dataset, reference_examples, network=network, **image_kwargs
    )
    scores = inception.image_scores(samples, reference, splits=splits, network=network)
    return {k: float(v) for k, v in scores.items()}


def corpus_scores(samples, dataset, data_dir=None):
    """js1..js4 (bits) of the samples' n-gram models against the corpus's, and
    `words_in_corpus`. `samples`: decoded strings."""
    return text_scores(samples, text_reference(dataset, data_dir=data_dir)["lines"])


def evaluate_samples(samples, dataset, **kwargs):
    """Scores generated samples of `dataset`.

    Args:
        samples: generated points [N, 2], images [N, H, W, C] in [-1, 1], or decoded
            strings (text).
        dataset: the dataset name the model was trained on; or reference data of one's
            own (an array of examples, a `tf.data.Dataset`, lines of text; see
            `keras_wgan.evaluation.reference.Reference`, whose arguments `features`,
            `max_examples`, `wasserstein`, ... `kwargs` then holds), or a `Reference`.
        **kwargs: for points, `wasserstein` (add the exact W1 distance) and
            `wasserstein_samples`; for images, `network` (the Inception network, see
            `keras_wgan.evaluation.inception.load_network`), `reference_examples`, `splits`
            (10, the paper's protocol), `labels` (the classes a conditional model generated
            for: on digits and MNIST adds `label_accuracy`), `image_size`, `data_dir`; for
            text, `data_dir`.

    Returns:
        A dict of Python floats, keyed by metric name (see the module docstring):
        `distance_ratio` (toy), `high_quality`, `modes_covered` (toy with modes);
        `digits_score`, `digits_score_std`, `digits_frechet`, `label_accuracy` with
        `labels` (digits; `mnist_...` on MNIST); `inception_score`,
        `inception_score_std`, `fid`, `kid`, `kid_std` (images); `js1` ... `js4`,
        `words_in_corpus` (text); `frechet_distance`, `kernel_distance`,
        `kernel_distance_std` and, for low-dimensional data, `wasserstein_distance`
        (reference data). Images and reference data also get `precision`, `recall`,
        `density` and `coverage` of the same features as the Frechet distance, with k = 3
        neighbours (`keras_wgan.evaluation.precision_recall_density_coverage`; NaN, with
        a warning, for 3 samples or fewer).

    Raises:
        ValueError: for an unknown dataset name (the message lists those that exist).

    Example:
    >>> import numpy as np
    >>> points = sample_toy("8gaussians", 500, rng=0)
    >>> evaluate_samples(points, "8gaussians")["modes_covered"]
    8.0
    >>> sorted(evaluate_samples(points[:200], sample_toy("8gaussians", 200, rng=1)))
    ['coverage', 'density', 'frechet_distance', 'kernel_distance', 'kernel_distance_std',
     'precision', 'recall', 'wasserstein_distance']
    """
    if isinstance(dataset, Reference):
        return dataset.scores(samples)
    if not isinstance(dataset, str):
        return Reference(dataset, arg="dataset", **kwargs).scores(samples)
    kind = datasets.kind(dataset)
    if kind == "points":
        return point_scores(samples, dataset, **kwargs)
    if kind == "images":
        return image_scores(samples, dataset, **kwargs)
    return corpus_scores(samples, dataset, **kwargs)
