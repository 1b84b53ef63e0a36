"""The backend-specific gradient plumbing, chosen once at import time.

As in Keras (`keras/src/backend/<name>/trainer.py`), Algorithm 1 is written once, in
`keras_wgan.trainers.base`; the file of the active backend (`tensorflow.py`, `jax.py`,
`torch.py`) holds only how gradients are taken and applied.
"""

import keras

from keras_wgan.trainers.base import TrainerBase

BACKEND = keras.backend.backend()
SUPPORTED_BACKENDS = ("tensorflow", "jax", "torch")


def check_backend():
    """Raises a RuntimeError if the active Keras backend has no WGAN trainer."""
    if BACKEND not in SUPPORTED_BACKENDS:
        raise RuntimeError(
            f"keras_wgan trains on the backends {list(SUPPORTED_BACKENDS)}, but Keras is "
            f"running on {BACKEND!r}. Set the environment variable KERAS_BACKEND to one of "
            "them before importing keras."
        )


if BACKEND == "tensorflow":
    from keras_wgan.trainers.tensorflow import TensorFlowTrainer as Trainer
elif BACKEND == "jax":
    from keras_wgan.trainers.jax import JAXTrainer as Trainer
elif BACKEND == "torch":
    from keras_wgan.trainers.torch import TorchTrainer as Trainer
else:

    class Trainer(TrainerBase):
        """Placeholder on backends without a trainer: building and sampling work,
        training raises a clear error."""

        def _minimize(self, *args, **kwargs):
            check_backend()

        def train_step(self, *args, **kwargs):
            check_backend()

        def test_step(self, *args, **kwargs):
            check_backend()
