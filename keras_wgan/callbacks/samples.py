"""Callbacks that show the generator's samples: image grids, text files, TensorBoard."""

import os

import numpy as np
import tensorflow as tf

from keras_wgan.architectures.language import vocabulary_of
from keras_wgan.callbacks.periodic import EveryNSteps
from keras_wgan.datasets.text import decode
from keras_wgan.utils.files import write_atomically
from keras_wgan.utils.plotting import save_image_grid


def decoded(model, samples):
    """A text model's samples as strings (`CharacterSoftmax`'s vocabulary); other samples
    as they are."""
    vocabulary = vocabulary_of(model.generator)
    return samples if vocabulary is None else decode(samples, vocabulary)


class SampleGrid(EveryNSteps):
    """Writes a PNG grid of samples from fixed noise during training.

    The noise (and, for a conditional model, the labels: one row per class) is drawn once
    from `seed`, so successive grids show the same z and the progress of training. Files
    are named after the generator step: `<folder>/samples_<step>.png`.

    Args:
        folder: where the PNGs go (created if needed).
        num_samples: images per grid (per class row count times classes when conditional).
        every_n_steps: write every this many generator steps; or
        every_n_epochs: write every this many epochs (default 1 when neither is given).
        seed: seed of the fixed noise.
        scale: enlarge the grid this many times (useful for 8x8 images).

    Example:
    >>> cb = SampleGrid("runs/x/samples", every_n_steps=500)  # gan.fit(ds, callbacks=[cb])
    """

    def __init__(
        self, folder, num_samples=64, every_n_steps=None, every_n_epochs=None, seed=0, scale=1
    ):
        super().__init__(every_n_steps, every_n_epochs)
        self.folder = str(folder)
        self.num_samples = int(num_samples)
        self.seed = seed
        self.scale = int(scale)
        self.paths = []

    def fixed_inputs(self):
        """(z, labels, rows) for the grid: the same on every call."""
        rng = np.random.default_rng(self.seed)
        classes = self.model.num_classes
        if classes:
            cols = max(1, self.num_samples // classes)
            labels = np.repeat(np.arange(classes), cols)
            return rng.standard_normal((len(labels), self.model.latent_dim)), labels, classes
        rows = max(1, int(np.sqrt(self.num_samples)))
        return rng.standard_normal((self.num_samples, self.model.latent_dim)), None, rows

    def write(self, step):
        z, labels, rows = self.fixed_inputs()
        images = self.model.generate(z, labels=labels)
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"samples_{step:07d}.png")
        save_image_grid(path, images, rows, scale=self.scale)
        self.paths.append(path)


class TextSamples(EveryNSteps):
    """Writes text samples from fixed noise during training, to files and TensorBoard.

    For a language model (`keras_wgan.architectures.language`): every `every_n_steps`
    generator steps it decodes `num_samples` samples (argmax per position, the padding
    removed) of the same fixed z, writes them one a line to
    `<folder>/samples_<step>.txt`, and, with `log_dir`, logs them as a TensorBoard text
    summary ("samples", in `<log_dir>/train`) at the generator step.

    Args:
        folder: where the text files go (created if needed).
        num_samples: samples per file.
        every_n_steps: write every this many generator steps; or
        every_n_epochs: write every this many epochs (default 1 when neither is given).
        seed: seed of the fixed noise.
        log_dir: the TensorBoard log folder, or None.

    Example:
    >>> cb = TextSamples("runs/text/samples", every_n_steps=500)  # gan.fit(ds, callbacks=[cb])
    """

    def __init__(
        self, folder, num_samples=32, every_n_steps=None, every_n_epochs=None, seed=0, log_dir=None
    ):
        super().__init__(every_n_steps, every_n_epochs)
        self.folder = str(folder)
        self.num_samples = int(num_samples)
        self.seed = seed
        self.log_dir = None if log_dir is None else str(log_dir)
        self.paths = []
        self._writer = None

    def write(self, step):
        z = np.random.default_rng(self.seed).standard_normal(
            (self.num_samples, self.model.latent_dim)
        )
        text = decoded(self.model, self.model.generate(z))
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"samples_{step:07d}.txt")

        def save(tmp):
            with open(tmp, "w", encoding="utf-8") as f:
                f.writelines(f"{line}\n" for line in text)

        write_atomically(path, save)
        self.paths.append(path)
        if self.log_dir:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "train"))
            with self._writer.as_default(step=step):
                # Markdown: each sample on its own line, in code so spaces survive.
                tf.summary.text("samples", "\n\n".join(f"`{line}`" for line in text))
            self._writer.flush()

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class TensorBoardSamples(EveryNSteps):
    """Logs sample images and the training metrics to TensorBoard, per generator step.

    Use it beside `keras.callbacks.TensorBoard(log_dir)`: it writes into
    `<log_dir>/train`, the same folder, with the generator step
    (`g_optimizer.iterations`) as the global step, which, unlike the Keras callback's
    batch counter, keeps counting across resumed runs. Images are mapped from [-1, 1] to
    [0, 1] first (`tf.summary.image` clips floats to [0, 1]).

    Args:
        log_dir: the TensorBoard log folder.
        num_samples: images per summary (from fixed noise).
        every_n_steps: write every this many generator steps (default 100).
        seed: seed of the fixed noise.
    """

    def __init__(self, log_dir, num_samples=16, every_n_steps=100, seed=0):
        super().__init__(every_n_steps=every_n_steps)
        self.log_dir = str(log_dir)
        self.num_samples = int(num_samples)
        self.seed = seed
        self._writer = None

    def on_train_begin(self, logs=None):
        self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "train"))

    def write(self, step):
        if self._writer is None:
            self.on_train_begin()
        rng = np.random.default_rng(self.seed)
        z = rng.standard_normal((self.num_samples, self.model.latent_dim))
        labels = None
        if self.model.num_classes:
            labels = np.arange(self.num_samples) % self.model.num_classes
        images = self.model.generate(z, labels=labels)
        with self._writer.as_default(step=step):
            if images.ndim == 4:
                tf.summary.image("samples", (images + 1.0) / 2.0, max_outputs=self.num_samples)
            for name, value in (getattr(self, "logs", None) or {}).items():
                tf.summary.scalar(f"step/{name}", float(value))
        self._writer.flush()

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self._writer is not None:
            self._writer.close()
            self._writer = None
