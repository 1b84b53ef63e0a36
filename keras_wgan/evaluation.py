"""Sample quality by dataset: each kind of data scores its own (`keras_wgan.modalities`).

- toy points: the mean distance of a sample to the nearest real point over that of fresh
  real points (`datasets.nearest_real_distance`, 1 is ideal); for "8gaussians" and
  "25gaussians" also the share of samples within 3 standard deviations of a mode and the
  number of modes covered (`datasets.mode_coverage`);
- "digits": the offline Inception-Score analogue and Frechet distance of a digit
  classifier trained on the real digits (`keras_wgan.digits_score`);
- other image datasets: Inception Score, FID and KID with the Inception network of the
  published numbers against cached reference statistics (`keras_wgan.inception`);
- text: the character n-gram Jensen-Shannon divergences js1..js4 (bits) to the corpus
  and the share of words found in it (`keras_wgan.metrics.text_scores`).
"""

from keras_wgan import modalities
from keras_wgan.modalities import as_digits  # noqa: F401  (kept importable here)


def evaluate_samples(samples, dataset, **kwargs):
    """Scores generated samples of `dataset`.

    Args:
        samples: generated points [N, 2], images [N, H, W, C] in [-1, 1], or decoded
            strings (text).
        dataset: the dataset name the model was trained on.
        **kwargs: for images, `network` (the Inception network, see
            `keras_wgan.inception.load_network`), `reference_examples`, `splits` (10, the
            paper's protocol), `labels` (the classes a conditional model generated for: on
            digits adds `label_accuracy`), `image_size`, `data_dir`; for text, `data_dir`.

    Returns:
        A dict of Python floats, keyed by metric name (see the module docstring):
        `distance_ratio` (toy), `high_quality`, `modes_covered` (toy with modes);
        `digits_score`, `digits_frechet`, `label_accuracy` with `labels` (digits);
        `inception_score`, `inception_score_std`, `fid`, `kid`, `kid_std` (images);
        `js1` ... `js4`, `words_in_corpus` (text).
    """
    return modalities.for_dataset(dataset).scores(samples, dataset, **kwargs)
