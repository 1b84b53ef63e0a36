import importlib.resources
import importlib.util
import io
import os
import sys
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image
from sklearn.datasets import load_digits

from keras_wgan.datasets import images
from keras_wgan.datasets.images import image_dataset, image_info, training_dataset


def everything(dataset):
    """All elements of a finite dataset as numpy arrays, in one batch."""
    return tf.nest.map_structure(lambda t: t.numpy(), next(iter(dataset.batch(100_000))))


def save(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype="uint8"), mode).save(path)
    return path


def random_pixels(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype="uint8")


@pytest.fixture
def folder(tmp_path):
    """An RGB png, a grayscale png, a non-square jpg, a nested gif, a corrupt png, a text file."""
    root = tmp_path / "imgs"
    save(root / "rgb.png", random_pixels((30, 40, 3)))
    save(root / "gray.png", random_pixels((20, 20)))
    save(root / "tall.jpg", random_pixels((50, 20, 3), seed=1))
    save(root / "sub" / "anim.gif", random_pixels((12, 12, 3), seed=2))
    (root / "junk.png").write_bytes(b"\x00not an image at all\xff" * 10)
    (root / "notes.txt").write_text("not an image")
    return root


# --- digits ---------------------------------------------------------------------------


def test_digits_are_all_1797_scaled_to_unit_range_with_every_label():
    images_, labels = everything(image_dataset("digits", with_labels=True))
    assert images_.shape == (1797, 8, 8, 1) and images_.dtype == np.float32
    assert labels.dtype == np.int32 and set(labels) == set(range(10))
    assert images_.min() == -1.0 and images_.max() == 1.0
    # Independent of the code under test: values 0..16 map linearly onto [-1, 1].
    digits = load_digits()
    np.testing.assert_allclose(images_[..., 0], digits.images / 8.0 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(labels, digits.target)
    assert image_info("digits") == {"shape": (8, 8, 1), "num_classes": 10}


def test_digits_dequantized_add_uniform_noise_within_one_level():
    noisy = everything(image_dataset("digits", dequantize=True, seed=0))[..., 0]
    assert -1.0 <= noisy.min() and noisy.max() < 1.0
    # (x + u) / 8.5 - 1 with u ~ U[0, 1): undo the scaling and subtract the level.
    u = (noisy + 1.0) * 8.5 - load_digits().images
    assert u.min() > -1e-4 and u.max() < 1 + 1e-4
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.01
    again = everything(image_dataset("digits", dequantize=True, seed=0))[..., 0]
    np.testing.assert_array_equal(noisy, again)


def test_digits_resized_to_rgb():
    first = next(iter(image_dataset("digits", image_size=16, channels=3)))
    assert first.shape == (16, 16, 3)
    assert image_info("digits", image_size=16, channels=3)["shape"] == (16, 16, 3)


# --- tfds sources under mock data ------------------------------------------------------


def test_cifar10_under_mock_data_keeps_labels_and_dequantizes_in_range():
    with tfds.testing.mock_data(num_examples=6):
        plain, labels = everything(image_dataset("cifar10", with_labels=True))
        noisy = everything(image_dataset("cifar10", dequantize=True, seed=1))
    assert plain.shape == noisy.shape == (6, 32, 32, 3)
    assert labels.dtype == np.int32 and ((0 <= labels) & (labels < 10)).all()
    assert -1.0 <= plain.min() and plain.max() <= 1.0
    levels = (plain + 1.0) * 127.5  # x / 127.5 - 1: integer pixels
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-3)
    # (x + u) / 128 - 1, as the paper's gan_cifar_resnet.py: u in [0, 1), values in [-1, 1).
    assert not np.allclose(plain, noisy)
    assert -1.0 <= noisy.min() and noisy.max() < 1.0
    u = (noisy + 1.0) * 128.0 - np.round(levels)
    assert u.min() > -1e-3 and u.max() < 1 + 1e-3
    assert image_info("cifar10") == {"shape": (32, 32, 3), "num_classes": 10}


def test_lsun_bedroom_under_mock_data_is_cropped_and_resized_to_64():
    with tfds.testing.mock_data(num_examples=4):
        # The mock images have random, mostly non-square sizes.
        raw = [ex["image"].shape for ex in tfds.load("lsun/bedroom", split="train")]
        bedrooms = everything(image_dataset("lsun-bedroom"))
        small = everything(image_dataset("lsun-bedroom", image_size=16, dequantize=True))
        with pytest.raises(ValueError, match="has no labels"):
            image_dataset("lsun-bedroom", with_labels=True)
    assert any(h != w for h, w, _ in raw)
    assert bedrooms.shape == (4, 64, 64, 3) and small.shape == (4, 16, 16, 3)
    assert -1.0 <= bedrooms.min() and bedrooms.max() <= 1.0
    assert -1.0 <= small.min() and small.max() < 1.0
    assert image_info("lsun-bedroom") == {"shape": (64, 64, 3), "num_classes": None}


def test_unprepared_lsun_without_tensorflow_io_says_what_to_do(tmp_path, monkeypatch):
    # Never downloads: with tensorflow-io "missing", the error comes before any network use.
    monkeypatch.setattr(images, "_has_tensorflow_io", lambda: False)
    with pytest.raises(ImportError, match="tensorflow-io") as info:
        image_dataset("lsun-bedroom", data_dir=str(tmp_path))
    assert "folder:PATH" in str(info.value) and str(tmp_path) in str(info.value)


def test_prepared_lsun_is_read_without_tensorflow_io(tmp_path, monkeypatch):
    """Prepares a 3-image lsun/bedroom locally, then reads it through image_dataset."""
    from tensorflow_datasets.image import lsun

    def split_generators(self, dl_manager):
        return [tfds.core.SplitGenerator(name="train", gen_kwargs={})]

    def generate_examples(self):
        for i, shape in enumerate([(30, 50, 3), (50, 30, 3), (40, 40, 3)]):
            encoded = io.BytesIO()
            Image.fromarray(random_pixels(shape, seed=i)).save(encoded, "JPEG")
            yield i, {"id": str(i), "image": io.BytesIO(encoded.getvalue())}

    monkeypatch.setattr(lsun.Lsun, "_split_generators", split_generators)
    monkeypatch.setattr(lsun.Lsun, "_generate_examples", generate_examples)
    if importlib.util.find_spec("importlib_resources") is None:
        # tfds's download_and_prepare asks etils for `importlib_resources`, which this
        # environment may lack; the standard library's module serves the same purpose.
        monkeypatch.setitem(sys.modules, "importlib_resources", importlib.resources)
    tfds.builder("lsun/bedroom", data_dir=str(tmp_path)).download_and_prepare()
    monkeypatch.undo()
    monkeypatch.setattr(images, "_has_tensorflow_io", lambda: False)

    bedrooms = everything(image_dataset("lsun-bedroom", data_dir=str(tmp_path)))
    assert bedrooms.shape == (3, 64, 64, 3)
    assert -1.0 <= bedrooms.min() and bedrooms.max() <= 1.0
    assert "tensorflow_io" not in sys.modules


# --- folders ---------------------------------------------------------------------------


def test_folder_reads_every_readable_image_and_warns_about_the_corrupt_one(folder):
    with pytest.warns(UserWarning, match="junk.png") as record:
        found = everything(image_dataset(f"folder:{folder}"))
    (message,) = [str(w.message) for w in record if "undecodable" in str(w.message)]
    assert "1 undecodable" in message and "rgb.png" not in message
    assert found.shape == (4, 64, 64, 3)  # rgb, gray, tall, sub/anim; not junk or notes
    assert -1.0 <= found.min() and found.max() <= 1.0
    with pytest.warns(UserWarning, match="junk.png"):
        gray = everything(image_dataset(f"folder:{folder}", image_size=(8, 12), channels=1))
    assert gray.shape == (4, 8, 12, 1)
    assert image_info(f"folder:{folder}") == {"shape": (64, 64, 3), "num_classes": None}


def test_folder_images_are_centre_cropped_not_squashed(tmp_path):
    # 40x20: white bands of 10 rows above and below a black 20x20 centre.
    tall = np.full((40, 20, 3), 255)
    tall[10:30] = 0
    save(tmp_path / "tall.png", tall)
    for size in (20, 10, 64):
        (image,) = everything(image_dataset(f"folder:{tmp_path}", image_size=size))
        np.testing.assert_allclose(image, -1.0, atol=1e-5)
    # A 20x40 target takes all 40 rows: the white bands come back.
    (wide,) = everything(image_dataset(f"folder:{tmp_path}", image_size=(40, 20)))
    np.testing.assert_allclose(wide, (tall / 127.5 - 1.0), atol=1e-5)


def test_folder_counts_the_files_that_only_tensorflow_would_fail_to_decode(tmp_path):
    save(tmp_path / "ok.png", random_pixels((30, 30, 3)))
    encoded = io.BytesIO()
    Image.fromarray(random_pixels((64, 64, 3))).save(encoded, "JPEG")
    # PIL's structural check passes a truncated JPEG and a 1-bit BMP; TensorFlow's decoder
    # rejects both, and it used to drop them during training without a word.
    (tmp_path / "truncated.jpg").write_bytes(encoded.getvalue()[: len(encoded.getvalue()) // 2])
    Image.fromarray(random_pixels((16, 16, 3))).convert("1").save(tmp_path / "one-bit.bmp")
    Image.fromarray(random_pixels((16, 16, 3))).convert("P").save(tmp_path / "palette.bmp")
    with pytest.warns(UserWarning, match="Skipping 2 undecodable image file") as record:
        found = images.list_images(str(tmp_path))
    assert "one-bit.bmp" in str(record[0].message) and "truncated.jpg" in str(record[0].message)
    assert [os.path.basename(p) for p in found] == ["ok.png", "palette.bmp"]
    with pytest.warns(UserWarning, match="undecodable"):
        assert everything(image_dataset(f"folder:{tmp_path}")).shape == (2, 64, 64, 3)


def test_folder_warns_about_images_far_larger_than_the_training_size(tmp_path, monkeypatch):
    save(tmp_path / "small.png", random_pixels((30, 30, 3)))
    save(tmp_path / "big.png", random_pixels((120, 90, 3)))
    monkeypatch.setattr(images, "_LARGE_PIXELS", 100 * 100)  # a tiny "large" for the test
    with pytest.warns(UserWarning, match=r"1 image file\(s\) .* far larger .* 90x120"):
        images.list_images(str(tmp_path), image_size=(4, 4))  # 10,800 > 256 * 16
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images.list_images(str(tmp_path), image_size=(64, 64))  # 120x90 < 256 * 64 * 64
        images.list_images(str(tmp_path))  # no training size given: no size warning


def test_folder_errors_name_the_folder(tmp_path):
    missing = tmp_path / "missing"
    with pytest.raises(ValueError, match="does not exist") as info:
        image_dataset(f"folder:{missing}")
    assert str(missing) in str(info.value)

    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "readme.txt").write_text("no images")
    with pytest.raises(ValueError, match="holds no image files") as info:
        image_dataset(f"folder:{empty}")
    assert str(empty) in str(info.value)

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "a.png").write_bytes(b"junk" * 50)
    (corrupt / "b.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match="none of them can be decoded") as info:
        image_dataset(f"folder:{corrupt}")
    assert str(corrupt) in str(info.value)


# --- arguments -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fashion-mnist", "folder:", "lsun", None])
def test_unknown_names_list_the_datasets(name):
    for call in (lambda: image_dataset(name), lambda: image_info(name)):
        with pytest.raises(ValueError, match="digits.*cifar10.*lsun-bedroom.*folder:PATH"):
            call()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(image_size=0), "image_size"),
        (dict(image_size=(8, 8, 8)), "image_size"),
        (dict(channels=2), "channels"),
        (dict(split="test"), "split"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        image_dataset("digits", **kwargs)


def test_bad_batch_arguments_raise_before_reading_data(tmp_path):
    with pytest.raises(ValueError, match="n_critic=0"):
        training_dataset(f"folder:{tmp_path / 'missing'}", batch_size=4, n_critic=0)


# --- training datasets ----------------------------------------------------------------


def test_training_dataset_holds_critic_batches():
    images_, labels = next(iter(training_dataset("digits", 4, 5, with_labels=True, seed=0)))
    assert images_.shape == (4, 8, 8, 1) and labels.shape == (4,)  # one critic update's
    assert images_.dtype == tf.float32 and labels.dtype == tf.int32
    # Seeded: the same order and the same noise; a different seed, a different batch.
    a = next(iter(training_dataset("digits", 4, 5, dequantize=True, seed=3)))
    b = next(iter(training_dataset("digits", 4, 5, dequantize=True, seed=3)))
    c = next(iter(training_dataset("digits", 4, 5, dequantize=True, seed=4)))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_training_dataset_repeats_a_small_folder(folder):
    with pytest.warns(UserWarning, match="junk.png"):
        dataset = training_dataset(f"folder:{folder}", 3, 2, image_size=16, seed=0)
    batches = list(dataset.take(3))
    assert [b.shape for b in batches] == [(3, 16, 16, 3)] * 3  # 4 images, repeated


def test_training_dataset_from_mock_cifar10_with_labels():
    with tfds.testing.mock_data(num_examples=10):
        dataset = training_dataset("cifar10", 4, 5, with_labels=True, seed=0)
        images_, labels = next(iter(dataset))
    assert images_.shape == (4, 32, 32, 3) and labels.shape == (4,)
    assert ((0 <= labels.numpy()) & (labels.numpy() < 10)).all()


def test_a_folder_of_only_unreadable_files_is_refused_naming_them_all(tmp_path):
    for name in ("a.png", "b.jpg"):
        (tmp_path / name).write_bytes(b"\x00broken\xff" * 4)
    with pytest.raises(ValueError, match="nothing to train on") as error:
        image_dataset(f"folder:{tmp_path}")
    assert "a.png" in str(error.value) and "b.jpg" in str(error.value)
    assert "2 image file(s)" in str(error.value)
    for i in range(12):
        (tmp_path / f"c{i:02d}.png").write_bytes(b"\x00broken\xff")
    with pytest.raises(ValueError, match="and 4 more"):  # 14 unreadable: ten named
        image_dataset(f"folder:{tmp_path}")
