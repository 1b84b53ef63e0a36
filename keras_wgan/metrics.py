"""Sample-quality metrics, in float64 NumPy/SciPy.

Images: the Inception Score, Frechet and kernel distances, from a classifier's outputs.
Text: character n-gram Jensen-Shannon divergences and the share of words found in a
corpus (the paper's section 5.5).

Each metric takes precomputed logits or activations (NumPy arrays or eager tensors of any
backend), so it can be checked against closed forms and other implementations without
running any network. The classifier that produces them is up to the caller; see
`keras_wgan.digits_score` for one trained on the embedded digits.
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.special

# The diagonal offset added to both covariances when sqrtm(C_a C_b) is not finite, as is
# usual when the product is singular (fewer samples than features, dead ReLU units).
_FID_OFFSET = 1e-6


def _invalid(arg, value, expected):
    return ValueError(f"Invalid value for argument `{arg}`. Received: {arg}={value}. {expected}")


def _check_int(arg, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise _invalid(arg, repr(value), f"Expected an integer >= {minimum}.")


def _as_matrix(arg, value, min_rows):
    """Converts `value` to a finite float64 array of shape [n, d] with n >= min_rows."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != 2:
        raise _invalid(
            arg,
            f"array of shape {array.shape}",
            "Expected a 2-D array of shape [num_samples, num_features].",
        )
    if array.shape[0] < min_rows or array.shape[1] < 1:
        raise _invalid(
            arg,
            f"array of shape {array.shape}",
            f"Expected at least {min_rows} samples and 1 feature.",
        )
    if not np.all(np.isfinite(array)):
        raise _invalid(arg, f"array of shape {array.shape}", "Expected only finite values.")
    return array


def _check_same_features(a, b):
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            "Arguments `activations_a` and `activations_b` must have the same number of "
            f"features. Received: activations_a.shape={a.shape}, "
            f"activations_b.shape={b.shape}."
        )


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
    _check_int("splits", splits, 1)
    logits = _as_matrix("logits", logits, min_rows=1)
    if splits > len(logits):
        raise _invalid(
            "splits",
            splits,
            f"Expected at most the number of samples ({len(logits)}): every split needs a "
            "sample.",
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
    a = _as_matrix("activations_a", activations_a, min_rows=2)
    b = _as_matrix("activations_b", activations_b, min_rows=2)
    _check_same_features(a, b)
    return frechet_distance_from_statistics(
        a.mean(axis=0), _covariance(a), b.mean(axis=0), _covariance(b))


def statistics(activations):
    """(mean, covariance) of a set of activations, as `frechet_distance` fits them."""
    a = _as_matrix("activations", activations, min_rows=2)
    return a.mean(axis=0), _covariance(a)


def frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b):
    """`frechet_distance` from precomputed means and covariances (see `statistics`).

    For reference statistics of a dataset computed once and cached.
    """
    mean_a, mean_b = np.asarray(mean_a, "float64"), np.asarray(mean_b, "float64")
    cov_a, cov_b = np.asarray(cov_a, "float64"), np.asarray(cov_b, "float64")
    if mean_a.shape != mean_b.shape or cov_a.shape != cov_b.shape or cov_a.shape != mean_a.shape * 2:
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
    _check_int("num_subsets", num_subsets, 1)
    _check_int("max_subset_size", max_subset_size, 2)
    a = _as_matrix("activations_a", activations_a, min_rows=2)
    b = _as_matrix("activations_b", activations_b, min_rows=2)
    _check_same_features(a, b)
    m = min(len(a), len(b), max_subset_size)
    rng = np.random.default_rng(seed)
    estimates = [
        _polynomial_mmd2(
            a[rng.choice(len(a), m, replace=False)], b[rng.choice(len(b), m, replace=False)]
        )
        for _ in range(num_subsets)
    ]
    return float(np.mean(estimates)), float(np.std(estimates))


# --- the exact Wasserstein-1 distance between two samples -------------------------------

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
    import ot

    a = np.asarray(samples_a, dtype=np.float64)
    b = np.asarray(samples_b, dtype=np.float64)
    a = a[:, None] if a.ndim == 1 else a
    b = b[:, None] if b.ndim == 1 else b
    a = _as_matrix("samples_a", a, min_rows=1)
    b = _as_matrix("samples_b", b, min_rows=1)
    if a.shape[1] != b.shape[1]:
        raise ValueError("Arguments `samples_a` and `samples_b` must have the same dimension. "
                         f"Received: samples_a.shape={a.shape}, samples_b.shape={b.shape}.")
    _check_int("max_samples", max_samples, 1)
    if max(len(a), len(b)) > max_samples:
        raise ValueError(f"Received {len(a)} and {len(b)} samples; at most max_samples="
                         f"{max_samples} each (the exact program grows as n * m).")
    cost = ot.dist(a, b, metric="euclidean")
    weights_a = np.full(len(a), 1.0 / len(a))
    weights_b = np.full(len(b), 1.0 / len(b))
    return max(float(ot.emd2(weights_a, weights_b, cost, numItermax=10_000_000)), 0.0)


# --- character n-gram statistics of text (the paper's section 5.5) ---------------------

_PAD_CODE = -1  # fills each sequence to the common length: padding n-grams count too


def _as_code_rows(sequences, length=None):
    """Sequences (strings, or rows of token ids) as an int64 array [N, length] padded
    with `_PAD_CODE`."""
    if isinstance(sequences, np.ndarray) and sequences.ndim == 2 and np.issubdtype(
            sequences.dtype, np.integer):
        return sequences.astype(np.int64)
    sequences = [[ord(c) for c in s] if isinstance(s, str) else list(s) for s in sequences]
    length = length or max((len(s) for s in sequences), default=0)
    rows = np.full((len(sequences), length), _PAD_CODE, np.int64)
    for i, s in enumerate(sequences):
        rows[i, : len(s)] = s[:length]
    return rows


def _ngram_ids(rows_a, rows_b, n):
    """Integer ids of every n-gram of both sets, one id per distinct n-gram."""
    values, inverse = np.unique(np.concatenate([rows_a.ravel(), rows_b.ravel()]),
                                return_inverse=True)
    base = len(values)
    if n * np.log2(max(base, 2)) >= 63:
        raise ValueError(f"Too many distinct symbols ({base}) for {n}-gram ids in 64 bits.")
    dense_a = inverse[: rows_a.size].reshape(rows_a.shape)
    dense_b = inverse[rows_a.size:].reshape(rows_b.shape)

    def ids(dense):
        width = dense.shape[1] - n + 1
        if width < 1:
            return np.zeros(0, np.int64)
        out = np.zeros((dense.shape[0], width), np.int64)
        for j in range(n):
            out = out * base + dense[:, j: j + width]
        return out.ravel()

    return ids(dense_a), ids(dense_b)


def ngram_js_divergence(samples_a, samples_b, n, length=None):
    """Jensen-Shannon divergence, in bits, of the character n-gram models of two sets.

    Gulrajani et al. 2017, section 5.5 (`language_helpers.py` `js_with`): each set's
    n-gram model is its n-gram counts over all its sequences, normalised, with no
    smoothing; the divergence JS(P, Q) = 1/2 KL(P || M) + 1/2 KL(Q || M), M = (P + Q) / 2,
    lies in [0, 1] bits: 0 for the same model, 1 for models with no n-gram in common.
    Sequences are right-padded to a common `length` (default the longest), and the
    n-grams that cover the padding count, as the paper's padded 32-character lines do.

    Args:
        samples_a, samples_b: lists of strings, or int arrays [N, length] of token ids.
        n: the n-gram order, an integer >= 1.
        length: the length sequences are padded (or cut) to; default the longest.

    Returns:
        A Python float in [0, 1].

    Example:
    >>> ngram_js_divergence(["ab", "ba"], ["ba", "ab"], 2)
    0.0
    >>> ngram_js_divergence(["aa"], ["bb"], 1)
    1.0
    """
    _check_int("n", n, 1)
    if length is None and not isinstance(samples_a, np.ndarray):
        length = max((len(s) for s in list(samples_a) + list(samples_b)), default=0)
    rows_a, rows_b = _as_code_rows(samples_a, length), _as_code_rows(samples_b, length)
    ids_a, ids_b = _ngram_ids(rows_a, rows_b, n)
    if not len(ids_a) or not len(ids_b):
        raise ValueError(f"Both sets need at least one {n}-gram: sequences of length >= {n}.")
    support, inverse = np.unique(np.concatenate([ids_a, ids_b]), return_inverse=True)
    p = np.bincount(inverse[: len(ids_a)], minlength=len(support)) / len(ids_a)
    q = np.bincount(inverse[len(ids_a):], minlength=len(support)) / len(ids_b)
    m = (p + q) / 2

    def kl(x):
        keep = x > 0
        return float(np.sum(x[keep] * np.log2(x[keep] / m[keep])))

    return min(max(0.5 * kl(p) + 0.5 * kl(q), 0.0), 1.0)


def _words(line):
    """The line's whitespace-separated words, without surrounding punctuation, case-folded."""
    import string

    words = (w.strip(string.punctuation + "\u201c\u201d\u2018\u2019") for w in line.split())
    return [w.casefold() for w in words if w]


def words_in_corpus(samples, corpus):
    """The share of the samples' words that occur among the corpus's words.

    A word is a whitespace-separated run of characters without its leading and trailing
    punctuation, compared case-folded (so "Value," counts as "value"); the samples and
    the corpus should be cut to the same length, so that words cut at the end occur in
    both.

    Example:
    >>> words_in_corpus(["the cat", "teh dog."], ["The cat and the dog"])
    0.75
    """
    known = {w for line in corpus for w in _words(line)}
    words = [w for s in samples for w in _words(s)]
    if not words:
        return 0.0
    return sum(w in known for w in words) / len(words)


def text_scores(samples, corpus, length=32, orders=(1, 2, 3, 4)):
    """The language model's scores of decoded samples against a corpus's sequences.

    Args:
        samples: strings (cut to `length`).
        corpus: the corpus's sequences (strings, already cut to `length`).
        length: the sequence length both are padded to.
        orders: the n-gram orders.

    Returns:
        {"js1": ..., "js4": ... (`ngram_js_divergence`, bits), "words_in_corpus"}.
    """
    samples = [s[:length] for s in samples]
    scores = {f"js{n}": ngram_js_divergence(samples, corpus, n, length=length) for n in orders}
    scores["words_in_corpus"] = float(words_in_corpus(samples, corpus))
    return scores


__all__ = ["frechet_distance", "inception_score", "kernel_inception_distance",
           "ngram_js_divergence", "text_scores", "wasserstein_distance", "words_in_corpus"]
