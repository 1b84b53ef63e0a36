"""The test session's environment: the backend, quiet TensorFlow, a private cache.

Shared helpers live in `helpers.py` (`from helpers import ...`, also from the subfolders,
which mirror the package: layers/, trainers/, datasets/, evaluation/, callbacks/).
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Two test workers share two cores: one thread each for TensorFlow's and oneDNN's pools (and
# for the processes the tests start, which inherit it), instead of each oversubscribing both.
for _name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
# The digits classifier is cached; tests train their own, never touching the user's cache.
os.environ["KERAS_WGAN_CACHE"] = tempfile.mkdtemp(prefix="keras_wgan_cache_")
