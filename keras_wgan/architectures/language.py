"""The paper's character-level language model (section 5.5, `gan_language.py`).

The generator maps z to a softmax over the characters at each of the sequence's
positions; the critic reads one-hot real sequences, or the generator's softmax as it is
(no sampling), through 1-D residual blocks. Neither network has any normalisation.
"""

import keras

from keras_wgan.architectures import common
from keras_wgan.layers import CharacterSoftmax

#: `gan_language.py`: SEQ_LEN 32, DIM 512, five residual blocks in each network.
SEQUENCE_LENGTH = 32
PAPER_WIDTH = 512
NUM_BLOCKS = 5
#: The residual branch's weight: `inputs + 0.3 * output`.
RESIDUAL_SCALE = 0.3


def _conv(width, kernel_size, name):
    # tflib's Conv1D defaults to he_init: uniform with variance 2 / fan_avg.
    return keras.layers.Conv1D(
        width,
        kernel_size,
        padding="same",
        name=name,
        kernel_initializer=common.initializer(common.HE_INIT),
    )


def _residual_block(x, width, name):
    """ReLU, Conv1D(5), ReLU, Conv1D(5); x + 0.3 * that."""
    h = keras.layers.ReLU(name=f"{name}_relu1")(x)
    h = _conv(width, 5, f"{name}_conv1")(h)
    h = keras.layers.ReLU(name=f"{name}_relu2")(h)
    h = _conv(width, 5, f"{name}_conv2")(h)
    h = keras.layers.Rescaling(RESIDUAL_SCALE, name=f"{name}_scale")(h)
    return keras.layers.Add(name=f"{name}_add")([x, h])


def _check(sequence_length, width, num_blocks):
    return (
        common.check_int("sequence_length", sequence_length, 1),
        common.check_int("width", width, 1),
        common.check_int("num_blocks", num_blocks, 0),
    )


def language_generator(
    vocabulary,
    sequence_length=SEQUENCE_LENGTH,
    latent_dim=128,
    width=PAPER_WIDTH,
    num_blocks=NUM_BLOCKS,
    name="generator",
):
    """The paper's character generator: z to a softmax per position.

    `gan_language.py` `Generator`: Dense(sequence_length * width) (Glorot), reshaped to
    [sequence_length, width], `num_blocks` residual blocks, a 1x1 convolution to the
    vocabulary, softmax over the characters (`CharacterSoftmax`, which keeps the
    vocabulary). Decoding takes the argmax at each position.

    Args:
        vocabulary: the string of each character index (see `CharacterSoftmax`).
        sequence_length: positions per sequence. Default 32, the paper's.
        latent_dim: size of z. Default 128.
        width: channels of the residual blocks (the paper's DIM). Default 512.
        num_blocks: residual blocks. Default 5.
        name: the model's name.

    Returns:
        A functional `keras.Model` from z [batch, latent_dim] to character distributions
        [batch, sequence_length, len(vocabulary)].

    Example:
    >>> g = language_generator(["", "?", "a", "b"], sequence_length=4, latent_dim=8, width=8)
    >>> g.output_shape
    (None, 4, 4)
    """
    sequence_length, width, num_blocks = _check(sequence_length, width, num_blocks)
    latent_dim = common.check_int("latent_dim", latent_dim, 1)
    softmax = CharacterSoftmax(vocabulary, name="characters")
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(
        sequence_length * width,
        name="input_dense",
        kernel_initializer=common.initializer(common.GLOROT_INIT),
    )(z)
    x = keras.layers.Reshape((sequence_length, width), name="input_reshape")(x)
    for i in range(num_blocks):
        x = _residual_block(x, width, f"block{i + 1}")
    x = _conv(len(softmax.vocabulary), 1, "output_conv")(x)
    return keras.Model(z, softmax(x), name=name)


def language_critic(
    vocab_size,
    sequence_length=SEQUENCE_LENGTH,
    width=PAPER_WIDTH,
    num_blocks=NUM_BLOCKS,
    name="critic",
):
    """The paper's character critic: a sequence of character distributions to a score.

    `gan_language.py` `Discriminator`: a 1x1 convolution from the characters to `width`
    channels (no activation), `num_blocks` residual blocks, flatten, Dense(1) (Glorot).
    It reads one-hot real sequences and the generator's softmax alike; with no
    normalisation, each example's score depends on that example only, as the gradient
    penalty needs.

    Args:
        vocab_size: characters per position (the one-hot width).
        sequence_length: positions per sequence. Default 32.
        width: channels of the residual blocks. Default 512.
        num_blocks: residual blocks. Default 5.
        name: the model's name.

    Returns:
        A functional `keras.Model` from [batch, sequence_length, vocab_size] to scores
        [batch, 1].
    """
    sequence_length, width, num_blocks = _check(sequence_length, width, num_blocks)
    vocab_size = common.check_int("vocab_size", vocab_size, 2)
    x_in = keras.Input((sequence_length, vocab_size), name="characters")
    x = _conv(width, 1, "input_conv")(x_in)
    for i in range(num_blocks):
        x = _residual_block(x, width, f"block{i + 1}")
    x = keras.layers.Flatten(name="flatten")(x)
    score = keras.layers.Dense(
        1, name="score", kernel_initializer=common.initializer(common.GLOROT_INIT)
    )(x)
    return keras.Model(x_in, score, name=name)


def build_language(
    vocabulary,
    sequence_length=SEQUENCE_LENGTH,
    latent_dim=128,
    width=PAPER_WIDTH,
    num_blocks=NUM_BLOCKS,
):
    """(generator, critic) of the paper's language model over `vocabulary`."""
    generator = language_generator(vocabulary, sequence_length, latent_dim, width, num_blocks)
    critic = language_critic(len(vocabulary), sequence_length, width, num_blocks)
    return generator, critic


def vocabulary_of(generator):
    """The vocabulary a language generator decodes with, or None for other generators."""
    for layer in getattr(generator, "layers", ()):
        if isinstance(layer, CharacterSoftmax):
            return list(layer.vocabulary)
    return None
