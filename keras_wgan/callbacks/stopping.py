"""Callbacks that end a run: at a generator step, or on a non-finite loss."""

import math

import keras


class StopAtStep(keras.callbacks.Callback):
    """Stops `fit` once the generator has made `steps` updates (its optimiser's count).

    The count survives a save and reload, so a resumed run stops at the same step as an
    uninterrupted one.
    """

    def __init__(self, steps):
        super().__init__()
        self.steps = int(steps)

    def on_train_batch_end(self, batch, logs=None):
        if self.model.generator_step() >= self.steps:
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
                step = self.model.generator_step()
                self.model.stop_training = True
                raise FloatingPointError(
                    f"Training diverged: {name}={value} at generator step {step}. The last "
                    "checkpoint is kept; lower the learning rate or check the data."
                )
