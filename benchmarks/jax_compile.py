"""What a small script pays to compile its train step on JAX, and what the persistent
compilation cache saves.

Runs the same script three times, each in a fresh process: on TensorFlow, on JAX, and on
JAX again with the cache that the second run filled. The script builds the own-data
guide's points WGAN (two Dense layers of 64), fits it twice for one epoch of 6 generator
steps and reports the seconds of each `fit` (the first compiles the step, the second
reuses it) and of the whole process.

    KERAS_BACKEND=jax python benchmarks/jax_compile.py
"""

import json
import os
import subprocess
import sys
import tempfile
import time

SCRIPT = """
import json, sys, time
import keras, numpy as np, keras_wgan
points = np.random.default_rng(0).normal(size=(2000, 2)).astype("float32")
g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(64, activation="relu"),
                      keras.layers.Dense(2)])
d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(64, activation="relu"),
                      keras.layers.Dense(1)])
gan = keras_wgan.WGAN(g, d, seed=0)
gan.compile()
times = []
for _ in range(2):
    start = time.perf_counter()
    gan.fit(points, batch_size=64, epochs=1, verbose=0)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def _run(backend, **env):
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=dict(os.environ, KERAS_BACKEND=backend, **env),
        capture_output=True,
        text=True,
        check=True,
    )
    first, second = json.loads(result.stdout.strip().splitlines()[-1])
    return {"first fit": first, "second fit": second, "process": time.perf_counter() - start}


def main():
    cache = tempfile.mkdtemp(prefix="jax_cache_")
    cached = {
        "JAX_COMPILATION_CACHE_DIR": cache,
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }
    rows = [
        ("tensorflow", _run("tensorflow")),
        ("jax", _run("jax")),
        ("jax, cache being filled", _run("jax", **cached)),
        ("jax, cache filled", _run("jax", **cached)),
    ]
    print("| backend | first fit (compiles) | second fit | whole process |")
    print("|---|---|---|---|")
    for name, row in rows:
        print(
            f"| {name} | {row['first fit']:.1f} s | {row['second fit']:.2f} s | "
            f"{row['process']:.1f} s |"
        )


if __name__ == "__main__":
    main()
