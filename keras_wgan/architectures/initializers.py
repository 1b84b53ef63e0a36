"""tflib's convolution initialisation, whose fans count the stride (Keras's do not)."""

import math

import keras

from keras_wgan.utils.validation import check_int


@keras.saving.register_keras_serializable(package="keras_wgan")
class TflibUniform(keras.initializers.VarianceScaling):
    """Uniform weights with the variance tflib gives a (transposed) convolution.

    The paper's code (igul222/improved_wgan_training, `tflib/ops/conv2d.py` and
    `tflib/ops/deconv2d.py`) counts the stride in its fans. For a convolution,
    fan_in = in * k**2 and fan_out = out * k**2 / stride**2; for a transposed one
    (`Deconv2D`, always stride 2), fan_in = in * k**2 / stride**2 and fan_out = out * k**2.
    The weights are uniform in [-stdev * sqrt(3), stdev * sqrt(3)] with stdev
    sqrt(2 * scale / (fan_in + fan_out)): scale 2 is tflib's `he_init=True`
    (sqrt(4 / (fan_in + fan_out))), scale 1 its Glorot (`he_init=False`). At stride 1
    this is `VarianceScaling(scale, "fan_avg", "uniform")`; at stride 2 Keras's fans,
    which ignore the stride, give a smaller stdev (0.5 to 0.8 of tflib's).

    The kernel layouts are Keras's: [kh, kw, in, out] for `Conv2D`, [kh, kw, out, in] for
    `Conv2DTranspose` (tflib's own layouts, as it happens).

    Args:
        scale: 2.0 (default) for tflib's He initialisation, 1.0 for its Glorot.
        stride: the convolution's stride (one int, the same along both axes). Default 1.
        transposed: True for a `Conv2DTranspose` kernel. Default False.
        seed: as for any Keras random initializer. Default None.

    Example:
    >>> init = TflibUniform(2.0, stride=2, transposed=True, seed=0)
    >>> tuple(init((5, 5, 64, 128)).shape)
    (5, 5, 64, 128)
    """

    def __init__(self, scale=2.0, stride=1, transposed=False, seed=None):
        check_int("stride", stride, 1)
        if not isinstance(transposed, bool):
            raise ValueError(
                "Invalid value for argument `transposed`. "
                f"Received: transposed={transposed!r}. Expected True or False."
            )
        super().__init__(scale=scale, mode="fan_avg", distribution="uniform", seed=seed)
        self.stride = stride
        self.transposed = transposed

    def fans(self, shape):
        """tflib's (fan_in, fan_out) of a kernel of this `shape` (floats)."""
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                f"TflibUniform initialises kernels of rank >= 2. Received shape {shape}."
            )
        receptive_field = math.prod(shape[:-2])
        if self.transposed:
            outputs, inputs = shape[-2:]
            return (inputs * receptive_field / self.stride**2, float(outputs * receptive_field))
        inputs, outputs = shape[-2:]
        return float(inputs * receptive_field), outputs * receptive_field / self.stride**2

    def stddev(self, shape):
        """The weights' standard deviation for a kernel of this `shape`."""
        fan_in, fan_out = self.fans(shape)
        return math.sqrt(2.0 * self.scale / (fan_in + fan_out))

    def __call__(self, shape, dtype=None):
        limit = self.stddev(shape) * math.sqrt(3.0)
        return keras.random.uniform(shape, minval=-limit, maxval=limit, dtype=dtype, seed=self.seed)

    def get_config(self):
        config = super().get_config()
        for key in ("mode", "distribution", "input_axes", "output_axes"):
            config.pop(key, None)
        config.update({"stride": self.stride, "transposed": self.transposed})
        return config
