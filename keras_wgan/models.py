"""Network builders. Variants are arguments of one builder, not copies."""

import keras

from keras_wgan.utils.validation import check_int


def mlp(input_dim, output_dim, width=512, depth=3, activation="relu", name="mlp"):
    """A fully connected network: `depth` hidden layers of `width` units, linear output.

    The paper's toy networks (gan_toy.py) are `mlp(2, 2)` for the generator and
    `mlp(2, 1)` for the critic: 2-512-512-512-(2 or 1) with ReLU.

    Args:
        input_dim: size of the input vector.
        output_dim: size of the output vector.
        width: units of each hidden layer. Default 512.
        depth: number of hidden layers. Default 3.
        activation: hidden-layer activation. Default "relu".
        name: the model's name.

    Returns:
        A functional `keras.Model`.

    Example:
    >>> mlp(2, 1, width=8).output_shape
    (None, 1)
    """
    for arg, value in (
        ("input_dim", input_dim),
        ("output_dim", output_dim),
        ("width", width),
        ("depth", depth),
    ):
        check_int(arg, value, 0 if arg == "depth" else 1)
    inputs = keras.Input((input_dim,), name=f"{name}_input")
    x = inputs
    for i in range(depth):
        x = keras.layers.Dense(width, activation=activation, name=f"{name}_dense_{i}")(x)
    outputs = keras.layers.Dense(output_dim, name=f"{name}_out")(x)
    return keras.Model(inputs, outputs, name=name)


def toy_generator(latent_dim=2, width=512, depth=3):
    """The paper's toy generator: z of size 2 (by default) to a 2-D point."""
    return mlp(latent_dim, 2, width=width, depth=depth, name="generator")


def toy_critic(width=512, depth=3):
    """The paper's toy critic: a 2-D point to one score."""
    return mlp(2, 1, width=width, depth=depth, name="critic")
