"""Callbacks that show the generator's samples: image grids, scatter plots of points, text
files, TensorBoard."""

import os

import numpy as np
import tensorflow as tf

from keras_wgan.architectures.language import vocabulary_of
from keras_wgan.callbacks.sampling import SamplingCallback, check_ema  # noqa: F401  (importable here as before)
from keras_wgan.datasets.text import decode
from keras_wgan.utils.files import write_atomically
from keras_wgan.utils.plotting import (
    plot_points,
    points_extent,
    points_picture,
    save_image_grid,
)

#: Points drawn per plot when `num_samples` is not given (images: 64 per grid).
DEFAULT_POINTS = 1000
#: The most reference points drawn (a seeded subset of more).
MAX_REFERENCE_POINTS = 2000


def decoded(model, samples):
    """A text model's samples as strings (`CharacterSoftmax`'s vocabulary); other samples
    as they are."""
    vocabulary = vocabulary_of(model.generator)
    return samples if vocabulary is None else decode(samples, vocabulary)


def is_points(model):
    """Whether a model's samples are points: vectors [N, D], drawn as a scatter plot."""
    return len(model.sample_shape) == 2 and vocabulary_of(model.generator) is None


def check_reference(reference):
    """`reference=` of the sample callbacks as a float32 array [N, D] (None stays None),
    at most `MAX_REFERENCE_POINTS` of them (a seeded subset)."""
    if reference is None:
        return None
    try:
        array = np.asarray(reference, dtype="float32")
    except (TypeError, ValueError):
        array = None
    if array is None or array.ndim != 2 or len(array) < 1 or array.shape[1] < 1:
        received = f"an array of shape {array.shape}" if array is not None else repr(reference)
        raise _invalid_reference(received, "real points, an array of shape [N, D]")
    if not np.isfinite(array).all():
        raise _invalid_reference(f"an array of shape {array.shape}", "finite values")
    if len(array) > MAX_REFERENCE_POINTS:
        keep = np.random.default_rng(0).choice(len(array), MAX_REFERENCE_POINTS, replace=False)
        array = array[np.sort(keep)]
    return array


def _invalid_reference(received, expected):
    return ValueError(
        f"Invalid value for argument `reference`. Received: {received}. Expected {expected}."
    )


def _check_reference_dimension(reference, model):
    if reference is not None and (
        not is_points(model) or reference.shape[1] != model.sample_shape[1]
    ):
        what = (
            f"points of the generator's dimension, [N, {model.sample_shape[1]}]"
            if is_points(model)
            else f"None: the generator's samples of shape {tuple(model.sample_shape[1:])} "
            "are not points"
        )
        raise _invalid_reference(f"an array of shape {reference.shape}", what)


def _write_lines(path, lines):
    def save(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(f"{line}\n" for line in lines)

    write_atomically(path, save)


def _text_summary(lines):
    # Markdown: each sample on its own line, in code so spaces survive.
    tf.summary.text("samples", "\n\n".join(f"`{line}`" for line in lines))


class SampleGrid(SamplingCallback):
    """Writes a picture of samples from fixed noise during training: an image grid, a
    scatter plot of points, or a text file.

    The noise (and, for a conditional model, the labels: one row per class) is drawn once
    from `seed`, so successive files show the same z and the progress of training. Files
    are named after the generator step, `<folder>/samples_<step>.<suffix>`, and written
    atomically (`keras_wgan.utils.files.write_atomically`). What is written depends on
    the samples:

    - images [N, H, W, 1 or 3]: a PNG grid (`samples_<step>.png`);
    - points [N, D] (a generator of vectors, such as 2-D points): a PNG scatter plot of
      their first two coordinates (1-D points on a line), in green, over the `reference`
      points in orange when given, in a box that holds both;
    - a language model's samples: a text file of the decoded samples, one a line
      (`samples_<step>.txt`, as `TextSamples` writes);
    - anything else: the samples themselves as a NumPy file (`samples_<step>.npy`).

    Args:
        folder: where the files go (created if needed).
        num_samples: images per grid (per class row count times classes when
            conditional), points per plot or lines per file. Default: 64; 1,000 points.
        every_n_steps: write every this many generator steps; or
        every_n_epochs: write every this many epochs (default 1 when neither is given).
        seed: seed of the fixed noise.
        scale: enlarge the grid this many times (useful for 8x8 images).
        reference: real points to draw beside generated points, an array [M, D] of the
            generator's dimension D (up to 2,000 of them are drawn); None for none.
        ema: which generator draws the samples (`WGAN.sampling_generator`): None
            (default) the moving average's shadow generator when the model keeps one
            (`WGAN(ema=...)`), else the generator; False the raw generator.

    Raises:
        ValueError: naming `reference` for an array that is not [M, D], or (when training
            begins) of another dimension than the samples, or given for samples that are
            not points.

    Example:
    >>> cb = SampleGrid("runs/x/samples", every_n_steps=500)  # gan.fit(ds, callbacks=[cb])
    >>> import numpy as np
    >>> real = np.random.default_rng(0).normal(size=(500, 2))
    >>> cb = SampleGrid("runs/points/samples", every_n_steps=500, reference=real)
    """

    def __init__(
        self,
        folder,
        num_samples=None,
        every_n_steps=None,
        every_n_epochs=None,
        seed=0,
        scale=1,
        reference=None,
        ema=None,
    ):
        super().__init__(every_n_steps, every_n_epochs, seed=seed, ema=ema)
        self.folder = str(folder)
        self.num_samples = None if num_samples is None else int(num_samples)
        self.scale = int(scale)
        self.reference = check_reference(reference)
        self.paths = []

    def _count(self):
        if self.num_samples is not None:
            return self.num_samples
        return DEFAULT_POINTS if is_points(self.model) else 64

    def on_train_begin(self, logs=None):
        _check_reference_dimension(self.reference, self.model)

    def fixed_inputs(self):
        """(z, labels, rows) for the grid: the same on every call."""
        rng = np.random.default_rng(self.seed)
        classes = self.model.num_classes
        count = self._count()
        if classes:
            cols = max(1, count // classes)
            labels = np.repeat(np.arange(classes), cols)
            return rng.standard_normal((len(labels), self.model.latent_dim)), labels, classes
        rows = max(1, int(np.sqrt(count)))
        return rng.standard_normal((count, self.model.latent_dim)), None, rows

    def write(self, step):
        z, labels, rows = self.fixed_inputs()
        samples = self.model.generate(z, labels=labels, ema=self.ema)
        os.makedirs(self.folder, exist_ok=True)
        name = os.path.join(self.folder, f"samples_{step:07d}")
        if vocabulary_of(self.model.generator) is not None:
            path = name + ".txt"
            _write_lines(path, decoded(self.model, samples))
        elif samples.ndim == 2:
            path = name + ".png"
            _check_reference_dimension(self.reference, self.model)
            plot_points(
                path,
                self.reference,
                samples,
                extent=points_extent(self.reference, samples),
                title=f"generator step {step}",
            )
        elif samples.ndim == 4 and samples.shape[-1] in (1, 3):
            path = name + ".png"
            save_image_grid(path, samples, rows, scale=self.scale)
        else:
            path = name + ".npy"
            write_atomically(path, lambda tmp: np.save(tmp, samples))
        self.paths.append(path)


class TextSamples(SamplingCallback):
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
        ema: which generator draws the samples (`WGAN.sampling_generator`): None
            (default) the moving average's shadow generator when the model keeps one
            (`WGAN(ema=...)`), else the generator; False the raw generator.

    Example:
    >>> cb = TextSamples("runs/text/samples", every_n_steps=500)  # gan.fit(ds, callbacks=[cb])
    """

    def __init__(
        self,
        folder,
        num_samples=32,
        every_n_steps=None,
        every_n_epochs=None,
        seed=0,
        log_dir=None,
        ema=None,
    ):
        super().__init__(every_n_steps, every_n_epochs, seed=seed, ema=ema, log_dir=log_dir)
        self.folder = str(folder)
        self.num_samples = int(num_samples)
        self.paths = []

    def write(self, step):
        z = np.random.default_rng(self.seed).standard_normal(
            (self.num_samples, self.model.latent_dim)
        )
        text = decoded(self.model, self.model.generate(z, ema=self.ema))
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"samples_{step:07d}.txt")
        _write_lines(path, text)
        self.paths.append(path)
        if self.log_dir:
            writer = self.summary_writer()
            with writer.as_default(step=step):
                _text_summary(text)
            writer.flush()


class TensorBoardSamples(SamplingCallback):
    """Logs samples and the training metrics to TensorBoard, per generator step.

    Use it beside `keras.callbacks.TensorBoard(log_dir)`: it writes into
    `<log_dir>/train`, the same folder, with the generator step
    (`g_optimizer.iterations`) as the global step, which, unlike the Keras callback's
    batch counter, keeps counting across resumed runs. Images are mapped from [-1, 1] to
    [0, 1] first (`tf.summary.image` clips floats to [0, 1]); points [N, D] are logged as
    one image, their scatter plot (as `SampleGrid` draws it, over `reference` when
    given); a language model's samples as text (decoded, one a line). Other samples get
    no summary, only the metrics.

    Args:
        log_dir: the TensorBoard log folder.
        num_samples: images per summary, points per plot or lines (from fixed noise).
            Default: 16; 1,000 points.
        every_n_steps: write every this many generator steps (default 100).
        seed: seed of the fixed noise.
        reference: real points drawn beside generated points, an array [M, D]; or None.
        ema: which generator draws the samples (`WGAN.sampling_generator`): None
            (default) the moving average's shadow generator when the model keeps one
            (`WGAN(ema=...)`), else the generator; False the raw generator.
    """

    def __init__(
        self, log_dir, num_samples=None, every_n_steps=100, seed=0, reference=None, ema=None
    ):
        super().__init__(every_n_steps, seed=seed, ema=ema, log_dir=log_dir)
        self.num_samples = None if num_samples is None else int(num_samples)
        self.reference = check_reference(reference)

    def on_train_begin(self, logs=None):
        if self.model is not None:
            _check_reference_dimension(self.reference, self.model)
        self.summary_writer()

    def write(self, step):
        if self._writer is None:
            self.on_train_begin()
        rng = np.random.default_rng(self.seed)
        points = is_points(self.model)
        count = self.num_samples or (DEFAULT_POINTS if points else 16)
        z = rng.standard_normal((count, self.model.latent_dim))
        labels = None
        if self.model.num_classes:
            labels = np.arange(count) % self.model.num_classes
        samples = self.model.generate(z, labels=labels, ema=self.ema)
        text = vocabulary_of(self.model.generator) is not None
        writer = self.summary_writer()
        with writer.as_default(step=step):
            if text:
                _text_summary(decoded(self.model, samples))
            elif points:
                picture = points_picture(
                    self.reference,
                    samples,
                    extent=points_extent(self.reference, samples),
                    title=f"generator step {step}",
                )
                tf.summary.image("samples", picture[None], max_outputs=1)
            elif samples.ndim == 4 and samples.shape[-1] in (1, 3, 4):
                tf.summary.image("samples", (samples + 1.0) / 2.0, max_outputs=count)
            for name, value in (getattr(self, "logs", None) or {}).items():
                tf.summary.scalar(f"step/{name}", float(value))
        writer.flush()
