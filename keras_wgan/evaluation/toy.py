"""Scores of generated 2-D points against the paper's toy distributions.

`nearest_real_distance` for any toy dataset, `mode_coverage` for the Gaussian mixtures
("high quality" and "modes covered", VEEGAN's criteria).
"""

import numpy as np
from scipy.spatial import cKDTree

from keras_wgan.datasets.toy import modes, sample_toy


def mode_coverage(samples, name, n_std=3.0, min_share=0.2):
    """How well samples cover the modes of "8gaussians" or "25gaussians".

    A sample is of high quality if it lies within `n_std` standard deviations of its
    nearest centre; a mode is covered if it holds at least `min_share` of the high-quality
    samples it would get under the real, uniform mixture.

    Returns:
        A dict with "modes_covered", "num_modes" and "high_quality" (the fraction of
        samples within `n_std` of a centre).
    """
    centres, std = modes(name)
    samples = np.asarray(samples, dtype="float64")
    dist = np.linalg.norm(samples[:, None, :] - centres[None], axis=-1)
    nearest = dist.argmin(axis=1)
    good = dist.min(axis=1) <= n_std * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    expected = len(samples) / len(centres)
    return {
        "modes_covered": int((counts >= min_share * expected).sum()),
        "num_modes": len(centres),
        "high_quality": float(good.mean()) if len(samples) else 0.0,
    }


def nearest_real_distance(samples, name, num_reference=100_000, seed=0):
    """Mean distance from each sample to its nearest point of a large real sample.

    A score for any toy dataset, the Swiss roll included (it has no modes to count): a
    generator whose points lie on the data's support gets the value that fresh real points
    get (`real_to_real`, measured on as many real points as there are samples), one that
    scatters them off it gets more.

    Args:
        samples: generated points [N, 2].
        name: the toy dataset.
        num_reference: real points the distances are measured to. Default 100,000.
        seed: seeds the reference and the fresh real points.

    Returns:
        A dict with "fake_to_real", "real_to_real" and their ratio "distance_ratio"
        (1 for samples as close to the data as real points are).
    """
    samples = np.asarray(samples, dtype="float64")
    if samples.ndim != 2 or samples.shape[1] != 2 or not len(samples):
        raise ValueError(
            f"Invalid value for argument `samples`. Received shape {samples.shape}. "
            "Expected [N, 2] with N >= 1."
        )
    tree = cKDTree(sample_toy(name, num_reference, rng=np.random.default_rng([seed, 0])))
    fake = float(tree.query(samples)[0].mean())
    real = float(
        tree.query(sample_toy(name, len(samples), rng=np.random.default_rng([seed, 1])))[0].mean()
    )
    return {"fake_to_real": fake, "real_to_real": real, "distance_ratio": fake / real}
