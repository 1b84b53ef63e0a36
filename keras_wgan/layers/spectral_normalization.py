"""`SpectralNormalization`: a layer's kernel divided by its largest singular value
(Miyato, Kataoka, Koyama, Yoshida, "Spectral Normalization for Generative Adversarial
Networks", ICLR 2018, https://arxiv.org/abs/1802.05957, Algorithm 1).

Keras has a wrapper of the same name, `keras.layers.SpectralNormalization`, which in
training assigns W / sigma(W) to the wrapped layer's trainable kernel: a projection after
each update, whose gradient leaves sigma's term out. Under the JAX trainer's
`stateless_call` that assignment to a trainable variable is dropped, so the kernel is never
normalised there and inference uses the raw W: the two backends train different critics.
This wrapper reparametrises instead, as the paper does, on both backends alike: the trained
variable is W, the forward pass uses W / sigma(W), and the gradient flows through sigma with
the power-iteration vectors held constant.
"""

import keras
from keras import ops

from keras_wgan.utils.validation import check_float

#: Added under the square root when a vector is normalised, and the least sigma divided by
#: (a zero kernel stays zero rather than becoming NaN).
EPSILON = 1e-12


def _l2_normalize(x, epsilon):
    return x * ops.rsqrt(ops.sum(ops.square(x)) + epsilon)


@keras.saving.register_keras_serializable(package="keras_wgan")
class SpectralNormalization(keras.layers.Wrapper):
    """Calls the wrapped layer with its kernel divided by the kernel's spectral norm.

    Miyato et al. 2018, Algorithm 1: the kernel, reshaped to a matrix W of shape
    [-1, its last axis] (inputs by units for `Dense`, kh * kw * in by out for `Conv2D`), is
    used as W / sigma(W), sigma the largest singular value, estimated by power iteration
    from a vector u that persists between calls:
    v = normalize(u W^T), u = normalize(v W), sigma = v W u^T. Each call in training mode
    makes one iteration and stores the new u (a non-trainable weight, saved with the model);
    a call in inference mode makes the same iteration from the stored u without storing it,
    so its output depends on the saved weights only. u and v are constants for the
    gradient, which therefore includes sigma's term, as in the paper (Keras's
    `keras.layers.SpectralNormalization` assigns the normalised kernel instead).

    The power iteration runs in float32 whatever the layer's dtype policy; the wrapped layer
    then computes as usual (in float16 or bfloat16 under mixed precision).

    Args:
        layer: a Keras layer with a `kernel` variable (`Dense`, `Conv1D`, `Conv2D`, ...).
        epsilon: added under the square roots of the normalisations, and the least sigma
            divided by. Default 1e-12.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: the wrapped layer's inputs.
        training: whether to store the power iteration's new u.

    Raises:
        ValueError: when the wrapped layer has no `kernel` variable once built.

    Example:
    >>> import numpy as np, keras
    >>> dense = SpectralNormalization(keras.layers.Dense(2, use_bias=False))
    >>> dense.build((None, 2))
    >>> _ = dense.layer.kernel.assign([[3.0, 0.0], [0.0, 1.0]])
    >>> for _ in range(10):
    ...     y = dense(np.eye(2, dtype="float32"), training=True)
    >>> np.round(keras.ops.convert_to_numpy(y).astype("float64"), 4).tolist()  # the kernel / 3
    [[1.0, 0.0], [0.0, 0.3333]]
    """

    def __init__(self, layer, epsilon=EPSILON, **kwargs):
        # The power iteration reads the variables in float32; the wrapped layer casts.
        kwargs.setdefault("autocast", False)
        super().__init__(layer, **kwargs)
        self.epsilon = check_float("epsilon", epsilon, positive=True)

    def build(self, input_shape):
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if not isinstance(kernel, keras.Variable):
            raise ValueError(
                f"SpectralNormalization wraps a layer with a `kernel` variable (Dense, "
                f"Conv1D, Conv2D, ...); {self.layer.name!r} ({type(self.layer).__name__}) "
                "has none."
            )
        self.vector_u = self.add_weight(
            shape=(1, kernel.shape[-1]),
            initializer="random_normal",
            trainable=False,
            autocast=False,
            dtype="float32",
            name="vector_u",
        )
        self.built = True

    def normalized_kernel(self, training=False):
        """(W / sigma(W) in the kernel's shape, sigma, the new u), in float32.

        One power iteration from the stored u; nothing is assigned.
        """
        kernel = self.layer.kernel
        w = ops.reshape(ops.cast(kernel.value, "float32"), (-1, kernel.shape[-1]))
        u = self.vector_u.value
        v = ops.stop_gradient(_l2_normalize(ops.matmul(u, ops.transpose(w)), self.epsilon))
        u = ops.stop_gradient(_l2_normalize(ops.matmul(v, w), self.epsilon))
        sigma = ops.sum(ops.matmul(v, w) * u)
        normalized = w / ops.maximum(sigma, self.epsilon)
        return ops.reshape(normalized, kernel.shape), sigma, u

    def call(self, inputs, training=False):
        normalized, _, u = self.normalized_kernel()
        if training:
            self.vector_u.assign(u)
        kernel = self.layer.kernel
        # The wrapped layer reads `normalized` for its kernel and the current values of
        # its other variables (under the JAX trainer, those its `stateless_call` holds).
        mapping = [(v, normalized if v is kernel else v.value) for v in self.layer.variables]
        with keras.StatelessScope(state_mapping=mapping, initialize_variables=False):
            return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
