"""The gated multiplicative nonlinearity of the paper's robustness experiment."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_wgan")
class GatedActivation(keras.layers.Layer):
    """Splits the channels in two halves a and b and returns tanh(a) * sigmoid(b).

    The "gated multiplicative nonlinearities everywhere in G and D" architecture of the
    paper's Figure 2 (Gulrajani et al. 2017, section 5.1; `gan_64x64.py`
    `pixcnn_gated_nonlinearity`, after PixelCNN, van den Oord et al. 2016). The layer before
    it therefore produces twice the channels the network carries on. Which half is the gate
    is immaterial: the preceding layer learns either ordering.

    Args:
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a tensor whose last dimension is even.

    Returns:
        A tensor with half the channels of `inputs`.

    Example:
    >>> import numpy as np
    >>> GatedActivation()(np.zeros((2, 4, 4, 6), "float32")).shape
    TensorShape([2, 4, 4, 3])
    """

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % 2:
            raise ValueError(
                "GatedActivation needs an even, known number of channels (last dimension) "
                f"to split into value and gate. Received input shape {input_shape}."
            )

    def call(self, inputs):
        a, b = ops.split(inputs, 2, axis=-1)
        return ops.tanh(a) * ops.sigmoid(b)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] // 2,)
