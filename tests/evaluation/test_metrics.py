import doctest
import importlib
import os

import numpy as np
import pytest
import scipy.linalg
import scipy.special
import scipy.stats
import tensorflow as tf
from helpers import import_tfgan

from keras_wgan.evaluation import frechet_distance, inception_score, kernel_inception_distance
from keras_wgan.evaluation import image_metrics as metrics

# `keras_wgan.evaluation.digits_score` is also the name of a function; take the modules.
digits = importlib.import_module("keras_wgan.evaluation.digits")
classifier = importlib.import_module("keras_wgan.evaluation.classifier")


@pytest.fixture(autouse=True)
def _no_home_cache(tmp_path, monkeypatch):
    # Nothing here may write to the user's ~/.cache.
    monkeypatch.setenv("KERAS_WGAN_CACHE", str(tmp_path / "env_cache"))


# Independent implementations, written from the papers' formulas.


def reference_inception_score(logits, splits):
    """Salimans et al.'s protocol: parts [i*n/k, (i+1)*n/k), KL via scipy.stats.entropy."""
    p = scipy.special.softmax(np.asarray(logits, np.float64), axis=1)
    n = len(p)
    scores = []
    for i in range(splits):
        part = p[i * n // splits : (i + 1) * n // splits]
        p_y = part.mean(axis=0)
        kl = [scipy.stats.entropy(row, p_y) for row in part]
        scores.append(np.exp(np.mean(kl)))
    return np.mean(scores), np.std(scores)


def reference_frechet(a, b):
    """FID with Tr sqrt(Ca Cb) = sum sqrt(eig(sqrt(Ca) Cb sqrt(Ca))), via eigh only."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a.T, ddof=1), np.cov(b.T, ddof=1)
    w, v = scipy.linalg.eigh(cov_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    eig = scipy.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = np.sum(np.sqrt(np.clip(eig, 0, None)))
    return np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt


def reference_mmd2(x, y):
    """Unbiased polynomial-kernel MMD^2 with explicit pair sums."""
    m, d = x.shape

    def k(u, v):
        return (u @ v / d + 1.0) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2 * xy / m**2


def with_moments(rng, n, mean, cov):
    """n samples whose sample mean and unbiased sample covariance are exactly mean, cov."""
    z = rng.standard_normal((n, len(mean)))
    z -= z.mean(0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, ddof=1))).T
    return z @ np.linalg.cholesky(cov).T + mean


def random_spd(rng, d):
    m = rng.standard_normal((d, d))
    return m @ m.T + 0.5 * np.eye(d)


# Inception Score.


@pytest.mark.parametrize("n, splits", [(1000, 10), (300, 1), (120, 4)])
def test_inception_score_matches_scipy(n, splits):
    logits = 3.0 * np.random.default_rng(n).standard_normal((n, 10))
    expected = reference_inception_score(logits, splits)
    np.testing.assert_allclose(inception_score(logits, splits=splits), expected, rtol=1e-10)


@pytest.mark.parametrize("splits", [1, 5])
def test_inception_score_matches_tfgan(splits):
    cm = import_tfgan("eval.classifier_metrics")
    logits = 2.0 * np.random.default_rng(1).standard_normal((500, 7))
    per_split = [
        float(cm.classifier_score_from_logits(tf.constant(part)))
        for part in np.split(logits, splits)
    ]
    mean, std = inception_score(logits, splits=splits)
    np.testing.assert_allclose(mean, np.mean(per_split), rtol=1e-10)
    np.testing.assert_allclose(std, np.std(per_split), rtol=1e-8, atol=1e-12)


def test_inception_score_of_uniform_predictions_is_one():
    # Equal logits in every row: p(y|x) = p(y) = uniform, every KL is 0.
    mean, std = inception_score(np.full((100, 10), 3.7), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)
    # Any prediction shared by all samples gives 1, however confident.
    mean, _ = inception_score(np.tile([[40.0, 0.0, -3.0]], (60, 1)), splits=3)
    assert mean == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("k", [2, 5, 10])
def test_inception_score_of_confident_balanced_predictions_is_num_classes(k):
    # Each split holds every class equally often, so p(y) is uniform and KL = log k.
    labels = np.tile(np.arange(k), 10 * 4)
    logits = 1000.0 * np.eye(k)[labels]
    mean, std = inception_score(logits, splits=4)
    assert mean == pytest.approx(k, rel=1e-12) and std == pytest.approx(0.0, abs=1e-9)


def test_inception_score_is_stable_for_extreme_logits():
    logits = np.random.default_rng(0).standard_normal((200, 10))
    shifted = logits + np.random.default_rng(1).uniform(-1e4, 1e4, size=(200, 1))
    np.testing.assert_allclose(
        inception_score(shifted, splits=4), inception_score(logits, splits=4), rtol=1e-9
    )
    mean, _ = inception_score(1e6 * np.eye(10)[np.arange(200) % 10], splits=2)
    assert mean == pytest.approx(10.0)


def test_inception_score_accepts_tensors_and_uneven_splits():
    logits = np.random.default_rng(2).standard_normal((103, 6)).astype("float32")
    assert inception_score(tf.constant(logits), splits=7) == inception_score(logits, splits=7)
    mean, _ = inception_score(logits, splits=103)  # one sample per split: each scores 1
    assert mean == pytest.approx(1.0)


# Frechet distance.


@pytest.mark.parametrize("n, d", [(400, 5), (2000, 16), (60, 8)])
def test_frechet_distance_matches_scipy_and_tfgan(n, d):
    rng = np.random.default_rng(d)
    a = rng.standard_normal((n, d)) @ rng.standard_normal((d, d))
    b = rng.standard_normal((n + 7, d)) @ rng.standard_normal((d, d)) + 0.3
    expected = reference_frechet(a, b)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)
    cm = import_tfgan("eval.classifier_metrics")
    tfgan = float(cm.frechet_classifier_distance_from_activations(tf.constant(a), tf.constant(b)))
    assert frechet_distance(a, b) == pytest.approx(tfgan, rel=1e-6)


def test_frechet_distance_of_identical_sets_is_zero():
    a = np.random.default_rng(0).standard_normal((300, 12))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(tf.constant(a, tf.float32), a.astype("float32")) < 1e-4


def test_frechet_distance_of_gaussians_has_closed_form():
    rng = np.random.default_rng(3)
    # Diagonal covariances: ||mu_a - mu_b||^2 + sum (sqrt(s_a) - sqrt(s_b))^2.
    mu_a, mu_b = rng.standard_normal(4), rng.standard_normal(4)
    s_a, s_b = rng.uniform(0.1, 3.0, 4), rng.uniform(0.1, 3.0, 4)
    a = with_moments(rng, 500, mu_a, np.diag(s_a))
    b = with_moments(rng, 700, mu_b, np.diag(s_b))
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(s_a) - np.sqrt(s_b)) ** 2)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)
    # General 2x2: a matrix M with eigenvalues >= 0 has Tr sqrt(M) = sqrt(Tr M + 2 sqrt(det M)).
    c_a, c_b = random_spd(rng, 2), random_spd(rng, 2)
    mu = np.array([1.0, -2.0])
    a = with_moments(rng, 300, np.zeros(2), c_a)
    b = with_moments(rng, 300, mu, c_b)
    product = c_a @ c_b
    trace_sqrt = np.sqrt(np.trace(product) + 2 * np.sqrt(np.linalg.det(product)))
    expected = mu @ mu + np.trace(c_a) + np.trace(c_b) - 2 * trace_sqrt
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_handles_singular_covariances():
    rng = np.random.default_rng(4)
    # Fewer samples than features, and dead (all-zero) features as after a ReLU.
    a = np.maximum(rng.standard_normal((10, 32)), 0.0)
    a[:, :8] = 0.0
    b = np.maximum(rng.standard_normal((12, 32)), 0.0)
    b[:, :8] = 0.0
    distance = frechet_distance(a, b)
    assert np.isfinite(distance) and distance >= 0.0
    assert distance == pytest.approx(reference_frechet(a, b), rel=1e-3)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-3)
    # A constant set has zero covariance.
    assert frechet_distance(np.ones((5, 3)), np.zeros((5, 3))) == pytest.approx(3.0)


# Kernel Inception Distance.


def test_kernel_inception_distance_matches_pair_sums_and_tfgan():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((40, 6))
    b = 0.8 * rng.standard_normal((40, 6)) + 0.2
    # One subset of all samples is a permutation of each set, to which MMD^2 is invariant.
    mean, std = kernel_inception_distance(a, b, num_subsets=1, max_subset_size=40)
    assert mean == pytest.approx(reference_mmd2(a, b), rel=1e-10) and std == 0.0
    cm = import_tfgan("eval.classifier_metrics")
    tfgan, _ = cm.kernel_classifier_distance_and_std_from_activations(
        tf.constant(a), tf.constant(b), max_block_size=1024
    )
    assert mean == pytest.approx(float(tfgan), rel=1e-10)


def test_kernel_inception_distance_of_same_and_shifted_sets():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((500, 16))
    mean, std = kernel_inception_distance(a, a, num_subsets=20, max_subset_size=100)
    # Unbiased: near zero (and here slightly negative), far below a shifted set's value.
    assert abs(mean) < 0.05 and std > 0.0
    same_distribution, _ = kernel_inception_distance(
        a, rng.standard_normal((500, 16)), num_subsets=20, max_subset_size=250
    )
    shifted, _ = kernel_inception_distance(a, a + 0.5, num_subsets=20, max_subset_size=100)
    assert abs(same_distribution) < 0.05 < shifted
    further, _ = kernel_inception_distance(a, a + 1.0, num_subsets=20, max_subset_size=100)
    assert further > shifted


def test_kernel_inception_distance_is_seeded():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((200, 4)), rng.standard_normal((150, 4)) + 0.1
    kwargs = dict(num_subsets=5, max_subset_size=50)
    first = kernel_inception_distance(a, b, seed=1, **kwargs)
    assert kernel_inception_distance(a, b, seed=1, **kwargs) == first
    assert kernel_inception_distance(a, b, seed=2, **kwargs) != first
    # Subsets never exceed the smaller set.
    assert kernel_inception_distance(a, b, num_subsets=3, max_subset_size=10_000)[1] >= 0.0


# Argument checks.


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: inception_score(np.zeros(10)), "Expected a 2-D array"),
        (lambda: inception_score(np.zeros((5, 3)), splits=6), "splits=6"),
        (lambda: inception_score(np.zeros((5, 3)), splits=0), "Expected an integer >= 1"),
        (lambda: inception_score(np.zeros((5, 3)), splits=2.0), "splits=2.0"),
        (lambda: inception_score(np.full((5, 3), np.nan)), "finite"),
        (lambda: frechet_distance(np.zeros((5, 3, 1)), np.zeros((5, 3))), "activations_a"),
        (lambda: frechet_distance(np.zeros((5, 3)), np.zeros((5, 4))), "same number of features"),
        (lambda: frechet_distance(np.zeros((5, 3)), np.zeros((1, 3))), "at least 2 samples"),
        (lambda: kernel_inception_distance(np.zeros((5, 3)), np.zeros((5, 2))), "features"),
        (lambda: kernel_inception_distance(np.zeros((1, 3)), np.zeros((5, 3))), "at least 2"),
        (lambda: kernel_inception_distance(np.zeros((5, 3)), np.zeros(5)), "activations_b"),
        (
            lambda: kernel_inception_distance(np.zeros((5, 3)), np.zeros((5, 3)), num_subsets=0),
            "num_subsets=0",
        ),
        (
            lambda: kernel_inception_distance(
                np.zeros((5, 3)), np.zeros((5, 3)), max_subset_size=1
            ),
            "Expected an integer >= 2",
        ),
    ],
)
def test_metrics_reject_invalid_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_metric_docstring_examples_run():
    result = doctest.testmod(metrics)
    assert result.attempted > 0 and result.failed == 0


# The digits score.


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A cache folder holding a classifier trained once for this module."""
    folder = str(tmp_path_factory.mktemp("digits_cache"))
    digits.digits_classifier(folder)
    return folder


@pytest.fixture(scope="module")
def real():
    return digits._real_digits()


def test_classifier_is_accurate_and_gives_logits_and_features(cache, real):
    info = digits.digits_classifier_info(cache)
    assert info["heldout_accuracy"] > 0.93 and info["num_heldout"] >= 400
    outputs = digits.digits_classifier(cache).predict(real[0][:5], verbose=0)
    assert outputs["logits"].shape == (5, 10) and outputs["features"].shape == (5, 64)


def test_real_digits_score_high_and_close_to_themselves(cache, real):
    images, labels = real
    score = digits.digits_score(images, cache_dir=cache)
    assert score["inception_score"] >= 9.0
    assert score["frechet_distance"] == pytest.approx(0.0, abs=1e-6)  # the reference itself
    assert score["precision"] == score["recall"] == score["coverage"] == 1.0
    assert score["density"] == pytest.approx(4 / 3)  # (k + 1) / k for identical sets
    assert score["confidence"] > 0.95
    assert sum(score["class_counts"]) == len(images)
    np.testing.assert_allclose(score["class_counts"], np.bincount(labels), atol=15)

    half = np.random.default_rng(0).permutation(len(images))[: len(images) // 2]
    half_score = digits.digits_score(images[half, :, :, 0], cache_dir=cache)  # [N, 8, 8]
    noise = np.random.default_rng(1).uniform(-1, 1, (len(half), 8, 8, 1))
    noise_score = digits.digits_score(noise, cache_dir=cache)
    assert half_score["inception_score"] >= 9.0
    assert half_score["frechet_distance"] < 0.05 * noise_score["frechet_distance"]
    # Half the real digits are all real (precision 1) but miss some of the real manifold.
    assert half_score["precision"] == 1.0 and 0.8 < half_score["recall"] < 1.0
    assert 0.8 < half_score["coverage"] < 1.0
    assert noise_score["precision"] < 0.1 and noise_score["coverage"] < 0.05


def test_noise_and_one_repeated_digit_score_low(cache, real):
    images, labels = real
    noise = np.random.default_rng(2).uniform(-1, 1, (1000, 8, 8, 1)).astype("float32")
    score = digits.digits_score(noise, cache_dir=cache)
    assert score["inception_score"] < 7.0
    assert score["frechet_distance"] > 10.0
    assert score["precision"] < 0.1 and score["recall"] < 0.05 and score["density"] < 0.1

    one = np.repeat(images[7:8], 500, axis=0)
    score = digits.digits_score(one, cache_dir=cache, splits=5)
    assert score["inception_score"] == pytest.approx(1.0, abs=1e-6)
    assert score["inception_score_std"] == pytest.approx(0.0, abs=1e-6)
    assert score["class_counts"][labels[7]] == 500
    # One real digit, repeated: all real-looking, no diversity. Its zero-radius balls hold
    # only the digit itself.
    assert score["precision"] == 1.0 and score["recall"] == 1 / len(images)
    assert score["coverage"] < 0.01
    assert score["frechet_distance"] > 10.0


def test_classifier_is_cached_not_retrained(cache, monkeypatch):
    model_path = os.path.join(cache, digits.DIGITS.model_file)
    mtime = os.stat(model_path).st_mtime_ns

    def no_training(*args, **kwargs):
        raise AssertionError("the cached classifier was retrained")

    monkeypatch.setattr(classifier, "_train", no_training)
    monkeypatch.setattr(classifier, "_LOADED", {})  # forget the in-memory copy: load from disk
    model = digits.digits_classifier(cache)
    assert classifier._LOADED[model_path][1] is model
    assert digits.digits_classifier(cache) is model  # and keep it in memory afterwards
    # The environment variable names the default folder; the argument wins over it.
    monkeypatch.setenv("KERAS_WGAN_CACHE", cache)
    assert digits.digits_classifier() is model
    monkeypatch.setenv("KERAS_WGAN_CACHE", os.path.join(cache, "elsewhere"))
    assert digits.digits_classifier(cache) is model
    assert os.stat(model_path).st_mtime_ns == mtime
    assert sorted(os.listdir(cache)) == sorted([digits.DIGITS.info_file, digits.DIGITS.model_file])


def test_failed_save_leaves_no_temporary_files(tmp_path):
    class FailingModel:
        def save(self, path):
            with open(path, "w") as f:
                f.write("partial")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        classifier._save(str(tmp_path), FailingModel(), {"heldout_accuracy": 1.0}, digits.DIGITS)
    # The info is in place, the model is not, and nothing half-written remains.
    assert os.listdir(tmp_path) == [digits.DIGITS.info_file]


@pytest.mark.parametrize(
    "images, kwargs, match",
    [
        (np.zeros((10, 64)), {}, r"Expected shape \[num_images, 8, 8, 1\]"),
        (np.zeros((10, 8, 8, 3)), {}, "Expected shape"),
        (np.zeros((10, 16, 16, 1)), {}, "Expected shape"),
        (np.full((20, 8, 8, 1), 16.0), {}, r"in \[-1, 1\]"),
        (np.full((20, 8, 8, 1), np.nan), {}, "finite"),
        (np.zeros((1, 8, 8, 1)), {"splits": 1}, "at least"),
        (np.zeros((5, 8, 8, 1)), {}, "at least max"),
        (np.zeros((20, 8, 8, 1)), {"splits": 0}, "splits=0"),
    ],
)
def test_digits_score_rejects_invalid_images(images, kwargs, match, tmp_path):
    # Checked before any classifier is trained or loaded.
    with pytest.raises(ValueError, match=match):
        digits.digits_score(images, cache_dir=str(tmp_path), **kwargs)
    assert not os.listdir(tmp_path)
