"""What an export writes and records about the model: the generator it exports, and the
model's description, computed once (`describe`) and read by every format."""

from keras_wgan.architectures.kinds import model_kind
from keras_wgan.architectures.language import vocabulary_of
from keras_wgan.utils.validation import invalid


def exported_generator(model, ema):
    """The generator an export writes: `model.sampling_generator(ema)` (the moving
    average's shadow generator by default, when the model keeps one)."""
    choose = getattr(model, "sampling_generator", None)
    if choose is None:  # a model of another class, holding a generator
        if ema:
            raise invalid("ema", ema, "None or False: the model keeps no moving average")
        return model.generator
    return choose(ema)


def sync_variables(model):
    """Brings the variables up to date in the middle of a JAX `fit` (a callback's export);
    a no-op elsewhere."""
    sync = getattr(model, "_sync_variables", None)
    if sync is not None:
        sync()


def generator_step(model):
    """The model's training step; None for a model never compiled (no optimisers)."""
    return model.generator_step() if hasattr(model, "g_optimizer") else None


def describe(model, generator):
    """The description every export records: the SavedModel in `keras_wgan.json`, the ONNX
    file in its metadata (the LiteRT file holds none).

    Args:
        model: a `keras_wgan.WGAN` (anything with `generator`, `latent_dim`,
            `num_classes` and `sample_shape`).
        generator: the generator exported (`exported_generator`).

    Returns:
        A dict: `latent_dim`, `num_classes` (None for an unconditional model),
        `sample_shape` (without the batch), `kind` ("points", "images" or "text"),
        `generator_step` (None for a model never compiled); `ema` (whether `generator` is
        the moving average's) for a model that keeps one; `vocabulary` for text.

    Example:
    >>> import keras, keras_wgan
    >>> g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    >>> d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> gan = keras_wgan.WGAN(g, d)
    >>> describe(gan, gan.generator)
    {'latent_dim': 2, 'num_classes': None, 'sample_shape': [2], 'kind': 'points', 'generator_step': None}
    """
    description = {
        "latent_dim": int(model.latent_dim),
        "num_classes": model.num_classes or None,
        "sample_shape": list(model.sample_shape)[1:],
        "kind": model_kind(model),
        "generator_step": generator_step(model),
    }
    if getattr(model, "ema_generator", None) is not None:
        description["ema"] = generator is model.ema_generator
    if description["kind"] == "text":
        description["vocabulary"] = vocabulary_of(generator)
    return description
