"""The base of the convolutions fused with a 2x resampling (`ConvMeanPool`, `UpsampleConv`)."""

import keras


class ResamplingConv(keras.layers.Conv2D):
    """A 'same', stride-1 `keras.layers.Conv2D` fused with a 2x resampling.

    Subclasses set `scale` (the factor the height and width change by) and `operation`
    (what the fused pair does, for error messages), and override `convolution_op`. The
    k x k `kernel` and `bias` are the plain convolution's, so weights, initialisers,
    regularisers, constraints and config carry over unchanged: a fused layer and the
    unfused pair differ only in rounding (the sums are taken in another order).

    Args:
        filters: output channels.
        kernel_size: odd kernel size k (int or pair). Default 3.
        padding: must be "same" (the default), as in the paper's code.
        **kwargs: the other arguments of `keras.layers.Conv2D`; strides, dilation_rate
            and groups must stay 1.

    Raises:
        ValueError: on another padding, stride, dilation or group count, or an even
            kernel size.
    """

    scale = None
    operation = None

    def __init__(self, filters, kernel_size=3, padding="same", **kwargs):
        super().__init__(filters, kernel_size, padding=padding, **kwargs)
        for argument, expected in (
            ("strides", (1, 1)),
            ("dilation_rate", (1, 1)),
            ("groups", 1),
            ("padding", "same"),
        ):
            if getattr(self, argument) != expected:
                raise ValueError(
                    f"Invalid value for argument `{argument}`. Received: {argument}="
                    f"{getattr(self, argument)!r}. Expected {expected!r}: "
                    f"{type(self).__name__} {self.operation}."
                )
        if any(size % 2 == 0 for size in self.kernel_size):
            raise ValueError(
                "Invalid value for argument `kernel_size`. Received: kernel_size="
                f"{self.kernel_size}. Expected odd sizes: 'same' padding is centred."
            )

    def _spatial_axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def compute_output_shape(self, input_shape):
        shape = list(super().compute_output_shape(input_shape))
        for axis in self._spatial_axes():
            if shape[axis] is not None:
                shape[axis] = int(shape[axis] * self.scale)
        return tuple(shape)
