"""Keras callbacks for WGAN training runs."""

import math
import os
import tempfile

import keras


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
        folder = os.path.dirname(os.path.abspath(self.filepath))
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".keras", dir=folder)
        os.close(fd)
        try:
            self.model.save(tmp)
            os.replace(tmp, self.filepath)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    def on_epoch_end(self, epoch, logs=None):
        self.save()


class StopAtStep(keras.callbacks.Callback):
    """Stops `fit` once the generator has made `steps` updates (its optimiser's count).

    The count survives a save and reload, so a resumed run stops at the same step as an
    uninterrupted one.
    """

    def __init__(self, steps):
        super().__init__()
        self.steps = int(steps)

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.g_optimizer.iterations.numpy()) >= self.steps:
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
                step = int(self.model.g_optimizer.iterations.numpy())
                self.model.stop_training = True
                raise FloatingPointError(
                    f"Training diverged: {name}={value} at generator step {step}. The last "
                    "checkpoint is kept; lower the learning rate or check the data."
                )
