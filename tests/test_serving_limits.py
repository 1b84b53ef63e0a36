"""Bad requests to an export are refused in the graph, as TF Serving would pass them on."""

import json
import os
import subprocess
import sys

import pytest
from helpers import tiny_image_gan

from keras_wgan.export import METADATA, export_generator, metadata

MAX_SAMPLES = 8

# A fresh process that imports TensorFlow only, as a server loads the model; every request
# is sent through the loaded signatures, which pass a tensor of any shape to the graph.
REQUESTS = """
import json, sys, time, numpy as np, tensorflow as tf
path, conditional = sys.argv[1], sys.argv[2] == "1"
loaded = tf.saved_model.load(path)
default, seeded = loaded.signatures["serving_default"], loaded.signatures["generate_from_seed"]
z = lambda n, width=4: tf.zeros([n, width])
seed = lambda n: {"seed": tf.constant(7, tf.int64), "num_samples": tf.constant(n, tf.int32)}
labels = lambda *values: {"labels": tf.constant(values, tf.int32)} if conditional else {}
cases = {
    "good z": (default, {"z": z(2), **labels(0, 2)}),
    "good seed": (seeded, {**seed(2), **labels(1, 0)}),
    "z width": (default, {"z": z(2, 3), **labels(0, 1)}),
    "z nan": (default, {"z": tf.constant([[0, np.nan, 0, 0]], tf.float32), **labels(0)}),
    "z inf": (default, {"z": tf.constant([[0, 0, np.inf, 0]], tf.float32), **labels(0)}),
    "z rows": (default, {"z": z(9), **labels(*[0] * 9)}),
    "z vector": (default, {"z": tf.zeros([4]), **labels(0)}),
    "z rank 3": (default, {"z": tf.zeros([2, 4, 1]), **labels(0, 1)}),
    "num_samples -1": (seeded, {**seed(-1), **labels()}),
    "num_samples 0": (seeded, {**seed(0), **labels()}),
    "num_samples huge": (seeded, {**seed(2**31 - 1), **labels(0)}),
    "num_samples over": (seeded, {**seed(9), **labels(*[0] * 9)}),
}
if conditional:
    cases.update({
        "labels negative": (default, {"z": z(2), **labels(-1, 0)}),
        "labels too big": (default, {"z": z(2), **labels(0, 3)}),
        "labels short": (default, {"z": z(2), **labels(0)}),
        "seed labels too big": (seeded, {**seed(2), **labels(3, 0)}),
        "seed labels long": (seeded, {**seed(2), **labels(0, 1, 2)}),
        "labels matrix": (default, {"z": z(2), "labels": tf.zeros([2, 1], tf.int32)}),
        "labels scalar": (default, {"z": z(1), "labels": tf.constant(0, tf.int32)}),
        "seed labels scalar": (seeded, {**seed(1), "labels": tf.constant(0, tf.int32)}),
    })
results = {}
for name, (fn, inputs) in cases.items():
    start = time.perf_counter()
    try:
        outputs = fn(**inputs)
        results[name] = {"ok": sorted(outputs), "seconds": time.perf_counter() - start}
    except tf.errors.InvalidArgumentError as error:
        line = [l for l in error.message.splitlines()
                if "assertion failed" in l or l.startswith("Shape of tensor")]
        results[name] = {"refused": line[0] if line else error.message,
                         "seconds": time.perf_counter() - start}
print(json.dumps({"results": results, "keras_wgan": "keras_wgan" in sys.modules}))
"""

NAMED = {
    "z width": "latent_dim = 4 columns",
    "z nan": "`z` must be finite",
    "z inf": "`z` must be finite",
    "z rows": "the row count of `z` must be in [1, 8]",
    "num_samples -1": "`num_samples` must be in [1, 8]",
    "num_samples 0": "`num_samples` must be in [1, 8]",
    "num_samples huge": "`num_samples` must be in [1, 8]",
    "num_samples over": "`num_samples` must be in [1, 8]",
    "labels negative": "`labels` must be class indices in [0, 3)",
    "labels too big": "`labels` must be class indices in [0, 3)",
    "labels short": "`labels` must hold one class label per sample",
    "seed labels too big": "`labels` must be class indices in [0, 3)",
    "seed labels long": "`labels` must hold one class label per sample",
    # A wrong rank is named too (on the old code: "slice index 1 of dimension 0 out of
    # bounds", "In[0] should be a scalar", naming no input).
    "z vector": "Shape of tensor z [4] is not compatible",
    "z rank 3": "Shape of tensor z [2,4,1] is not compatible",
    "labels matrix": "Shape of tensor labels [2,1] is not compatible",
    "labels scalar": "Shape of tensor labels [] is not compatible",
    "seed labels scalar": "Shape of tensor labels [] is not compatible",
}


@pytest.mark.parametrize("num_classes", [None, 3], ids=["unconditional", "conditional"])
def test_every_bad_request_is_refused_with_a_message_naming_its_input(tmp_path, num_classes):
    gan = tiny_image_gan(num_classes)
    path = export_generator(gan, str(tmp_path / "model"), max_samples=MAX_SAMPLES)
    assert metadata(path) == {
        "latent_dim": 4,
        "num_classes": num_classes,
        "max_samples": MAX_SAMPLES,
        "sample_shape": [4, 4, 1],
        "kind": "images",
        "generator_step": 0,
    }
    assert os.path.isfile(os.path.join(path, METADATA))
    run = subprocess.run(
        [sys.executable, "-c", REQUESTS, path, "1" if num_classes else "0"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["keras_wgan"] is False
    results = report["results"]
    assert "ok" in results["good z"] and "ok" in results["good seed"]
    assert "z" in results["good seed"]["ok"]
    expected = {name: text for name, text in NAMED.items() if name in results}
    assert len(expected) == len(results) - 2
    for name, text in expected.items():
        assert text in results[name].get("refused", ""), (name, results[name])
    # Refused before the random op: no [2^31 - 1, latent_dim] tensor is ever made.
    assert results["num_samples huge"]["seconds"] < 0.5


def test_max_samples_must_be_a_positive_integer(tmp_path):
    gan = tiny_image_gan()
    # 2**31: on the old code, accepted here and refused by TensorFlow after the graph was
    # traced (num_samples is int32), after a whole training run under `keras-wgan train`.
    for bad in (0, -3, 2.5, True, "8", 2**31, 2**40):
        with pytest.raises(ValueError, match="max_samples"):
            export_generator(gan, str(tmp_path / "model"), max_samples=bad)
    assert not os.path.exists(tmp_path / "model") or not os.listdir(tmp_path / "model")


def test_the_load_test_serves_both_signatures_from_threads(tmp_path):
    import importlib.util

    script = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "usage", "load_test.py")
    spec = importlib.util.spec_from_file_location("load_test", script)
    load_test = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(load_test)
    with open(script) as f:
        code = f.read().split('"""', 2)[2]
    assert "import keras" not in code and "from keras" not in code  # TensorFlow alone
    base = str(tmp_path / "model")
    export_generator(tiny_image_gan(3), base, max_samples=MAX_SAMPLES)
    report = load_test.main(
        [
            "--model",
            base,
            "--requests",
            "30",
            "--threads",
            "3",
            "--batch-sizes",
            "1",
            "8",
            "--json",
            str(tmp_path / "load.json"),
        ]
    )
    cells = {(c["signature"], c["batch"]): c for c in report["cells"]}
    assert sorted(cells) == [
        ("generate_from_seed", 1),
        ("generate_from_seed", 8),
        ("serving_default", 1),
        ("serving_default", 8),
    ]
    for cell in cells.values():
        assert cell["requests"] == 30 and not cell["stopped_early"]
        assert 0 < cell["p50_ms"] <= cell["p99_ms"] and cell["samples_per_s"] > 0
    assert json.load(open(tmp_path / "load.json"))["peak_rss_mb"] >= report["rss_mb_loaded"] > 0
