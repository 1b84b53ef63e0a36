"""Image-level metrics with a stand-in network, the Evaluation callback and `keras-wgan evaluate`."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_wgan
from keras_wgan import architectures, callbacks, cli, datasets, models
from keras_wgan.evaluation import evaluate_samples, inception
from keras_wgan.evaluation import image_metrics as metrics
from keras_wgan.export import export_generator

PROJECTION = np.random.default_rng(0).standard_normal((3, 12)).astype("float32")


class FakeInception:
    """Stands in for the TF-Hub module: the same input and output contract, tiny."""

    def __init__(self):
        self.calls = []

    def __call__(self, images):
        self.calls.append(tuple(images.shape))
        assert images.shape[1:] == (299, 299, 3)
        assert float(tf.reduce_min(images)) >= -1.0 and float(tf.reduce_max(images)) <= 1.0
        pooled = tf.reduce_mean(images, axis=[1, 2])  # [N, 3]
        features = tf.concat([pooled, pooled**2, tf.sin(3 * pooled)], axis=1)  # [N, 9]
        return {"logits": 4 * tf.matmul(pooled, PROJECTION), "pool_3": features[:, None, None, :]}


def test_inception_outputs_batch_resize_and_accept_uint8_and_gray():
    network = FakeInception()
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, (7, 8, 8, 3)).astype("float32")
    logits, pool = inception.inception_outputs(images, batch_size=3, network=network)
    assert network.calls == [(3, 299, 299, 3), (3, 299, 299, 3), (1, 299, 299, 3)]
    assert logits.shape == (7, 12) and pool.shape == (7, 9)
    whole, _ = inception.inception_outputs(images, batch_size=100, network=network)
    np.testing.assert_allclose(logits, whole, rtol=1e-5, atol=1e-5)

    uint8 = rng.integers(0, 256, (2, 8, 8, 1), dtype=np.uint8)
    as_float = np.repeat(uint8.astype("float32") / 127.5 - 1, 3, axis=-1)
    np.testing.assert_allclose(
        inception.inception_outputs(uint8, network=network)[0],
        inception.inception_outputs(as_float, network=network)[0],
        rtol=1e-5,
        atol=1e-5,
    )
    with pytest.raises(ValueError, match="Expected \\[N, height, width, 1 or 3\\]"):
        inception.inception_outputs(np.zeros((2, 8, 8)), network=network)


def test_without_the_network_the_error_says_how_to_provide_it(tmp_path):
    pytest.importorskip("tensorflow_hub")
    missing = str(tmp_path / "no_inception_here")
    with pytest.raises(RuntimeError, match="KERAS_WGAN_INCEPTION") as info:
        inception.load_network(missing)
    assert missing in str(info.value) and "tf-hub-format=compressed" in str(info.value)


def test_reference_statistics_are_computed_once_and_cached(tmp_path):
    network = FakeInception()
    first = inception.reference_statistics(
        "digits", num_examples=50, network=network, cache_dir=str(tmp_path), kid_examples=20
    )
    calls = len(network.calls)
    again = inception.reference_statistics(
        "digits", num_examples=50, network=network, cache_dir=str(tmp_path), kid_examples=20
    )
    assert len(network.calls) == calls  # read from the cache
    assert [f for f in os.listdir(tmp_path) if f.endswith(".npz")] and int(
        first["num_examples"]
    ) == 50
    for key in ("mean", "cov", "features"):
        np.testing.assert_array_equal(first[key], again[key])
    assert first["features"].shape == (20, 9)
    # Images identical to the reference: FID 0 (up to round-off), KID about 0; the 20 kept
    # reference features are among the samples': recall and coverage 1.
    real = np.stack([x.numpy() for x in datasets.image_dataset("digits").take(50)])
    calls = len(network.calls)
    scores = inception.image_scores(real, first, splits=5, network=network)
    assert len(network.calls) == calls + 1  # one pass of the 50 images gives every score
    assert scores["fid"] < 1e-6 and abs(scores["kid"]) < 0.05
    assert scores["recall"] == scores["coverage"] == 1.0 and scores["precision"] > 0.5
    noise = np.random.default_rng(0).uniform(-1, 1, real.shape).astype("float32")
    assert inception.image_scores(noise, first, splits=5, network=network)["fid"] > 0.01
    mean, cov = metrics.statistics(inception.inception_outputs(real, network=network)[1])
    assert metrics.frechet_distance_from_statistics(mean, cov, first["mean"], first["cov"]) < 1e-6


def test_evaluate_samples_picks_the_score_of_the_data(tmp_path, monkeypatch):
    points = datasets.sample_toy("8gaussians", 400, rng=0)
    toy = evaluate_samples(points, "8gaussians")
    assert toy["modes_covered"] == 8 and toy["high_quality"] > 0.9
    assert toy["distance_ratio"] == pytest.approx(1.0, abs=0.2)  # real points: as close as real
    roll = datasets.sample_toy("swissroll", 400, rng=1)
    assert evaluate_samples(roll, "swissroll") == {"distance_ratio": pytest.approx(1.0, abs=0.2)}
    # Points scattered off the roll are far from it.
    scattered = np.random.default_rng(0).uniform(-2, 2, (400, 2))
    assert evaluate_samples(scattered, "swissroll")["distance_ratio"] > 3
    monkeypatch.setenv("KERAS_WGAN_CACHE", str(tmp_path / "cache"))
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(30):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    fakes = rng.uniform(-1, 1, (30, 16, 16, 3)).astype("float32")
    scores = evaluate_samples(
        fakes,
        f"folder:{folder}",
        network=FakeInception(),
        reference_examples=30,
        splits=3,
        image_size=16,
    )
    assert set(scores) == {
        "inception_score",
        "inception_score_std",
        "fid",
        "kid",
        "kid_std",
        "precision",
        "recall",
        "density",
        "coverage",
    }
    assert 1.0 <= scores["inception_score"] <= 12 and scores["fid"] >= 0
    assert all(0.0 <= scores[k] <= 1.0 for k in ("precision", "recall", "coverage"))
    assert os.listdir(tmp_path / "cache")  # the reference statistics, cached
    with pytest.raises(ValueError, match="Expected one of"):
        evaluate_samples(points, "fashion-mnist")


def _digits_gan():
    keras.utils.set_random_seed(0)
    generator, critic = architectures.build("mlp", (8, 8, 1), latent_dim=8, width=16)
    gan = keras_wgan.WGAN(generator, critic, n_critic=2, seed=0)
    gan.compile()
    return gan


def test_evaluation_callback_logs_to_history_and_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    gan = _digits_gan()
    evaluation = callbacks.Evaluation(
        "digits", every_n_steps=2, num_samples=40, log_dir=str(tmp_path)
    )
    data, _ = datasets.load("digits", 8, 2, seed=0)
    history = gan.fit(data, epochs=2, steps_per_epoch=2, callbacks=[evaluation], verbose=0)
    assert [r["step"] for r in evaluation.records] == [2, 4]
    assert {"digits_score", "digits_frechet", "critic_loss"} <= set(evaluation.records[0])
    for name in ("precision", "recall", "density", "coverage"):
        assert history.history[f"eval_{name}"][-1] == evaluation.records[-1][name]
    scores = history.history["eval_digits_score"]
    assert len(scores) == 2 and all(1.0 <= s <= 10.0 for s in scores)
    assert scores[-1] == evaluation.records[-1]["digits_score"]
    events = EventAccumulator(str(tmp_path / "train"))
    events.Reload()
    assert [e.step for e in events.Tensors("eval/digits_score")] == [2, 4]
    with pytest.raises(ValueError, match="num_samples"):
        callbacks.Evaluation("digits", num_samples=1)


def test_evaluate_command_scores_an_export(tmp_path, capsys):
    gan = _digits_gan()
    path = export_generator(gan, str(tmp_path / "digits"))
    out = str(tmp_path / "scores.json")
    argv = [
        "evaluate",
        "--model",
        path,
        "--dataset",
        "digits",
        "--num-samples",
        "200",
        "--out",
        out,
    ]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "digits_score:" in printed and "digits_frechet:" in printed
    assert "precision:" in printed and "coverage:" in printed
    with open(out) as f:
        scores = json.load(f)
    samples = (
        tf.saved_model.load(path)
        .signatures["generate_from_seed"](
            seed=tf.constant(0, tf.int64), num_samples=tf.constant(200)
        )["samples"]
        .numpy()
    )
    direct = evaluate_samples(samples, "digits")
    for name in ("digits_score", "precision", "recall", "density", "coverage"):
        assert scores[name] == pytest.approx(direct[name]), name

    toy = keras_wgan.WGAN(models.toy_generator(width=8), models.toy_critic(width=8))
    toy_path = export_generator(toy, str(tmp_path / "toy"))
    assert cli.main(["evaluate", "--model", toy_path, "--dataset", "8gaussians"]) == 0
    assert "modes_covered:" in capsys.readouterr().out
    assert cli.main(["evaluate", "--model", toy_path, "--dataset", "swissroll"]) == 0
    assert "distance_ratio:" in capsys.readouterr().out


def test_evaluate_command_gives_inception_scores_and_names_the_network(
    tmp_path, capsys, monkeypatch
):
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(30):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    keras.utils.set_random_seed(0)
    generator, critic = architectures.build("mlp", (16, 16, 3), latent_dim=8, width=8)
    path = export_generator(keras_wgan.WGAN(generator, critic), str(tmp_path / "export"))
    monkeypatch.setitem(inception._LOADED, "stand-in-network", FakeInception())
    out = str(tmp_path / "scores.json")
    argv = [
        "evaluate",
        "--model",
        path,
        "--dataset",
        f"folder:{folder}",
        "--num-samples",
        "30",
        "--inception",
        "stand-in-network",
        "--reference-examples",
        "30",
        "--out",
        out,
    ]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "fid:" in printed and "Inception network: stand-in-network" in printed
    with open(out) as f:
        scores = json.load(f)
    assert scores["inception_network"] == "stand-in-network" and scores["fid"] >= 0
