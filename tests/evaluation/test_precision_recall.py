"""Improved precision and recall, density and coverage (`keras_wgan.evaluation.precision_recall`):
hand-computed cases, the identities of equal and disjoint sets, an independent brute-force
implementation of the papers' formulas, chunking, ties and the argument checks."""

import doctest
import importlib
import tracemalloc

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from keras_wgan.evaluation import precision_recall_density_coverage as scores

# `keras_wgan.evaluation.precision_recall` would not name the module: take it by path.
module = importlib.import_module("keras_wgan.evaluation.precision_recall")


def brute_force(real, fake, k):
    """Kynkaanniemi et al.'s (2019) precision and recall and Naeem et al.'s (2020) density
    and coverage from scipy's distance matrices: a ball reaches the k-th nearest other
    point, and "<=" is inside."""
    within_real, within_fake = cdist(real, real), cdist(fake, fake)
    np.fill_diagonal(within_real, np.inf)
    np.fill_diagonal(within_fake, np.inf)
    real_radius = np.sort(within_real, axis=1)[:, k - 1]
    fake_radius = np.sort(within_fake, axis=1)[:, k - 1]
    between = cdist(real, fake)  # [N, M]
    in_real_ball = between <= real_radius[:, None]
    return {
        "precision": in_real_ball.any(axis=0).mean(),
        "recall": (between <= fake_radius[None, :]).any(axis=1).mean(),
        "density": in_real_ball.sum() / (k * len(fake)),
        "coverage": in_real_ball.any(axis=1).mean(),
    }


def column(values):
    return np.asarray(values, dtype=np.float64)[:, None]


def test_a_hand_computed_case_in_one_dimension():
    # k = 1. Real radii (nearest other real point): 0:1, 1:1, 3:2, 6:3, 10:4.
    # Fake radii: 0:2, 2:2, 4:2, 20:1, 21:1.
    real, fake = column([0, 1, 3, 6, 10]), column([0, 2, 4, 20, 21])
    result = scores(real, fake, k=1)
    assert result == {
        # 0 in B(0, 1); 2 in B(1, 1) at exactly the radius; 4 in B(3, 2); 20, 21 in none.
        "precision": 3 / 5,
        # 0, 1, 3 are in B(0, 2) or B(2, 2); 6 in B(4, 2) at the radius; 10 in none.
        "recall": 4 / 5,
        # Real balls holding each fake: 0: B(0,1), B(1,1); 2: B(1,1), B(3,2);
        # 4: B(3,2), B(6,3); 20, 21: none. 6 / (k M) = 6 / 5.
        "density": 6 / 5,
        # Real balls holding a fake: all but B(10, 4) (its nearest fake is 6 away).
        "coverage": 4 / 5,
    }
    assert result == pytest.approx(brute_force(real, fake, 1))
    # With "<" in place of "<=", the points at exactly a radius would leave their ball:
    # recall and coverage 3/5, density 4/5.


def test_a_cluster_of_the_real_points_has_full_precision_and_half_the_recall():
    # Two clusters of four real points; the fakes are the first. k = 3: the radii of
    # 0, 1, 2, 3 are 3, 2, 2, 3 in either set (and 3, 2, 2, 3 in the second cluster).
    real, fake = column([0, 1, 2, 3, 10, 11, 12, 13]), column([0, 1, 2, 3])
    result = scores(real, fake, k=3)
    # Each fake is in the four balls of its cluster: B(0, 3), B(1, 2), B(2, 2), B(3, 3)
    # (0 and 3 at exactly the radius of B(2, 2) and B(1, 2)): density 16 / (3 * 4).
    assert result == {"precision": 1.0, "recall": 0.5, "density": 4 / 3, "coverage": 0.5}
    assert result == pytest.approx(brute_force(real, fake, 3))


@pytest.mark.parametrize("k, dim", [(1, 2), (3, 2), (3, 64), (5, 64), (3, 2048)])
def test_identical_sets_score_one_and_density_k_plus_one_over_k(k, dim):
    # Each real ball holds the fake at its centre and the k fakes at its k nearest
    # neighbours (random data have no other ties): N (k + 1) in all, so density is
    # N (k + 1) / (k N) = (k + 1) / k. Exactly so only if the k-th neighbour, at exactly the
    # radius, is decided inside the same way as the radius was measured: the fakes come
    # shuffled, so a matrix product meets each pair at another place than in the radii
    # (distances straight from |x|^2 + |y|^2 - 2 x.y gave another density for 13 of 40
    # such sets of 103 points).
    rng = np.random.default_rng(dim)
    features = rng.normal(size=(103, dim)).astype("float32")
    for fake in (features, features[rng.permutation(103)]):
        result = scores(features, fake, k=k)
        assert result == {
            "precision": 1.0,
            "recall": 1.0,
            "density": (k + 1) / k,
            "coverage": 1.0,
        }


def test_far_apart_sets_score_zero():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(60, 8))
    fake = rng.normal(size=(40, 8)) + 100.0
    assert scores(real, fake) == dict.fromkeys(["precision", "recall", "density", "coverage"], 0.0)


def test_the_point_itself_is_excluded_by_index_not_by_value():
    # Duplicates are neighbours at distance 0: with k = 1 every real radius is 0.
    real, fake = column([0, 0, 5, 5]), column([0, 5])
    result = scores(real, fake, k=1)
    # Each fake lies in two zero-radius balls: density 4 / (1 * 2).
    assert result == {"precision": 1.0, "recall": 1.0, "density": 2.0, "coverage": 1.0}
    assert result == pytest.approx(brute_force(real, fake, 1))


def test_random_sets_match_the_brute_force_formulas_for_any_chunk_size():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(230, 16))
    fake = 1.3 * rng.normal(size=(170, 16)) + 0.3
    whole = scores(real, fake, k=4)
    assert whole == pytest.approx(brute_force(real, fake, 4), abs=1e-12)
    for chunk_size in (1, 7, 230, 10_000):
        assert scores(real, fake, k=4, chunk_size=chunk_size) == whole
    # The cached real radii give the same answer as a fresh computation.
    module._RADII.clear()
    assert scores(real, fake, k=4, chunk_size=7) == whole
    assert 0 < whole["precision"] < 1 and 0 < whole["recall"] < 1


def test_a_collapsed_generator_of_identical_samples():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(200, 32))
    one = np.repeat(real[:1], 100, axis=0)  # one real point, repeated: radius 0
    result = scores(real, one, k=3)
    # Every sample is in the real point's ball; the zero-radius fake balls hold only it.
    assert result["precision"] == 1.0 and result["recall"] == 1 / 200
    assert result == pytest.approx(brute_force(real, one, 3))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: scores(np.zeros((5, 3)), np.zeros((5, 4))), "same number of features"),
        (lambda: scores(np.zeros((3, 2)), np.zeros((5, 2))), "real_features.*at least 4"),
        (lambda: scores(np.zeros((5, 2)), np.zeros((1, 2)), k=1), "fake_features.*at least 2"),
        (lambda: scores(np.full((5, 2), np.nan), np.zeros((5, 2))), "finite"),
        (lambda: scores(np.zeros((5, 2)), np.zeros(5)), "fake_features.*2-D"),
        (lambda: scores(np.zeros((5, 2)), np.zeros((5, 2)), k=0), "k=0"),
        (lambda: scores(np.zeros((5, 2)), np.zeros((5, 2)), chunk_size=0), "chunk_size=0"),
    ],
)
def test_invalid_arguments_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_too_few_samples_for_the_sample_scores_give_nan_with_a_warning():
    with pytest.warns(UserWarning, match="k=3"):
        result = module.sample_scores(np.zeros((10, 2)), np.ones((3, 2)))
    assert list(result) == list(module.SCORE_NAMES) and np.isnan(list(result.values())).all()


def test_docstring_examples_run():
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.slow
def test_ten_thousand_by_ten_thousand_takes_modest_memory():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(10_000, 64)), rng.normal(size=(10_000, 64))
    tracemalloc.start()
    try:
        result = scores(real, fake)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20  # the 10,000 x 10,000 matrix alone would be 763 MiB
    assert 0.5 < result["precision"] < 0.7 and 0.5 < result["recall"] < 0.7
