"""The backend-specific training step, chosen once at import time.

As in Keras (`keras/src/backend/<name>/trainer.py`), everything that is the same on every
backend lives in `keras_wgan.trainers.base` (the losses of a step, assembled from forward
callables), `keras_wgan.losses` and `keras_wgan.wgan`; the file of the active backend
holds only the gradient plumbing.
"""

import keras

from keras_wgan.trainers.base import TrainerBase

BACKEND = keras.backend.backend()
SUPPORTED_BACKENDS = ("tensorflow", "jax")


def check_backend():
    """Raises a RuntimeError if the active Keras backend has no WGAN trainer."""
    if BACKEND not in SUPPORTED_BACKENDS:
        raise RuntimeError(
            f"keras_wgan trains on the backends {list(SUPPORTED_BACKENDS)}, but Keras is "
            f"running on {BACKEND!r}. Set the environment variable KERAS_BACKEND=tensorflow "
            "or jax before importing keras."
        )


if BACKEND == "tensorflow":
    from keras_wgan.trainers.tensorflow import TensorFlowTrainer as Trainer
elif BACKEND == "jax":
    from keras_wgan.trainers.jax import JAXTrainer as Trainer
else:

    class Trainer(TrainerBase):
        """Placeholder on backends without a trainer: building and sampling work,
        training raises a clear error."""

        def _critic_update(self, *args, **kwargs):
            check_backend()

        def _generator_update(self, *args, **kwargs):
            check_backend()

        def train_step(self, *args, **kwargs):
            check_backend()

        def test_step(self, *args, **kwargs):
            check_backend()
