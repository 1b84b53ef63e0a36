"""Checkpoints written so that a crash never leaves a half-written file."""

import os

import keras

from keras_wgan.utils.files import write_atomically
from keras_wgan.utils.finite import check_finite_variables, model_variables


@keras.saving.register_keras_serializable(package="keras_wgan")
class AtomicCheckpoint(keras.callbacks.Callback):
    """Saves the whole model as a `.keras` file at the end of every epoch, atomically.

    The file is written beside its destination and renamed over it, so a crash during a
    write (even SIGKILL) leaves the previous checkpoint intact. `keras.callbacks.
    ModelCheckpoint` writes in place.

    It refuses to write weights or optimiser state holding NaN or infinity: a diverged
    run raises a `FloatingPointError` naming the variable and keeps the last good file.

    Args:
        filepath: the `.keras` file to keep up to date.

    Raises:
        ValueError: if `filepath` does not end in `.keras`.
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
        """Writes the model to `filepath` atomically.

        Raises:
            FloatingPointError: if a variable of the model or its optimisers holds NaN
                or infinity; nothing is written then.
        """
        model = self.model
        check_finite_variables(model_variables(model), self.filepath)
        write_atomically(self.filepath, model.save)

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

    A backup of weights or optimiser state holding NaN or infinity is refused with a
    `FloatingPointError` naming the variable; the last good backup is kept.

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
        super().__init__(
            backup_dir,
            save_freq=save_freq,
            double_checkpoint=False,
            delete_checkpoint=delete_checkpoint,
        )

    def get_config(self):
        return {
            "backup_dir": self.backup_dir,
            "save_freq": self.save_freq,
            "delete_checkpoint": self.delete_checkpoint,
        }

    def restore(self, model):
        """Loads the backup into `model` if there is one; returns its generator step."""
        if os.path.exists(self._weights_path):
            model.load_weights(self._weights_path)
        return model.generator_step()

    def _load_model(self):
        step = self.restore(self.model)
        steps_per_epoch = (self.params or {}).get("steps")
        if step and steps_per_epoch:
            self.model._initial_epoch = step // steps_per_epoch

    def _save_model(self):
        check_finite_variables(model_variables(self.model), self._weights_path)
        write_atomically(self._weights_path, lambda tmp: self.model.save_weights(tmp))
