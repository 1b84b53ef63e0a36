"""An exponential moving average of the generator's weights (StyleGAN, BigGAN), as the
component of `keras_wgan.WGAN(ema=...)`."""

import keras
from keras import ops

from keras_wgan.utils.components import Component
from keras_wgan.utils.components import get as _get
from keras_wgan.utils.validation import check_int, invalid


def ema_update(shadow, weights, averaged, step, decay, start):
    """The shadow weights after a generator update, in a pure form.

    shadow = decay * shadow + (1 - decay) * weights for the generator's trainable weights
    once the generator step has passed `start`, and a plain copy before that; the other
    weights (batch norm statistics) are always copied.

    Args:
        shadow: the shadow generator's values, one per weight of the generator.
        weights: the generator's values after the update, in the same order.
        averaged: per weight, whether it is averaged (trainable) or copied.
        step: the generator step the update made (1 for the first), an integer scalar.
        decay: the decay of the average, a float in (0, 1).
        start: the generator step after which averaging starts (0: from the first).

    Returns:
        The new shadow values.

    Example:
    >>> [round(float(v), 6) for v in ema_update([0.0], [1.0], [True], 5, 0.9, 0)]
    [0.1]
    """
    averaging = ops.greater(step, start)
    new = []
    for value, weight, average in zip(shadow, weights, averaged):
        value = ops.convert_to_tensor(value)
        weight = ops.cast(weight, value.dtype)
        if average:
            new.append(ops.where(averaging, decay * value + (1.0 - decay) * weight, weight))
        else:  # a copy: on JAX two variables must not share a buffer
            new.append(ops.copy(weight))
    return new


def clone(generator):
    """A new model of the generator's architecture (its own, fresh variables):
    `keras.models.clone_model` for a Sequential or functional generator, else a round
    trip through its config."""
    try:
        return keras.models.clone_model(generator)
    except ValueError:  # a subclassed model, which `clone_model` refuses
        return keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(generator))


@keras.saving.register_keras_serializable(package="keras_wgan")
class EMA(Component):
    """An exponential moving average of the generator's weights.

    The model then keeps `ema_generator`, a clone of the generator whose weights, after
    each generator update, become shadow = decay * shadow + (1 - decay) * weights (for
    the generator's trainable weights; its non-trainable ones, such as batch norm's
    moving statistics, are copied). They are non-trainable state of the model: saved,
    resumed, and carried through the JAX step. `generate`, `export` and the sampling and
    evaluation callbacks then use it, unless given `ema=False` (the raw generator).

    Args:
        decay: a number in (0, 1), such as 0.999. Default 0.999.
        start: the generator step after which the average starts: for the first `start`
            generator steps the shadow copies the weights. Default 0.

    Example:
    >>> from keras_wgan.ema import EMA
    >>> EMA(0.999, start=1000)
    EMA(decay=0.999, start=1000)
    """

    def __init__(self, decay=0.999, start=0):
        ok = isinstance(decay, (int, float)) and not isinstance(decay, bool)
        if not (ok and 0.0 < float(decay) < 1.0):
            raise invalid("decay", decay, "a number in (0, 1), such as 0.999")
        self.decay = float(decay)
        self.start = check_int("start", start, 0)
        self.pairs = []

    def build(self, model):
        """Creates the shadow generator as `model.ema_generator`, holding a copy of the
        generator's weights (a non-trainable sublayer: its variables are the model's
        non-trainable state)."""
        generator = model.generator
        shadow = clone(generator)
        if not shadow.built:
            shadow.build(model.generator_input_shape())
        if [tuple(v.shape) for v in shadow.weights] != [tuple(v.shape) for v in generator.weights]:
            raise ValueError(
                "`ema` needs a clone of the generator, but its clone (from its config) has "
                "other weights; give the generator a `get_config` that rebuilds it."
            )
        for copy, weight in zip(shadow.weights, generator.weights):
            # A copy of the value: on JAX the two variables must not share a buffer.
            copy.assign(ops.convert_to_numpy(weight))
        shadow.trainable = False
        model.ema_generator = shadow
        trainable = {id(v) for v in generator.trainable_variables}
        #: [(shadow variable, generator variable, averaged)], in `weights` order.
        self.pairs = [(s, w, id(w) in trainable) for s, w in zip(shadow.weights, generator.weights)]

    def after_generator_update(self, model):
        """Folds the generator's new weights into the shadow generator."""
        shadows, weights, averaged = zip(*self.pairs)
        new = ema_update(
            [v.value for v in shadows],
            [v.value for v in weights],
            averaged,
            model.g_optimizer.iterations.value,
            self.decay,
            self.start,
        )
        model.assign_values(shadows, new)

    def get_config(self):
        return {"decay": self.decay, "start": self.start}


def get(identifier):
    """An EMA component from a component, a decay (an `EMA` with it) or a serialized
    config; None stays None."""
    return _get(
        "ema",
        identifier,
        EMA,
        lambda x: EMA(x) if isinstance(x, float) else None,
        "None, a decay in (0, 1) or a keras_wgan.ema.EMA",
    )
