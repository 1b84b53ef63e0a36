"""The base of the callbacks that draw the generator's samples from fixed noise."""

import os

import tensorflow as tf

from keras_wgan.callbacks.periodic import EveryNSteps
from keras_wgan.utils.validation import invalid


def check_ema(ema):
    """`ema` of a sampling callback: None, True or False (see `WGAN.sampling_generator`)."""
    if ema not in (None, True, False):
        raise invalid("ema", ema, "None (the shadow generator if any), True or False")
    return ema


class SamplingCallback(EveryNSteps):
    """An `EveryNSteps` that draws the generator's samples, and may log them to TensorBoard.

    It holds what `SampleGrid`, `TextSamples`, `TensorBoardSamples` and `Evaluation`
    share: the seed of their fixed noise, the generator that draws (`ema`), and, with a
    `log_dir`, one TensorBoard events file per training run in `<log_dir>/train` (the
    folder `keras.callbacks.TensorBoard(log_dir)` writes to): `summary_writer()` opens it
    on first use, the end of training closes it.

    Args:
        every_n_steps, every_n_epochs: as for `EveryNSteps`.
        seed: seed of the fixed noise. Default 0.
        ema: which generator draws the samples (`WGAN.sampling_generator`): None
            (default) the moving average's shadow generator when the model keeps one,
            else the generator; False the raw generator.
        log_dir: the TensorBoard log folder, or None (the default).

    Raises:
        ValueError: on an `ema` other than None, True or False.
    """

    def __init__(self, every_n_steps=None, every_n_epochs=None, seed=0, ema=None, log_dir=None):
        super().__init__(every_n_steps, every_n_epochs)
        self.ema = check_ema(ema)
        self.seed = seed
        self.log_dir = None if log_dir is None else str(log_dir)
        self._writer = None

    def summary_writer(self):
        """The writer of `<log_dir>/train`, opened on the first call of a training run."""
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "train"))
        return self._writer

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self._writer is not None:
            self._writer.close()
            self._writer = None
