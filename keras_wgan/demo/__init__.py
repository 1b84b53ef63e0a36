"""A static web page that runs the generator's ONNX file in the browser.

`write_demo` writes a folder: `index.html`, `demo.js` (hand-written, no build step),
`config.json` (the model's record and the first grid's latent points) and the model,
`model.onnx`. The page loads onnxruntime-web from `runtime_url` and shows a grid of
samples (images on a canvas, points as a scatter plot, text as lines decoded through the
vocabulary), with a "New samples" button, a class picker for a conditional model and a
slider that walks from one latent point to another by spherical interpolation.

The record is read here, from the ONNX file's metadata (`keras_wgan.deploy`'s key), so the
page needs no protobuf parser. The first grid's latent points are drawn here too, with
NumPy, and written into `config.json`: the first grid the page shows is the one
onnxruntime gives in Python for them.
"""

import html
import json
import math
import os
import shutil
import string

import numpy as np

from keras_wgan.deploy import ONNX_METADATA_KEY
from keras_wgan.utils.files import check_folder, remove_stale_temporaries, temporary_folder
from keras_wgan.utils.validation import check_int, invalid, is_int

__all__ = [
    "RUNTIME_VERSION",
    "RUNTIME_URL",
    "MAX_SAMPLES",
    "FILES",
    "onnx_record",
    "write_demo",
]

#: The onnxruntime-web release the page was tested with.
RUNTIME_VERSION = "1.31.1"
#: Its CPU (WebAssembly) script on jsDelivr; its `.mjs` and `.wasm` files load from beside it.
RUNTIME_URL = f"https://cdn.jsdelivr.net/npm/onnxruntime-web@{RUNTIME_VERSION}/dist/ort.wasm.min.js"
#: The most samples one grid may hold.
MAX_SAMPLES = 1024
#: What `write_demo` writes into its folder.
FILES = ("index.html", "demo.js", "config.json", "model.onnx")
#: The key of `config.json` that marks a folder as a demo (`write_demo` replaces only those).
MARKER = "keras_wgan_demo"

_HERE = os.path.dirname(os.path.abspath(__file__))
_KINDS = ("points", "images", "text")
_DEFAULT_NUM = {"points": 512, "images": 36, "text": 16}


def _missing_onnx(error):
    return ImportError(
        "Reading an ONNX file needs the package 'onnx': "
        f'pip install "keras-wgan[deploy]" (onnx, tf2onnx, onnxruntime, ai-edge-litert). ({error})'
    )


def onnx_record(path):
    """The record `keras_wgan.export.export_file` stores in an ONNX file's metadata.

    Args:
        path: an ONNX file written by `keras-wgan export --format onnx` (or
            `export_generator(..., format="onnx")`).

    Returns:
        The record, a dict: `latent_dim`, `num_classes` (None for an unconditional model),
        `sample_shape`, `kind` ("points", "images" or "text"), `generator_step`, and for
        text `vocabulary`.

    Raises:
        FileNotFoundError: if there is no file at `path`.
        ValueError: for a folder, a file that is not ONNX, an ONNX file without the
            record (not written by keras_wgan), or a record this page cannot show.
        ImportError: without the package `onnx` (the `deploy` extra).

    Example:
    >>> record = onnx_record("digits.onnx")  # doctest: +SKIP
    >>> record["kind"], record["latent_dim"]  # doctest: +SKIP
    ('images', 16)
    """
    try:
        import onnx
    except ImportError as error:
        raise _missing_onnx(error) from None
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise invalid("model", path, "the path of an ONNX file")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise invalid(
            "model", path, f"an ONNX file (keras-wgan export --format onnx); {path!r} is a folder"
        )
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file or directory", path)
    try:
        proto = onnx.load_model(path, load_external_data=False)
    except Exception as error:  # protobuf's DecodeError, or what onnx makes of it
        raise ValueError(f"{path!r} is not an ONNX file ({type(error).__name__}).") from None
    found = {entry.key: entry.value for entry in proto.metadata_props}
    if ONNX_METADATA_KEY not in found or not proto.graph.output:
        raise ValueError(
            f"{path!r} is not an ONNX file written by keras_wgan (its metadata holds no "
            f"{ONNX_METADATA_KEY!r} record): export one with `keras-wgan export --format onnx`."
        )
    try:
        record = json.loads(found[ONNX_METADATA_KEY])
    except ValueError:
        record = None
    problem = _record_problem(record, {value.name for value in proto.graph.input})
    if problem:
        raise ValueError(f"The {ONNX_METADATA_KEY!r} record of {path!r} {problem}.")
    return record


def _record_problem(record, inputs):
    """What makes `record` one the page cannot show, or None."""
    if not isinstance(record, dict):
        return "is not a JSON object"
    kind, shape = record.get("kind"), record.get("sample_shape")
    latent_dim, num_classes = record.get("latent_dim"), record.get("num_classes")
    if kind not in _KINDS:
        return f"has kind {kind!r}; expected one of {', '.join(_KINDS)}"
    if not is_int(latent_dim) or latent_dim < 1:
        return f"has latent_dim {latent_dim!r}; expected an integer >= 1"
    if num_classes is not None and (not is_int(num_classes) or num_classes < 1):
        return f"has num_classes {num_classes!r}; expected null or an integer >= 1"
    if not isinstance(shape, list) or not all(is_int(d) and d >= 1 for d in shape):
        return f"has sample_shape {shape!r}; expected a list of sizes"
    if kind == "images" and (len(shape) != 3 or shape[2] not in (1, 3)):
        return f"has sample_shape {shape}; expected images [height, width, 1 or 3]"
    if kind == "text" and not (
        isinstance(record.get("vocabulary"), list)
        and all(isinstance(c, str) for c in record["vocabulary"])
    ):
        return "has no vocabulary (a list of strings) for its text"
    wanted = {"z", "labels"} if num_classes else {"z"}
    if inputs != wanted:
        return f"does not match the file's inputs {sorted(inputs)} (expected {sorted(wanted)})"
    return None


def _layout(record, num):
    """(number of samples, grid columns) of the page's grid."""
    num_classes = record["num_classes"]
    mixed = bool(num_classes) and num_classes <= 12  # one column per class
    if num is None:
        num = _DEFAULT_NUM[record["kind"]]
        if mixed and record["kind"] == "images":
            num = num_classes * math.ceil(num / num_classes)
    num = check_int("num", num, 1)
    if num > MAX_SAMPLES:
        raise invalid("num", num, f"an integer in [1, {MAX_SAMPLES}]")
    return num, num_classes if mixed else math.ceil(math.sqrt(num))


def _latent_rows(z):
    # The shortest decimal that gives each float32 back: the page (JavaScript's
    # Float32Array) and a reader in Python (np.float32) read the same numbers from it.
    return [[float(str(v)) for v in row] for row in z]


def _config(record, source, num, seed):
    num, columns = _layout(record, num)
    seed = check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((2, num, record["latent_dim"])).astype("float32")
    num_classes = record["num_classes"]
    return {
        MARKER: 1,
        "model": "model.onnx",
        "source": source,
        "record": record,
        "num": num,
        "columns": columns,
        "seed": seed,
        "interpolation": "spherical",
        "z": _latent_rows(z[0]),
        "z_end": _latent_rows(z[1]),
        "labels": [i % num_classes for i in range(num)] if num_classes else None,
    }


def _page(config, runtime_url):
    record = config["record"]
    classes = record["num_classes"]
    step = record.get("generator_step")
    info = ", ".join(
        [
            f"{record['kind']} of shape {record['sample_shape']}",
            f"latent_dim {record['latent_dim']}",
            f"{classes} classes" if classes else "unconditional",
            f"generator step {step}" if step is not None else "step unknown",
            f"{config['num']} samples a grid",
        ]
    )
    with open(os.path.join(_HERE, "index.html")) as f:
        template = string.Template(f.read())
    text = record["kind"] == "text"
    return template.substitute(
        title=html.escape(f"keras_wgan demo: {config['source']}"),
        info=html.escape(info),
        runtime_url=html.escape(runtime_url),
        canvas_hidden=" hidden" if text else "",
        text_hidden="" if text else " hidden",
    )


def _is_demo(folder):
    try:
        with open(os.path.join(folder, "config.json")) as f:
            return isinstance(found := json.load(f), dict) and MARKER in found
    except (OSError, ValueError):
        return False


def _check_out(out):
    out = check_folder("out", out)
    if os.path.isdir(out) and os.listdir(out) and not _is_demo(out):
        raise FileExistsError(
            f"Cannot write the demo into {out!r}: the folder is not empty and holds no demo "
            "(config.json of keras_wgan) to replace. Choose a new or empty folder."
        )
    return out


def write_demo(model, out, runtime_url=RUNTIME_URL, num=None, seed=0):
    """Writes a static page that runs `model` in the browser with onnxruntime-web.

    The folder `out` gets `FILES`: `index.html`, `demo.js`, `config.json` and a copy of
    the model, `model.onnx`. Serve it over HTTP (`python -m http.server -d out`): over
    `file://`, browsers refuse the page's fetches of its config, model and WebAssembly.

    `config.json` holds the model's record (`onnx_record`), the grid's size and its first
    two latent batches, `z` and `z_end` (float32 N(0, I) from
    `np.random.default_rng(seed)`, drawn in that order, [num, latent_dim] each), and for a
    conditional model the labels of the mixed grid (`i % num_classes`). The page first
    shows the samples of `z` (the slider at t = 0): the ones onnxruntime gives in Python
    for the same z. The slider walks each row from `z` to `z_end` along the great circle
    (spherical interpolation, which keeps a Gaussian latent point's norm typical); "New
    samples" draws both batches anew in the browser.

    The folder is written whole under a temporary name beside `out` and renamed into
    place: a failure leaves the earlier folder, or none. An earlier demo in `out` is
    replaced whole (files of one's own there go with it); any other non-empty folder is
    refused.

    Args:
        model: an ONNX file written by `keras-wgan export --format onnx`.
        out: the folder to write (new, empty, or an earlier demo).
        runtime_url: the URL of onnxruntime-web's script, absolute or relative to the
            page; its `.mjs` and `.wasm` files must lie beside it. Default `RUNTIME_URL`
            (jsDelivr, version `RUNTIME_VERSION`).
        num: samples a grid; default 36 images (a multiple of the classes for a
            conditional model), 512 points or 16 lines of text; at most `MAX_SAMPLES`.
        seed: the seed of the first grid's latent points. Default 0.

    Returns:
        `out`, as a string.

    Raises:
        ValueError: for a model `onnx_record` refuses, an invalid `num`, `seed` or
            `runtime_url`, or an `out` that is or lies under a file.
        FileExistsError: if `out` is a non-empty folder that holds no demo.
        ImportError: without the package `onnx` (the `deploy` extra).

    Example:
    >>> write_demo("digits.onnx", "site")  # doctest: +SKIP
    'site'
    """
    record = onnx_record(model)
    if not isinstance(runtime_url, str) or not runtime_url.strip():
        raise invalid("runtime_url", runtime_url, "the URL of onnxruntime-web's script")
    config = _config(record, os.path.basename(os.fspath(model)), num, seed)
    out = _check_out(out)
    parent, name = os.path.split(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    remove_stale_temporaries(parent, name=name)
    tmp = temporary_folder(parent, name)
    try:
        _write_files(tmp, model, config, runtime_url)
        _replace(tmp, out, parent, name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write_files(folder, model, config, runtime_url):
    shutil.copyfile(model, os.path.join(folder, "model.onnx"))
    shutil.copyfile(os.path.join(_HERE, "demo.js"), os.path.join(folder, "demo.js"))
    for file, content in (
        ("index.html", _page(config, runtime_url)),
        ("config.json", _json_lines(config)),
    ):
        with open(os.path.join(folder, file), "w") as f:
            f.write(content)


def _json_lines(config):
    """`config` as JSON, one key a line (the latent batches' rows on theirs)."""
    return (
        "{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in config.items()) + "\n}\n"
    )


def _replace(tmp, out, parent, name):
    """Renames the folder `tmp` to `out`; an earlier demo there is moved aside first (into
    a temporary folder beside it) and removed once the new one is in place, or put back if
    the rename fails."""
    if not (os.path.isdir(out) and os.listdir(out)):
        os.replace(tmp, out)  # a new name, or an empty folder
        return
    holder = temporary_folder(parent, name)
    aside = os.path.join(holder, "old")
    try:
        os.rename(out, aside)
    except BaseException:
        os.rmdir(holder)
        raise
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(aside, out)
        os.rmdir(holder)
        raise
    shutil.rmtree(holder, ignore_errors=True)
