"""The generator as one ONNX or LiteRT file (`export_generator(..., format=...)`, the CLI's
`--format`, `gan.export(..., format=...)`): onnxruntime and the LiteRT interpreter give
the SavedModel's samples, for each architecture, unconditional and conditional; a format
or a generator that cannot be exported leaves no file.

Needs the `deploy` extra's packages (the `test` extra installs them); skipped without
them. The default run keeps two fast cases; `pytest -m slow tests/test_deploy.py -n 0`
runs the others.
"""

import os
import re
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import run_on_backend, tiny_image_gan

import keras_wgan
from keras_wgan import architectures, cli, deploy, models
from keras_wgan.architectures import language
from keras_wgan.conditioning import ACGAN
from keras_wgan.export import export_file, export_generator, export_saved_model

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
pytest.importorskip("tf2onnx")
litert = pytest.importorskip("ai_edge_litert.interpreter")

NUM_Z = 8
TOLERANCE = 1e-4


def _perturbed(gan):
    """`gan` with batch norm's statistics, gammas and betas away from their initial
    values, so that inference mode and each class's parameters show in the samples."""
    rng = np.random.default_rng(1)
    for v in gan.generator.weights:
        shape, path = tuple(v.shape), v.path
        if "moving_variance" in path:
            v.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif any(k in path for k in ("moving_mean", "gamma", "beta")):
            v.assign(np.asarray(v.numpy() + 0.2 * rng.standard_normal(shape), "float32"))
    return gan


def _gan(case, num_classes=None):
    keras.utils.set_random_seed(0)
    if case == "toy":
        generator, critic = models.toy_generator(width=16), models.toy_critic(width=16)
    elif case == "digits-mlp":
        generator, critic = architectures.build(
            "mlp", (8, 8, 1), latent_dim=8, width=16, num_classes=num_classes
        )
    elif case == "dcgan":
        generator, critic = architectures.build("dcgan", (16, 16, 3), latent_dim=8, width=8)
    elif case == "cifar10-resnet":
        generator, critic = architectures.build(
            "cifar10-resnet", (8, 8, 3), latent_dim=8, width=8, num_classes=num_classes
        )
    elif case == "text":
        generator, critic = language.build_language(
            ["", "?", "a", "b", "c"], latent_dim=8, width=8, num_blocks=1
        )
    conditioning = ACGAN(num_classes) if num_classes else None
    gan = keras_wgan.WGAN(generator, critic, conditioning=conditioning)
    gan.compile()
    return _perturbed(gan)


def _request(gan):
    """8 values of z, each with every class of a conditional model."""
    z = np.random.default_rng(0).standard_normal((NUM_Z, gan.latent_dim)).astype("float32")
    if not gan.num_classes:
        return {"z": z}
    k = gan.num_classes
    return {"z": np.tile(z, (k, 1)), "labels": np.repeat(np.arange(k, dtype="int32"), NUM_Z)}


def run_onnx(path, feeds):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def run_litert(path, feeds):
    return litert.Interpreter(model_path=path).get_signature_runner()(**feeds)


def _compare(gan, tmp_path):
    """{format: max |samples - SavedModel's samples|}, checking the other outputs too."""
    feeds = _request(gan)
    saved = export_saved_model(gan, str(tmp_path / "saved"))
    reference = tf.saved_model.load(saved).signatures["serving_default"](
        **{k: tf.constant(v) for k, v in feeds.items()}
    )
    reference = {k: v.numpy() for k, v in reference.items() if k != "text"}
    differences = {}
    for format, run in (("onnx", run_onnx), ("litert", run_litert)):
        path = export_generator(gan, str(tmp_path / f"g.{format}"), format=format)
        assert sorted(os.listdir(tmp_path)) == sorted(
            ["saved", *(f"g.{f}" for f in differences), f"g.{format}"]
        )  # no temporaries left
        out = run(path, feeds)
        assert sorted(out) == sorted(reference)
        assert out["samples"].dtype == np.float32
        differences[format] = float(np.abs(out["samples"] - reference["samples"]).max())
        if "images_uint8" in out:
            assert out["images_uint8"].dtype == np.uint8
            # A sample on a rounding boundary may round the other way.
            gap = np.abs(out["images_uint8"].astype(int) - reference["images_uint8"]).max()
            assert gap <= 1
        if "tokens" in out:
            np.testing.assert_array_equal(out["tokens"], reference["tokens"])
    return differences


FAST = [("digits-mlp", 10), ("cifar10-resnet", None)]
SLOW = [
    ("toy", None),
    ("digits-mlp", None),
    ("dcgan", None),
    ("cifar10-resnet", 10),
    ("text", None),
]


@pytest.mark.parametrize(
    "case, num_classes",
    [*FAST, *(pytest.param(*c, marks=pytest.mark.slow) for c in SLOW)],
    ids=lambda v: {None: "unconditional", 10: "conditional"}.get(v, v),
)
def test_onnx_and_litert_give_the_saved_model_s_samples(tmp_path, case, num_classes):
    gan = _gan(case, num_classes)
    differences = _compare(gan, tmp_path)
    print(f"{case} {num_classes}: {differences}")
    assert max(differences.values()) <= TOLERANCE, differences


def test_any_batch_size_and_the_record_in_the_onnx_file(tmp_path):
    gan = tiny_image_gan(3)
    path = gan.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    tflite = gan.export(tmp_path / "m.tflite", format="litert", verbose=False)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [(i.name, i.shape) for i in session.get_inputs()] == [
        ("z", ["batch", 4]),
        ("labels", ["batch"]),
    ]
    record = session.get_modelmeta().custom_metadata_map[deploy.ONNX_METADATA_KEY]
    assert '"num_classes": 3' in record and '"kind": "images"' in record
    runner = litert.Interpreter(model_path=tflite).get_signature_runner()
    for n in (1, 5):
        z = np.ones((n, 4), "float32")
        labels = np.zeros(n, "int32")
        expected = gan.generate(z, labels=labels)
        np.testing.assert_allclose(
            run_onnx(path, {"z": z, "labels": labels})["samples"], expected, atol=TOLERANCE
        )
        np.testing.assert_allclose(runner(z=z, labels=labels)["samples"], expected, atol=TOLERANCE)


def test_an_unsupported_format_is_refused_and_writes_nothing(tmp_path, capsys):
    gan = tiny_image_gan()
    with pytest.raises(ValueError, match="format"):
        export_generator(gan, str(tmp_path / "m.pt"), format="torchscript")
    with pytest.raises(ValueError, match="format='tf_saved_model' only"):
        export_generator(gan, str(tmp_path / "m.onnx"), version=2, format="onnx")
    with pytest.raises(NotImplementedError, match="openvino"):
        gan.export(tmp_path / "m.xml", format="openvino")
    with pytest.raises(ValueError, match="max_samples"):
        gan.export(tmp_path / "m.onnx", format="onnx", max_samples=4)
    checkpoint = str(tmp_path / "ckpt" / "gan.keras")
    os.makedirs(os.path.dirname(checkpoint))
    gan.save(checkpoint)
    with pytest.raises(SystemExit):
        cli.main(["export", "--checkpoint", checkpoint, "--format", "torchscript", "--out", "x"])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid choice: 'torchscript'" in err[0]
    assert sorted(os.listdir(tmp_path)) == ["ckpt"]


def test_a_failed_conversion_leaves_no_file(tmp_path, monkeypatch, capsys):
    gan = tiny_image_gan()
    checkpoint = str(tmp_path / "gan.keras")
    gan.save(checkpoint)

    def fails(fn, trackable, record):
        raise deploy.ConversionError("Cannot convert the generator to ONNX: op Foo")

    monkeypatch.setitem(deploy.CONVERTERS, "onnx", fails)
    with pytest.raises(deploy.ConversionError, match="op Foo"):
        export_file(gan, str(tmp_path / "m.onnx"), "onnx")
    out = str(tmp_path / "out" / "m.onnx")
    assert cli.main(["export", "--checkpoint", checkpoint, "--format", "onnx", "--out", out]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["keras-wgan: error: Cannot convert the generator to ONNX: op Foo"]
    # The write itself fails half-way: the file there before stays whole.
    monkeypatch.undo()
    existing = tmp_path / "old.tflite"
    existing.write_bytes(b"\0\0\0\0TFL3 old")  # an earlier LiteRT file: replaced, never another

    def half_written(tmp):
        with open(tmp, "wb") as f:
            f.write(b"par")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(
        "keras_wgan.export.file.write_bytes",
        lambda path, content: deploy.write_atomically(path, half_written),
    )
    with pytest.raises(OSError, match="No space"):
        export_file(gan, str(existing), "litert")
    assert existing.read_bytes() == b"\0\0\0\0TFL3 old"
    assert sorted(os.listdir(tmp_path)) == ["gan.keras", "old.tflite"]
    assert not os.path.exists(os.path.dirname(out)) or not os.listdir(os.path.dirname(out))


def test_without_the_deploy_extra_one_line_names_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tf2onnx", None)
    with pytest.raises(ImportError, match=r"keras-wgan\[deploy\]"):
        export_file(tiny_image_gan(), str(tmp_path / "m.onnx"), "onnx")
    assert not os.listdir(tmp_path)


# On JAX: the generator converted by a TensorFlow-backend process; its files give JAX's
# samples (and the SavedModel's, which runs jax2tf's op).
JAX_SCRIPT = """
import json, sys
import numpy as np
import keras, keras_wgan
from keras_wgan import architectures
from keras_wgan.conditioning import ACGAN
import onnxruntime as ort
from ai_edge_litert.interpreter import Interpreter
_, out = sys.argv[1:3]
keras.utils.set_random_seed(0)
g, d = architectures.build("mlp", (8, 8, 1), latent_dim=8, width=16, num_classes=3)
gan = keras_wgan.WGAN(g, d, conditioning=ACGAN(3))
gan.compile()
z = np.random.default_rng(0).standard_normal((24, 8)).astype("float32")
labels = np.repeat(np.arange(3, dtype="int32"), 8)
expected = gan.generate(z, labels=labels)
feeds = {"z": z, "labels": labels}
onnx_file = gan.export(out + ".onnx", format="onnx", verbose=False)
session = ort.InferenceSession(onnx_file, providers=["CPUExecutionProvider"])
names = [o.name for o in session.get_outputs()]
from_onnx = dict(zip(names, session.run(None, feeds)))["samples"]
tflite = keras_wgan.export_generator(gan, out + ".tflite", format="litert")
from_litert = Interpreter(model_path=tflite).get_signature_runner()(**feeds)["samples"]
json.dump({"onnx": float(np.abs(from_onnx - expected).max()),
           "litert": float(np.abs(from_litert - expected).max()),
           "backend": keras.backend.backend()}, open(out + ".json", "w"))
np.savez(out + ".npz")
"""


@pytest.mark.slow
def test_a_jax_model_exports_the_same_files(tmp_path):
    pytest.importorskip("jax")
    meta, _ = run_on_backend("jax", JAX_SCRIPT, "-", str(tmp_path / "jax"))
    print(meta)
    assert meta["backend"] == "jax"
    assert meta["onnx"] <= TOLERANCE and meta["litert"] <= TOLERANCE


GUIDE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "guides", "deploying.md"
)


def test_the_deploying_guide_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scope = {}
    for block in re.findall(r"```python\n(.*?)```", open(GUIDE).read(), flags=re.S):
        exec(compile(block, GUIDE, "exec"), scope)
    assert scope["samples"].shape == (4, 8, 8, 1) and scope["pixels"].dtype == np.uint8
    assert scope["outputs"]["images_uint8"].shape == (4, 8, 8, 1)
    assert sorted(os.listdir(tmp_path)) == ["digits.onnx", "digits.tflite", "site"]  # the demo


def test_the_cli_writes_the_file(tmp_path, capsys):
    gan = tiny_image_gan()
    checkpoint = str(tmp_path / "gan.keras")
    gan.save(checkpoint)
    out = str(tmp_path / "m.tflite")
    args = ["export", "--checkpoint", checkpoint, "--format", "litert", "--out", out]
    assert cli.main(args) == 0
    assert capsys.readouterr().out.strip().endswith(f"Exported the generator to {out}")
    z = np.ones((2, 4), "float32")
    np.testing.assert_allclose(
        run_litert(out, {"z": z})["samples"], gan.generate(z), atol=TOLERANCE
    )
    assert cli.main([*args[:-1], str(tmp_path / "m2.tflite"), "--version", "2"]) == 1
    assert capsys.readouterr().err.strip() == (
        "keras-wgan: error: `version` is for format='tf_saved_model' only; format='litert' "
        "writes one file, without versions or input checks."
    )
    assert sorted(os.listdir(tmp_path)) == ["gan.keras", "m.tflite"]


def test_the_cli_names_the_missing_extra(tmp_path, monkeypatch, capsys):
    checkpoint = str(tmp_path / "gan.keras")
    tiny_image_gan().save(checkpoint)
    monkeypatch.setitem(sys.modules, "tf2onnx", None)
    out = str(tmp_path / "m.onnx")
    assert cli.main(["export", "--checkpoint", checkpoint, "--format", "onnx", "--out", out]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'pip install "keras-wgan[deploy]"' in err[0]
    assert sorted(os.listdir(tmp_path)) == ["gan.keras"]
