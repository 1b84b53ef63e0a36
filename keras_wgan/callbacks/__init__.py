"""Keras callbacks for WGAN training runs, by concern.

- `checkpoint`: `AtomicCheckpoint`, `BackupAndRestore` (written atomically);
- `stopping`: `StopAtStep`, `NonFiniteLoss`;
- `samples`: `SampleGrid`, `TextSamples`, `TensorBoardSamples`;
- `evaluation`: `Evaluation` (scores during training).

Each acts on generator steps (`WGAN.generator_step()`), not on Keras's batch counter.
"""

from keras_wgan.callbacks.checkpoint import AtomicCheckpoint, BackupAndRestore
from keras_wgan.callbacks.evaluation import Evaluation
from keras_wgan.callbacks.periodic import EveryNSteps
from keras_wgan.callbacks.samples import SampleGrid, TensorBoardSamples, TextSamples
from keras_wgan.callbacks.stopping import NonFiniteLoss, StopAtStep

__all__ = [
    "AtomicCheckpoint",
    "BackupAndRestore",
    "Evaluation",
    "EveryNSteps",
    "NonFiniteLoss",
    "SampleGrid",
    "StopAtStep",
    "TensorBoardSamples",
    "TextSamples",
]
