"""Spectral normalisation of a built critic (Miyato et al. 2018).

Miyato, Kataoka, Koyama, Yoshida, "Spectral Normalization for Generative Adversarial
Networks", ICLR 2018, https://arxiv.org/abs/1802.05957: every weight layer of the
discriminator divides its kernel by the kernel's largest singular value, which bounds each
layer's Lipschitz constant by 1 (the `keras_wgan.layers.SpectralNormalization` wrapper).
"""

import keras

from keras_wgan.layers.spectral_normalization import SpectralNormalization

#: The layers whose kernel `spectral_normalize` normalises (their subclasses too, such as
#: `keras_wgan.layers.ConvMeanPool`).
WEIGHT_LAYERS = (
    keras.layers.Dense,
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)


def spectral_normalize(critic):
    """A copy of the critic with every Dense and convolution layer spectrally normalised.

    Each layer of `WEIGHT_LAYERS` in the critic's graph (nested functional models included)
    becomes a `keras_wgan.layers.SpectralNormalization` wrapping a copy of it, under the
    layer's own name (so `critic.get_layer(name)` and `losses.FeatureMatching(layer=name)` still
    find it); every weight is copied, so the copy computes the critic's function with each
    kernel W replaced by W / sigma(W). Layers inside a custom layer are not reached.

    Args:
        critic: a built Sequential or functional Keras model.

    Returns:
        A new functional or Sequential `keras.Model`, named after the critic.

    Raises:
        ValueError: for a subclassed model (which cannot be cloned) or a critic without any
            Dense or convolution layer, or a critic already spectrally normalised.

    Example:
    >>> import keras
    >>> critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4),
    ...                            keras.layers.Dense(1)])
    >>> [type(layer).__name__ for layer in spectral_normalize(critic).layers]
    ['SpectralNormalization', 'SpectralNormalization']
    """
    if not isinstance(critic, keras.Model):
        raise ValueError(
            f"Invalid value for argument `critic`. Received: critic={critic!r}. Expected a "
            "Sequential or functional Keras model."
        )
    if any(isinstance(layer, SpectralNormalization) for layer in critic._flatten_layers()):
        raise ValueError(f"The critic {critic.name!r} is spectrally normalised already.")
    pairs = []

    def clone(layer):
        config = layer.get_config()
        normalize = isinstance(layer, WEIGHT_LAYERS)
        if normalize:  # the wrapper takes the layer's name
            config["name"] = f"{layer.name}_normalized"
        copy = layer.__class__.from_config(config)
        pairs.append((layer, copy))
        return SpectralNormalization(copy, name=layer.name) if normalize else copy

    try:
        normalized = keras.models.clone_model(critic, clone_function=clone, recursive=True)
    except ValueError as error:  # a subclassed model, which `clone_model` refuses
        raise ValueError(
            f"spectral_normalize needs a Sequential or functional critic ({error}); wrap "
            "the weight layers of a subclassed one in "
            "`keras_wgan.layers.SpectralNormalization` where it builds them."
        ) from None
    if not any(isinstance(layer, WEIGHT_LAYERS) for layer, _ in pairs):
        raise ValueError(
            f"The critic {critic.name!r} has no Dense or convolution layer to normalise."
        )
    for layer, copy in pairs:
        copy.set_weights(layer.get_weights())
    return normalized
