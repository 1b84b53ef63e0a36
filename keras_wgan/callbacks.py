"""Keras callbacks for WGAN training runs."""

import math
import os

import keras
import numpy as np

from keras_wgan.utils.files import write_atomically


@keras.saving.register_keras_serializable(package="keras_wgan")
class AtomicCheckpoint(keras.callbacks.Callback):
    """Saves the whole model as a `.keras` file at the end of every epoch, atomically.

    The file is written beside its destination and renamed over it, so a crash during a
    write (even SIGKILL) leaves the previous checkpoint intact. `keras.callbacks.
    ModelCheckpoint` writes in place.

    Args:
        filepath: the `.keras` file to keep up to date.
    """

    def __init__(self, filepath):
        super().__init__()
        if not str(filepath).endswith(".keras"):
            raise ValueError(
                f"Invalid value for argument `filepath`. Received: filepath={filepath!r}. "
                "Expected a path ending in `.keras`."
            )
        self.filepath = str(filepath)

    def get_config(self):
        return {"filepath": self.filepath}

    def save(self):
        write_atomically(self.filepath, self.model.save)

    def on_epoch_end(self, epoch, logs=None):
        self.save()


@keras.saving.register_keras_serializable(package="keras_wgan")
class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` for a WGAN, written atomically.

    Backs up the whole training state: the generator and critic weights, both
    optimisers (moments and step counters, hence any learning-rate schedule's
    position) and the state of the model's noise generator (z, alpha). Rerunning the
    same `fit` after a crash, even SIGKILL, continues from the last backup.

    Unlike Keras's callback, which writes its weights file in place and the epoch in a
    second file, this one writes a single file atomically (temporary file, then rename),
    and derives the epoch to resume at from the generator's step counter saved in it, so
    the two can never disagree.

    The data should resume too: build the dataset from the restored step, e.g. with
    `keras_wgan.datasets.load(..., seed=s, start_step=step)`, which for toy data,
    digits and folders yields exactly what the interrupted run would have read.

    Args:
        backup_dir: the folder of the backup (`latest.weights.h5`).
        save_freq: "epoch", or a number of batches between backups.
        delete_checkpoint: delete the backup when `fit` ends normally.

    Example:
    >>> backup = BackupAndRestore("runs/x/backup")  # doctest: +SKIP
    >>> step = backup.restore(gan)  # doctest: +SKIP
    >>> ds, _ = keras_wgan.datasets.load("digits", 64, 5, seed=0, start_step=step)  # doctest: +SKIP
    >>> gan.fit(ds, epochs=100, steps_per_epoch=100, callbacks=[backup])  # doctest: +SKIP
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__(backup_dir, save_freq=save_freq, double_checkpoint=False,
                         delete_checkpoint=delete_checkpoint)

    def get_config(self):
        return {"backup_dir": self.backup_dir, "save_freq": self.save_freq,
                "delete_checkpoint": self.delete_checkpoint}

    def restore(self, model):
        """Loads the backup into `model` if there is one; returns its generator step."""
        if os.path.exists(self._weights_path):
            model.load_weights(self._weights_path)
        return _generator_step(model)

    def _load_model(self):
        step = self.restore(self.model)
        steps_per_epoch = (self.params or {}).get("steps")
        if step and steps_per_epoch:
            self.model._initial_epoch = step // steps_per_epoch

    def _save_model(self):
        write_atomically(self._weights_path, lambda tmp: self.model.save_weights(tmp))


class StopAtStep(keras.callbacks.Callback):
    """Stops `fit` once the generator has made `steps` updates (its optimiser's count).

    The count survives a save and reload, so a resumed run stops at the same step as an
    uninterrupted one.
    """

    def __init__(self, steps):
        super().__init__()
        self.steps = int(steps)

    def on_train_batch_end(self, batch, logs=None):
        if _generator_step(self.model) >= self.steps:
            self.model.stop_training = True


class NonFiniteLoss(keras.callbacks.Callback):
    """Stops training with an error when a logged loss becomes NaN or infinite.

    `keras.callbacks.TerminateOnNaN` only looks at `logs["loss"]`, which a WGAN does not
    log; this checks every metric of the step.
    """

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            value = float(value)
            if not math.isfinite(value):
                step = _generator_step(self.model)
                self.model.stop_training = True
                raise FloatingPointError(
                    f"Training diverged: {name}={value} at generator step {step}. The last "
                    "checkpoint is kept; lower the learning rate or check the data."
                )


def _generator_step(model):
    return model.generator_step()


class _EveryNSteps(keras.callbacks.Callback):
    """Calls `self.write(step)` every `every_n_steps` generator steps, or every
    `every_n_epochs` epochs, and once at the end of training."""

    def __init__(self, every_n_steps=None, every_n_epochs=None):
        super().__init__()
        if every_n_steps is None and every_n_epochs is None:
            every_n_epochs = 1
        for arg, value in (("every_n_steps", every_n_steps), ("every_n_epochs", every_n_epochs)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(
                    f"Invalid value for argument `{arg}`. Received: {arg}={value!r}. "
                    "Expected an integer >= 1."
                )
        self.every_n_steps = every_n_steps
        self.every_n_epochs = every_n_epochs
        self._last = None

    def _maybe_write(self):
        step = _generator_step(self.model)
        if step != self._last:
            self._last = step
            self.write(step)

    def on_train_batch_end(self, batch, logs=None):
        self.logs = logs
        # `>=` rather than `==`: with steps_per_execution > 1 batch ends skip steps.
        if self.every_n_steps and _generator_step(self.model) >= (self._last or 0) + self.every_n_steps:
            self._maybe_write()

    def on_epoch_end(self, epoch, logs=None):
        if self.every_n_epochs and (epoch + 1) % self.every_n_epochs == 0:
            self._maybe_write()

    def on_train_end(self, logs=None):
        self._maybe_write()


class SampleGrid(_EveryNSteps):
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

    def __init__(self, folder, num_samples=64, every_n_steps=None, every_n_epochs=None,
                 seed=0, scale=1):
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
        from keras_wgan.utils.plotting import save_image_grid

        z, labels, rows = self.fixed_inputs()
        images = self.model.generate(z, labels=labels)
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"samples_{step:07d}.png")
        save_image_grid(path, images, rows, scale=self.scale)
        self.paths.append(path)


class TextSamples(_EveryNSteps):
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

    def __init__(self, folder, num_samples=32, every_n_steps=None, every_n_epochs=None,
                 seed=0, log_dir=None):
        super().__init__(every_n_steps, every_n_epochs)
        self.folder = str(folder)
        self.num_samples = int(num_samples)
        self.seed = seed
        self.log_dir = None if log_dir is None else str(log_dir)
        self.paths = []
        self._writer = None

    def write(self, step):
        from keras_wgan import modalities

        z = np.random.default_rng(self.seed).standard_normal((self.num_samples,
                                                              self.model.latent_dim))
        kind = modalities.for_model(self.model)
        text = kind.scored(kind.decode(self.model, self.model.generate(z)))
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"samples_{step:07d}.txt")

        def save(tmp):
            with open(tmp, "w", encoding="utf-8") as f:
                f.writelines(f"{line}\n" for line in text)

        write_atomically(path, save)
        self.paths.append(path)
        if self.log_dir:
            import tensorflow as tf

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


class TensorBoardSamples(_EveryNSteps):
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
        import tensorflow as tf

        self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "train"))

    def write(self, step):
        import tensorflow as tf

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


class Evaluation(_EveryNSteps):
    """Scores the generator's samples every N generator steps; logs to history and TensorBoard.

    Every `every_n_steps` generator steps (and at the end of training) it draws
    `num_samples` samples from fixed noise and scores them with
    `keras_wgan.evaluation.evaluate_samples` (Inception Score, FID and KID for image
    datasets; the offline digits score on "digits"; mode coverage on toy data; the n-gram
    divergences js1..js4 and `words_in_corpus` on text). The latest
    scores join the epoch logs as `eval_<metric>`, so they appear in the progress bar
    and in `fit`'s History; every evaluation is also kept in `self.records` (with the
    generator step and the step's training metrics) and, with `log_dir`, written to
    TensorBoard at the generator step as `eval/<metric>`.

    Args:
        dataset: the name of the dataset the model trains on.
        every_n_steps: generator steps between evaluations.
        num_samples: samples per evaluation (the paper's Inception Scores use 50,000).
        seed: seed of the fixed noise.
        log_dir: TensorBoard log folder (writes into `<log_dir>/train`), or None.
        batch_stats: draw the samples with the batch statistics of each generator call,
            the paper's protocol (see `WGAN.generate`), rather than the moving averages
            of its batch norm. Default False. Leaves the model's variables unchanged.
        batch_size: samples per generator call (the chunks of `batch_stats`; the
            paper's code drew 100 at a time). Default 256.
        **evaluate_kwargs: passed to `evaluate_samples` (`network`,
            `reference_examples`, `splits`, `image_size`, `data_dir`; for toy data
            `wasserstein=True` adds `wasserstein_distance`, the exact W1 distance between
            the samples and fresh real points, beside the critic's estimate).

    Example:
    >>> evaluation = Evaluation("digits", every_n_steps=500, num_samples=2000)  # doctest: +SKIP
    >>> gan.fit(data, epochs=20, steps_per_epoch=500, callbacks=[evaluation])  # doctest: +SKIP
    >>> history.history["eval_digits_score"]  # doctest: +SKIP
    """

    def __init__(self, dataset, every_n_steps=1000, num_samples=5000, seed=0, log_dir=None,
                 batch_stats=False, batch_size=256, **evaluate_kwargs):
        super().__init__(every_n_steps=every_n_steps)
        from keras_wgan import datasets

        datasets.check_name(dataset)
        if not isinstance(num_samples, int) or num_samples < 2:
            raise ValueError(
                f"Invalid value for argument `num_samples`. Received: num_samples={num_samples!r}. "
                "Expected an integer >= 2."
            )
        self.dataset = dataset
        self.num_samples = num_samples
        self.seed = seed
        self.log_dir = None if log_dir is None else str(log_dir)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                f"Invalid value for argument `batch_size`. Received: batch_size={batch_size!r}. "
                "Expected an integer >= 1."
            )
        self.batch_stats = bool(batch_stats)
        self.batch_size = batch_size
        self.evaluate_kwargs = evaluate_kwargs
        self.records = []
        self.latest = {}
        self._writer = None

    def evaluate(self):
        """Scores `num_samples` samples of the current generator; returns the scores."""
        from keras_wgan.evaluation import evaluate_samples

        from keras_wgan import modalities

        samples = self.model.generate(self.num_samples, seed=self.seed,
                                      batch_size=self.batch_size, batch_stats=self.batch_stats)
        kind = modalities.for_model(self.model)
        samples = kind.scored(kind.decode(self.model, samples))  # text: the decoded strings
        return evaluate_samples(samples, self.dataset, **self.evaluate_kwargs)

    def write(self, step):
        scores = self.evaluate()
        self.latest = scores
        training = {k: float(v) for k, v in (getattr(self, "logs", None) or {}).items()}
        self.records.append({"step": step, **training, **scores})
        if self.log_dir:
            import tensorflow as tf

            if self._writer is None:  # one events file for the whole run
                self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "train"))
            with self._writer.as_default(step=step):
                for name, value in scores.items():
                    tf.summary.scalar(f"eval/{name}", value)
            self._writer.flush()

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if logs is not None:
            logs.update({f"eval_{name}": value for name, value in self.latest.items()})

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self._writer is not None:
            self._writer.close()
            self._writer = None
