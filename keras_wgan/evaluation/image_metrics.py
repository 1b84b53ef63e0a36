"""Image-quality metrics from a classifier's outputs, in float64 NumPy/SciPy.

The Inception Score, the Frechet and the kernel distances.

Each metric takes precomputed logits or activations (NumPy arrays or eager tensors of any
backend), so it can be checked against closed forms and other implementations without
running any network. The classifier that produces them is up to the caller; see
`keras_wgan.evaluation.digits` for one trained on the embedded digits.
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.special

from keras_wgan.evaluation._checks import as_matrix, check_same_features, invalid
from keras_wgan.utils.validation import check_int

# The diagonal offset added to both covariances when sqrtm(C_a C_b) is not finite, as is
# usual when the product is singular (fewer samples than features, dead ReLU units).
_FID_OFFSET = 1e-6


def _log_score(log_p):
    """log IS of one split: E_x KL(p(y|x) || p(y)), with p(y) the split's mean prediction."""
    # log p(y) = log mean_x p(y|x), via logsumexp so that it never takes log(0).
    log_py = scipy.special.logsumexp(log_p, axis=0) - np.log(len(log_p))
    kl = np.sum(np.exp(log_p) * (log_p - log_py), axis=1)
    return float(np.mean(kl))


def inception_score(logits, splits=10):
    """The Inception Score of a set of samples, from a classifier's logits.

    Salimans et al., 2016, "Improved Techniques for Training GANs", section 4
    (https://arxiv.org/abs/1606.03498):

        IS = exp(E_x KL(p(y|x) || p(y))),  p(y) = E_x p(y|x),

    with p(y|x) = softmax(logits). As in the paper's protocol (50,000 samples in 10
    splits), the samples are cut into `splits` contiguous, near-equal parts, the score is
    computed on each part with its own p(y), and the mean and standard deviation over the
    parts are returned. The score lies in [1, num_classes]: 1 when every sample gets the
    same prediction, num_classes when predictions are confident and classes balanced.

    Args:
        logits: array of shape [num_samples, num_classes] (unnormalised log-probabilities;
            a numerically stable log-softmax is applied).
        splits: number of parts, an integer in [1, num_samples]. Defaults to 10.

    Returns:
        (mean, std): Python floats, the mean and (population) standard deviation of the
        per-split scores; std is 0.0 when `splits` is 1.

    Raises:
        ValueError: if `logits` is not a finite 2-D array, or `splits` is not an integer
            between 1 and the number of samples.

    Example:
    >>> import numpy as np
    >>> logits = 50.0 * np.eye(4)[np.arange(40) % 4]  # confident, balanced over 4 classes
    >>> mean, std = inception_score(logits, splits=2)
    >>> round(mean, 6), round(std, 6)
    (4.0, 0.0)
    """
    check_int("splits", splits, 1)
    logits = as_matrix("logits", logits, min_rows=1)
    if splits > len(logits):
        raise invalid(
            "splits",
            splits,
            f"Expected at most the number of samples ({len(logits)}): every split needs a sample.",
        )
    log_p = scipy.special.log_softmax(logits, axis=1)
    scores = np.exp([_log_score(part) for part in np.array_split(log_p, splits)])
    return float(np.mean(scores)), float(np.std(scores))


def _covariance(activations):
    return np.atleast_2d(np.cov(activations, rowvar=False))


def _trace_sqrt_product(cov_a, cov_b):
    """Tr(sqrtm(C_a C_b)), or None if sqrtm fails to give a (nearly) real, finite result."""
    with warnings.catch_warnings():
        # sqrtm warns on singular input; the result is checked below instead.
        warnings.simplefilter("ignore")
        root = scipy.linalg.sqrtm(cov_a @ cov_b)
    if not np.all(np.isfinite(root)):
        return None
    if np.iscomplexobj(root):
        # C_a C_b has real, non-negative eigenvalues, so its square root is real up to
        # round-off; a large imaginary part means sqrtm went wrong.
        scale = max(1.0, float(np.abs(np.trace(root.real))))
        if np.max(np.abs(np.diag(root.imag))) > 1e-3 * scale:
            return None
        root = root.real
    return float(np.trace(root))


def frechet_distance(activations_a, activations_b):
    """The Fréchet distance between Gaussians fitted to two sets of activations (FID).

    Heusel et al., 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a
    Local Nash Equilibrium", equation 6 (https://arxiv.org/abs/1706.08500):

        d^2 = ||mu_a - mu_b||^2 + Tr(C_a + C_b - 2 sqrtm(C_a C_b)),

    with mu and C the sample mean and unbiased sample covariance of each set. The matrix
    square root is `scipy.linalg.sqrtm`; imaginary parts from round-off are discarded,
    and when the product is singular and sqrtm fails, a small offset (1e-6) is added to
    both diagonals. The estimate is biased upwards for small sample sizes, so compare
    distances only at equal sample sizes.

    Args:
        activations_a: array of shape [num_samples_a, num_features], num_samples_a >= 2.
        activations_b: array of shape [num_samples_b, num_features], num_samples_b >= 2.

    Returns:
        The squared Fréchet distance, a non-negative Python float.

    Raises:
        ValueError: if an input is not a finite 2-D array with at least 2 samples, if the
            feature dimensions differ, or if no real square root can be found.

    Example:
    >>> import numpy as np
    >>> a = np.random.default_rng(0).normal(size=(500, 3))
    >>> round(frechet_distance(a, a + [1.0, 0.0, 0.0]), 6)  # a shift of the mean by 1
    1.0
    """
    a = as_matrix("activations_a", activations_a, min_rows=2)
    b = as_matrix("activations_b", activations_b, min_rows=2)
    check_same_features(a, b)
    return frechet_distance_from_statistics(
        a.mean(axis=0), _covariance(a), b.mean(axis=0), _covariance(b)
    )


def statistics(activations):
    """(mean, covariance) of a set of activations, as `frechet_distance` fits them."""
    a = as_matrix("activations", activations, min_rows=2)
    return a.mean(axis=0), _covariance(a)


def frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b):
    """`frechet_distance` from precomputed means and covariances (see `statistics`).

    For reference statistics of a dataset computed once and cached.
    """
    mean_a, mean_b = np.asarray(mean_a, "float64"), np.asarray(mean_b, "float64")
    cov_a, cov_b = np.asarray(cov_a, "float64"), np.asarray(cov_b, "float64")
    if (
        mean_a.shape != mean_b.shape
        or cov_a.shape != cov_b.shape
        or cov_a.shape != mean_a.shape * 2
    ):
        raise ValueError(
            f"The statistics do not match: means {mean_a.shape} and {mean_b.shape}, "
            f"covariances {cov_a.shape} and {cov_b.shape}."
        )
    mean_term = float(np.sum((mean_a - mean_b) ** 2))
    trace_sqrt = _trace_sqrt_product(cov_a, cov_b)
    if trace_sqrt is None:
        offset = _FID_OFFSET * np.eye(len(cov_a))
        trace_sqrt = _trace_sqrt_product(cov_a + offset, cov_b + offset)
    if trace_sqrt is None:
        raise ValueError(
            "Could not compute the matrix square root of the product of the two "
            "covariances, even with a diagonal offset of "
            f"{_FID_OFFSET}, for {len(mean_a)} features."
        )
    distance = mean_term + float(np.trace(cov_a) + np.trace(cov_b)) - 2.0 * trace_sqrt
    # Round-off can push a distance of zero slightly below it.
    return max(distance, 0.0)


def _cubic_kernel(x, y):
    """The matrix of k(x_i, y_j) = (x_i.y_j / d + 1)^3, computed in place."""
    k = x @ y.T
    k /= x.shape[1]
    k += 1.0
    cube = k * k
    cube *= k
    return cube


def _polynomial_mmd2(x, y):
    """Unbiased MMD^2 of two equal-size sets under k(x, y) = (x.y / d + 1)^3."""
    m = len(x)
    k_xx, k_yy, k_xy = _cubic_kernel(x, x), _cubic_kernel(y, y), _cubic_kernel(x, y)
    # Within-set sums leave out the diagonal k(x_i, x_i), which makes the estimate unbiased.
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.mean())


def kernel_inception_distance(
    activations_a, activations_b, num_subsets=100, max_subset_size=1000, seed=0
):
    """The Kernel Inception Distance (KID) between two sets of activations.

    Binkowski et al., 2018, "Demystifying MMD GANs", section 5
    (https://arxiv.org/abs/1801.01401): the unbiased estimate of the squared maximum
    mean discrepancy under the cubic polynomial kernel

        k(x, y) = (x.y / d + 1)^3,   d = num_features,

        MMD^2 = sum_{i!=j} k(a_i, a_j) / (m (m-1)) + sum_{i!=j} k(b_i, b_j) / (m (m-1))
                - 2 sum_{i,j} k(a_i, b_j) / m^2,

    averaged, as in the paper's protocol, over `num_subsets` random subsets of
    m = min(num_samples_a, num_samples_b, max_subset_size) samples drawn without
    replacement from each set. Being unbiased, it can be slightly negative when the sets
    come from one distribution.

    Args:
        activations_a: array of shape [num_samples_a, num_features], num_samples_a >= 2.
        activations_b: array of shape [num_samples_b, num_features], num_samples_b >= 2.
        num_subsets: number of subsets, an integer >= 1. Defaults to 100.
        max_subset_size: largest subset size, an integer >= 2. Defaults to 1000.
        seed: seed of the NumPy generator that draws the subsets. Defaults to 0.

    Returns:
        (mean, std): Python floats, the mean and (population) standard deviation of the
        per-subset estimates.

    Raises:
        ValueError: if an input is not a finite 2-D array with at least 2 samples, if the
            feature dimensions differ, or if `num_subsets` or `max_subset_size` is invalid.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(200, 8)), rng.normal(size=(200, 8))
    >>> same, _ = kernel_inception_distance(a, b, num_subsets=10, max_subset_size=100)
    >>> shifted, _ = kernel_inception_distance(a, b + 1.0, num_subsets=10, max_subset_size=100)
    >>> abs(same) < 0.1 < shifted
    True
    """
    check_int("num_subsets", num_subsets, 1)
    check_int("max_subset_size", max_subset_size, 2)
    a = as_matrix("activations_a", activations_a, min_rows=2)
    b = as_matrix("activations_b", activations_b, min_rows=2)
    check_same_features(a, b)
    m = min(len(a), len(b), max_subset_size)
    rng = np.random.default_rng(seed)
    estimates = [
        _polynomial_mmd2(
            a[rng.choice(len(a), m, replace=False)], b[rng.choice(len(b), m, replace=False)]
        )
        for _ in range(num_subsets)
    ]
    return float(np.mean(estimates)), float(np.std(estimates))


__all__ = [
    "frechet_distance",
    "frechet_distance_from_statistics",
    "inception_score",
    "kernel_inception_distance",
    "statistics",
]
