"""A static web page that runs the generator's ONNX file in the browser.

`write_demo` writes into a folder `index.html`, `demo.js` (hand-written, no build step),
`config.json` (the model's record and the first grid's latent points) and the model,
`model.onnx`, and lists them in its manifest: a rerun replaces those and nothing else there
(`keras_wgan.demo._site` swaps them in so that a kill loses nothing). The page loads
onnxruntime-web from `runtime_url` and shows a grid of samples (images on a canvas, points
as a scatter plot, text as lines decoded through the vocabulary), with a "New samples"
button, a class picker for a conditional model and a slider that walks from one latent
point to another by spherical interpolation.

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
import urllib.parse

import numpy as np

from keras_wgan.demo._site import MANIFEST, rescue_moved_aside, write_files
from keras_wgan.deploy import ONNX_METADATA_KEY
from keras_wgan.utils.files import check_folder
from keras_wgan.utils.validation import check_int, invalid, is_int

__all__ = [
    "RUNTIME_VERSION",
    "RUNTIME_URL",
    "MAX_SAMPLES",
    "FILES",
    "MANIFEST",
    "onnx_record",
    "write_demo",
]

#: The onnxruntime-web release the page was tested with.
RUNTIME_VERSION = "1.31.1"
#: Its CPU (WebAssembly) script on jsDelivr; its `.mjs` and `.wasm` files load from beside it.
RUNTIME_URL = f"https://cdn.jsdelivr.net/npm/onnxruntime-web@{RUNTIME_VERSION}/dist/ort.wasm.min.js"
#: The most samples one grid may hold.
MAX_SAMPLES = 1024
#: What `write_demo` writes into its folder (and lists in its manifest, `MANIFEST`).
FILES = ("index.html", "demo.js", "config.json", "model.onnx")
#: The key that marks `config.json` and the manifest as the demo's.
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
    if os.path.getsize(path) == 0:
        raise ValueError(
            f"{path!r} is empty (0 bytes), not an ONNX file: export one with "
            "`keras-wgan export --format onnx`."
        )
    try:
        proto = onnx.load_model(path, load_external_data=False)
    except Exception as error:  # protobuf's DecodeError, or what onnx makes of it
        raise ValueError(f"{path!r} is not an ONNX file ({type(error).__name__}).") from None
    if not proto.ir_version or not proto.HasField("graph"):
        # Protocol buffers parse many byte strings as a message of unknown fields.
        raise ValueError(f"{path!r} is not an ONNX file (it holds no model graph).")
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


def _check_runtime_url(runtime_url, out):
    """Refuses a `runtime_url` that the page could not load: a relative one must name a
    file, relative to the page's folder `out`; an absolute http(s) URL is taken as is."""
    expected = (
        "an absolute http(s) URL of onnxruntime-web's script, or its path relative to the "
        "page's folder"
    )
    if not isinstance(runtime_url, str) or not runtime_url.strip():
        raise invalid("runtime_url", runtime_url, expected)
    parts = urllib.parse.urlsplit(runtime_url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return
    if parts.scheme or parts.netloc or parts.path.startswith("/"):
        raise invalid("runtime_url", runtime_url, expected)
    # Resolved as the browser resolves it (by name, `..` included) against the page's URL.
    path = os.path.normpath(os.path.join(out, *urllib.parse.unquote(parts.path).split("/")))
    if not os.path.isfile(path):
        raise invalid(
            "runtime_url", runtime_url, f"{expected}; {path!r} is not a file (copy it there first)"
        )


def _legacy_files(out):
    """The files a demo of keras_wgan 0.2 (which kept no manifest) wrote in `out`: `FILES`
    if its `config.json` is the page's."""
    try:
        with open(os.path.join(out, "config.json"), encoding="utf-8") as f:
            found = json.load(f)
    except (OSError, ValueError):
        return ()
    return FILES if isinstance(found, dict) and MARKER in found else ()


def _check_out(out):
    """`out`, checked as `check_folder` does, with the user's path in its refusal."""
    try:
        return check_folder("out", out)
    except PermissionError as error:
        nearest = os.fspath(out)
        while nearest and not os.path.exists(nearest):
            nearest = os.path.dirname(nearest)
        raise PermissionError(error.errno, error.strerror, nearest or os.curdir) from None


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

    The folder may hold files of one's own (a copy of onnxruntime-web, notes, the model
    itself): `write_demo` writes only `FILES`, lists them in the manifest `MANIFEST`, and
    on a rerun replaces exactly the files the manifest lists; a name of `FILES` taken by a
    file it did not write is refused. Each file is written under a temporary name in `out`
    and renamed over the old one, whose old version is kept (a hard link) until the
    manifest is written. A failure leaves the old page. A kill at any moment leaves each of
    the page's files whole and loses none: in the middle of the swap, a mix of old and new
    files with the old ones kept, which the next write into `out` puts back first.

    Args:
        model: an ONNX file written by `keras-wgan export --format onnx` (it may lie in
            `out`: it is copied, never moved).
        out: the folder to write (new, or holding an earlier demo or files of one's own).
        runtime_url: the URL of onnxruntime-web's script: an absolute http(s) URL, or a
            path relative to the page of a file there (checked); its `.mjs` and `.wasm`
            files must lie beside it. Default `RUNTIME_URL` (jsDelivr, version
            `RUNTIME_VERSION`).
        num: samples a grid; default 36 images (a multiple of the classes for a
            conditional model), 512 points or 16 lines of text; at most `MAX_SAMPLES`.
        seed: the seed of the first grid's latent points. Default 0.

    Returns:
        `out`, as a string.

    Raises:
        ValueError: for a model `onnx_record` refuses, an invalid `num`, `seed` or
            `runtime_url` (a relative one that names no file), an `out` that is or lies
            under a file, or a manifest in `out` that is not the demo's.
        FileExistsError: if a name of `FILES` in `out` is a file the demo did not write.
        OSError: what the system refused (a full disk, a read-only folder), naming the
            page's file or `out`, never a temporary.
        ImportError: without the package `onnx` (the `deploy` extra).

    Example:
    >>> write_demo("digits.onnx", "site")  # doctest: +SKIP
    'site'
    """
    record = onnx_record(model)
    config = _config(record, os.path.basename(os.fspath(model)), num, seed)
    out = _check_out(out)
    rescue_moved_aside(out, FILES)  # (its vendor/ may hold the runtime)
    _check_runtime_url(runtime_url, out)
    writers = {
        "model.onnx": _copy(os.fspath(model)),
        "demo.js": _copy(os.path.join(_HERE, "demo.js")),
        "index.html": _text(_page(config, runtime_url)),
        "config.json": _text(_json_lines(config)),
    }
    return write_files(out, writers, MARKER, _legacy_files)


def _copy(source):
    # Not shutil.copyfile: a failed write of it (sendfile's) names the source too, and a
    # full disk is about the page's file only.
    def write(path):
        with open(source, "rb") as f, open(path, "wb") as g:
            shutil.copyfileobj(f, g)

    return write


def _text(content):
    def write(path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)

    return write


def _json_lines(config):
    """`config` as JSON, one key a line (the latent batches' rows on theirs)."""
    return (
        "{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in config.items()) + "\n}\n"
    )
