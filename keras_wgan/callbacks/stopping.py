"""Callbacks that end a run: at a generator step, or on a non-finite loss."""

import keras

from keras_wgan.trainers.nonfinite import StopOnNonFinite


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


class NonFiniteLoss(StopOnNonFinite):
    """Stops training with an error when a logged loss becomes NaN or infinite.

    `keras.callbacks.TerminateOnNaN` only looks at `logs["loss"]`, which a WGAN does not
    log; this checks every metric of the step, and the count of real batches holding NaN
    or infinity that the step logs. `WGAN.fit` adds the same check itself unless
    `stop_on_nonfinite=False`; it does not add a second one beside this.
    """
