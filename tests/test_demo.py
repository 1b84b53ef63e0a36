"""The demo page (`keras-wgan demo`, `keras_wgan.demo.write_demo`).

The default run checks the Python side: the files written, `config.json`, the one-line
refusals of bad input, that a rerun replaces only the demo's own files, and that a failed
write, or one killed at any step, leaves the earlier page. The slow tests
open the page in headless Chromium with onnxruntime-web (installed with npm into the
pytest cache on the first run) and compare what it draws with onnxruntime's samples in
Python for the same z; they skip without chromium, node and npm, or when npm cannot reach
its registry (`pytest -m slow tests/test_demo.py`).
"""

import errno
import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading

import keras
import numpy as np
import pytest
from helpers import dead_pid

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
    assert sorted(os.listdir(out)) == sorted([*demo.FILES, demo.MANIFEST])
    with open(os.path.join(out, demo.MANIFEST)) as f:
        assert json.load(f)["files"] == sorted(demo.FILES)
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
    # A copy of the runtime in the page's folder before its first page (as --help says).
    (tmp_path / "site" / "ort dist").mkdir(parents=True)
    (tmp_path / "site" / "ort dist" / "ort.wasm.min.js").write_text("// the runtime\n")
    url = "ort%20dist/ort.wasm.min.js?a=1&b=<2>"
    out = demo.write_demo(digits_onnx, tmp_path / "site", runtime_url=url, num=5)
    with open(os.path.join(out, "index.html")) as f:
        assert 'src="ort%20dist/ort.wasm.min.js?a=1&amp;b=&lt;2&gt;"' in f.read()  # escaped
    assert (tmp_path / "site" / "ort dist" / "ort.wasm.min.js").read_text() == "// the runtime\n"
    # Beside a folder that does not exist yet: resolved by name, as the browser does.
    demo.write_demo(digits_onnx, tmp_path / "new", runtime_url="../site/ort%20dist/ort.wasm.min.js")
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
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    unknown = tmp_path / "unknown.onnx"  # bytes that parse as a message of unknown fields
    unknown.write_bytes(b"\xa8\x06\x01")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "index.html").write_text("my own page")
    a_file = tmp_path / "file"
    a_file.write_text("")
    out = str(tmp_path / "site")
    url = ["--model", digits_onnx, "--out", out, "--runtime-url"]
    expected_url = "Expected an absolute http(s) URL of onnxruntime-web's script, or its path"
    cases = [
        (["--model", str(text_file), "--out", out], "is not an ONNX file (DecodeError)"),
        (["--model", str(plain), "--out", out], "not an ONNX file written by keras_wgan"),
        (["--model", str(empty), "--out", out], f"{str(empty)!r} is empty (0 bytes), not an ONNX"),
        (["--model", str(unknown), "--out", out], "is not an ONNX file (it holds no model graph)"),
        (["--model", str(tmp_path / "nope.onnx"), "--out", out], "No such file or directory"),
        (["--model", str(tmp_path), "--out", out], "is a folder"),
        (
            ["--model", digits_onnx, "--out", str(busy)],
            f"it holds {str(busy / 'index.html')!r}, which no demo wrote",
        ),
        (["--model", digits_onnx, "--out", str(a_file)], "Invalid value for argument `out`"),
        ([*url, " "], "`runtime_url`"),
        (
            [*url, "vendor/ort.wasm.min.js"],
            f"{expected_url} relative to the page's folder; "
            f"{os.path.join(out, 'vendor', 'ort.wasm.min.js')!r} is not a file",
        ),
        ([*url, "/ort/ort.wasm.min.js"], expected_url),  # the server's root: unknown here
        ([*url, "file:///tmp/ort.wasm.min.js"], expected_url),
        (["--model", digits_onnx, "--out", out, "--num", "1025"], "an integer in [1, 1024]"),
        (["--model", digits_onnx, "--out", out, "--seed", "-1"], "`seed`"),
    ]
    before = sorted(os.listdir(tmp_path))
    for argv, expected in cases:
        assert expected in _one_line_error(["demo", *argv], capsys), argv
    assert sorted(os.listdir(tmp_path)) == before
    assert os.listdir(busy) == ["index.html"]


def _read(path):
    """The bytes of the file `path`; None if there is none."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def _tree(folder):
    """{path relative to `folder`: bytes} of every file under it, hidden ones too."""
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            found[os.path.relpath(path, folder)] = _read(path)
    return found


def _own_files(site, model):
    """Files of one's own in the page's folder (a copy of the runtime, notes, the model the
    page is made from): {path relative to `site`: bytes}."""
    (site / "vendor").mkdir(parents=True, exist_ok=True)
    (site / "vendor" / "ort.wasm.min.js").write_text("// the runtime\n")
    (site / "notes.txt").write_text("keep me\n")
    shutil.copyfile(model, site / "new.onnx")
    return {
        name: _read(site / name) for name in ("vendor/ort.wasm.min.js", "notes.txt", "new.onnx")
    }


def _kept(site, mine):
    return {name: _read(site / name) for name in mine} == mine


def test_a_rerun_replaces_only_the_demo_s_files(digits_onnx, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    site = tmp_path / "site"
    assert cli.main(["demo", "--model", digits_onnx, "--out", "site", "--num", "3"]) == 0
    mine = _own_files(site, digits_onnx)
    argv = ["demo", "--model", "site/new.onnx", "--out", "site"]
    assert cli.main([*argv, "--runtime-url", "vendor/ort.wasm.min.js"]) == 0
    assert _kept(site, mine)
    with open(site / "index.html") as f:
        assert '<script id="runtime" src="vendor/ort.wasm.min.js"></script>' in f.read()
    assert (_config(site)["source"], _config(site)["num"]) == ("new.onnx", 36)
    assert _read(site / "model.onnx") == mine["new.onnx"]
    assert sorted(os.listdir(site)) == sorted(
        [*demo.FILES, demo.MANIFEST, "new.onnx", "notes.txt", "vendor"]
    )
    assert os.listdir(tmp_path) == ["site"]
    # A page of keras_wgan 0.2 (no manifest; its config.json is the page's): its files only.
    os.remove(site / demo.MANIFEST)
    assert cli.main([*argv, "--num", "4"]) == 0
    assert _kept(site, mine) and _config(site)["num"] == 4
    assert sorted(os.listdir(site)) == sorted(
        [*demo.FILES, demo.MANIFEST, "new.onnx", "notes.txt", "vendor"]
    )


def test_a_failed_write_keeps_the_page_and_names_the_user_s_paths(
    digits_onnx, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    site = tmp_path / "site"
    demo.write_demo(digits_onnx, "site", num=3)
    _own_files(site, digits_onnx)
    before = _tree(site)
    argv = ["demo", "--model", digits_onnx, "--out", "site", "--num", "4"]

    def disk_full(source, target, *args):  # a part of the file, then the disk is full
        target.write(source.read(100))
        raise OSError(errno.ENOSPC, "No space left on device")

    def read_only(*args, **kwargs):  # the error names the temporary, as the system's does
        path = os.path.join(tmp_path, "site", f".tmp-pid{os.getpid()}-config.json.x1y2z3w4")
        raise OSError(errno.EROFS, "Read-only file system", path)

    real_replace = os.replace

    def rename_refused(src, dst):  # the third file's rename into place fails
        if os.path.basename(src).startswith(".tmp-pid") and dst.endswith("index.html"):
            raise OSError(errno.EACCES, "Permission denied", src, None, dst)
        return real_replace(src, dst)

    cases = [
        (shutil, "copyfileobj", disk_full, "No space left on device: 'site/demo.js'"),
        (tempfile, "mkstemp", read_only, "Read-only file system: 'site'"),
        (os, "access", lambda *args: False, "Permission denied: 'site'"),  # check_folder's
        (os, "replace", rename_refused, "Permission denied: 'site/index.html'"),
    ]
    for module, name, failing, expected in cases:
        with monkeypatch.context() as patched:
            patched.setattr(module, name, failing)
            assert _one_line_error(argv, capsys) == f"keras-wgan: error: {expected}", name
        assert _tree(site) == before, name  # the page and one's own files; no temporaries
        assert os.listdir(tmp_path) == ["site"]


class _Killed(BaseException):
    """A simulated SIGKILL (not an `Exception`: no handler of the writer stops it)."""


def _killing(patch, step=None):
    """Patches the file operations of a write (link, rename, replace, remove) so that the
    `step`-th is not done and neither is any later one, as after SIGKILL (what a handler
    would undo raises `_Killed` again); those of the lock file go through (the system
    releases a killed holder's lock). Returns the list of the operations called."""
    calls = []

    def killing(real):
        def operation(path, *args, **kwargs):
            if os.path.basename(path) != ".lock":
                calls.append(path)
                if step is not None and len(calls) >= step:
                    raise _Killed()
            return real(path, *args, **kwargs)

        return operation

    for name in ("link", "rename", "replace", "remove", "unlink"):
        patch.setattr(os, name, killing(getattr(os, name)))
    return calls


@pytest.mark.parametrize("earlier", [True, False], ids=["over-a-page", "first-page"])
def test_a_write_killed_at_any_step_loses_nothing(digits_onnx, tmp_path, monkeypatch, earlier):
    def start(site):
        site.mkdir()
        if earlier:
            demo.write_demo(digits_onnx, site, num=3, seed=1)
        return _own_files(site, digits_onnx)

    def page(site):
        return {name: _read(site / name) for name in demo.FILES}

    demo.write_demo(digits_onnx, tmp_path / "new", num=4, seed=2)
    new_page = page(tmp_path / "new")
    start(tmp_path / "count")
    old = page(tmp_path / "count")
    with monkeypatch.context() as patch:
        calls = _killing(patch)
        demo.write_demo(digits_onnx, tmp_path / "count", num=4, seed=2)
    steps = len(calls)
    assert page(tmp_path / "count") == new_page
    killed_writer = dead_pid()  # its temporaries are a dead writer's for the next write
    settled = []
    for step in range(1, steps + 1):
        site = tmp_path / f"kill-{step}"
        mine = start(site)
        with monkeypatch.context() as patch:
            _killing(patch, step)
            patch.setattr(os, "getpid", lambda: killed_writer)
            with pytest.raises(_Killed):
                demo.write_demo(digits_onnx, site, num=4, seed=2)
        for name, found in page(site).items():  # each file whole, the old one or the new
            assert found in (old[name], new_page[name]), (step, name)
        assert _kept(site, mine), step
        # What the next write does first: the old page back, whole, or the new one.
        demo._site._settle(str(site))
        settled.append("old" if page(site) == old else "new" if page(site) == new_page else None)
        assert settled[-1], (step, page(site))
        assert _kept(site, mine), step
        demo.write_demo(digits_onnx, site, num=5, seed=3)
        assert _config(site)["num"] == 5 and _kept(site, mine), step
        assert [n for n in os.listdir(site) if n.startswith(".")] == [demo.MANIFEST], step
    print(f"{steps} steps; after a kill at each, the next write settles on: {settled}")
    # Killed before the manifest's rename: the old page; after it: the new one.
    assert settled == sorted(settled, key=["old", "new"].index) and set(settled) == {"old", "new"}


def test_a_page_that_keras_wgan_0_2_moved_aside_is_put_back(digits_onnx, tmp_path):
    # 0.2 moved the old page to `.tmp-pid<pid>-site.<random>/old` beside it and wrote the
    # new one in `.tmp-pid<pid>-site.<random>`: a kill between its two renames left no site.
    pid = dead_pid()
    holder, new = tmp_path / f".tmp-pid{pid}-site.a1b2c3d4", tmp_path / f".tmp-pid{pid}-site.e5f6"
    for folder in (holder / "old", new):
        demo.write_demo(digits_onnx, folder, num=3)
        os.remove(folder / demo.MANIFEST)  # 0.2 wrote none
    mine = _own_files(holder / "old", digits_onnx)
    demo.write_demo(digits_onnx, tmp_path / "site", num=4)
    assert os.listdir(tmp_path) == ["site"]
    assert _kept(tmp_path / "site", mine) and _config(tmp_path / "site")["num"] == 4


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

    # An http URL that serves nothing (a relative path of no file is refused when written).
    demo.write_demo(model, root / "offline", runtime_url=f"{url}/nowhere/ort.wasm.min.js")
    result = _open(f"{url}/offline/", tmp_path)
    assert result["state"] == "error"
    assert result["message"].startswith("onnxruntime-web did not load from ")
