"""What a model generates: 2-D points, images or text, read off its networks."""

from keras_wgan.architectures.language import vocabulary_of

#: The kinds of samples, as `keras_wgan.datasets.KINDS` names the kinds of data.
KINDS = ("points", "images", "text")


def model_kind(model):
    """ "text" for a generator ending in `CharacterSoftmax`, "images" for samples of rank 4
    ([batch, height, width, channels]), else "points".

    Args:
        model: a `keras_wgan.WGAN` (anything with `generator` and `sample_shape`).

    Example:
    >>> import keras, keras_wgan
    >>> g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    >>> d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model_kind(keras_wgan.WGAN(g, d))
    'points'
    """
    if vocabulary_of(model.generator) is not None:
        return "text"
    return "images" if len(model.sample_shape) == 4 else "points"
