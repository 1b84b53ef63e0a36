"""Checks of the arrays the metrics take, shared by the metric modules."""

import numpy as np


def invalid(arg, value, expected):
    """The `ValueError` of an invalid array argument, `value` already worded."""
    return ValueError(f"Invalid value for argument `{arg}`. Received: {arg}={value}. {expected}")


def as_matrix(arg, value, min_rows):
    """Converts `value` to a finite float64 array of shape [n, d] with n >= min_rows."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != 2:
        raise invalid(
            arg,
            f"array of shape {array.shape}",
            "Expected a 2-D array of shape [num_samples, num_features].",
        )
    if array.shape[0] < min_rows or array.shape[1] < 1:
        raise invalid(
            arg,
            f"array of shape {array.shape}",
            f"Expected at least {min_rows} samples and 1 feature.",
        )
    if not np.all(np.isfinite(array)):
        raise invalid(arg, f"array of shape {array.shape}", "Expected only finite values.")
    return array


def check_same_features(a, b):
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            "Arguments `activations_a` and `activations_b` must have the same number of "
            f"features. Received: activations_a.shape={a.shape}, "
            f"activations_b.shape={b.shape}."
        )
