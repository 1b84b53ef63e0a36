"""The callbacks on a user's own data: `Evaluation` against reference data (points, images
with a feature function, text lines) and `SampleGrid`/`TensorBoardSamples` on points and
text, with tiny `keras.Sequential` networks trained through `WGAN.fit`."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import tiny_image_gan
from PIL import Image
from sklearn.datasets import make_moons

import keras_wgan
from keras_wgan import callbacks
from keras_wgan.architectures.language import build_language

EVAL_METRICS = (
    "eval_frechet_distance",
    "eval_kernel_distance",
    "eval_wasserstein_distance",
    "eval_precision",
    "eval_recall",
    "eval_density",
    "eval_coverage",
)


def moons(n=256):
    return make_moons(n, noise=0.05, random_state=0)[0].astype("float32")


def points_gan():
    keras.utils.set_random_seed(0)
    generator = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)]
    )
    critic = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    )
    gan = keras_wgan.WGAN(generator, critic, seed=0)
    gan.compile()
    return gan


def fit(gan, data, cbs, epochs=2):
    return gan.fit(
        keras_wgan.datasets.critic_batches(data, batch_size=16, n_critic=5),
        steps_per_epoch=2,
        epochs=epochs,
        callbacks=cbs,
        verbose=0,
    )


def test_evaluation_scores_own_points_in_the_history(tmp_path):
    points = moons()
    evaluation = callbacks.Evaluation(
        points, every_n_steps=2, num_samples=64, log_dir=tmp_path / "logs"
    )
    history = fit(points_gan(), points, [evaluation])
    for name in EVAL_METRICS + ("eval_kernel_distance_std",):
        assert len(history.history[name]) == 2, name
        assert np.isfinite(history.history[name]).all(), name
    assert [r["step"] for r in evaluation.records] == [2, 4]
    assert history.history["eval_wasserstein_distance"][0] > 0
    assert len(evaluation.reference.examples) == 64  # the array subsampled to num_samples
    assert os.listdir(tmp_path / "logs" / "train")  # eval/<metric> scalars for TensorBoard


@pytest.mark.parametrize("form", ["examples", "batches", "pairs", "repeating batches"])
def test_evaluation_reads_a_dataset_of_examples_or_batches(form):
    points = moons()
    dataset = {
        "examples": tf.data.Dataset.from_tensor_slices(points),
        "batches": tf.data.Dataset.from_tensor_slices(points).batch(10),
        "pairs": tf.data.Dataset.from_tensor_slices((points, np.zeros(len(points)))),
        "repeating batches": keras_wgan.datasets.critic_batches(points, 16, 5),
    }[form]
    evaluation = callbacks.Evaluation(dataset, num_samples=100)
    evaluation.set_model(points_gan())
    evaluation.on_train_begin()
    np.testing.assert_array_equal(evaluation.reference.examples, points[:100])
    scores = evaluation.evaluate()
    assert set(scores) == {n[len("eval_") :] for n in EVAL_METRICS} | {"kernel_distance_std"}


def test_evaluation_with_a_feature_function_on_tiny_images():
    gan = tiny_image_gan()  # 4x4x1 images: 16 values, no default features
    images = np.random.default_rng(0).uniform(-1, 1, (64, 4, 4, 1)).astype("float32")
    calls = []

    def features(x):  # the mean of each image quadrant: [N, 4]
        calls.append(x.shape)
        return x.reshape(len(x), 2, 2, 2, 2).mean(axis=(2, 4)).reshape(len(x), 4)

    evaluation = callbacks.Evaluation(images, every_n_steps=2, num_samples=32, features=features)
    history = fit(gan, images, [evaluation], epochs=1)
    assert np.isfinite(history.history["eval_frechet_distance"]).all()
    assert np.isfinite(history.history["eval_kernel_distance"]).all()
    assert "eval_wasserstein_distance" not in history.history  # 16 values: not low-dimensional
    assert calls[:2] == [(32, 4, 4, 1), (32, 4, 4, 1)]  # the reference once, then the samples

    with pytest.raises(ValueError, match="`features`.*'inception'.*'flatten'"):
        fit(tiny_image_gan(), images, [callbacks.Evaluation(images, num_samples=32)], epochs=1)
    bad = callbacks.Evaluation(images, num_samples=32, features=lambda x: x[:, 0, 0, 0])
    with pytest.raises(ValueError, match="`features`.*returned shape"):
        fit(tiny_image_gan(), images, [bad], epochs=1)


def test_evaluation_refuses_bad_reference_data_naming_the_argument():
    points = moons()
    with pytest.raises(ValueError, match=r"`dataset`.*\(3,\).*sample shape \(2,\)"):
        fit(points_gan(), points, [callbacks.Evaluation(np.zeros((10, 3), "float32"))])
    with pytest.raises(ValueError, match="`dataset`.*examples of rank 1"):
        bad = tf.data.Dataset.from_tensor_slices(np.zeros((4, 2, 2, 2), "float32"))
        fit(points_gan(), points, [callbacks.Evaluation(bad)])
    with pytest.raises(ValueError, match="`dataset`.*lines of text"):
        fit(points_gan(), points, [callbacks.Evaluation(["some", "text"])])
    with pytest.raises(ValueError, match="`dataset`.*at least 2 examples"):
        callbacks.Evaluation(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="`dataset`.*finite.*index 3"):
        callbacks.Evaluation(np.where(np.arange(10)[:, None] == 3, np.nan, points[:10]))
    with pytest.raises(ValueError, match="`dataset`.*numeric examples"):
        callbacks.Evaluation({"x": points})
    with pytest.raises(ValueError, match="`features`"):
        callbacks.Evaluation("8gaussians", features=lambda x: x)
    with pytest.raises(ValueError, match="`features`"):
        callbacks.Evaluation(points, features="pixels")
    with pytest.raises(ValueError, match="`dataset`"):
        callbacks.Evaluation("no-such-dataset")  # a name still works as before


def test_sample_grid_draws_points_over_the_reference(tmp_path):
    points = moons()
    with_reference = callbacks.SampleGrid(tmp_path / "a", every_n_steps=2, reference=points)
    alone = callbacks.SampleGrid(tmp_path / "b", num_samples=50)
    fit(points_gan(), points, [with_reference, alone])
    assert sorted(os.listdir(tmp_path / "a")) == ["samples_0000002.png", "samples_0000004.png"]
    assert sorted(os.listdir(tmp_path / "b")) == ["samples_0000002.png", "samples_0000004.png"]
    picture = np.asarray(Image.open(with_reference.paths[-1]).convert("RGB"))
    orange = (picture[..., 0] > 200) & (picture[..., 1] > 100) & (picture[..., 2] < 80)
    green = (picture[..., 1] > 100) & (picture[..., 0] < 80) & (picture[..., 2] < 80)
    assert orange.any() and green.any()  # the reference and the samples, both drawn
    picture = np.asarray(Image.open(alone.paths[-1]).convert("RGB"))
    assert not ((picture[..., 0] > 200) & (picture[..., 2] < 80) & (picture[..., 1] > 100)).any()

    with pytest.raises(ValueError, match="`reference`.*\\[N, D\\]"):
        callbacks.SampleGrid(tmp_path, reference=np.zeros(5))
    with pytest.raises(ValueError, match=r"`reference`.*\(10, 3\).*\[N, 2\]"):
        fit(points_gan(), points, [callbacks.SampleGrid(tmp_path, reference=np.zeros((10, 3)))])


def test_tensorboard_samples_logs_points_as_a_scatter_plot(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    points = moons()
    log_dir = str(tmp_path / "logs")
    fit(points_gan(), points, [callbacks.TensorBoardSamples(log_dir, every_n_steps=2)])
    steps = set()
    for name in os.listdir(os.path.join(log_dir, "train")):
        acc = EventAccumulator(os.path.join(log_dir, "train", name), size_guidance={"tensors": 0})
        acc.Reload()
        if "samples" in acc.Tags()["tensors"]:
            steps.update(e.step for e in acc.Tensors("samples"))
    assert steps == {2, 4}


def text_gan():
    generator, critic = build_language(
        ["", " ", "a", "b", "c"], latent_dim=8, width=4, num_blocks=1
    )
    gan = keras_wgan.WGAN(generator, critic, seed=0)
    gan.compile()
    return gan


def test_sample_grid_writes_text_and_evaluation_scores_text_lines(tmp_path):
    gan = text_gan()
    grid = callbacks.SampleGrid(tmp_path, num_samples=5)
    grid.set_model(gan)
    grid.write(3)
    assert grid.paths == [str(tmp_path / "samples_0000003.txt")]
    with open(grid.paths[0], encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert len(lines) == 5 and all(set(line) <= set(" abc") for line in lines)

    evaluation = callbacks.Evaluation(["abc cab", "a b c", "cc bb aa"] * 4, num_samples=8)
    evaluation.set_model(gan)
    evaluation.on_train_begin()
    scores = evaluation.evaluate()
    assert set(scores) == {"js1", "js2", "js3", "js4", "words_in_corpus"}
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    numeric = callbacks.Evaluation(np.zeros((4, 32, 5), "float32"))
    numeric.set_model(gan)
    with pytest.raises(ValueError, match="`dataset`.*lines of text"):
        numeric.on_train_begin()
