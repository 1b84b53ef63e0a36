"""Refusing to write NaN or infinite weights: a diverged run must not replace a good file."""

import keras
import numpy as np


def model_variables(model):
    """The variables a saved model holds: its weights and those of every optimiser it
    holds as an attribute (a compiled Keras model's `optimizer`, a GAN's two), each
    variable once.

    Args:
        model: a Keras model.

    Returns:
        A list of Keras variables.
    """
    found, seen = [], set()
    optimizers = [v for v in vars(model).values() if isinstance(v, keras.optimizers.Optimizer)]
    groups = [model.weights] + [list(opt.variables) for opt in optimizers]
    for variable in (v for group in groups for v in group):
        if id(variable) not in seen:
            seen.add(id(variable))
            found.append(variable)
    return found


def check_finite_variables(variables, destination):
    """Raises a `FloatingPointError` naming the first variable holding NaN or infinity.

    Called before a file is written, so that the previous one is kept.

    Args:
        variables: Keras variables; those of integer or boolean dtype are skipped.
        destination: what would have been written, for the message (a path).

    Raises:
        FloatingPointError: if a floating-point variable holds a NaN or an infinity.

    Example:
    >>> v = keras.Variable([1.0, float("nan")], name="kernel")
    >>> check_finite_variables([v], "run/checkpoint.keras")
    Traceback (most recent call last):
    ...
    FloatingPointError: Refusing to write 'run/checkpoint.keras': the variable 'kernel' holds NaN or infinite values. Nothing was written; the previous file is kept.
    """
    for variable in variables:
        if not keras.backend.is_float_dtype(variable.dtype):
            continue
        if not np.isfinite(keras.ops.convert_to_numpy(variable)).all():
            raise FloatingPointError(
                f"Refusing to write {str(destination)!r}: the variable "
                f"{variable.path!r} holds NaN or infinite values. Nothing was written; "
                "the previous file is kept."
            )


def check_finite(arrays, what="data"):
    """Raises a ValueError naming the first example that holds NaN or Inf.

    Args:
        arrays: an array or a structure of arrays (examples along the first axis);
            integer arrays are skipped.
        what: how the error names the data.
    """
    for array in keras.tree.flatten(arrays):
        array = np.asarray(array)
        if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
            bad = np.argwhere(~np.isfinite(array.reshape(len(array), -1)).all(axis=1)).ravel()
            raise ValueError(
                f"The {what} holds NaN or Inf values in {len(bad)} example(s) (the first at "
                f"index {int(bad[0])}); expected finite values."
            )
