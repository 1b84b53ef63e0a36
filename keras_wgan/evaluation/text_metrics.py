"""Character n-gram statistics of text: the paper's section 5.5 scores.

The Jensen-Shannon divergence between the n-gram distributions of samples and of a corpus,
and the share of the samples' words found in the corpus.
"""

import numpy as np

from keras_wgan.utils.validation import check_int

_PAD_CODE = -1  # fills each sequence to the common length: padding n-grams count too


def _as_code_rows(sequences, length=None):
    """Sequences (strings, or rows of token ids) as an int64 array [N, length] padded
    with `_PAD_CODE`."""
    if (
        isinstance(sequences, np.ndarray)
        and sequences.ndim == 2
        and np.issubdtype(sequences.dtype, np.integer)
    ):
        return sequences.astype(np.int64)
    sequences = [[ord(c) for c in s] if isinstance(s, str) else list(s) for s in sequences]
    length = length or max((len(s) for s in sequences), default=0)
    rows = np.full((len(sequences), length), _PAD_CODE, np.int64)
    for i, s in enumerate(sequences):
        rows[i, : len(s)] = s[:length]
    return rows


def _ngram_ids(rows_a, rows_b, n):
    """Integer ids of every n-gram of both sets, one id per distinct n-gram."""
    values, inverse = np.unique(
        np.concatenate([rows_a.ravel(), rows_b.ravel()]), return_inverse=True
    )
    base = len(values)
    if n * np.log2(max(base, 2)) >= 63:
        raise ValueError(f"Too many distinct symbols ({base}) for {n}-gram ids in 64 bits.")
    dense_a = inverse[: rows_a.size].reshape(rows_a.shape)
    dense_b = inverse[rows_a.size :].reshape(rows_b.shape)

    def ids(dense):
        width = dense.shape[1] - n + 1
        if width < 1:
            return np.zeros(0, np.int64)
        out = np.zeros((dense.shape[0], width), np.int64)
        for j in range(n):
            out = out * base + dense[:, j : j + width]
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
    check_int("n", n, 1)
    if length is None and not isinstance(samples_a, np.ndarray):
        length = max((len(s) for s in list(samples_a) + list(samples_b)), default=0)
    rows_a, rows_b = _as_code_rows(samples_a, length), _as_code_rows(samples_b, length)
    ids_a, ids_b = _ngram_ids(rows_a, rows_b, n)
    if not len(ids_a) or not len(ids_b):
        raise ValueError(f"Both sets need at least one {n}-gram: sequences of length >= {n}.")
    support, inverse = np.unique(np.concatenate([ids_a, ids_b]), return_inverse=True)
    p = np.bincount(inverse[: len(ids_a)], minlength=len(support)) / len(ids_a)
    q = np.bincount(inverse[len(ids_a) :], minlength=len(support)) / len(ids_b)
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


__all__ = ["ngram_js_divergence", "text_scores", "words_in_corpus"]
