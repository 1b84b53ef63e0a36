"""A convolution fused with the 2x2 mean pooling after it: the same function, fewer operations."""

import keras
from keras import ops

from keras_wgan.layers.resampling_conv import ResamplingConv


@keras.saving.register_keras_serializable(package="keras_wgan")
class ConvMeanPool(ResamplingConv):
    """A 'same' convolution followed by 2x2 mean pooling, computed as one strided conv.

    Gulrajani et al. 2017, appendix: the ResNet critics' downsampling (`ConvMeanPool` in the
    paper's code). Both steps are linear, so conv k x k then mean pool equals one conv
    (k+1) x (k+1) with stride 2 whose kernel is the k x k kernel averaged over its four
    1-pixel shifts (derived from it on every call). That skips the three quarters of the
    outputs the pooling would average away: 16 instead of 36 multiply-adds per output
    pixel and channel pair for k = 3, in the forward pass, in both backward passes of the
    gradient penalty and in the weight gradient.

    A `ResamplingConv` (see there for the arguments): the unfused pair's k x k kernel,
    bias and config.

    Example, beside the unfused pair with the same weights:
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    >>> fused = ConvMeanPool(4)
    >>> fused(x).shape
    TensorShape([2, 4, 4, 4])
    >>> conv = keras.layers.Conv2D(4, 3, padding="same")
    >>> conv.build(x.shape)
    >>> conv.set_weights(fused.get_weights())
    >>> unfused = keras.layers.AveragePooling2D(2)(conv(x))
    >>> bool(np.allclose(fused(x), unfused, atol=1e-5))
    True
    """

    scale = 0.5
    operation = "pools a 'same' convolution by 2"

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
        return ops.conv(
            inputs, shifted * 0.25, strides=2, padding="same", data_format=self.data_format
        )
