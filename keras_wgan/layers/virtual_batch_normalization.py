"""`VirtualBatchNormalization` (section 3.4 of Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen, "Improved Techniques for Training
GANs", NeurIPS 2016, https://arxiv.org/abs/1606.03498).
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_wgan")
class VirtualBatchNormalization(keras.layers.Layer):
    """Batch norm with the statistics of a fixed reference batch and the example itself.

    Salimans et al. 2016, section 3.4. The first `reference_size` rows of the input are the
    activations of the reference batch (see `ReferenceBatch`); they are normalised with
    their own mean and variance over every axis but the last. Every other example x is
    normalised with the statistics of the reference batch together with x:
    mean = (R * mean_ref + mean_x) / (R + 1), and the same for the mean of squares, where
    mean_x is x's own mean over its spatial positions. So an example's output depends on
    itself and the reference only, never on the rest of its batch, in training and in
    inference alike (there are no moving averages). Then scale `gamma` and offset `beta`.

    Args:
        reference_size: R, the number of reference rows at the start of each batch.
        epsilon: added to the variance. Default 1e-5.
    """

    def __init__(self, reference_size=64, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.reference_size = reference_size
        self.epsilon = epsilon

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def statistics(self, inputs):
        """(mean, mean of squares) of the reference rows over all axes but the last."""
        x = ops.cast(inputs[: self.reference_size], "float32")
        axes = tuple(range(len(x.shape) - 1))
        return ops.mean(x, axis=axes), ops.mean(ops.square(x), axis=axes)

    def call(self, inputs, training=None, mask=None):  # BatchNormalization's signature
        del training, mask  # the same in training and inference; no masking
        r = self.reference_size
        ref_mean, ref_square = self.statistics(inputs)
        x = ops.cast(inputs, "float32")
        spatial = tuple(range(1, len(x.shape) - 1))
        own_mean = ops.mean(x, axis=spatial, keepdims=True) if spatial else x
        own_square = (
            ops.mean(ops.square(x), axis=spatial, keepdims=True) if spatial else ops.square(x)
        )
        weight = 1.0 / (r + 1.0)
        mean = weight * own_mean + (1.0 - weight) * ref_mean
        square = weight * own_square + (1.0 - weight) * ref_square
        # The reference rows keep the reference batch's own statistics.
        is_reference = ops.reshape(
            ops.arange(ops.shape(x)[0]) < r, (-1,) + (1,) * (len(x.shape) - 1)
        )
        mean = ops.where(is_reference, ref_mean, mean)
        square = ops.where(is_reference, ref_square, square)
        variance = ops.maximum(square - ops.square(mean), 0.0)
        out = (x - mean) * ops.rsqrt(variance + self.epsilon) * self.gamma + self.beta
        return ops.cast(out, inputs.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "reference_size": self.reference_size,
            "epsilon": self.epsilon,
        }
