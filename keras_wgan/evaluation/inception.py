"""Inception Score, FID and KID of images, with the Inception network of the published numbers.

The network is TF-GAN's evaluation module on TF-Hub (`INCEPTION_HANDLE`): the
Inception-v3 graph (`inception-2015-12-05`) that the original Inception Score code and
TF-GAN's `classifier_metrics` use, taking 299x299 RGB images in [-1, 1] and giving
1008 `logits` and the 2048 `pool_3` features. It is loaded on first use and kept for the
process; tensorflow-hub caches the download (`TFHUB_CACHE_DIR`).

Offline, download the module where there is network access
(`https://tfhub.dev/tensorflow/tfgan/eval/inception/1?tf-hub-format=compressed`, also on
Kaggle Models as `tensorflow/tfgan/tensorFlow2/eval-inception`), extract it, and pass its
folder as `network=` or set `KERAS_WGAN_INCEPTION` to it.

Reference statistics of a dataset (`reference_statistics`) are computed once and cached on
disk under `KERAS_WGAN_CACHE` (default `~/.cache/keras_wgan`).
"""

import hashlib
import os

import numpy as np

from keras_wgan import datasets
from keras_wgan.evaluation import image_metrics
from keras_wgan.evaluation.precision_recall import sample_scores
from keras_wgan.utils.files import write_atomically

INCEPTION_HANDLE = "https://tfhub.dev/tensorflow/tfgan/eval/inception/1"
INCEPTION_SIZE = 299
_LOADED = {}


def _handle(network):
    return network or os.environ.get("KERAS_WGAN_INCEPTION") or INCEPTION_HANDLE


def network_source(network=None):
    """Where the Inception weights come from: the handle or folder `load_network` uses."""
    if callable(network):
        return getattr(network, "__name__", type(network).__name__)
    return _handle(network)


def load_network(network=None):
    """The Inception network: a function from [N, 299, 299, 3] images in [-1, 1] to
    {"logits": [N, 1008], "pool_3": [N, 2048]}.

    Args:
        network: a TF-Hub handle or a local SavedModel folder; default
            `KERAS_WGAN_INCEPTION` or `INCEPTION_HANDLE`. A callable is returned as is
            (for tests and other classifiers).

    Raises:
        RuntimeError: the module cannot be loaded (no network access, a wrong folder, or
            tensorflow-hub missing), with what to do about it.
    """
    if callable(network):
        return network
    handle = _handle(network)
    if handle not in _LOADED:
        try:
            import tensorflow_hub as hub
        except ImportError as e:
            raise RuntimeError(
                f"The Inception metrics need tensorflow-hub, which failed to import ({e}): "
                'pip install -e ".[inception]" (tensorflow-hub, and setuptools<81 for its '
                "pkg_resources)."
            ) from e
        try:
            module = hub.load(handle)
        except Exception as e:  # hub raises many kinds: URLError, OSError, ValueError...
            raise RuntimeError(
                f"Could not load the Inception network from {handle!r} ({type(e).__name__}: "
                f"{e}). Without network access, download {INCEPTION_HANDLE}"
                "?tf-hub-format=compressed elsewhere, extract it, and pass its folder as "
                "`network=` (`--inception` on the command line) or set KERAS_WGAN_INCEPTION."
            ) from e
        _LOADED[handle] = (
            module.signatures["default"]
            if hasattr(module, "signatures") and "default" in module.signatures
            else module
        )
    return _LOADED[handle]


def _to_unit_range(images):
    """float32 NHWC in [-1, 1], 3 channels, from [-1, 1] floats or 0..255 integers."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"Invalid value for argument `images`. Received an array of shape {images.shape}. "
            "Expected [N, height, width, 1 or 3]."
        )
    if np.issubdtype(images.dtype, np.integer):
        images = images.astype("float32") / 127.5 - 1.0
    images = images.astype("float32")
    if not np.isfinite(images).all():
        raise ValueError("The images contain NaN or Inf values.")
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return images


def inception_outputs(images, batch_size=100, network=None, verbose=0):
    """(logits, pool_3) of `images`, run through the network in batches.

    Images are resized to 299x299 (bilinear), as TF-GAN's `preprocess_image` does.

    Args:
        images: [N, H, W, C] floats in [-1, 1] or integers in 0..255; C is 1 or 3.
        batch_size: images per network call.
        network: see `load_network`.
        verbose: 1 for a progress bar.

    Returns:
        Two float64 arrays, [N, num_classes] and [N, num_features].
    """
    import keras
    import tensorflow as tf

    images = _to_unit_range(images)
    fn = load_network(network)
    logits, pools = [], []
    progress = keras.utils.Progbar(len(images), verbose=verbose, unit_name="image")
    for start in range(0, len(images), batch_size):
        batch = tf.image.resize(
            images[start : start + batch_size], (INCEPTION_SIZE, INCEPTION_SIZE), method="bilinear"
        )
        out = fn(tf.clip_by_value(batch, -1.0, 1.0))
        logits.append(np.asarray(out["logits"], "float64"))
        pools.append(np.asarray(out["pool_3"], "float64").reshape(len(batch), -1))
        progress.add(len(batch))
    return np.concatenate(logits), np.concatenate(pools)


def inception_score(images, splits=10, **kwargs):
    """The Inception Score (mean, std over splits) of images; the paper used 50,000."""
    logits, _ = inception_outputs(images, **kwargs)
    return image_metrics.inception_score(logits, splits=splits)


def _cache_dir():
    return os.environ.get("KERAS_WGAN_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "keras_wgan"
    )


def reference_statistics(
    dataset, num_examples=50_000, network=None, cache_dir=None, kid_examples=5_000, **image_kwargs
):
    """Inception statistics of a dataset's real images, computed once and cached.

    Args:
        dataset: an image dataset name (`keras_wgan.datasets`), e.g. "cifar10"; its
            "train" split, in its stored order.
        num_examples: how many images (at most the dataset's size).
        network: see `load_network`; part of the cache key.
        cache_dir: default `KERAS_WGAN_CACHE` or `~/.cache/keras_wgan`.
        kid_examples: how many pool features to keep for the kernel distance.
        **image_kwargs: passed to `datasets.image_dataset` (`image_size`, `data_dir`).

    Returns:
        {"mean", "cov": the pool_3 statistics, "features": the first `kid_examples` pool
        features, "inception_score", "inception_score_std", "num_examples"}.
    """
    key = hashlib.sha1(
        repr(
            (
                dataset,
                num_examples,
                network_source(network),
                kid_examples,
                sorted(image_kwargs.items()),
            )
        ).encode()
    ).hexdigest()[:12]
    folder = cache_dir or _cache_dir()
    path = os.path.join(
        folder, f"inception_stats_{dataset.replace(':', '_').replace('/', '_')}_{key}.npz"
    )
    if os.path.exists(path):
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    images = np.stack(
        [x.numpy() for x in datasets.image_dataset(dataset, **image_kwargs).take(num_examples)]
    )
    logits, pool = inception_outputs(images, network=network)
    mean, cov = image_metrics.statistics(pool)
    score, std = image_metrics.inception_score(logits, splits=10 if len(logits) >= 20 else 1)
    stats = {
        "mean": mean,
        "cov": cov,
        "features": pool[:kid_examples],
        "inception_score": np.float64(score),
        "inception_score_std": np.float64(std),
        "num_examples": np.int64(len(images)),
    }
    write_atomically(path, lambda tmp: np.savez(tmp, **stats))
    return stats


def image_scores(images, reference, splits=10, kid_subset_size=1000, **kwargs):
    """Inception Score, FID, KID, precision, recall, density and coverage of generated
    images against `reference_statistics`.

    The images go through the network once: their pool_3 features give FID, KID, and the
    four k-nearest-neighbour scores (`precision_recall.sample_scores`, k = 3) against the
    reference's kept features (its first `kid_examples`, 5,000 by default).

    Returns:
        {"inception_score", "inception_score_std", "fid", "kid", "kid_std", "precision",
        "recall", "density", "coverage"}.
    """
    logits, pool = inception_outputs(images, **kwargs)
    score, std = image_metrics.inception_score(logits, splits=splits)
    mean, cov = image_metrics.statistics(pool)
    kid, kid_std = image_metrics.kernel_inception_distance(
        pool, reference["features"], max_subset_size=max(2, kid_subset_size)
    )
    return {
        "inception_score": score,
        "inception_score_std": std,
        "fid": image_metrics.frechet_distance_from_statistics(
            mean, cov, reference["mean"], reference["cov"]
        ),
        "kid": kid,
        "kid_std": kid_std,
        **sample_scores(reference["features"], pool),
    }
