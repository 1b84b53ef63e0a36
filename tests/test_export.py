import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from helpers import tiny_image_gan

import keras_wgan
from keras_wgan import architectures, layers
from keras_wgan.export import export_generator, latest_version_dir, versions

# Runs in a fresh process that imports TensorFlow only, as TF Serving would load the model.
LOAD = """
import json, sys, numpy as np, tensorflow as tf
path, z_file, labels_file, out_file = sys.argv[1:5]
f = tf.saved_model.load(path).signatures["serving_default"]
inputs = {"z": tf.constant(np.load(z_file))}
if labels_file != "-":
    inputs["labels"] = tf.constant(np.load(labels_file))
out = f(**inputs)
np.savez(out_file, **{k: v.numpy() for k, v in out.items()})
json.dump({"inputs": sorted(f.structured_input_signature[1]), "keras_wgan": "keras_wgan" in sys.modules},
          open(out_file + ".json", "w"))
"""


def load_in_subprocess(path, z, labels, tmp_path):
    np.save(tmp_path / "z.npy", z)
    labels_file = "-"
    if labels is not None:
        np.save(tmp_path / "labels.npy", np.asarray(labels, "int32"))
        labels_file = str(tmp_path / "labels.npy")
    out = str(tmp_path / "out.npz")
    subprocess.run(
        [sys.executable, "-c", LOAD, path, str(tmp_path / "z.npy"), labels_file, out], check=True
    )
    with open(out + ".json") as f:
        meta = json.load(f)
    return dict(np.load(out)), meta


@pytest.mark.parametrize("num_classes", [None, 3])
def test_image_export_has_uint8_images_and_labels(tmp_path, num_classes):
    gan = tiny_image_gan(num_classes)
    path = export_generator(gan, str(tmp_path / "serving"))
    assert path.endswith(os.path.join("serving", "1"))
    z = np.random.default_rng(0).standard_normal((7, 4)).astype("float32")
    labels = [0, 1, 2, 0, 1, 2, 0] if num_classes else None
    out, meta = load_in_subprocess(path, z, labels, tmp_path)
    assert meta["inputs"] == (["labels", "z"] if num_classes else ["z"])
    assert not meta["keras_wgan"]
    expected = gan.generate(z, labels=labels)
    np.testing.assert_allclose(out["samples"], expected, rtol=1e-5, atol=1e-6)
    assert out["images_uint8"].dtype == np.uint8
    np.testing.assert_array_equal(
        out["images_uint8"], np.round((expected + 1) * 127.5).astype("uint8")
    )


def test_resnet_export_with_fused_layers_loads_with_tensorflow_alone(tmp_path):
    # The ResNet generator's UpsampleConv layers become plain TensorFlow ops in the export.
    keras.utils.set_random_seed(0)
    generator, critic = architectures.build("cifar10-resnet", (8, 8, 3), latent_dim=4, width=4)
    assert any(isinstance(l, layers.UpsampleConv) for l in generator.layers)
    gan = keras_wgan.WGAN(generator, critic)
    gan.compile()
    path = export_generator(gan, str(tmp_path / "serving"))
    z = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    out, meta = load_in_subprocess(path, z, None, tmp_path)
    assert not meta["keras_wgan"]
    np.testing.assert_allclose(out["samples"], gan.generate(z), rtol=1e-5, atol=1e-5)


def test_versions_are_integers_and_temporaries_are_ignored(tmp_path):
    gan = tiny_image_gan()
    base = str(tmp_path / "m")
    export_generator(gan, base)
    export_generator(gan, base, version=5)
    os.makedirs(os.path.join(base, ".tmp-6-abc"))  # a crashed export's leftovers
    assert versions(base) == [1, 5]
    assert latest_version_dir(base).endswith("5")
    assert export_generator(gan, base).endswith("6")
    with pytest.raises(ValueError, match="already exists"):
        export_generator(gan, base, version=5)
    with pytest.raises(ValueError, match="version"):
        export_generator(gan, base, version=0)


def test_the_formats_are_keras_s_names_and_the_old_one_is_refused_naming_the_new(tmp_path):
    from keras_wgan.export import FORMATS

    assert FORMATS == ("tf_saved_model", "onnx", "litert")
    gan = tiny_image_gan()
    with pytest.raises(ValueError) as refused:
        export_generator(gan, str(tmp_path / "m"), format="saved_model")
    assert "\n" not in str(refused.value) and "'tf_saved_model'" in str(refused.value)
    assert export_generator(gan, str(tmp_path / "m"), format="tf_saved_model").endswith("1")


def test_every_format_records_the_one_description(tmp_path):
    from keras_wgan.export import describe, metadata

    gan = tiny_image_gan(3)
    description = describe(gan, gan.generator)
    assert description == {
        "latent_dim": 4,
        "num_classes": 3,
        "sample_shape": [4, 4, 1],
        "kind": "images",
        "generator_step": 0,
    }
    path = export_generator(gan, str(tmp_path / "m"), max_samples=7)
    assert metadata(path) == {**description, "max_samples": 7}
    pytest.importorskip("tf2onnx")
    from keras_wgan.deploy import onnx_file_record

    onnx_file = export_generator(gan, str(tmp_path / "g.onnx"), format="onnx")
    assert onnx_file_record(onnx_file) == {"format": "onnx", **description}


def test_an_export_never_writes_over_another_file_nor_into_a_saved_model(tmp_path):
    gan = tiny_image_gan()
    notes = tmp_path / "notes.tflite"
    notes.write_bytes(b"my notes")
    with pytest.raises(ValueError, match="is not a LiteRT file") as refused:
        export_generator(gan, str(notes), format="litert")
    assert "\n" not in str(refused.value) and notes.read_bytes() == b"my notes"
    # A SavedModel written as the folder itself (Keras's `WGAN.export`) is no base folder.
    direct = gan.export(str(tmp_path / "direct"), verbose=False)
    with pytest.raises(ValueError, match="is a SavedModel itself"):
        export_generator(gan, direct)
    assert "1" not in os.listdir(direct)
    # An earlier LiteRT export is replaced whole.
    litert = export_generator(gan, str(tmp_path / "g.tflite"), format="litert")
    assert export_generator(gan, litert, format="litert") == litert
