"""Python Optimal Transport, imported without its PyTorch, JAX and CuPy backends.

The package passes it NumPy arrays only; POT would otherwise import PyTorch and JAX where
they are installed (about 2 seconds a process, and their thread pools). A user's own
setting of these variables wins.
"""

import os

for _key in ("POT_BACKEND_DISABLE_PYTORCH", "POT_BACKEND_DISABLE_JAX", "POT_BACKEND_DISABLE_CUPY"):
    os.environ.setdefault(_key, "1")

import ot  # noqa: E402  (after the variables it reads)

__all__ = ["ot"]
