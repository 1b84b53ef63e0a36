"""Conditional batch normalisation: one gamma and beta per class."""

import keras
from keras import ops

from keras_wgan.utils.validation import check_int


@keras.saving.register_keras_serializable(package="keras_wgan")
class ConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalisation whose scale and offset are looked up by class label.

    The conditional generator of the paper's CIFAR-10 ResNet (Gulrajani et al. 2017,
    section 5.3 and appendix; `tflib/ops/cond_batchnorm.py`) normalises each feature map
    with batch statistics over (batch, height, width), as batch norm does, then applies
    gamma[y] and beta[y], rows of learned [num_classes, channels] tables picked by each
    example's label y (Dumoulin et al. 2016). As in the paper, gamma starts at ones and beta
    at zeros for every class.

    Like `keras.layers.BatchNormalization`, it keeps moving averages of the batch statistics
    and uses them when called with `training=False`; the paper's code has no inference mode
    and always uses the statistics of the batch.

    Args:
        num_classes: K, the number of classes (rows of the gamma and beta tables).
        momentum: momentum of the moving averages. Default 0.99.
        epsilon: added to the variance before the square root. Default 1e-5, the paper's.
        gamma_initializer: initializer of the gamma table. Default "ones".
        beta_initializer: initializer of the beta table. Default "zeros".
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a list `[x, labels]`: features [batch, ..., channels] and integer labels
            [batch] (or [batch, 1]) in [0, num_classes).
        training: whether to use (and update) batch statistics.

    Returns:
        The normalised features, with the shape of `x`.

    Raises:
        ValueError: on `num_classes` < 1, `momentum` outside [0, 1) or `epsilon` <= 0.

    Example:
    >>> import numpy as np
    >>> layer = ConditionalBatchNormalization(num_classes=10)
    >>> x = np.random.normal(size=(4, 8, 8, 16)).astype("float32")
    >>> layer([x, np.array([0, 1, 2, 3])], training=True).shape
    TensorShape([4, 8, 8, 16])
    """

    def __init__(
        self,
        num_classes,
        momentum=0.99,
        epsilon=1e-5,
        gamma_initializer="ones",
        beta_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_int("num_classes", num_classes, 1)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(
                f"Invalid value for argument `momentum`. Received: momentum={momentum!r}. "
                "Expected a number in [0, 1)."
            )
        if not epsilon > 0.0:
            raise ValueError(
                f"Invalid value for argument `epsilon`. Received: epsilon={epsilon!r}. "
                "Expected a number > 0."
            )
        self.num_classes = num_classes
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)
        self.beta_initializer = keras.initializers.get(beta_initializer)

    def build(self, input_shape):
        x_shape = input_shape[0]
        channels = x_shape[-1]
        if channels is None:
            raise ValueError(
                "ConditionalBatchNormalization needs a known channel (last) dimension. "
                f"Received input shape {x_shape}."
            )
        self.gamma = self.add_weight(
            shape=(self.num_classes, channels),
            initializer=self.gamma_initializer,
            name="gamma",
        )
        self.beta = self.add_weight(
            shape=(self.num_classes, channels),
            initializer=self.beta_initializer,
            name="beta",
        )
        self.moving_mean = self.add_weight(
            shape=(channels,), initializer="zeros", trainable=False, name="moving_mean"
        )
        self.moving_variance = self.add_weight(
            shape=(channels,), initializer="ones", trainable=False, name="moving_variance"
        )

    def call(self, inputs, training=None):
        x, labels = inputs
        # Statistics in float32 even under a float16 policy: variances overflow otherwise.
        x = ops.cast(x, "float32")
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        reduction_axes = tuple(range(len(x.shape) - 1))
        moving_mean = ops.cast(self.moving_mean, "float32")
        moving_variance = ops.cast(self.moving_variance, "float32")
        if training:
            mean, variance = ops.moments(x, axes=reduction_axes)
            self.moving_mean.assign(moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(
                moving_variance * self.momentum + variance * (1.0 - self.momentum)
            )
        else:
            mean, variance = moving_mean, moving_variance
        # gamma[y], beta[y]: [batch, channels], broadcast over the spatial axes. Picked by a
        # one-hot matmul rather than `ops.take`: on TensorFlow a gather's gradient is an
        # IndexedSlices with one slice per example, and Keras's Adam squares each slice, so
        # a row picked by several examples would get sum(g_i^2) instead of (sum g_i)^2 in
        # its second moment. The matmul's gradient is dense on every backend.
        per_example = (-1,) + (1,) * (len(x.shape) - 2) + (x.shape[-1],)
        one_hot = ops.one_hot(labels, self.num_classes, dtype="float32")
        gamma = ops.reshape(ops.matmul(one_hot, ops.cast(self.gamma, "float32")), per_example)
        beta = ops.reshape(ops.matmul(one_hot, ops.cast(self.beta, "float32")), per_example)
        outputs = (x - mean) * ops.rsqrt(variance + self.epsilon) * gamma + beta
        return ops.cast(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
                "beta_initializer": keras.initializers.serialize(self.beta_initializer),
            }
        )
        return config
