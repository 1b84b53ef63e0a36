"""`CharacterSoftmax`: the language model's last layer, carrying its vocabulary."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_wgan")
class CharacterSoftmax(keras.layers.Layer):
    """Softmax over the last axis that also carries the vocabulary decoding it.

    The generator's last layer: it holds, in its config, the string of each character
    index (index 0 the padding, decoded as ""), so a saved generator, a checkpoint or an
    export decodes its own samples with no dataset at hand.

    Args:
        vocabulary: the string of each index, a list of `vocab_size` strings.

    Example:
    >>> layer = CharacterSoftmax(["", "?", "a", "b"])
    >>> tuple(layer(ops.zeros((1, 2, 4))).shape)
    (1, 2, 4)
    """

    def __init__(self, vocabulary, **kwargs):
        super().__init__(**kwargs)
        vocabulary = list(vocabulary)
        if len(vocabulary) < 2 or not all(isinstance(s, str) for s in vocabulary):
            raise ValueError(
                "Invalid value for argument `vocabulary`. Expected a list of at least 2 "
                f"strings; received {len(vocabulary)} item(s)."
            )
        self.vocabulary = vocabulary

    def call(self, logits):
        return ops.softmax(logits, axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "vocabulary": self.vocabulary}
