"""Argument checks with Keras's message shape.

Every public function checks its arguments where they enter and raises a `ValueError`
worded as Keras words its own: "Invalid value for argument `n_critic`. Received:
n_critic=0. Expected an integer >= 1."
"""

import math

import numpy as np


def invalid(name, value, expected):
    """The `ValueError` for argument `name`, received as `value`, with what was expected.

    Example:
    >>> str(invalid("n_critic", 0, "an integer >= 1"))
    'Invalid value for argument `n_critic`. Received: n_critic=0. Expected an integer >= 1.'
    """
    return ValueError(
        f"Invalid value for argument `{name}`. Received: {name}={value!r}. Expected {expected}."
    )


def is_int(value):
    """Whether `value` is an integer (Python or NumPy), booleans excluded."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_int(name, value, minimum):
    """`value` as an `int` if it is an integer >= `minimum`; else raises `invalid`.

    Example:
    >>> check_int("n_critic", 5, 1)
    5
    >>> check_int("n_critic", 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: Invalid value for argument `n_critic`. Received: n_critic=0. Expected an integer >= 1.
    """
    if not is_int(value) or value < minimum:
        raise invalid(name, value, f"an integer >= {minimum}")
    return int(value)


def check_float(name, value, positive=False):
    """`value` as a `float` if it is a finite number >= 0 (> 0 with `positive`).

    Example:
    >>> check_float("gp_weight", 10)
    10.0
    """
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value > 0 if positive else value >= 0)
    if not ok:
        raise invalid(name, value, f"a finite number {'> 0' if positive else '>= 0'}")
    return float(value)


def check_choice(name, value, choices):
    """`value` if it is one of `choices`; else raises `invalid` listing them.

    Example:
    >>> check_choice("conditioning", "ac-gan", ("ac-gan-paper", "ac-gan"))
    'ac-gan'
    """
    if value not in choices:
        raise invalid(name, value, f"one of {list(choices)}")
    return value
