"""What the subcommands share: the parser whose errors are one line, and the reading of a
model given as an export folder, a `.keras` file or a run folder."""

import argparse
import os

import numpy as np
import tensorflow as tf

from keras_wgan import options, runs
from keras_wgan.export import metadata
from keras_wgan.runs import CHECKPOINT, limits

positive_int = options.positive_int


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors are one line (with where to find the usage)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_model(parser):
    """The --model and --seed arguments of the commands that read a model."""
    parser.add_argument(
        "--model",
        required=True,
        help="an export folder (or its base folder), a .keras file or a run folder",
    )
    parser.add_argument("--seed", type=int, default=0)


def is_checkpoint(path):
    """Whether `path` names a `.keras` file or a run folder (else an export)."""
    return path.endswith(".keras") or os.path.isfile(os.path.join(path, CHECKPOINT))


def load_checkpoint(path):
    return runs.load_checkpoint(path)


def serving_fn(path):
    """(loaded SavedModel, its serving_default, latent_dim, the export's `metadata`: {}
    for an export written before it was recorded)."""
    loaded = tf.saved_model.load(path)
    fn = loaded.signatures["serving_default"]
    latent_dim = fn.structured_input_signature[1]["z"].shape[1]
    return loaded, fn, latent_dim, metadata(path)


def check_export_sampling(num, fn, latent_dim, info, name="num_samples"):
    """Refuses `num` samples of an export that the machine cannot hold (its sample shape
    from its record, or from its signature's outputs for an export without one)."""
    shape = info.get("sample_shape")
    if shape is None:
        shape = fn.structured_outputs["samples"].shape[1:]
    limits.check_sampling(num, [d or 1 for d in shape], latent_dim, name=name)


def request(fn, z, labels, max_samples):
    """`fn(z=..., labels=...)` in requests of at most `max_samples` rows (the export's
    limit), joined into one dict of NumPy arrays."""
    step = max_samples or len(z)
    parts = []
    for start in range(0, len(z), step):
        inputs = {"z": tf.constant(z[start : start + step], tf.float32)}
        if labels is not None:
            inputs["labels"] = tf.constant(labels[start : start + step], tf.int32)
        parts.append({k: v.numpy() for k, v in fn(**inputs).items()})
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
