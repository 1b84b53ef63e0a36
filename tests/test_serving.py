"""The export as TF Serving uses it: TensorFlow alone, saved_model_cli, and the client's requests."""

import importlib.util
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import tiny_image_gan

import keras_wgan
from keras_wgan.export import SEED_SIGNATURE, export_generator, seed_latent

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "usage")
spec = importlib.util.spec_from_file_location(
    "serving_client", os.path.join(EXAMPLES, "serving_client.py")
)
client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(client)

# Run in a fresh process that imports TensorFlow only, as a server would load the model:
# both signatures, batch sizes 1 and 7, the seeded one twice.
LOAD = """
import json, sys, numpy as np, tensorflow as tf
path, inputs_file, out_file = sys.argv[1:4]
loaded = tf.saved_model.load(path)
given = dict(np.load(inputs_file))
results = {}
for n in (1, 7):
    default = {"z": given["z"][:n]}
    seeded = {"seed": np.int64(given["seed"]), "num_samples": np.int32(n)}
    if "labels" in given:
        default["labels"] = seeded["labels"] = given["labels"][:n]
    for name, inputs in (("serving_default", default), ("generate_from_seed", seeded)):
        f = loaded.signatures[name]
        for key, value in f(**{k: tf.constant(v) for k, v in inputs.items()}).items():
            results[f"{name}/{n}/{key}"] = value.numpy()
    again = loaded.signatures["generate_from_seed"](**{k: tf.constant(v) for k, v in seeded.items()})
    results[f"again/{n}"] = again["samples"].numpy()
    # Keras's endpoint, as `keras.Model.export` writes it: the samples, inputs by position.
    results[f"serve/{n}"] = loaded.serve(*[tf.constant(v) for v in default.values()]).numpy()
np.savez(out_file, **results)
json.dump({"keras_wgan": "keras_wgan" in sys.modules,
           "signatures": sorted(loaded.signatures)}, open(out_file + ".json", "w"))
"""


def bn_gan():
    """A generator with batch norm: the export must use its moving statistics."""
    keras.utils.set_random_seed(1)
    z = keras.Input((3,))
    h = keras.layers.BatchNormalization(momentum=0.0)(keras.layers.Dense(6)(z))
    generator = keras.Model(z, keras.layers.Dense(2)(h))
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    gan = keras_wgan.WGAN(generator, critic, n_critic=1, seed=0)
    gan.compile()
    gan.fit(
        np.random.default_rng(0).standard_normal((64, 2)).astype("float32") * 3 + 5,
        batch_size=16,
        epochs=1,
        verbose=0,
    )
    return gan


@pytest.fixture(scope="module", params=["points-bn", "images", "conditional"])
def exported(request, tmp_path_factory):
    gan = {"points-bn": bn_gan, "images": tiny_image_gan, "conditional": lambda: tiny_image_gan(3)}[
        request.param
    ]()
    path = export_generator(gan, str(tmp_path_factory.mktemp("serving") / "model"))
    return gan, path


def _inputs(gan):
    given = {
        "z": np.random.default_rng(0).standard_normal((7, gan.latent_dim)).astype("float32"),
        "seed": np.int64(1234),
    }
    if gan.num_classes:
        given["labels"] = np.array([0, 1, 2, 0, 1, 2, 2], "int32")
    return given


def test_both_signatures_load_with_tensorflow_alone_and_match_the_model(exported, tmp_path):
    gan, path = exported
    given = _inputs(gan)
    np.savez(tmp_path / "inputs.npz", **given)
    out_file = str(tmp_path / "out.npz")
    subprocess.run(
        [sys.executable, "-c", LOAD, path, str(tmp_path / "inputs.npz"), out_file], check=True
    )
    out = dict(np.load(out_file))
    with open(out_file + ".json") as f:
        meta = json.load(f)
    assert not meta["keras_wgan"]
    assert meta["signatures"] == [SEED_SIGNATURE, "serve", "serving_default"]
    labels = given.get("labels")
    for n in (1, 7):
        sub_labels = None if labels is None else labels[:n]
        expected = gan.generate(given["z"][:n], labels=sub_labels)
        np.testing.assert_allclose(
            out[f"serving_default/{n}/samples"], expected, rtol=1e-5, atol=1e-6
        )
        z = out[f"generate_from_seed/{n}/z"]
        np.testing.assert_array_equal(z, seed_latent(given["seed"], n, gan.latent_dim).numpy())
        np.testing.assert_allclose(
            out[f"generate_from_seed/{n}/samples"],
            gan.generate(z, labels=sub_labels),
            rtol=1e-5,
            atol=1e-6,
        )
        np.testing.assert_array_equal(out[f"again/{n}"], out[f"generate_from_seed/{n}/samples"])
        np.testing.assert_array_equal(out[f"serve/{n}"], out[f"serving_default/{n}/samples"])
        if len(gan.sample_shape) == 4:
            assert out[f"generate_from_seed/{n}/images_uint8"].dtype == np.uint8
    # The same seed gives the same first samples whatever the batch size.
    np.testing.assert_array_equal(out["generate_from_seed/1/z"], out["generate_from_seed/7/z"][:1])


def _saved_model_cli(*args):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    if not os.path.exists(cli):
        pytest.skip("saved_model_cli is not installed beside this Python")
    result = subprocess.run([cli, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


# saved_model_cli reads every export the same way; the default run has the serving guide's
# saved_model_cli commands on a digits export (tests/test_docs.py).
@pytest.mark.parametrize(
    "exported",
    [
        pytest.param("images", marks=pytest.mark.slow),
        pytest.param("points-bn", marks=pytest.mark.slow),
        pytest.param("conditional", marks=pytest.mark.slow),
    ],
    indirect=True,
)
def test_saved_model_cli_show_and_run(exported, tmp_path):
    gan, path = exported
    shown = _saved_model_cli("show", "--dir", path, "--all")
    for text in (
        "signature_def['serving_default']",
        f"signature_def['{SEED_SIGNATURE}']",
        "inputs['z']",
        "inputs['seed']",
        "inputs['num_samples']",
        "outputs['samples']",
        "Method name is: tensorflow/serving/predict",
    ):
        assert text in shown
    assert ("inputs['labels']" in shown) == bool(gan.num_classes)
    assert ("outputs['images_uint8']" in shown) == (len(gan.sample_shape) == 4)
    if len(gan.sample_shape) == 2:
        return  # `run` is the same for points; checked on images, where it takes longer to set up

    labels = "" if not gan.num_classes else ";labels=[2,0,1]"
    _saved_model_cli(
        "run",
        "--dir",
        path,
        "--tag_set",
        "serve",
        "--signature_def",
        SEED_SIGNATURE,
        "--input_exprs",
        f"seed=7;num_samples=3{labels}",
        "--outdir",
        str(tmp_path / "a"),
    )
    z = np.load(tmp_path / "a" / "z.npy")
    np.testing.assert_array_equal(z, seed_latent(7, 3, gan.latent_dim).numpy())
    label_values = [2, 0, 1] if gan.num_classes else None
    np.testing.assert_allclose(
        np.load(tmp_path / "a" / "samples.npy"),
        gan.generate(z, labels=label_values),
        rtol=1e-5,
        atol=1e-6,
    )

    np.save(tmp_path / "z.npy", z)
    _saved_model_cli(
        "run",
        "--dir",
        path,
        "--tag_set",
        "serve",
        "--signature_def",
        "serving_default",
        "--inputs",
        f"z={tmp_path / 'z.npy'}",
        *(["--input_exprs", labels[1:]] if labels else []),
        "--outdir",
        str(tmp_path / "b"),
    )
    np.testing.assert_array_equal(
        np.load(tmp_path / "b" / "samples.npy"), np.load(tmp_path / "a" / "samples.npy")
    )


def _signature_from_metadata_json(path, name):
    """The client's view of a signature through TF Serving's metadata JSON."""
    from google.protobuf import json_format
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved.ParseFromString(f.read())
    defs = {
        key: json_format.MessageToDict(value, preserving_proto_field_name=True)
        for key, value in saved.meta_graphs[0].signature_def.items()
    }
    metadata = {"metadata": {"signature_def": {"signature_def": defs}}}
    return client.signature_from_metadata(json.loads(json.dumps(metadata)), name)


@pytest.mark.parametrize("name", ["serving_default", SEED_SIGNATURE])
def test_client_requests_match_the_signature(exported, name):
    gan, path = exported
    signature = client.signature_from_saved_model(path, name)
    assert signature == _signature_from_metadata_json(path, name)
    inputs = client.build_inputs(
        signature, seed=5, num_samples=4, labels=[1, 2] if gan.num_classes else None
    )
    f = tf.saved_model.load(path).signatures[name]
    assert set(signature) == set(f.structured_input_signature[1])

    url, body = client.rest_request("localhost", 8501, "digits", name, signature, inputs)
    assert url == "http://localhost:8501/v1/models/digits:predict"
    body = json.loads(json.dumps(body))  # what goes over the wire
    assert body["signature_name"] == name
    from_rest = f(
        **{
            k: tf.constant(v, dtype=f.structured_input_signature[1][k].dtype)
            for k, v in body["inputs"].items()
        }
    )
    assert from_rest["samples"].shape[0] == 4

    grpc = pytest.importorskip("tensorflow_serving.apis.predict_pb2")
    request = client.grpc_request("digits", name, signature, inputs)
    assert isinstance(request, grpc.PredictRequest)
    assert request.model_spec.name == "digits" and request.model_spec.signature_name == name
    assert set(request.inputs) == set(signature)
    arrays = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
    for key, (dtype, shape) in signature.items():
        assert arrays[key].dtype == np.dtype(dtype) and arrays[key].ndim == len(shape)
    from_grpc = f(**{k: tf.constant(v) for k, v in arrays.items()})
    np.testing.assert_array_equal(from_grpc["samples"].numpy(), from_rest["samples"].numpy())


def test_client_refuses_inputs_that_do_not_fit_and_prints_a_dry_run(exported, capsys):
    gan, path = exported
    signature = client.signature_from_saved_model(path, "serving_default")
    with pytest.raises(ValueError, match="shape"):
        client.check_inputs(
            signature,
            {
                **client.build_inputs(signature, 0, 2, [0] if gan.num_classes else None),
                "z": np.zeros((2, gan.latent_dim + 1)),
            },
        )
    with pytest.raises(ValueError, match="no signature"):
        client.signature_from_saved_model(path, "predict")
    argv = ["--model", "m", "--export-dir", path, "--seed", "3", "--num-samples", "2", "--dry-run"]
    if gan.num_classes:
        argv += ["--labels", "1"]
    assert client.main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("POST http://localhost:8501/v1/models/m:predict")
    assert json.loads(printed.split("\n", 1)[1])["inputs"]["seed"] == 3


def test_the_graph_holds_only_standard_tensorflow_ops(exported):
    """What tensorflow_model_server can run without Python: every op is a registered core op."""
    from tensorflow.core.protobuf import saved_model_pb2

    _, path = exported
    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved.ParseFromString(f.read())
    graph = saved.meta_graphs[0].graph_def
    functions = {f.signature.name for f in graph.library.function}
    ops = {node.op for node in graph.node}
    for function in graph.library.function:
        ops |= {node.op for node in function.node_def}
    ops -= functions  # calls of the graph's own functions
    assert ops and not [op for op in ops if not hasattr(tf.raw_ops, op)], sorted(ops)
    # generate_from_seed draws z with a stateless op, none with a stateful one.
    assert any(op.startswith("StatelessRandomNormal") for op in ops), sorted(ops)
    assert not [op for op in ops if op.startswith("RandomStandardNormal")], sorted(ops)


def test_client_without_a_server_says_so_in_one_line():
    script = os.path.join(EXAMPLES, "serving_client.py")
    result = subprocess.run(
        [sys.executable, script, "--model", "m", "--rest-port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    err = result.stderr.strip()
    assert err.startswith("serving_client: error:") and "\n" not in err
