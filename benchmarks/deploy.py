"""The generator's exported files: size, and the time of one generation, per runtime.

    python benchmarks/deploy.py --repeats 50

Run from the repository root with `keras_wgan[deploy]` installed; the script is not part
of the package and uses its public API only. For each model it exports the generator as
a SavedModel (`export_generator`'s default format), an ONNX file and a LiteRT file, then
times one generation (z, already in memory, to samples and uint8 pixels) at batch 1 and
64: the SavedModel's `serving_default` in TensorFlow (with its input checks), onnxruntime
(CPU) and the LiteRT interpreter (its signature runner, XNNPACK). Each time is the median
of `--repeats` calls after `--warmup` ones. Untrained weights: the time and size do not
depend on the values.

The models, at this package's sizes (z of 128):

- "digits MLP": the "digits" recipe's fully connected generator, 256 wide, 8x8x1 images;
- "DCGAN": the paper's DCGAN generator for 32x32x3 images at width `--dcgan-width`
  (default 32; the paper's is 64).

The output is a Markdown table (docs/guides/deploying.md).
"""

import argparse
import os
import statistics
import tempfile
import time

import keras
import numpy as np

import keras_wgan
from keras_wgan import architectures


def _models(dcgan_width):
    keras.utils.set_random_seed(0)
    yield "digits MLP (8x8x1, width 256)", architectures.build("mlp", (8, 8, 1), width=256)
    yield (
        f"DCGAN (32x32x3, width {dcgan_width})",
        architectures.build("dcgan", (32, 32, 3), width=dcgan_width),
    )


def _size(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(
        os.path.getsize(os.path.join(folder, name))
        for folder, _, names in os.walk(path)
        for name in names
    )


def _median_ms(call, repeats, warmup):
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _runners(paths):
    """{runtime: function(z) running the export at paths[format]}."""
    import onnxruntime
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    serving = tf.saved_model.load(paths["tf_saved_model"]).signatures["serving_default"]
    session = onnxruntime.InferenceSession(paths["onnx"], providers=["CPUExecutionProvider"])
    runner = Interpreter(model_path=paths["litert"]).get_signature_runner()
    return {
        "tf_saved_model": lambda z: serving(z=tf.constant(z))["images_uint8"].numpy(),
        "onnx": lambda z: session.run(None, {"z": z}),
        "litert": lambda z: runner(z=z),
    }


RUNTIMES = {
    "tf_saved_model": "SavedModel (TensorFlow)",
    "onnx": "ONNX (onnxruntime)",
    "litert": "LiteRT (interpreter)",
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--dcgan-width", type=int, default=32)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, (generator, critic) in _models(args.dcgan_width):
            gan = keras_wgan.WGAN(generator, critic)
            base = os.path.join(folder, name.split()[0])
            paths = {
                "tf_saved_model": keras_wgan.export_generator(gan, base),
                "onnx": keras_wgan.export_generator(gan, base + ".onnx", format="onnx"),
                "litert": keras_wgan.export_generator(gan, base + ".tflite", format="litert"),
            }
            runners = _runners(paths)
            for runtime, run in runners.items():
                times = []
                for batch in (1, 64):
                    z = np.random.default_rng(0).standard_normal((batch, 128)).astype("float32")
                    times.append(_median_ms(lambda run=run, z=z: run(z), args.repeats, args.warmup))
                rows.append((name, RUNTIMES[runtime], _size(paths[runtime]), *times))
    print("| model | format (runtime) | size | batch 1 | batch 64 |")
    print("|---|---|--:|--:|--:|")
    for name, runtime, size, t1, t64 in rows:
        print(f"| {name} | {runtime} | {size / 2**20:.2f} MiB | {t1:.2f} ms | {t64:.2f} ms |")


if __name__ == "__main__":
    main()
