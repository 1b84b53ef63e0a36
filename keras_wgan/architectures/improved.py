"""Layers of Salimans et al. 2016 for standard GANs: minibatch discrimination and virtual
batch normalisation, and the functions that add them to a built pair.

Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen, "Improved Techniques for Training
GANs", NeurIPS 2016, https://arxiv.org/abs/1606.03498, sections 3.2 and 3.4. Both layers
make an example's output depend on other examples, so neither belongs in a critic trained
with a gradient penalty, which constrains each example's gradient on its own; `WGAN`
refuses minibatch discrimination there as it refuses batch norm.
"""

import keras
from keras import ops


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

    def __init__(self, num_kernels=100, kernel_dim=5, kernel_initializer="glorot_uniform",
                 **kwargs):
        super().__init__(**kwargs)
        for name, value in (("num_kernels", num_kernels), ("kernel_dim", kernel_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Invalid value for argument `{name}`. Received: "
                                 f"{name}={value!r}. Expected an integer >= 1.")
        self.num_kernels = num_kernels
        self.kernel_dim = kernel_dim
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError("MinibatchDiscrimination takes flat features [batch, A]; "
                             f"received input shape {input_shape}.")
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
            initializer=self.kernel_initializer)

    def call(self, inputs):
        m = ops.reshape(ops.matmul(inputs, self.kernel), (-1, self.num_kernels, self.kernel_dim))
        # [batch, batch, B]: the L1 distance between every pair's rows, kernel by kernel.
        distances = ops.sum(ops.abs(m[:, None] - m[None, :]), axis=-1)
        closeness = ops.sum(ops.exp(-distances), axis=1) - 1.0  # less the j = i term
        return ops.concatenate([inputs, ops.cast(closeness, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] + self.num_kernels)

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels,
                "kernel_dim": self.kernel_dim,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


@keras.saving.register_keras_serializable(package="keras_wgan")
class ReferenceBatch(keras.layers.Layer):
    """Puts a fixed reference batch of latent vectors before the batch it is given.

    The reference z are drawn once, when the layer is built, from N(0, I) with `seed`, and
    kept as a non-trainable weight, so they are saved, loaded and exported with the model.
    The `VirtualBatchNormalization` layers behind it normalise with the statistics of
    these first `size` rows; `DropReference` removes them at the end.
    """

    def __init__(self, size=64, seed=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int) or size < 2:
            raise ValueError(f"Invalid value for argument `size`. Received: size={size!r}. "
                             "Expected an integer >= 2 (a reference batch).")
        self.size = size
        self.seed = seed

    def build(self, input_shape):
        self.reference = self.add_weight(
            name="reference", shape=(self.size,) + tuple(input_shape[1:]), trainable=False,
            initializer=keras.initializers.RandomNormal(stddev=1.0, seed=self.seed))

    def call(self, inputs):
        return ops.concatenate([ops.cast(self.reference, inputs.dtype), inputs], axis=0)

    def compute_output_shape(self, input_shape):
        return (None,) + tuple(input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "size": self.size, "seed": self.seed}


@keras.saving.register_keras_serializable(package="keras_wgan")
class DropReference(keras.layers.Layer):
    """Removes the reference batch's `size` rows that `ReferenceBatch` put first."""

    def __init__(self, size=64, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def call(self, inputs):
        return inputs[self.size:]

    def compute_output_shape(self, input_shape):
        return (None,) + tuple(input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


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
        x = ops.cast(inputs[:self.reference_size], "float32")
        axes = tuple(range(len(x.shape) - 1))
        return ops.mean(x, axis=axes), ops.mean(ops.square(x), axis=axes)

    def call(self, inputs, training=None, mask=None):  # BatchNormalization's signature
        del training, mask  # the same in training and inference; no masking
        r = self.reference_size
        ref_mean, ref_square = self.statistics(inputs)
        x = ops.cast(inputs, "float32")
        spatial = tuple(range(1, len(x.shape) - 1))
        own_mean = ops.mean(x, axis=spatial, keepdims=True) if spatial else x
        own_square = ops.mean(ops.square(x), axis=spatial, keepdims=True) if spatial else ops.square(x)
        weight = 1.0 / (r + 1.0)
        mean = weight * own_mean + (1.0 - weight) * ref_mean
        square = weight * own_square + (1.0 - weight) * ref_square
        # The reference rows keep the reference batch's own statistics.
        is_reference = ops.reshape(ops.arange(ops.shape(x)[0]) < r, (-1,) + (1,) * (len(x.shape) - 1))
        mean = ops.where(is_reference, ref_mean, mean)
        square = ops.where(is_reference, ref_square, square)
        variance = ops.maximum(square - ops.square(mean), 0.0)
        out = (x - mean) * ops.rsqrt(variance + self.epsilon) * self.gamma + self.beta
        return ops.cast(out, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "reference_size": self.reference_size,
                "epsilon": self.epsilon}


def coupling_layers(model):
    """The layers inside `model` that make one example's output depend on the others of
    its batch, BatchNormalization and MinibatchDiscrimination, as "name (class)"."""
    found = []
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if isinstance(layer, (keras.layers.BatchNormalization, MinibatchDiscrimination)):
            found.append(f"{layer.name} ({type(layer).__name__})")
    return found


def _final_features(model, what):
    """The input tensor of a functional model's last layer (its last hidden features)."""
    if not isinstance(model, keras.Model) or not hasattr(model, "inputs") or not model.inputs:
        raise ValueError(f"{what} needs a functional Keras model (built with keras.Input).")
    if len(model.outputs) != 1:
        raise ValueError(f"{what} needs a critic with one output; this one has "
                         f"{len(model.outputs)} (a conditional critic is not supported).")
    last = model.layers[-1]
    features = last.input
    if isinstance(features, (list, tuple)) or len(features.shape) != 2:
        raise ValueError(f"{what} needs a critic whose last layer takes flat features "
                         f"[batch, A]; its last layer {last.name!r} takes {features}.")
    return features


def _inputs(model):
    """A functional model's input, in the structure it is called with."""
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs


def with_minibatch_discrimination(critic, num_kernels=100, kernel_dim=5):
    """The critic with a `MinibatchDiscrimination` layer before a new final dense layer.

    The last hidden features h (the input of the critic's last layer) become
    [h, o(h)], and a fresh Dense(1) scores them: the critic's other layers and weights are
    kept, its old final layer is replaced.
    """
    features = _final_features(critic, "Minibatch discrimination")
    h = MinibatchDiscrimination(num_kernels, kernel_dim, name="minibatch_discrimination")(features)
    score = keras.layers.Dense(1, name="minibatch_score")(h)
    return keras.Model(_inputs(critic), score, name=f"{critic.name}_minibatch")


def feature_layer_names(critic):
    """The layers of a functional critic whose output can serve as feature matching's f."""
    return [layer.name for layer in critic.layers[1:-1]]


def feature_model(critic, layer=None):
    """A model from the critic's input to its features f for feature matching: the output
    of the layer named `layer`, or by default the input of the critic's last layer (its
    last hidden features). It shares the critic's weights."""
    if layer is None:
        features = _final_features(critic, "Feature matching")
    else:
        names = feature_layer_names(critic)
        if layer not in names:
            raise ValueError(f"Invalid value for argument `feature_matching`: the critic has "
                             f"no hidden layer {layer!r}; its hidden layers are {names}.")
        features = critic.get_layer(layer).output
    return keras.Model(_inputs(critic), features, name=f"{critic.name}_features")


def with_virtual_batch_norm(generator, reference_size=64, seed=0):
    """The generator with every BatchNormalization layer replaced by
    `VirtualBatchNormalization` over a fixed reference batch of `reference_size` z.

    The network becomes z -> [z_ref; z] -> (the generator's layers, VBN for BN) -> drop the
    reference rows: same input and output shapes, and a sample that depends on its own z
    only. The generator's other layers are cloned with fresh weights.
    """
    if not isinstance(generator, keras.Model) or not getattr(generator, "inputs", None):
        raise ValueError("Virtual batch norm needs a functional Keras generator.")
    if len(generator.inputs) != 1:
        raise ValueError("Virtual batch norm is for unconditional generators (one input, z).")
    replaced = []

    def clone(layer):
        if isinstance(layer, keras.layers.BatchNormalization):
            replaced.append(layer.name)
            return VirtualBatchNormalization(reference_size, epsilon=layer.epsilon,
                                             name=f"{layer.name}_virtual")
        return layer.__class__.from_config(layer.get_config())

    body = keras.models.clone_model(generator, clone_function=clone)
    if not replaced:
        raise ValueError(f"The generator {generator.name!r} has no BatchNormalization layer "
                         "for virtual batch norm to replace.")
    z = keras.Input(generator.inputs[0].shape[1:], name="z")
    with_reference = ReferenceBatch(reference_size, seed=seed, name="reference_batch")(z)
    samples = DropReference(reference_size, name="drop_reference")(body(with_reference))
    return keras.Model(z, samples, name=f"{generator.name}_vbn")
