"""Chaos: `keras-wgan train` killed with SIGKILL at any moment, then rerun, loses nothing.

A run is meant to survive the hardest stop there is. Every file it writes (the checkpoint,
`run.json`, the sample grids and text files, the report's picture or text) is written to a
dot-named temporary beside it and renamed over it; the export is written to a temporary
folder and renamed into its base; and the next run of the same command, under the run
folder's lock, removes what killed writers left and resumes from the last checkpoint. These
tests check that promise from the outside, on real processes, for a points run, an image
run and a text run, each killed:

- at random moments once it has begun writing (a random delay after its first checkpoint,
  drawn from a seeded `random.Random`, so that a failure can be replayed), one or several
  times in a row;
- inside each kind of write, at a chosen write: the command runs in a small wrapper
  process whose `os.replace` and `os.rename` kill it (SIGKILL) when a temporary of the
  chosen file is about to be renamed into place, either whole or cut to half its size, as
  a writer killed halfway leaves it. Timing cannot hit the inside of a write every time;
  this does.

After every kill, every file under its final name must be whole (a checkpoint whose archive
reads, valid JSON, pictures that decode, text files with all their lines, export versions
with their record), and no file that was there may be lost or changed by a write that was
killed. Then the same command, run to the end, must exit 0; say that it resumes at the
checkpoint's step, or start afresh when there was none; say that a finished run is finished
and export it only when its latest export is not of its last step; and leave a checkpoint
at the last step with finite weights, an export whose newest version loads and samples
finite values, a sample file for every step, and no `.tmp-*` temporary in the run folder or
the export base.

`keras-wgan demo` over an earlier page, beside files of one's own, is killed the same way at
each rename of its swap: every file under its name must be whole (the old page's, the new
one's, one's own), the next write must put the old page back first, and then write its own,
leaving no temporary (`tests/test_demo.py` kills it in-process at every file operation).
"""

import fnmatch
import hashlib
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import time
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import TINY, package_env
from PIL import Image
from tensorflow.core.protobuf import saved_model_pb2

import keras_wgan  # noqa: F401  (registers the package's classes for keras.saving.load_model)
from keras_wgan.export import metadata, versions

_slow = pytest.mark.slow

# TINY with a checkpoint at every step (the later flag wins): many moments between writes.
_FLAGS = [*TINY, "--steps-per-epoch", "1"]

# name: (its flags, --steps, the suffix of its sample files in samples/ (one per step with
# --sample-every 1; points have none), the report's file in the run folder, the longest
# random delay (s) of a kill after its first checkpoint: about the time from there to the
# end of the run, its last steps, its export and its report).
KINDS = {
    "points": (["--dataset", "8gaussians"], 10, None, "samples.png", 3.0),
    "images": (
        ["--dataset", "digits", "--arch", "mlp", "--sample-every", "1"],
        3,
        ".png",
        "samples.png",
        4.0,
    ),
    "text": (
        ["--dataset", "text", "--batch-size", "8", "--sample-every", "1"],
        3,
        ".txt",
        "samples.txt",
        5.0,
    ),
}

# Lines of a whole text file: TextSamples' 32 samples; the report's 640.
_TEXT_LINES = {"samples.txt": 640}
_GRID_TEXT_LINES = 32

# The name of an export's version folder (the target of its rename).
_EXPORT = "[0-9]*"

# `python -c` wrapper: runs the command line (argv[2:]) with `os.replace` and `os.rename`
# patched to kill the process (SIGKILL) at the n-th rename of a `.tmp-pid*` temporary onto
# a name matching the pattern argv[1][0]: the temporary is written (whole, or cut to half
# its size when argv[1][2] is true, each file of a folder) and not yet in place.
_KILL_INSIDE_A_WRITE = r"""
import fnmatch, json, os, signal, sys

target, nth, half = json.loads(sys.argv[1])
seen = 0


def cut_to_half(path):
    files = [path] if os.path.isfile(path) else [
        os.path.join(root, name) for root, _, names in os.walk(path) for name in names
    ]
    for name in files:
        os.truncate(name, os.path.getsize(name) // 2)


def killing(rename):
    def wrapped(src, dst, *args, **kwargs):
        global seen
        src, dst = os.fspath(src), os.fspath(dst)
        if os.path.basename(src).startswith(".tmp-pid") and fnmatch.fnmatch(
            os.path.basename(dst), target
        ):
            seen += 1
            if seen == nth:
                if half:
                    cut_to_half(src)
                os.kill(os.getpid(), signal.SIGKILL)
        return rename(src, dst, *args, **kwargs)

    return wrapped


os.replace = killing(os.replace)
os.rename = killing(os.rename)
from keras_wgan.cli import main

sys.exit(main(sys.argv[2:]))
"""


class _Run:
    """One run of a kind in `tmp_path`: its folders, its command and its launches."""

    def __init__(self, kind, tmp_path, steps=None):
        flags, self.steps, self.grid_suffix, self.report, self.max_delay = KINDS[kind]
        self.steps = steps or self.steps
        self.cwd = tmp_path
        self.folder = tmp_path / "run"
        self.exports = tmp_path / "exports"
        self.checkpoint = self.folder / "checkpoint.keras"
        self.argv = ["train", *flags, *_FLAGS, "--steps", str(self.steps)]
        self.argv += ["--out", str(self.folder), "--export-dir", str(self.exports)]
        self.launches = 0

    def start(self, kill_inside=None):
        """Starts the command in a new process (in the wrapper that kills it inside a write
        for `kill_inside`, (pattern, n, cut to half)); returns (process, its log file)."""
        self.launches += 1
        log = self.cwd / f"launch-{self.launches}.log"
        if kill_inside is None:
            command = [sys.executable, "-m", "keras_wgan", *self.argv]
        else:
            command = [sys.executable, "-c", _KILL_INSIDE_A_WRITE, json.dumps(kill_inside)]
            command += self.argv
        with open(log, "w") as f:
            process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=package_env(PYTHONUNBUFFERED="1"),
                stdout=f,
                stderr=subprocess.STDOUT,
            )
        return process, log


def _stamp(path):
    """What changes when a file is replaced (a rename brings a new inode)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns


def _visible_files(run):
    """{path under tmp_path: sha256} of the files under their final names: the run folder
    (but its TensorBoard logs) and the export base."""
    found = {}
    for base in (run.folder, run.exports):
        for root, folders, names in os.walk(base):
            folders[:] = [
                f
                for f in folders
                if not f.startswith(".") and os.path.join(root, f) != str(run.folder / "logs")
            ]
            for name in names:
                if not name.startswith("."):
                    path = os.path.join(root, name)
                    with open(path, "rb") as f:
                        found[os.path.relpath(path, run.cwd)] = hashlib.sha256(f.read()).hexdigest()
    return found


def _temporaries(run):
    """The `.tmp-*` files and folders anywhere in the run folder and the export base."""
    found = []
    for base in (run.folder, run.exports):
        for root, folders, names in os.walk(base):
            for name in folders + names:
                if name.startswith(".tmp-"):
                    found.append(os.path.relpath(os.path.join(root, name), run.cwd))
            folders[:] = [f for f in folders if not f.startswith(".tmp-")]
    return sorted(found)


def _check_whole(run):
    """Asserts that every file under its final name is whole."""
    for relative in _visible_files(run):
        path = run.cwd / relative
        name = path.name
        if name.endswith(".keras"):
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None, relative
                json.loads(archive.read("config.json"))
        elif name.endswith(".json"):
            json.loads(path.read_text())
        elif name.endswith(".png"):
            with Image.open(path) as picture:
                picture.load()
        elif name.endswith(".txt"):
            text = path.read_bytes()
            text.decode("utf-8")
            assert text.endswith(b"\n"), relative
            assert text.count(b"\n") == _TEXT_LINES.get(name, _GRID_TEXT_LINES), relative
        elif name == "saved_model.pb":
            saved_model_pb2.SavedModel().ParseFromString(path.read_bytes())
    for version in versions(run.exports):
        for name in ("saved_model.pb", "keras_wgan.json"):
            assert (run.exports / str(version) / name).is_file(), (version, name)


def _checkpoint_step(run):
    """The generator step of the run's checkpoint; None without one."""
    if not run.checkpoint.exists():
        return None
    return keras.saving.load_model(run.checkpoint).generator_step()


def _matching(files, pattern):
    """The entries of `files` with a path component that matches `pattern`."""
    return {
        path: digest
        for path, digest in files.items()
        if any(fnmatch.fnmatch(part, pattern) for part in pathlib.Path(path).parts[1:])
    }


def _check_after_a_kill(run, before, process, log, kill_inside=None):
    """Asserts what a kill may leave: whole files, none of those there before lost, and,
    for a kill inside a write, the killed writer's temporary and, at a target's first
    write, the target as it was."""
    returncode = process.returncode
    if kill_inside is None:
        assert returncode in (0, -signal.SIGKILL), log.read_text()[-3000:]
    else:
        assert returncode == -signal.SIGKILL, (
            f"not killed inside {kill_inside}:\n" + (log.read_text()[-3000:])
        )
        left = [t for t in _temporaries(run) if f"/.tmp-pid{process.pid}-" in f"/{t}"]
        assert left, f"no temporary of the killed writer: {_temporaries(run)}"
    _check_whole(run)
    after = _visible_files(run)
    assert [path for path in before if path not in after] == [], "files were lost"
    if kill_inside is not None and kill_inside[1] == 1:
        target = kill_inside[0]
        assert _matching(after, target) == _matching(before, target), "a killed write showed"


def _kill_at_a_random_moment(run, rng, finished):
    """Starts the command, waits until it has begun writing (a checkpoint of its own; for a
    `finished` run, which trains no more, its run.json), then kills it after a random delay,
    unless it has ended by then. Returns (process, log, the delay)."""
    watched = run.folder / "run.json" if finished else run.checkpoint
    mark = _stamp(watched)
    process, log = run.start()
    deadline = time.monotonic() + 600
    while process.poll() is None and _stamp(watched) == mark:
        assert time.monotonic() < deadline, f"no new {watched.name} after 10 minutes"
        time.sleep(0.005)
    delay = rng.uniform(0.0, run.max_delay)
    time.sleep(delay)
    process.kill()
    process.wait()
    return process, log, delay


def _rerun_to_the_end(run):
    """Runs the command to its end and asserts how it resumed and what it left."""
    step = _checkpoint_step(run)
    old_versions = versions(run.exports)
    exported_last = bool(old_versions) and (
        metadata(str(run.exports)).get("generator_step") == run.steps
    )
    before = _visible_files(run)
    result = subprocess.run(
        [sys.executable, "-m", "keras_wgan", *run.argv],
        cwd=run.cwd,
        env=package_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    printed = result.stdout
    assert result.returncode == 0, f"{printed[-3000:]}\n{result.stderr[-3000:]}"
    if step is None:
        assert "Resuming" not in printed
    else:
        assert f"Resuming from {run.checkpoint} at generator step {step}." in printed
    finished = step == run.steps
    assert ("is finished" in printed) == finished, printed[-3000:]
    if finished and exported_last:
        assert "nothing new was exported" in printed
        assert versions(run.exports) == old_versions
    else:
        new = (old_versions[-1] if old_versions else 0) + 1
        assert f"Exported the generator to {run.exports / str(new)}\n" in printed
        assert versions(run.exports) == [*old_versions, new]

    gan = keras.saving.load_model(run.checkpoint)
    assert gan.generator_step() == run.steps
    assert all(np.isfinite(w).all() for w in gan.get_weights())
    latest = str(run.exports / str(versions(run.exports)[-1]))
    assert metadata(latest)["generator_step"] == run.steps
    draw = tf.saved_model.load(latest).signatures["generate_from_seed"]
    samples = draw(seed=tf.constant(0, tf.int64), num_samples=tf.constant(4))["samples"].numpy()
    assert len(samples) == 4 and np.isfinite(samples).all()

    assert _temporaries(run) == []
    assert not (run.folder / ".lock").exists()
    _check_whole(run)
    after = _visible_files(run)
    assert [path for path in before if path not in after] == [], "files were lost"
    assert (run.folder / run.report).is_file()
    if run.grid_suffix:
        missing = [
            s
            for s in range(1, run.steps + 1)
            if not (run.folder / "samples" / f"samples_{s:07d}{run.grid_suffix}").is_file()
        ]
        assert missing == [], "steps without their sample file"
    return printed


# (kind, kills in a row, --steps: more for more kills, so that later ones have steps left
# to land in; None for the kind's own).
RANDOM_CASES = [
    pytest.param("points", 1, None, id="points-1-kill", marks=_slow),
    pytest.param("points", 3, 40, id="points-3-kills", marks=_slow),
    pytest.param("images", 2, None, id="images-2-kills", marks=_slow),
    pytest.param("text", 2, None, id="text-2-kills", marks=_slow),
]


@pytest.mark.parametrize("kind, kills, steps", RANDOM_CASES)
def test_a_run_killed_at_random_moments_finishes_when_rerun(kind, kills, steps, tmp_path):
    run = _Run(kind, tmp_path, steps)
    rng = random.Random(f"{kind}-{kills}")
    for kill in range(1, kills + 1):
        before, step = _visible_files(run), _checkpoint_step(run)
        process, log, delay = _kill_at_a_random_moment(run, rng, step == run.steps)
        _check_after_a_kill(run, before, process, log)
        after = _checkpoint_step(run)
        # Where the kill landed, for a failure's report (pytest shows what a test printed).
        print(
            f"kill {kill}: {delay:.2f} s after its first write, exit {process.returncode}, "
            f"checkpoint at step {after}, exports {versions(run.exports)}"
        )
        assert after is not None or step is None, "the checkpoint was lost"
        assert after is None or after >= (step or 0), "the checkpoint went back"
    _rerun_to_the_end(run)


def _inside(kind, kills, step, name, slow=True):
    return pytest.param(kind, kills, step, id=f"{kind}-{name}", marks=[_slow] if slow else [])


_RUN_RECORD = [("checkpoint.keras", 2, False), ("run.json", 1, True)]

# (kind, the kills in turn: (the pattern of the file whose write is killed, at its how-many-th
# write in that process, cut to half first), the checkpoint's step after them: None for no
# checkpoint, "last" for the run's last step). With a checkpoint at each step, the n-th
# checkpoint write of a new run is that of step n; a run writes its sample file of a step
# before the checkpoint of that step, and its export and report after its last checkpoint.
INSIDE_CASES = [
    _inside("points", [("checkpoint.keras", 2, False)], 1, "checkpoint", slow=False),
    _inside("points", [("checkpoint.keras", 1, True)], None, "checkpoint-half"),
    _inside("points", [(_EXPORT, 1, False)], "last", "export"),
    _inside("points", [(_EXPORT, 1, True)], "last", "export-half"),
    _inside("points", [("samples.png", 1, True)], "last", "samples-half"),
    _inside("points", _RUN_RECORD, 1, "run-record-half"),
    _inside("images", [("checkpoint.keras", 2, False)], 1, "checkpoint"),
    _inside("images", [(_EXPORT, 1, False)], "last", "export"),
    _inside("images", [("samples_*.png", 2, True)], 1, "samples-half"),
    _inside("images", _RUN_RECORD, 1, "run-record-half"),
    _inside("text", [("checkpoint.keras", 2, False)], 1, "checkpoint"),
    _inside("text", [(_EXPORT, 1, False)], "last", "export"),
    _inside("text", [("samples_*.txt", 2, True)], 1, "samples-half"),
    _inside("text", _RUN_RECORD, 1, "run-record-half"),
]


@pytest.mark.parametrize("kind, kills, step", INSIDE_CASES)
def test_a_run_killed_inside_a_write_finishes_when_rerun(kind, kills, step, tmp_path):
    run = _Run(kind, tmp_path)
    for kill_inside in kills:
        before = _visible_files(run)
        process, log = run.start(kill_inside)
        process.wait(timeout=600)
        _check_after_a_kill(run, before, process, log, kill_inside)
    assert _checkpoint_step(run) == (run.steps if step == "last" else step)
    if kills[-1][0] == _EXPORT:
        assert versions(run.exports) == []
    printed = _rerun_to_the_end(run)
    if step == "last" and kills[-1][0] != _EXPORT:  # killed after its export was in place
        assert "nothing new was exported" in printed


# --- `keras-wgan demo`: killed at each rename of its swap ----------------------------------


@pytest.fixture(scope="module")
def demo_model(tmp_path_factory):
    """A tiny ONNX export of keras_wgan (tests/test_demo.py's conditional digits MLP)."""
    test_demo = pytest.importorskip("test_demo")  # skips without onnx, onnxruntime, tf2onnx
    return test_demo._export(tmp_path_factory.mktemp("model") / "digits.onnx", "images")


def _demo_folder(demo, folder, model, **kwargs):
    """A demo page in `folder` beside files of one's own (a copy of the runtime, notes);
    returns {name: bytes} of the visible files."""
    (folder / "vendor").mkdir(parents=True)
    (folder / "vendor" / "ort.wasm.min.js").write_text("// the runtime\n")
    (folder / "notes.txt").write_text("keep me\n")
    demo.write_demo(model, folder, runtime_url="vendor/ort.wasm.min.js", **kwargs)
    return {
        os.path.relpath(path, folder): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    }


# The renames of `keras-wgan demo` over an earlier page, in order: its journal's (1), its four
# files' (2 to 5) and its manifest's, the commit (6). A kill before any of them leaves the
# old page or a mix of whole old and new files, which the next write settles on the old page.
DEMO_RENAMES = [
    pytest.param(n, id=f"demo-rename-{n}", marks=[] if n == 3 else [_slow]) for n in range(1, 7)
]


@pytest.mark.parametrize("nth", DEMO_RENAMES)
def test_a_demo_killed_at_a_rename_loses_nothing(nth, demo_model, tmp_path):
    from keras_wgan import demo

    site = tmp_path / "site"
    old = _demo_folder(demo, site, demo_model, num=3, seed=1)
    new = _demo_folder(demo, tmp_path / "new", demo_model, num=4, seed=2)
    argv = ["demo", "--model", demo_model, "--out", str(site), "--num", "4", "--seed", "2"]
    argv += ["--runtime-url", "vendor/ort.wasm.min.js"]
    process = subprocess.Popen(
        [sys.executable, "-c", _KILL_INSIDE_A_WRITE, json.dumps(["*", nth, False]), *argv],
        cwd=tmp_path,
        env=package_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    printed = process.communicate(timeout=600)[0]
    assert process.returncode == -signal.SIGKILL, printed[-3000:]
    assert any(n.startswith(f".tmp-pid{process.pid}-") for n in os.listdir(site))
    for name, content in old.items():  # each file whole: the page's old or new, one's own
        assert (site / name).read_bytes() in (content, new[name]), name
    assert all(
        (site / name).read_bytes() == old[name] for name in ("notes.txt", "vendor/ort.wasm.min.js")
    )
    demo._site._settle(str(site))  # what the next write does first: the old page back
    assert {name: (site / name).read_bytes() for name in old} == old
    demo.write_demo(demo_model, site, runtime_url="vendor/ort.wasm.min.js", num=4, seed=2)
    assert {name: (site / name).read_bytes() for name in new} == new
    assert [n for n in os.listdir(site) if n.startswith(".")] == [demo.MANIFEST]
