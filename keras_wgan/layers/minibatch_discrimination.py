"""`MinibatchDiscrimination` (section 3.2 of Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen, "Improved Techniques for Training
GANs", NeurIPS 2016, https://arxiv.org/abs/1606.03498).

It makes an example's output depend on the rest of its batch, so `WGAN` refuses it in a
critic trained with a gradient penalty.
"""

import keras
from keras import ops

from keras_wgan.utils.validation import check_int


@keras.saving.register_keras_serializable(package="keras_wgan")
class MinibatchDiscrimination(keras.layers.Layer):
    """Appends, per example, its closeness to the other examples of the batch.

    Salimans et al. 2016, section 3.2: the features f(x_i) in R^A are multiplied by a
    tensor T in R^{A x B x C}, giving rows M_i in R^{B x C}; for each of the B kernels,
    c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1), and o(x_i)_b = sum over the other
    examples j != i of c_b(x_i, x_j). The layer returns [f(x_i), o(x_i)], A + B features.
    (The paper's sum also runs over j = i, which adds the constant 1 to every o_b; it is
    left out here.) A generator that collapses onto one sample makes every o_b large, which
    the discriminator can see.

    Args:
        num_kernels: B. Default 100.
        kernel_dim: C. Default 5.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: features of shape [batch, A].

    Example:
    >>> import numpy as np
    >>> MinibatchDiscrimination(3, 2)(np.zeros((4, 6), "float32")).shape
    TensorShape([4, 9])
    """

    def __init__(
        self, num_kernels=100, kernel_dim=5, kernel_initializer="glorot_uniform", **kwargs
    ):
        super().__init__(**kwargs)
        self.num_kernels = check_int("num_kernels", num_kernels, 1)
        self.kernel_dim = check_int("kernel_dim", kernel_dim, 1)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                "MinibatchDiscrimination takes flat features [batch, A]; "
                f"received input shape {input_shape}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
            initializer=self.kernel_initializer,
        )

    def call(self, inputs):
        m = ops.reshape(ops.matmul(inputs, self.kernel), (-1, self.num_kernels, self.kernel_dim))
        # [batch, batch, B]: the L1 distance between every pair's rows, kernel by kernel.
        distances = ops.sum(ops.abs(m[:, None] - m[None, :]), axis=-1)
        closeness = ops.sum(ops.exp(-distances), axis=1) - 1.0  # less the j = i term
        return ops.concatenate([inputs, ops.cast(closeness, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] + self.num_kernels)

    def get_config(self):
        return {
            **super().get_config(),
            "num_kernels": self.num_kernels,
            "kernel_dim": self.kernel_dim,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
