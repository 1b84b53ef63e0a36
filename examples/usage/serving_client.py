"""Ask TF Serving for samples of an exported keras_wgan generator, over REST or gRPC.

Serve an export (see "Serving" in the README) with

    docker run -p 8500:8500 -p 8501:8501 \
        -v "$PWD/saved_models/digits:/models/digits" -e MODEL_NAME=digits tensorflow/serving

then

    python examples/usage/serving_client.py --model digits --seed 7 --num-samples 16 --out digits.png
    python examples/usage/serving_client.py --model digits --protocol grpc --seed 7 --out digits.png

Requests are built from the model's signature, which the client reads from the server's
metadata endpoint (`GET /v1/models/NAME/metadata`) or, with `--export-dir`, from the
SavedModel itself; `--dry-run` prints the request instead of sending it. REST needs
NumPy only; gRPC needs `pip install tensorflow-serving-api` (which pulls in TensorFlow).
"""

import argparse
import json
import sys
import urllib.request

import numpy as np

# TensorFlow's DataType enum values (tensorflow/core/framework/types.proto) and names.
DTYPES = {1: "float32", 3: "int32", 4: "uint8", 9: "int64"}
DTYPE_NAMES = {"DT_FLOAT": "float32", "DT_INT32": "int32", "DT_UINT8": "uint8", "DT_INT64": "int64"}


def _shape(dims):
    sizes = [int(d["size"]) for d in dims]  # JSON holds int64 sizes as strings
    return tuple(None if size == -1 else size for size in sizes)


def signature_from_metadata(metadata, name="serving_default"):
    """{input name: (dtype, shape)} of signature `name`, from TF Serving's REST metadata."""
    defs = metadata["metadata"]["signature_def"]["signature_def"]
    if name not in defs:
        raise ValueError(f"The model has no signature {name!r}; it has {sorted(defs)}.")
    signature = {}
    for key, info in defs[name]["inputs"].items():
        dims = info.get("tensor_shape", {}).get("dim", [])
        signature[key] = (DTYPE_NAMES[info["dtype"]], _shape(dims))
    return signature


def signature_from_saved_model(export_dir, name="serving_default"):
    """{input name: (dtype, shape)} of signature `name`, read from `saved_model.pb`."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    with open(f"{export_dir}/saved_model.pb", "rb") as f:
        saved.ParseFromString(f.read())
    defs = saved.meta_graphs[0].signature_def
    if name not in defs:
        raise ValueError(f"The model has no signature {name!r}; it has {sorted(defs)}.")
    return {
        key: (
            DTYPES[info.dtype],
            tuple(None if d.size == -1 else d.size for d in info.tensor_shape.dim),
        )
        for key, info in defs[name].inputs.items()
    }


def check_inputs(signature, inputs):
    """The inputs as arrays of the signature's dtypes; a clear error if they do not fit."""
    if set(inputs) != set(signature):
        raise ValueError(f"The signature takes inputs {sorted(signature)}; got {sorted(inputs)}.")
    arrays = {}
    for key, (dtype, shape) in signature.items():
        array = np.asarray(inputs[key])
        if array.ndim != len(shape) or any(
            want is not None and got != want for got, want in zip(array.shape, shape)
        ):
            raise ValueError(f"Input {key!r} has shape {array.shape}; the signature wants {shape}.")
        arrays[key] = array.astype(dtype)
    return arrays


def rest_request(host, port, model, signature_name, signature, inputs):
    """(url, JSON body) of the REST predict call, in the columnar ("inputs") format.

    The columnar format takes the scalar `seed` and `num_samples` of
    `generate_from_seed`, which the row ("instances") format cannot express.
    """
    arrays = check_inputs(signature, inputs)
    body = {
        "signature_name": signature_name,
        "inputs": {key: value.tolist() for key, value in arrays.items()},
    }
    return f"http://{host}:{port}/v1/models/{model}:predict", body


def grpc_request(model, signature_name, signature, inputs):
    """A `tensorflow_serving.apis.predict_pb2.PredictRequest` for the gRPC Predict call."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature_name
    for key, value in check_inputs(signature, inputs).items():
        request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
    return request


def send_rest(url, body, timeout=60):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        outputs = json.load(response)["outputs"]
    return {key: np.asarray(value) for key, value in outputs.items()}


def send_grpc(host, port, request, timeout=60):
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    stub = prediction_service_pb2_grpc.PredictionServiceStub(
        grpc.insecure_channel(f"{host}:{port}")
    )
    response = stub.Predict(request, timeout)
    return {key: tf.make_ndarray(value) for key, value in response.outputs.items()}


def build_inputs(signature, seed, num_samples, labels):
    """The request's inputs for `generate_from_seed` (or `serving_default`)."""
    inputs = {}
    if "seed" in signature:
        inputs.update(seed=seed, num_samples=num_samples)
    else:
        latent_dim = signature["z"][1][1]
        inputs["z"] = np.random.default_rng(seed).standard_normal((num_samples, latent_dim))
    if "labels" in signature:
        if labels is None:
            raise ValueError("This model is class-conditional: pass --labels.")
        inputs["labels"] = np.resize(np.asarray(labels), num_samples)
    elif labels is not None:
        raise ValueError("--labels is only for class-conditional models.")
    return inputs


def save_samples(path, outputs):
    if "images_uint8" in outputs:
        from PIL import Image

        images = np.asarray(outputs["images_uint8"], "uint8")
        n, h, w, c = images.shape
        cols = int(np.ceil(np.sqrt(n)))
        rows = int(np.ceil(n / cols))
        grid = np.zeros((rows * h, cols * w, c), "uint8")
        for i, image in enumerate(images):
            grid[(i // cols) * h : (i // cols + 1) * h, (i % cols) * w : (i % cols + 1) * w] = image
        Image.fromarray(grid[..., 0] if c == 1 else grid).save(path)
    else:
        np.save(path, np.asarray(outputs["samples"]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="the model's name on the server")
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--protocol", choices=["rest", "grpc"], default="rest")
    parser.add_argument("--rest-port", type=int, default=8501)
    parser.add_argument("--grpc-port", type=int, default=8500)
    parser.add_argument(
        "--signature",
        default="generate_from_seed",
        help="generate_from_seed (seed in) or serving_default (z in)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-samples", type=int, default=16)
    parser.add_argument("--labels", type=int, nargs="+", default=None)
    parser.add_argument(
        "--export-dir",
        default=None,
        help="read the signature from this SavedModel instead of the server",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the request only")
    parser.add_argument("--out", default="samples.png", help=".png for images, .npy for points")
    args = parser.parse_args(argv)

    if args.export_dir:
        signature = signature_from_saved_model(args.export_dir, args.signature)
    else:
        url = f"http://{args.host}:{args.rest_port}/v1/models/{args.model}/metadata"
        with urllib.request.urlopen(url, timeout=60) as response:
            signature = signature_from_metadata(json.load(response), args.signature)
    inputs = build_inputs(signature, args.seed, args.num_samples, args.labels)
    if args.protocol == "rest":
        url, body = rest_request(
            args.host, args.rest_port, args.model, args.signature, signature, inputs
        )
        if args.dry_run:
            print(f"POST {url}\n{json.dumps(body)}")
            return 0
        outputs = send_rest(url, body)
    else:
        request = grpc_request(args.model, args.signature, signature, inputs)
        if args.dry_run:
            print(request)
            return 0
        outputs = send_grpc(args.host, args.grpc_port, request)
    save_samples(args.out, outputs)
    print(f"Wrote {len(outputs['samples'])} samples to {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ValueError, OSError) as e:  # bad inputs, no server (URLError is an OSError)
        print(f"serving_client: error: {e}", file=sys.stderr)
        sys.exit(1)
