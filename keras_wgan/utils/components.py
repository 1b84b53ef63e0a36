"""What every option component shares: `from_config`, a readable `repr`, equality of
configs, and `get`'s way of turning an identifier into a component."""

import keras

from keras_wgan.utils.validation import invalid


class Component:
    """The base of the option components (losses, conditioning, augmentation, EMA).

    A subclass checks its arguments in `__init__` and returns them from `get_config`;
    `from_config` calls the constructor with them.
    """

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    __hash__ = None


def get(name, identifier, base, shorthand=None, expected=""):
    """A component of class `base` from `identifier`: a component (itself), None (None), a
    config `keras.saving.serialize_keras_object` wrote, or what `shorthand` accepts.

    Args:
        name: the argument's name, for the error.
        identifier: what the caller was given.
        base: the components' class.
        shorthand: a callable turning other values into a component, returning None for
            values it does not take.
        expected: what the error says is expected.
    """
    if identifier is None or isinstance(identifier, base):
        return identifier
    component = None
    if isinstance(identifier, dict):
        component = keras.saving.deserialize_keras_object(identifier)
    elif shorthand is not None:
        component = shorthand(identifier)
    if isinstance(component, base):
        return component
    raise invalid(name, identifier, expected)
