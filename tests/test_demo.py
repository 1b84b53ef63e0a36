"""The demo page (`keras-wgan demo`, `keras_wgan.demo.write_demo`).

The default run checks the Python side: the files written, `config.json`, the one-line
refusals of bad input, and that a failed write leaves the earlier page. The slow tests
open the page in headless Chromium with onnxruntime-web (installed with npm into the
pytest cache on the first run) and compare what it draws with onnxruntime's samples in
Python for the same z; they skip without chromium, node and npm, or when npm cannot reach
its registry (`pytest -m slow tests/test_demo.py`).
"""

import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import threading

import keras
import numpy as np
import pytest

import keras_wgan
from keras_wgan import architectures, cli, demo, models
from keras_wgan.architectures import language
from keras_wgan.conditioning import ACGAN

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
pytest.importorskip("tf2onnx")

VOCABULARY = ["", "?", "a", "b", "c"]


def _export(path, case):
    """A tiny untrained model of `case` ("images": a conditional digits MLP of 3 classes,
    "points", "text") exported as the ONNX file `path`."""
    keras.utils.set_random_seed(0)
    num_classes = None
    if case == "images":
        num_classes = 3
        generator, critic = architectures.build(
            "mlp", (8, 8, 1), latent_dim=8, width=8, num_classes=num_classes
        )
    elif case == "points":
        generator, critic = models.toy_generator(width=8), models.toy_critic(width=8)
    else:
        generator, critic = language.build_language(VOCABULARY, latent_dim=8, width=8, num_blocks=1)
    conditioning = ACGAN(num_classes) if num_classes else None
    gan = keras_wgan.WGAN(generator, critic, conditioning=conditioning)
    for v in generator.trainable_weights:  # larger weights: samples that z moves far
        v.assign(v.numpy() * 2.5)
    return gan.export(str(path), format="onnx", verbose=False)


@pytest.fixture(scope="module")
def digits_onnx(tmp_path_factory):
    return _export(tmp_path_factory.mktemp("model") / "digits.onnx", "images")


def _config(folder):
    with open(os.path.join(folder, "config.json")) as f:
        return json.load(f)


def _onnx_samples(folder, z, labels=None):
    session = ort.InferenceSession(
        os.path.join(folder, "model.onnx"), providers=["CPUExecutionProvider"]
    )
    feeds = {"z": np.asarray(z, "float32")}
    if labels is not None:
        feeds["labels"] = np.asarray(labels, "int32")
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def test_the_page_holds_the_model_its_record_and_the_first_grid_s_z(digits_onnx, tmp_path):
    out = str(tmp_path / "site")
    assert cli.main(["demo", "--model", digits_onnx, "--out", out, "--seed", "3"]) == 0
    assert sorted(os.listdir(out)) == sorted(demo.FILES)
    assert sorted(os.listdir(tmp_path)) == ["site"]  # no temporaries left
    with open(digits_onnx, "rb") as f, open(os.path.join(out, "model.onnx"), "rb") as g:
        assert f.read() == g.read()
    config = _config(out)
    assert config["record"] == {
        "format": "onnx",
        "latent_dim": 8,
        "num_classes": 3,
        "sample_shape": [8, 8, 1],
        "kind": "images",
        "generator_step": None,
    }
    # 36 images by default, rounded up to whole rows of the 3 classes, one column each.
    assert (config["num"], config["columns"], config["seed"]) == (36, 3, 3)
    assert config["labels"] == [i % 3 for i in range(36)]
    drawn = np.random.default_rng(3).standard_normal((2, 36, 8)).astype("float32")
    np.testing.assert_array_equal(np.asarray(config["z"], "float32"), drawn[0])
    np.testing.assert_array_equal(np.asarray(config["z_end"], "float32"), drawn[1])
    with open(os.path.join(out, "index.html")) as f:
        page = f.read()
    assert f'<script id="runtime" src="{demo.RUNTIME_URL}"></script>' in page
    assert "<title>keras_wgan demo: digits.onnx</title>" in page
    assert demo.RUNTIME_VERSION in demo.RUNTIME_URL


def test_the_runtime_url_and_the_size_of_the_grid(digits_onnx, tmp_path):
    url = "ort/ort.wasm.min.js?a=1&b=<2>"
    out = demo.write_demo(digits_onnx, tmp_path / "site", runtime_url=url, num=5)
    with open(os.path.join(out, "index.html")) as f:
        assert 'src="ort/ort.wasm.min.js?a=1&amp;b=&lt;2&gt;"' in f.read()  # escaped
    config = _config(out)
    assert (config["num"], config["columns"], len(config["z"])) == (5, 3, 5)


def _one_line_error(argv, capsys):
    code = cli.main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1, err
    return err


def test_bad_input_gets_one_line_and_writes_nothing(digits_onnx, tmp_path, capsys):
    import onnx
    from onnx import TensorProto, helper

    text_file = tmp_path / "notes.onnx"
    text_file.write_text("not a model\n")
    plain = tmp_path / "plain.onnx"  # a valid ONNX file, not one of keras_wgan's
    graph = helper.make_graph(
        [helper.make_node("Identity", ["z"], ["samples"])],
        "g",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("samples", TensorProto.FLOAT, [1, 2])],
    )
    onnx.save(helper.make_model(graph), str(plain))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("keep me")
    a_file = tmp_path / "file"
    a_file.write_text("")
    out = str(tmp_path / "site")
    cases = [
        (["--model", str(text_file), "--out", out], "is not an ONNX file (DecodeError)"),
        (["--model", str(plain), "--out", out], "not an ONNX file written by keras_wgan"),
        (["--model", str(tmp_path / "nope.onnx"), "--out", out], "No such file or directory"),
        (["--model", str(tmp_path), "--out", out], "is a folder"),
        (["--model", digits_onnx, "--out", str(busy)], "is not empty and holds no demo"),
        (["--model", digits_onnx, "--out", str(a_file)], "Invalid value for argument `out`"),
        (["--model", digits_onnx, "--out", out, "--runtime-url", " "], "`runtime_url`"),
        (["--model", digits_onnx, "--out", out, "--num", "1025"], "an integer in [1, 1024]"),
        (["--model", digits_onnx, "--out", out, "--seed", "-1"], "`seed`"),
    ]
    before = sorted(os.listdir(tmp_path))
    for argv, expected in cases:
        assert expected in _one_line_error(["demo", *argv], capsys), argv
    assert sorted(os.listdir(tmp_path)) == before
    assert os.listdir(busy) == ["mine.txt"]


def test_a_rerun_replaces_the_page_whole_and_a_failed_one_keeps_it(
    digits_onnx, tmp_path, monkeypatch, capsys
):
    out = str(tmp_path / "site")
    demo.write_demo(digits_onnx, out, num=3, seed=1)
    demo.write_demo(digits_onnx, out, num=4, seed=2)  # an earlier demo: replaced
    assert _config(out)["num"] == 4 and sorted(os.listdir(tmp_path)) == ["site"]
    pages = {name: (tmp_path / "site" / name).read_bytes() for name in demo.FILES}

    def half_written(folder, *args):
        with open(os.path.join(folder, "index.html"), "w") as f:
            f.write("<html>half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(demo, "_write_files", half_written)
    err = _one_line_error(["demo", "--model", digits_onnx, "--out", out], capsys)
    assert "No space left on device" in err
    monkeypatch.undo()
    real_rename = os.rename

    def failing_rename(src, dst):  # the new page's rename into place fails
        if os.path.basename(dst) == "site" and os.path.basename(src) != "old":
            raise OSError(13, "Permission denied", dst)
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", failing_rename)
    with pytest.raises(PermissionError):
        demo.write_demo(digits_onnx, out, num=5)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["site"]  # the page, no temporaries
    assert {name: (tmp_path / "site" / name).read_bytes() for name in demo.FILES} == pages


# --- the page in a browser ----------------------------------------------------------------


def _browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium (chromium, chromium-browser or google-chrome) on PATH")


@pytest.fixture(scope="module")
def runtime_dist(request):
    """onnxruntime-web's dist folder, version `demo.RUNTIME_VERSION`, installed with npm
    into the pytest cache once."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"no {tool} on PATH (needed to install onnxruntime-web)")
    prefix = str(request.config.cache.mkdir(f"onnxruntime-web-{demo.RUNTIME_VERSION}"))
    dist = os.path.join(prefix, "node_modules", "onnxruntime-web", "dist")
    if not os.path.isfile(os.path.join(dist, "ort.wasm.min.js")):
        result = subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                prefix,
                "--no-save",
                "--no-audit",
                "--no-fund",
                f"onnxruntime-web@{demo.RUNTIME_VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            tail = (result.stderr.strip().splitlines() or ["no message"])[-1]
            pytest.skip(f"npm could not install onnxruntime-web: {tail}")
    return dist


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path, runtime_dist):
    """(root folder, its URL): `root/ort` is the runtime's dist folder, over HTTP on
    127.0.0.1 as the Deploying guide's offline recipe serves it."""
    os.symlink(runtime_dist, tmp_path / "ort")
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _open(url, tmp_path):
    """The page's #result once its scripts have run (the DOM that headless Chromium dumps
    after its virtual time budget)."""
    profile = tmp_path / "profile"
    result = subprocess.run(
        [
            _browser(),
            "--headless",
            "--no-sandbox",  # the tests may run as root (CI containers)
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=30000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    found = re.search(r'<pre id="result"[^>]*>(.*?)</pre>', result.stdout, re.S)
    assert found, result.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def _slerp(a, b, t):
    """Spherical interpolation of each row, in float64 (an independent form of demo.js's)."""
    a, b = np.asarray(a, "float32").astype(float), np.asarray(b, "float32").astype(float)
    cos = np.sum(a * b, 1) / np.sqrt(np.sum(a * a, 1) * np.sum(b * b, 1))
    omega = np.arccos(np.clip(cos, -1, 1))[:, None]
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def _tiles(result, config):
    """The grid's images, cut from the canvas's RGBA: [num, height, width, 3]."""
    h, w, _ = config["record"]["sample_shape"]
    rgba = np.asarray(result["rgba"]).reshape(result["height"], result["width"], 4)
    assert (rgba[..., 3] == 255).all()
    tiles = []
    for i in range(config["num"]):
        y, x = 1 + (i // config["columns"]) * (h + 1), 1 + (i % config["columns"]) * (w + 1)
        tiles.append(rgba[y : y + h, x : x + w, :3])
    return np.stack(tiles)


@pytest.mark.slow
@pytest.mark.parametrize("query", ["", "&t=0.5&class=2"], ids=["first-grid", "walk-one-class"])
def test_the_page_draws_onnxruntime_s_images(served, tmp_path, query):
    root, url = served
    model = _export(tmp_path / "digits.onnx", "images")
    site = demo.write_demo(model, root / "site", runtime_url="../ort/ort.wasm.min.js", num=7)
    result = _open(f"{url}/site/?check=1{query}", tmp_path)
    assert result["state"] == "ready", result
    config = _config(site)
    t = result["t"]
    z = np.asarray(config["z"], "float32") if t == 0 else _slerp(config["z"], config["z_end"], t)
    labels = config["labels"] if "class" not in query else [2] * 7
    assert result["labels"] == labels and t == (0.5 if query else 0)
    expected = _onnx_samples(site, z, labels)["images_uint8"]
    tiles = _tiles(result, config)
    assert tiles.shape == (7, 8, 8, 3)
    # Gray images drawn as R = G = B; a pixel on a rounding boundary may round the other way.
    gap = np.abs(tiles.astype(int) - expected.astype(int)).max()
    print(f"largest difference of the page's pixels: {gap}")
    assert gap <= 1


@pytest.mark.slow
def test_the_page_plots_onnxruntime_s_points(served, tmp_path):
    root, url = served
    site = demo.write_demo(
        _export(tmp_path / "toy.onnx", "points"),
        root / "site",
        runtime_url="../ort/ort.wasm.min.js",
        num=50,
    )
    result = _open(f"{url}/site/?check=1&t=0.25", tmp_path)
    assert result["state"] == "ready", result
    config = _config(site)
    expected = _onnx_samples(site, _slerp(config["z"], config["z_end"], 0.25))["samples"]
    gap = np.abs(np.reshape(result["samples"], (50, 2)) - expected).max()
    print(f"largest difference of the page's points: {gap:.2g}")
    assert gap <= 1e-4


@pytest.mark.slow
def test_the_page_decodes_onnxruntime_s_text_and_says_when_the_runtime_is_missing(served, tmp_path):
    root, url = served
    model = _export(tmp_path / "text.onnx", "text")
    site = demo.write_demo(model, root / "site", runtime_url="../ort/ort.wasm.min.js", num=4)
    result = _open(f"{url}/site/?check=1", tmp_path)
    assert result["state"] == "ready", result
    tokens = _onnx_samples(site, _config(site)["z"])["tokens"]
    assert result["lines"] == ["".join(VOCABULARY[k] for k in row) for row in tokens]

    demo.write_demo(model, root / "offline", runtime_url="../nowhere/ort.wasm.min.js")
    result = _open(f"{url}/offline/", tmp_path)
    assert result["state"] == "error"
    assert result["message"].startswith("onnxruntime-web did not load from ")
