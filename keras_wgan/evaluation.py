"""Sample quality by dataset: the one place that knows which score fits which data.

- toy points: the mean distance of a sample to the nearest real point over that of fresh
  real points (`datasets.nearest_real_distance`, 1 is ideal); for "8gaussians" and
  "25gaussians" also the share of samples within 3 standard deviations of a mode and the
  number of modes covered (`datasets.mode_coverage`);
- "digits": the offline Inception-Score analogue and Frechet distance of a digit
  classifier trained on the real digits (`keras_wgan.digits_score`);
- other image datasets: Inception Score, FID and KID with the Inception network of the
  published numbers against cached reference statistics (`keras_wgan.inception`).
"""

import numpy as np

from keras_wgan import datasets


def as_digits(images):
    """Images in [-1, 1] as the digits classifier takes them: 8x8 (area resize), gray."""
    images = np.asarray(images)
    if images.shape[1:3] != (8, 8):
        import tensorflow as tf

        images = tf.clip_by_value(tf.image.resize(images, (8, 8), method="area"), -1, 1).numpy()
    if images.shape[-1] == 3:
        images = images.mean(axis=-1, keepdims=True)
    return images


def evaluate_samples(samples, dataset, network=None, reference_examples=50_000, splits=10,
                     labels=None, **image_kwargs):
    """Scores generated samples of `dataset`.

    Args:
        samples: generated points [N, 2] or images [N, H, W, C] in [-1, 1].
        dataset: the dataset name the model was trained on.
        network: the Inception network (see `keras_wgan.inception.load_network`).
        reference_examples: real images behind the reference statistics.
        splits: splits of the Inception Score (10, the paper's protocol).
        labels: the classes the samples were generated for (conditional models); on
            digits adds `label_accuracy`, the share the classifier puts in that class.
        **image_kwargs: passed on to the reference statistics (`image_size`, `data_dir`).

    Returns:
        A dict of Python floats, keyed by metric name (see the module docstring):
        `distance_ratio` (toy), `high_quality`, `modes_covered` (toy with modes); `digits_score`, `digits_frechet`,
        `label_accuracy` with `labels` (digits); `inception_score`, `inception_score_std`, `fid`, `kid`, `kid_std` (images).
    """
    datasets.check_name(dataset)
    samples = np.asarray(samples)
    if datasets.is_toy(dataset):
        distance = datasets.nearest_real_distance(samples, dataset)
        scores = {"distance_ratio": distance["distance_ratio"]}
        if dataset != "swissroll":
            cover = datasets.mode_coverage(samples, dataset, n_std=3)
            scores.update(high_quality=float(cover["high_quality"]),
                          modes_covered=float(cover["modes_covered"]))
        return scores
    if dataset == "digits":
        from keras_wgan.digits_score import digits_score

        score = digits_score(as_digits(samples), splits=splits, labels=labels)
        result = {"digits_score": float(score["inception_score"]),
                  "digits_score_std": float(score["inception_score_std"]),
                  "digits_frechet": float(score["frechet_distance"])}
        if labels is not None:
            result["label_accuracy"] = float(score["label_accuracy"])
        return result
    from keras_wgan import inception

    reference = inception.reference_statistics(dataset, reference_examples, network=network,
                                               **image_kwargs)
    scores = inception.image_scores(samples, reference, splits=splits, network=network)
    return {k: float(v) for k, v in scores.items()}
