import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import tiny_image_gan
from PIL import Image

from keras_wgan import callbacks
from keras_wgan.utils import plotting


def image_data(num_classes=None):
    x = np.random.default_rng(0).uniform(-1, 1, (32, 4, 4, 1)).astype("float32")
    if num_classes:
        return (
            tf.data.Dataset.from_tensor_slices((x, np.arange(32) % num_classes)).batch(8).repeat()
        )
    return tf.data.Dataset.from_tensor_slices(x).batch(8).repeat()


def test_image_grid_layout_and_range():
    images = np.stack([np.full((2, 3, 1), v, "float32") for v in (-1.0, 0.0, 1.0)])
    grid = plotting.image_grid(images, rows=2, pad=1)
    assert grid.shape == (5, 7, 1) and grid.dtype == np.uint8
    assert grid[0, 0, 0] == 0 and grid[0, 4, 0] == 128 and grid[3, 0, 0] == 255
    with pytest.raises(ValueError, match="shape"):
        plotting.image_grid(np.zeros((2, 3)), rows=1)


def test_sample_grid_uses_fixed_noise_every_n_steps(tmp_path):
    gan = tiny_image_gan()
    cb = callbacks.SampleGrid(tmp_path / "grids", num_samples=9, every_n_steps=2, scale=2)
    gan.fit(image_data(), epochs=1, steps_per_epoch=4, callbacks=[cb], verbose=0)
    names = sorted(os.listdir(tmp_path / "grids"))
    assert names == ["samples_0000002.png", "samples_0000004.png"]
    assert Image.open(tmp_path / "grids" / names[0]).size == (2 * (3 * 5 - 1),) * 2
    z1, _, _ = cb.fixed_inputs()
    z2, _, _ = cb.fixed_inputs()
    np.testing.assert_array_equal(z1, z2)


def test_sample_grid_has_one_row_per_class(tmp_path):
    gan = tiny_image_gan(num_classes=3)
    cb = callbacks.SampleGrid(tmp_path, num_samples=6)
    cb.set_model(gan)
    _, labels, rows = cb.fixed_inputs()
    assert rows == 3 and labels.tolist() == [0, 0, 1, 1, 2, 2]
    cb.write(0)
    assert Image.open(cb.paths[0]).size == (2 * 5 - 1, 3 * 5 - 1)


def test_tensorboard_samples_writes_images_and_scalars_at_the_generator_step(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    gan = tiny_image_gan()
    log_dir = str(tmp_path / "logs")
    cbs = [
        keras.callbacks.TensorBoard(log_dir),
        callbacks.TensorBoardSamples(log_dir, num_samples=4, every_n_steps=3),
    ]
    gan.fit(image_data(), epochs=1, steps_per_epoch=3, callbacks=cbs, verbose=0)
    gan.fit(image_data(), epochs=1, steps_per_epoch=3, callbacks=cbs, verbose=0)
    steps, tags = set(), set()
    for name in os.listdir(os.path.join(log_dir, "train")):
        acc = EventAccumulator(os.path.join(log_dir, "train", name), size_guidance={"tensors": 0})
        acc.Reload()
        for tag in acc.Tags()["tensors"]:
            tags.add(tag)
            if tag == "samples":
                steps.update(e.step for e in acc.Tensors(tag))
    assert {"samples", "step/critic_loss", "step/wasserstein_estimate"} <= tags
    assert steps == {3, 6}  # the generator step keeps counting across fit calls
