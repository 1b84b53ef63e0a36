"""Scores against one's own reference data (`keras_wgan.evaluation.reference`): the
package's metrics on the right features, the reading of the data, and its checks."""

import numpy as np
import pytest
import tensorflow as tf

from keras_wgan.evaluation import (
    Reference,
    evaluate_samples,
    frechet_distance,
    kernel_inception_distance,
    precision_recall_density_coverage,
    wasserstein_distance,
)


def test_the_scores_are_the_package_metrics_of_the_raw_points():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 2)).astype("float32")
    fake = (rng.normal(size=(200, 2)) + [1.0, 0.0]).astype("float32")
    scores = Reference(real, kid_subsets=5, kid_subset_size=100, seed=3).scores(fake)
    kid, kid_std = kernel_inception_distance(fake, real, 5, 100, seed=3)
    assert scores == {
        "frechet_distance": pytest.approx(frechet_distance(fake, real)),
        "kernel_distance": pytest.approx(kid),
        "kernel_distance_std": pytest.approx(kid_std),
        "wasserstein_distance": pytest.approx(wasserstein_distance(fake, real)),
        **precision_recall_density_coverage(real, fake),
    }
    assert evaluate_samples(fake, real, kid_subsets=5, kid_subset_size=100, seed=3) == scores
    assert 0.8 < scores["frechet_distance"] < 1.2 and 0.8 < scores["wasserstein_distance"] < 1.2
    assert scores["coverage"] < 0.8  # the shift leaves part of the real balls empty


def test_an_array_is_subsampled_with_its_seed_and_a_dataset_read_in_order():
    data = np.arange(200, dtype="float32").reshape(100, 2)
    first = Reference(data, max_examples=10, seed=1).prepare((2,)).examples
    again = Reference(data, max_examples=10, seed=1).prepare((2,)).examples
    np.testing.assert_array_equal(first, again)
    assert len(np.unique(first[:, 0])) == 10 and np.all(np.diff(first[:, 0]) > 0)
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(7).repeat()
    np.testing.assert_array_equal(
        Reference(dataset, max_examples=10).prepare((2,)).examples, data[:10]
    )


def test_wasserstein_for_low_dimensional_data_unless_asked():
    rng = np.random.default_rng(0)
    points, images = rng.normal(size=(50, 3)), rng.uniform(-1, 1, (50, 3, 3, 1))
    assert "wasserstein_distance" not in Reference(points, wasserstein=False).scores(points)
    assert "wasserstein_distance" not in Reference(images, features="flatten").scores(images)
    scores = Reference(images, features="flatten", wasserstein=True).scores(images)
    assert scores["wasserstein_distance"] == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="`features`.*9 values"):
        Reference(images).scores(images)


def test_inception_features_use_the_given_network():
    def network(batch):  # the Inception contract: 299x299x3 in [-1, 1]
        assert batch.shape[1:] == (299, 299, 3)
        return {"logits": tf.zeros([len(batch), 10]), "pool_3": tf.reduce_mean(batch, [1, 2])}

    images = np.random.default_rng(0).uniform(-1, 1, (6, 4, 4, 3)).astype("float32")
    scores = Reference(images, features="inception", network=network).scores(images)
    assert scores["frechet_distance"] == pytest.approx(0.0, abs=1e-6)
    assert scores["precision"] == scores["recall"] == scores["coverage"] == 1.0
    with pytest.raises(ValueError, match="`features`.*images"):
        Reference(np.zeros((4, 2)), features="inception").scores(np.zeros((4, 2)))


def test_three_samples_are_too_few_for_precision_and_recall():
    points = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.warns(UserWarning, match="k=3"):
        scores = Reference(points).scores(points[:3])
    assert np.isnan([scores[k] for k in ("precision", "recall", "density", "coverage")]).all()
    assert np.isfinite(scores["frechet_distance"]) and np.isfinite(scores["wasserstein_distance"])


def test_text_lines_and_samples_that_are_not_finite():
    lines = ["the cat", "a dog", "the dog"]
    scores = Reference(lines).scores(list(lines))
    assert scores["words_in_corpus"] == 1.0 and scores["js1"] == pytest.approx(0.0, abs=1e-12)
    points = np.zeros((4, 2))
    with pytest.warns(UserWarning, match="NaN"):
        scores = Reference(np.eye(2)[[0, 1, 0, 1]]).scores(np.where(points == 0, np.nan, 0))
    assert all(np.isnan(v) for v in scores.values())
    with pytest.raises(ValueError, match="`samples`.*lines of text"):
        Reference(lines).scores(points)
