"""Stopping `fit` at the first non-finite loss or real batch, before anything is saved.

A WGAN does not log `loss`, the one log `keras.callbacks.TerminateOnNaN` looks at; and a
real batch holding NaN or infinity may not show in the losses of its own step (in a
compiled TensorFlow step a fused ReLU maps NaN to 0) while its gradients already
corrupt the weights. The training step therefore counts the real batches that are not
finite (the log `NONFINITE_REAL`), and `StopOnNonFinite` checks it and every loss after
each batch.
"""

import math

import keras
from keras import ops

#: The log counting the real batches of the epoch that held NaN or infinity.
NONFINITE_REAL = "nonfinite_real_batches"


def nonfinite_flag(x):
    """1.0 if the tensor `x` holds a NaN or an infinity, else 0.0 (float32 scalar)."""
    return ops.cast(ops.logical_not(ops.all(ops.isfinite(x))), "float32")


def first_nonfinite(logs):
    """The first non-finite log of a training step, as (name, value), or None.

    The count `NONFINITE_REAL` comes first: a bad real batch is the cause of the NaN
    losses it may bring.

    Args:
        logs: the logs of the step, {name: scalar}.
    """
    logs = logs or {}
    if float(logs.get(NONFINITE_REAL, 0.0)) > 0:
        return NONFINITE_REAL, float(logs[NONFINITE_REAL])
    for name, value in logs.items():
        if not math.isfinite(float(value)):
            return name, float(value)
    return None


def nonfinite_error(name, value, step):
    """The `FloatingPointError` for the log `name` = `value` at generator step `step`."""
    if name == NONFINITE_REAL:
        return FloatingPointError(
            f"The real data held NaN or infinite values at generator step {step} "
            f"({name}={value:g}): check the dataset. The last checkpoint is kept; "
            "`compile(stop_on_nonfinite=False)` trains on regardless."
        )
    return FloatingPointError(
        f"Training diverged: {name}={value} at generator step {step}. The last "
        "checkpoint is kept; lower the learning rate or check the data."
    )


class StopOnNonFinite(keras.callbacks.Callback):
    """Stops training with a `FloatingPointError` at the first non-finite log.

    `keras_wgan.WGAN.fit` adds one first in its callbacks unless
    `stop_on_nonfinite=False`, so it raises before any later callback of the batch can
    save the step's weights. It checks every log (`first_nonfinite`): the count of real
    batches holding NaN or infinity, then each loss.
    """

    def on_train_batch_end(self, batch, logs=None):
        found = first_nonfinite(logs)
        if found is None:
            return
        # `self._model`, not `self.model`: on JAX that property copies the state back
        # into the variables, and the step counter reads it without that.
        model = self._model
        model.stop_training = True
        raise nonfinite_error(*found, model.generator_step())


class KerasLossLog(keras.callbacks.Callback):
    """Shows a Keras callback that checks the `loss` log for NaN
    (`keras.callbacks.TerminateOnNaN`) both of a WGAN's losses: to it, `loss` is
    critic_loss + generator_loss, NaN or infinite when either is (to every other callback,
    `loss` is the Wasserstein estimate). `WGAN.fit` wraps such callbacks in this one."""

    def __init__(self, callback):
        super().__init__()
        self.callback = callback

    def set_model(self, model):
        super().set_model(model)
        self.callback.set_model(model)

    def on_train_batch_end(self, batch, logs=None):
        logs = dict(logs or {})
        if {"critic_loss", "generator_loss"} <= set(logs):
            logs["loss"] = float(logs["critic_loss"]) + float(logs["generator_loss"])
        self.callback.on_train_batch_end(batch, logs)
