"""The base of the callbacks that act every N generator steps."""

import keras

from keras_wgan.utils.validation import check_int


class EveryNSteps(keras.callbacks.Callback):
    """Calls `self.write(step)` every `every_n_steps` generator steps, or every
    `every_n_epochs` epochs, and once at the end of training."""

    def __init__(self, every_n_steps=None, every_n_epochs=None):
        super().__init__()
        if every_n_steps is None and every_n_epochs is None:
            every_n_epochs = 1
        for arg, value in (("every_n_steps", every_n_steps), ("every_n_epochs", every_n_epochs)):
            if value is not None:
                check_int(arg, value, 1)
        self.every_n_steps = every_n_steps
        self.every_n_epochs = every_n_epochs
        self._last = None

    def _maybe_write(self):
        step = self.model.generator_step()
        if step != self._last:
            self._last = step
            self.write(step)

    def on_train_batch_end(self, batch, logs=None):
        self.logs = logs
        # `>=` rather than `==`: with steps_per_execution > 1 batch ends skip steps.
        if (
            self.every_n_steps
            and self.model.generator_step() >= (self._last or 0) + self.every_n_steps
        ):
            self._maybe_write()

    def on_epoch_end(self, epoch, logs=None):
        if self.every_n_epochs and (epoch + 1) % self.every_n_epochs == 0:
            self._maybe_write()

    def on_train_end(self, logs=None):
        self._maybe_write()
