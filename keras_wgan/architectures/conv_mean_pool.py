"""A convolution fused with the 2x2 mean pooling after it: the same function, fewer operations."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_wgan")
class ConvMeanPool(keras.layers.Conv2D):
    """A 'same' convolution followed by 2x2 mean pooling, computed as one strided conv.

    Gulrajani et al. 2017, appendix: the ResNet critics' downsampling (`ConvMeanPool` in the
    paper's code). Both steps are linear, so conv k x k then mean pool equals one conv
    (k+1) x (k+1) with stride 2 whose kernel is the k x k kernel averaged over its four
    1-pixel shifts (derived from it on every call). That skips the three quarters of the
    outputs the pooling would average away: 16 instead of 36 multiply-adds per output
    pixel and channel pair for k = 3, in the forward pass, in both backward passes of the
    gradient penalty and in the weight gradient.

    The layer is a `keras.layers.Conv2D` with the same k x k `kernel` and `bias`, so its
    weights, initialisers, regularisers, constraints and config are those of the unfused
    pair; only rounding differs (the sums are taken in another order).

    Args:
        filters: output channels.
        kernel_size: odd kernel size k (int or pair). Default 3.
        padding: must be "same" (the default), as in the paper's code.
        **kwargs: the other arguments of `keras.layers.Conv2D`; strides, dilation_rate
            and groups must stay 1.

    Example:
    >>> import numpy as np
    >>> ConvMeanPool(4)(np.zeros((2, 8, 8, 3), "float32")).shape
    TensorShape([2, 4, 4, 4])
    """

    def __init__(self, filters, kernel_size=3, padding="same", **kwargs):
        super().__init__(filters, kernel_size, padding=padding, **kwargs)
        for argument, expected in (("strides", (1, 1)), ("dilation_rate", (1, 1)),
                                   ("groups", 1), ("padding", "same")):
            if getattr(self, argument) != expected:
                raise ValueError(
                    f"Invalid value for argument `{argument}`. Received: {argument}="
                    f"{getattr(self, argument)!r}. Expected {expected!r}: ConvMeanPool "
                    "pools a 'same' convolution by 2."
                )
        if any(size % 2 == 0 for size in self.kernel_size):
            raise ValueError(
                "Invalid value for argument `kernel_size`. Received: kernel_size="
                f"{self.kernel_size}. Expected odd sizes: 'same' padding is centred."
            )

    def _spatial_axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def convolution_op(self, inputs, kernel):
        for axis in self._spatial_axes():
            if inputs.shape[axis] is not None and inputs.shape[axis] % 2:
                raise ValueError(
                    f"{self.name} mean-pools by 2, so its input needs an even height and "
                    f"width. Received input shape {tuple(inputs.shape)}."
                )
        pad = [[0, 0], [0, 0]]
        shifted = (
            ops.pad(kernel, [[0, 1], [0, 1]] + pad)
            + ops.pad(kernel, [[1, 0], [0, 1]] + pad)
            + ops.pad(kernel, [[0, 1], [1, 0]] + pad)
            + ops.pad(kernel, [[1, 0], [1, 0]] + pad)
        )
        # 'same' padding with stride 2 and the even kernel k + 1 pads (k - 1) / 2 before,
        # as the k x k 'same' convolution does, and (k - 1) / 2 after.
        return ops.conv(inputs, shifted * 0.25, strides=2, padding="same",
                        data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        shape = list(super().compute_output_shape(input_shape))
        for axis in self._spatial_axes():
            shape[axis] = None if shape[axis] is None else shape[axis] // 2
        return tuple(shape)
