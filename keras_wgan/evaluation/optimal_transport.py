"""The exact Wasserstein-1 distance between two samples (Python Optimal Transport)."""

import numpy as np

from keras_wgan.evaluation._checks import as_matrix
from keras_wgan.evaluation._pot import ot
from keras_wgan.utils.validation import check_int


def wasserstein_distance(samples_a, samples_b, max_samples=5000):
    """The exact Wasserstein-1 (earth mover's) distance between two empirical distributions.

    W1(P, Q) = min over couplings of E ||x - y||_2, solved as a linear program by POT's
    network simplex (`ot.emd2`, Python Optimal Transport, Flamary et al. 2021) with
    uniform weights on the samples and the Euclidean ground cost. It is what the WGAN
    critic's negative loss estimates (Arjovsky et al. 2017, Gulrajani et al. 2017,
    section 5.3), exact here where the samples are few and low-dimensional (the toy data).

    Args:
        samples_a: array [n, d] (or [n] for 1-D samples).
        samples_b: array [m, d] (or [m]).
        max_samples: refuse sets larger than this (the program has n * m variables).

    Returns:
        A Python float >= 0.

    Example:
    >>> wasserstein_distance([[0.0, 0.0]], [[3.0, 4.0]])
    5.0
    """
    a = np.asarray(samples_a, dtype=np.float64)
    b = np.asarray(samples_b, dtype=np.float64)
    a = a[:, None] if a.ndim == 1 else a
    b = b[:, None] if b.ndim == 1 else b
    a = as_matrix("samples_a", a, min_rows=1)
    b = as_matrix("samples_b", b, min_rows=1)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            "Arguments `samples_a` and `samples_b` must have the same dimension. "
            f"Received: samples_a.shape={a.shape}, samples_b.shape={b.shape}."
        )
    check_int("max_samples", max_samples, 1)
    if max(len(a), len(b)) > max_samples:
        raise ValueError(
            f"Received {len(a)} and {len(b)} samples; at most max_samples="
            f"{max_samples} each (the exact program grows as n * m)."
        )
    cost = ot.dist(a, b, metric="euclidean")
    weights_a = np.full(len(a), 1.0 / len(a))
    weights_b = np.full(len(b), 1.0 / len(b))
    return max(float(ot.emd2(weights_a, weights_b, cost, numItermax=10_000_000)), 0.0)


__all__ = ["wasserstein_distance"]
