"""Networks' initial weights drawn from a seed, after the networks were built.

Keras draws a layer's weights when it is built, from its initializers; an initializer
without a seed of its own draws from Keras's global seed (`keras.utils.set_random_seed`),
or from a fresh one when that was never set. So two processes that build the same networks
without setting it start from different weights, whatever seed the model is given later.
`redraw_weights` draws them again, as the layers' own initializers would, each with a seed
derived from the given one: the same networks and seed give the same weights in every
process and on every backend. `as_built` tells a network still as its initializers left
it from one whose weights were trained, loaded or set.
"""

import itertools
import warnings

import keras
import numpy as np

#: The initializers that give every entry one value, and that value.
_CONSTANTS = {"Zeros": lambda config: 0.0, "Ones": lambda config: 1.0}
_CONSTANTS["Constant"] = lambda config: config.get("value", 0.0)


def global_seed_is_set():
    """Whether `keras.utils.set_random_seed` was called in this process (the networks
    built since then drew reproducible weights)."""
    try:
        from keras.src.backend.common import global_state
    except ImportError:  # pragma: no cover - another layout of Keras: assume not
        return False
    return global_state.get_global_attribute("global_random_seed") is not None


def as_built(network):
    """Whether `network`'s weights are as its initializers drew them, judged by the weights
    whose initializer is a constant (biases, normalisation scales and statistics): True if
    each still holds its constant, False if one does not (the network was trained, loaded
    or set), None if it has no such weight to judge by."""
    judged = 0
    for layer in network._flatten_layers(include_self=False):
        for name in list(vars(layer)):
            if not name.endswith("_initializer"):
                continue
            initializer = getattr(layer, name)
            constant = _CONSTANTS.get(type(initializer).__name__)
            variable = getattr(layer, name[: -len("_initializer")], None)
            if constant is None or not isinstance(variable, keras.Variable):
                continue
            value = constant(initializer.get_config())
            if not np.all(keras.ops.convert_to_numpy(variable) == value):
                return False
            judged += 1
    return True if judged else None


def _seeded(config, seed, counter):
    """`config` with a seed derived from `seed` in each initializer config that has none."""
    if isinstance(config, dict):
        inner = config.get("config")
        if (
            "class_name" in config
            and isinstance(inner, dict)
            and "seed" in inner
            and inner["seed"] is None
        ):
            return dict(config, config=dict(inner, seed=(seed * 1_000_003 + next(counter)) % 2**31))
        return {key: _seeded(value, seed, counter) for key, value in config.items()}
    if isinstance(config, list):
        return [_seeded(value, seed, counter) for value in config]
    return config


def redraw_weights(network, seed):
    """Draws `network`'s weights again from its layers' initializers, seeded from `seed`.

    The network is cloned (`keras.models.clone_model`, recursively) with every unseeded
    initializer given a seed derived from `seed` in layer order, and the clone's weights
    are assigned to the network, which keeps its identity and its layers.

    Args:
        network: a functional or `Sequential` Keras model.
        seed: an int.

    Returns:
        True if the weights were drawn again; False (with a warning naming the network)
        for a model Keras cannot clone, such as a subclassed one, whose weights stay as
        they are.
    """
    counter = itertools.count()

    def clone_layer(layer):
        return layer.__class__.from_config(_seeded(layer.get_config(), seed, counter))

    try:
        clone = keras.models.clone_model(network, clone_function=clone_layer, recursive=True)
        values = clone.get_weights()
        if [v.shape for v in values] != [tuple(w.shape) for w in network.weights]:
            raise ValueError("the clone's weights do not match the network's")
    except (ValueError, TypeError, NotImplementedError) as error:
        warnings.warn(
            f"Could not draw the initial weights of {network.name!r} from the seed ({error}); "
            "they stay as built. Call keras.utils.set_random_seed before building the "
            "networks for a reproducible start.",
            stacklevel=3,
        )
        return False
    network.set_weights(values)
    return True
