"""The reliability probe behind docs/reliability.md: runs each case, writes the table's rows.

    python tools/reliability_probe.py OUT

Every case runs the command line (`python -m keras_wgan`, the same as `keras-wgan`, from
the checkout this file lies in) in a folder of its own under a temporary work folder, with
the case's folders named as in the table (RUN, EXPORTS, IMAGES, ...), then checks what is
left: whether the checkpoint and the exports still load, and whether `.tmp-*` files
remain. Writes OUT/rows.md (the table's rows, in the order of the page) and
OUT/results.json (each command with its exit code, its output's last lines and its
seconds), then removes the work folder. The standard library and the package (with what
it installs: TensorFlow, NumPy, Pillow) only; one command at a time, except where a case
runs two at once. As root, the full disk is a 3 MB tmpfs mounted in the work folder
(`ulimit -f` stands in for it elsewhere), and the read-only folder is tried without the
capabilities by which root ignores file modes.
"""

import ctypes
import json
import os
import random
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402  (after the checkout is put first on the path)
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

from keras_wgan import runs  # noqa: E402
from keras_wgan.utils.files import PREFIX  # noqa: E402

#: The tiny settings of every training command, written TINY in the table.
TINY = "--width 8 --steps-per-epoch 1 --batch-size 16 --lr-decay none --seed 1".split()
TOY = ["train", "--dataset", "8gaussians", *TINY]
#: What one command may take before the probe stops it (and says so).
TIME_CAP_S = 120
RSS_CAP = 2 * 2**30
#: prctl's PR_CAPBSET_DROP and the capabilities by which root ignores file modes.
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


class Result:
    """A finished command: exit code, output, seconds, and why the probe stopped it."""

    def __init__(self, args, rc, out, err, seconds, stopped=None):
        self.args, self.rc, self.out, self.err = args, rc, out, err
        self.seconds, self.stopped = seconds, stopped

    def error_line(self):
        """The first `keras-wgan...: error:` line on stderr, or None."""
        for line in self.err.splitlines():
            if line.startswith("keras-wgan") and ": error: " in line:
                return line
        return None

    def traceback(self):
        return "Traceback (most recent call last):" in self.err

    def shape(self):
        """ok, error (one line), traceback, silent (failed saying nothing), signal,
        stopped (by the probe)."""
        if self.stopped:
            return "stopped"
        if self.traceback():
            return "traceback"
        if self.rc < 0:
            return "signal"
        if self.rc == 0:
            return "ok"
        return "error" if self.error_line() else "silent"

    def gives(self):
        """What the command gave, in one line."""
        shape = self.shape()
        if shape == "stopped":
            return f"not refused: {self.stopped}; stopped by the probe"
        if shape == "signal":
            return f"{self.ended()}, nothing on stderr" if not self.err.strip() else self.ended()
        if shape == "traceback":
            last = [line for line in self.err.splitlines() if line.strip()][-1]
            lines = len(self.err.splitlines())
            return f"{self.ended()}: {lines} lines on stderr, a traceback ending {last.strip()}"
        if shape == "error":
            return f"exit {self.rc}: {self.error_line()}"
        if shape == "silent":
            first = self.err.strip().splitlines()[:1] or ["nothing on stderr"]
            return f"exit {self.rc}: {first[0]}"
        warnings = [line for line in self.err.splitlines() if ": warning: " in line]
        return f"exit 0: {warnings[0] if warnings else self.summary()}"

    def ended(self):
        return f"exit {self.rc}" if self.rc >= 0 else f"ended by {signal.Signals(-self.rc).name}"

    def summary(self):
        """The lines that say what became of the run and its export, else the last."""
        lines = [line.strip() for line in self.out.splitlines() if line.strip()]
        said = [
            next((line for line in lines if line.startswith(starts)), None)
            for starts in ("The run in", ("Exported the generator", "Its latest export"))
        ]
        said = [line for line in said if line]
        if said:
            return " ".join(said)
        wrote = [line for line in lines if line.startswith("Wrote ")]
        return (wrote or lines or ["(no output)"])[0]

    def record(self):
        return {
            "command": shell(self.args),
            "rc": self.rc,
            "shape": self.shape(),
            "gives": self.gives(),
            "seconds": round(self.seconds, 1),
            "stderr_tail": self.err.splitlines()[-5:],
            "stdout_tail": self.out.splitlines()[-3:],
        }


def shell(args):
    """`args` as the table writes them: `keras-wgan ...`, TINY for the tiny settings."""
    text = shlex.join(["keras-wgan", *args])
    return text.replace(shlex.join(TINY), "TINY")


def rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Process:
    """A `keras-wgan` command started in a case's folder, its output in files."""

    count = 0

    def __init__(self, case, args, as_owner=False, limit_file=None):
        Process.count += 1
        self.args, self.case = args, case
        logs = case.dir / "logs"
        logs.mkdir(exist_ok=True)
        self.out_path = logs / f"{Process.count}.out"
        self.err_path = logs / f"{Process.count}.err"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        for name in ("KERAS_WGAN_DEBUG", "KERAS_WGAN_VERBOSE"):
            env.pop(name, None)

        def limits():
            if as_owner:  # root without the capabilities that override file modes
                libc = ctypes.CDLL(None, use_errno=True)
                for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
                    libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
            if limit_file is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file, limit_file))

        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "keras_wgan", *args],
                cwd=case.dir,
                stdout=out,
                stderr=err,
                env=env,
                preexec_fn=limits,
            )
        self.started = time.monotonic()

    def wait(self, timeout=TIME_CAP_S):
        """Waits for the end; stops the command past `timeout` seconds or `RSS_CAP`."""
        stopped, peak = None, 0
        while self.popen.poll() is None:
            peak = max(peak, rss(self.popen.pid))
            elapsed = time.monotonic() - self.started
            if peak > RSS_CAP:
                stopped = f"its memory passed {RSS_CAP / 2**30:.0f} GiB after {elapsed:.0f} s"
            elif elapsed > timeout:
                stopped = f"still running after {timeout} s ({peak / 2**30:.1f} GiB)"
            if stopped:
                self.popen.kill()
                self.popen.wait()
                break
            time.sleep(0.1)
        return self.result(stopped)

    def signal(self, number, grace=60):
        """Sends `number`; stops the command if it has not ended `grace` seconds later."""
        self.popen.send_signal(number)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            return self.result(f"still running {grace} s after {signal.Signals(number).name}")
        return self.result()

    def result(self, stopped=None):
        seconds = time.monotonic() - self.started
        out, err = self.out_path.read_text(), self.err_path.read_text(errors="replace")
        return Result(self.args, self.popen.returncode, out, err, seconds, stopped)


class Case:
    """One case's folder and what it ran."""

    def __init__(self, work, number):
        self.dir = work / f"case{number:02d}"
        self.dir.mkdir()
        self.results = []

    def path(self, name):
        return self.dir / name

    def start(self, args, **kwargs):
        return Process(self, args, **kwargs)

    def run(self, args, timeout=TIME_CAP_S, **kwargs):
        result = self.start(args, **kwargs).wait(timeout)
        self.results.append(result)
        return result

    def copy_base(self, base, name="RUN"):
        shutil.copytree(base, self.path(name))
        return self.path(name)


# What is left: checkpoints, exports, temporaries.


def checkpoint_state(run):
    """'checkpoint loads (step N)', 'no checkpoint', or why it does not load."""
    path = Path(run) / runs.CHECKPOINT
    if not path.exists():
        return "no checkpoint"
    try:
        return f"checkpoint loads (step {runs.load_checkpoint(str(path)).generator_step()})"
    except Exception as error:  # noqa: BLE001  (whatever it is, it is the finding)
        return f"checkpoint does NOT load ({type(error).__name__})"


def export_state(base):
    """'exports 1, 2 load', 'no export', or which versions do not load and answer."""
    base = Path(base)
    found = sorted(int(p.name) for p in base.iterdir() if p.name.isdigit()) if base.exists() else []
    if not found:
        return "no export"
    bad = []
    for version in found:
        try:
            fn = tf.saved_model.load(str(base / str(version))).signatures["serving_default"]
            width = fn.structured_input_signature[1]["z"].shape[1]
            fn(z=tf.zeros([1, width]))
        except Exception:  # noqa: BLE001
            bad.append(version)
    names = ", ".join(map(str, found))
    if bad:
        return f"exports {names}: {', '.join(map(str, bad))} do NOT load"
    return f"export{'s' if len(found) > 1 else ''} {names} load{'' if len(found) > 1 else 's'}"


def temporaries(folder):
    """The `.tmp-*` files and folders under `folder`."""
    return sorted(str(p) for p in Path(folder).rglob(f"{PREFIX}*"))


def no_temporaries(folder):
    left = temporaries(folder)
    return "no .tmp-* left" if not left else f"{len(left)} .tmp-* LEFT"


def run_state(run):
    return kept(checkpoint_state(run), export_state(Path(run) / "export"))


def left_behind(run):
    """What a refused run left of its folder."""
    if not run.exists():
        return "no run folder left"
    names = sorted(p.name for p in run.iterdir() if p.name != ".lock")
    return f"RUN left holding {', '.join(names)}" if names else "an empty RUN left"


def kept(*parts):
    return "; ".join(parts)


# The cases: each method runs one or more and adds their rows with `Probe.row`.


class Probe:
    def __init__(self, work):
        self.work = work
        self.number = 0
        self.rows = []
        self.records = []

    def case(self):
        self.number += 1
        return Case(self.work, self.number)

    def row(self, group, case, name, command, gives, lost, shape=None):
        if isinstance(gives, Result):
            shape = gives.shape()
            gives = gives.gives()
        for folder in [case.dir] if case else []:  # the folders as the table names them
            gives, lost = (text.replace(f"{folder}/", "") for text in (gives, lost))
        self.rows.append(
            {
                "group": group,
                "case": name,
                "command": command,
                "gives": gives,
                "lost": lost,
                "shape": shape,
            }
        )
        self.records.append(
            {**self.rows[-1], "runs": [r.record() for r in case.results] if case else []}
        )
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {gives} | {lost}", flush=True)

    def base(self):
        """A finished 4-step toy run with export 1, copied by the cases that need one."""
        case = self.case()
        result = case.run([*TOY, "--steps", "4", "--out", "RUN"])
        assert result.rc == 0, result.err
        self.base_run = case.path("RUN")
        self.base_seconds = result.seconds

    # Signals.

    def kills_at_random(self, count=4, steps=20, spread_s=4.0):
        """SIGKILL at a random moment (seeded) of the training, the export or the report:
        0 to `spread_s` seconds after the first checkpoint appears."""
        rng = random.Random(1)
        args = [*TOY, "--steps", str(steps), "--out", "RUN"]
        for _ in range(count):
            case = self.case()
            delay = round(rng.uniform(0, spread_s), 1)
            process = case.start(args)
            checkpoint = case.path("RUN") / runs.CHECKPOINT
            while process.popen.poll() is None and not checkpoint.exists():
                time.sleep(0.01)
            time.sleep(delay)
            killed = process.popen.poll() is None
            case.results.append(process.signal(signal.SIGKILL) if killed else process.wait())
            at_kill = kept(
                checkpoint_state(case.path("RUN")),
                export_state(case.path("RUN/export")),
                f"{len(temporaries(case.path('RUN')))} .tmp-*",
            )
            rerun = case.run(args)
            lost = kept(
                f"at the kill: {at_kill}",
                f"after the rerun: {checkpoint_state(case.path('RUN'))}",
                export_state(case.path("RUN/export")),
                no_temporaries(case.path("RUN")),
            )
            self.row(
                "signals",
                case,
                f"SIGKILL {delay} s after the first checkpoint, then the same command again",
                shell(args),
                f"{'killed' if killed else 'had ended before the kill'}; rerun {rerun.gives()}",
                lost,
                rerun.shape(),
            )

    def kill_inside_write(self, what):
        """SIGKILL as soon as a `.tmp-*` of the checkpoint or of an export appears."""
        case = self.case()
        if what == "export command":
            run = case.copy_base(self.base_run)
            args = ["export", "--checkpoint", "RUN", "--out", "EXPORTS"]
            watched, name = case.path("EXPORTS"), ""
        else:
            run = case.path("RUN")
            args = [*TOY, "--steps", "20", "--out", "RUN"]
            watched = run if what == "checkpoint" else run / "export"
            name = "checkpoint.keras" if what == "checkpoint" else ""
        process = case.start(args)
        if what == "checkpoint":  # a later write than the first, with a checkpoint to keep
            while process.popen.poll() is None and not (run / runs.CHECKPOINT).exists():
                time.sleep(0.01)
        caught = None
        while process.popen.poll() is None and caught is None:
            try:
                caught = next(
                    (e for e in os.listdir(watched) if e.startswith(PREFIX) and name in e), None
                )
            except FileNotFoundError:
                pass
            time.sleep(0.001)
        if caught is None:
            case.results.append(process.wait())
            gives = "the write ended before the probe saw it (no kill)"
        else:
            case.results.append(process.signal(signal.SIGKILL))
            gives = "killed with a .tmp-* of it on disk"
        base = watched if what == "export command" else run / "export"
        at_kill = kept(checkpoint_state(run), export_state(base))
        rerun = case.run(args)
        lost = kept(
            f"at the kill: {at_kill}",
            f"after the rerun: {checkpoint_state(run)}",
            export_state(base),
            no_temporaries(case.dir / ("EXPORTS" if what == "export command" else "RUN")),
        )
        self.row(
            "signals",
            case,
            f"SIGKILL inside the {what} write (once a .tmp-* appears), then the command again",
            shell(args),
            f"{gives}; rerun {rerun.gives()}",
            lost,
            "ok" if rerun.shape() == "ok" else rerun.shape(),
        )

    def interrupt(self, number):
        case = self.case()
        args = [*TOY, "--steps", "20", "--out", "RUN"]
        process = case.start(args)
        checkpoint = case.path("RUN") / runs.CHECKPOINT
        while process.popen.poll() is None and not checkpoint.exists():
            time.sleep(0.02)
        result = process.signal(number)
        case.results.append(result)
        at_stop = checkpoint_state(case.path("RUN"))
        rerun = case.run(args)
        lost = kept(
            f"after the signal: {at_stop}",
            f"after the rerun: {checkpoint_state(case.path('RUN'))}",
            export_state(case.path("RUN/export")),
            no_temporaries(case.path("RUN")),
        )
        name = signal.Signals(number).name
        self.row(
            "signals",
            case,
            f"{name} once the first checkpoint is written, then the same command again",
            shell(args),
            result,
            f"{lost}; rerun {rerun.gives()}",
        )

    # Damaged files.

    def damaged_checkpoint(self, how):
        case = self.case()
        run = case.copy_base(self.base_run)
        path = run / runs.CHECKPOINT
        data = path.read_bytes()
        if how == "truncated to half":
            data = data[: len(data) // 2]
        else:  # garbled: 4 KiB of random bytes in the middle
            middle = len(data) // 2
            noise = random.Random(2).randbytes(4096)
            data = data[:middle] + noise + data[middle + 4096 :]
        path.write_bytes(data)
        args = [*TOY, "--steps", "8", "--out", "RUN"]
        result = case.run(args)
        same = path.read_bytes() == data
        lost = kept(
            "the damaged file is left as it was" if same else "the damaged file was REPLACED",
            export_state(run / "export"),
        )
        self.row("damaged files", case, f"checkpoint {how}", shell(args), result, lost)

    def damaged_run_record(self, how):
        case = self.case()
        run = case.copy_base(self.base_run)
        record = run / "run.json"
        if how == "truncated":
            record.write_bytes(record.read_bytes()[:40])
            name = "run.json truncated (checkpoint there)"
        else:
            record.write_bytes(random.Random(3).randbytes(300))
            (run / runs.CHECKPOINT).unlink()
            name = "run.json garbled, no checkpoint"
        args = [*TOY, "--steps", "8", "--out", "RUN"]
        result = case.run(args)
        lost = kept(checkpoint_state(run), export_state(run / "export"), no_temporaries(run))
        self.row("damaged files", case, name, shell(args), result, lost)

    def damaged_export(self, how):
        case = self.case()
        run = case.copy_base(self.base_run)
        base = case.path("EXPORTS")
        shutil.copytree(run / "export/1", base / "1")
        shutil.copytree(run / "export/1", base / "2")
        version = base / "2"
        if how == "saved_model.pb truncated":
            pb = version / "saved_model.pb"
            pb.write_bytes(pb.read_bytes()[:1000])
        elif how == "variables garbled":
            for data in (version / "variables").glob("variables.data-*"):
                data.write_bytes(random.Random(4).randbytes(data.stat().st_size))
        elif how == "keras_wgan.json garbled":
            (version / "keras_wgan.json").write_bytes(random.Random(5).randbytes(100))
        else:  # an empty version folder
            shutil.rmtree(version)
            version.mkdir()
        args = ["sample", "--model", "EXPORTS", "--num", "8", "--out", "samples.npy"]
        result = case.run(args)
        self.row(
            "damaged files",
            case,
            f"latest export EXPORTS/2/: {how} (EXPORTS/1/ intact)",
            shell(args),
            result,
            f"EXPORTS/1: {export_state_one(base / '1')}",
        )

    # The file system.

    def full_disk(self):
        """Resume, export and sample on a full disk, then the resume with room again."""
        case = self.case()
        full = case.path("FULL")
        full.mkdir()
        mounted = False
        if os.geteuid() == 0:
            mount = ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(full)]
            mounted = subprocess.run(mount, capture_output=True).returncode == 0
        try:
            shutil.copytree(self.base_run, full / "RUN")
            np.save(full / "samples.npy", np.zeros((1000, 2), "float32"))
            old_samples = (full / "samples.npy").read_bytes()
            limit = None
            if mounted:
                how = "a 3 MB tmpfs, filled to the last byte"
                fill(full / "filler")
            else:
                how = "no tmpfs could be mounted: `ulimit -f 16` (16 KiB a file) instead"
                limit = 16 * 1024
            steps = [*TOY, "--steps", "8", "--out", "FULL/RUN"]
            result = case.run(steps, limit_file=limit)
            lost = kept(checkpoint_state(full / "RUN"), no_temporaries(full / "RUN"))
            self.row("file system", case, f"full disk ({how}): resume", shell(steps), result, lost)

            args = ["export", "--checkpoint", "FULL/RUN", "--out", "FULL/EXPORTS"]
            result = case.run(args, limit_file=limit)
            lost = kept(export_state(full / "EXPORTS"), no_temporaries(full))
            self.row("file system", case, "full disk: export", shell(args), result, lost)

            args = ["sample", "--model", "FULL/RUN", "--num", "5000", "--out", "FULL/samples.npy"]
            result = case.run(args, limit_file=limit)
            same = (full / "samples.npy").read_bytes() == old_samples
            lost = "the samples.npy that was there is intact" if same else "samples.npy CHANGED"
            self.row(
                "file system",
                case,
                "full disk: sample over an existing file",
                shell(args),
                result,
                lost,
            )

            if mounted:
                (full / "filler").unlink()
            result = case.run(steps)
            lost = kept(
                checkpoint_state(full / "RUN"),
                export_state(full / "RUN/export"),
                no_temporaries(full),
            )
            self.row(
                "file system", case, "room again: the resume reruns", shell(steps), result, lost
            )
        finally:
            if mounted:
                subprocess.run(["umount", str(full)], check=False)

    def read_only(self):
        case = self.case()
        run = case.copy_base(self.base_run)
        os.chmod(run, 0o555)
        root = os.geteuid() == 0
        args = [*TOY, "--steps", "8", "--out", "RUN"]
        result = case.run(args, as_owner=root)
        os.chmod(run, 0o755)
        who = " (as root without CAP_DAC_OVERRIDE, which ignores the mode)" if root else ""
        lost = kept(checkpoint_state(run), export_state(run / "export"))
        self.row(
            "file system", case, f"chmod 0555 RUN, then resume{who}", shell(args), result, lost
        )

    def out_is_file(self):
        case = self.case()
        case.path("FILE").write_text("not a folder\n")
        args = [*TOY, "--steps", "2", "--out", "FILE"]
        result = case.run(args)
        same = case.path("FILE").read_text() == "not a folder\n"
        lost = "FILE unchanged" if same else "FILE CHANGED"
        self.row("file system", case, "an existing file as --out", shell(args), result, lost)

    def out_empty(self):
        case = self.case()
        args = [*TOY, "--steps", "2", "--out", ""]
        result = case.run(args)
        written = sorted(p.name for p in case.dir.iterdir() if p.name != "logs")
        lost = "nothing written in the current folder" if not written else f"WROTE {written}"
        self.row("file system", case, '--out ""', shell(args), result, lost)

    # Two at once.

    def two_trains_at_once(self):
        case = self.case()
        args = [*TOY, "--steps", "4", "--out", "RUN"]
        first, second = case.start(args), case.start(args)
        results = [first.wait(), second.wait()]
        case.results += results
        run = case.path("RUN")
        lost = kept(checkpoint_state(run), export_state(run / "export"), no_temporaries(run))
        gives = " / ".join(r.gives() for r in sorted(results, key=lambda r: r.rc))
        shape = "ok" if sorted(r.shape() for r in results) == ["error", "ok"] else "odd"
        self.row(
            "two at once",
            case,
            "two train with the same --out, started together",
            shell(args),
            gives,
            lost,
            shape,
        )

    def train_mid_run(self):
        """The same command again while the first still trains: 5000 steps, a checkpoint
        every 250, leave it more seconds of training after its first checkpoint than the
        second takes to start."""
        case = self.case()
        args = [*TOY, "--steps", "5000", "--steps-per-epoch", "250", "--out", "RUN"]
        first = case.start(args)
        checkpoint = case.path("RUN") / runs.CHECKPOINT
        while first.popen.poll() is None and not checkpoint.exists():
            time.sleep(0.05)
        second = case.run(args)
        running = first.popen.poll() is None
        at_second = checkpoint_state(case.path("RUN"))
        first_result = first.wait()
        case.results.append(first_result)
        run = case.path("RUN")
        lost = kept(
            f"the first still running when the second ended ({at_second})"
            if running
            else "the first had ended before the second",
            f"first {first_result.gives()}",
            checkpoint_state(run),
            no_temporaries(run),
        )
        name = "the same train again once the first wrote its first checkpoint"
        self.row("two at once", case, name, shell(args), second, lost)

    def two_exports_at_once(self):
        case = self.case()
        case.copy_base(self.base_run)
        args = ["export", "--checkpoint", "RUN", "--out", "EXPORTS"]
        first, second = case.start(args), case.start(args)
        results = [first.wait(), second.wait()]
        case.results += results
        lost = kept(export_state(case.path("EXPORTS")), no_temporaries(case.path("EXPORTS")))
        gives = " / ".join(r.gives() for r in results)
        shape = "ok" if all(r.shape() == "ok" for r in results) else "odd"
        self.row(
            "two at once", case, "two export into one base at once", shell(args), gives, lost, shape
        )

    # Odd inputs.

    def image_folder(self, how):
        case = self.case()
        images = case.path("IMAGES")
        images.mkdir()
        for i in range(4):
            Image.new("RGB", (20, 20), (60 * i, 120, 200)).save(images / f"good{i}.png")
        if how == "a corrupt PNG":
            (images / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
        elif how == "a truncated JPEG":
            jpeg = images / "cut.jpg"
            Image.effect_noise((64, 64), 60).convert("RGB").save(jpeg, quality=90)
            jpeg.write_bytes(jpeg.read_bytes()[: jpeg.stat().st_size // 2])
        elif how == "a 1-bit BMP":
            Image.new("1", (20, 20), 1).save(images / "mono.bmp")
        elif how == "a 5000x4000 JPEG":
            Image.new("RGB", (5000, 4000), (30, 90, 150)).save(images / "huge.jpg")
        elif how == "no files (empty folder)":
            for path in images.iterdir():
                path.unlink()
        elif how == "only broken files":
            for path in images.iterdir():
                path.write_bytes(b"not an image")
        size = ["--image-size", "16", "--n-critic", "1"]
        args = ["train", "--dataset", "folder:IMAGES", *TINY, *size, "--steps", "2", "--out", "RUN"]
        result = case.run(args)
        run = case.path("RUN")
        lost = run_state(run) if result.rc == 0 else left_behind(run)
        self.row("odd inputs", case, f"image folder with {how}", shell(args), result, lost)
        if how == "no files (empty folder)":  # the operator adds images, picks another size
            for i in range(4):
                Image.new("RGB", (20, 20), (60 * i, 120, 200)).save(images / f"good{i}.png")
            args[args.index("--image-size") + 1] = "32"
            result = case.run(args)
            lost = run_state(run) if result.rc == 0 else left_behind(run)
            name = "then images added, rerun with --image-size 32"
            self.row("odd inputs", case, name, shell(args), result, lost)

    def text_file(self, how):
        case = self.case()
        corpus = case.path("CORPUS.txt")
        if how == "empty":
            corpus.write_bytes(b"")
        elif how == "one line":
            corpus.write_text("the quick brown fox jumps over the lazy dog\n")
        elif how == "binary":
            corpus.write_bytes(random.Random(6).randbytes(2000))
        else:  # Latin-1
            corpus.write_bytes("caf\u00e9 cr\u00e8me br\u00fbl\u00e9e\n".encode("latin-1") * 50)
        args = ["train", "--dataset", "text:CORPUS.txt", *TINY, "--steps", "2", "--out", "RUN"]
        result = case.run(args)
        run = case.path("RUN")
        lost = run_state(run) if result.rc == 0 else left_behind(run)
        self.row("odd inputs", case, f"text file: {how}", shell(args), result, lost)

    # Absurd numbers.

    def absurd(self, name, args, copy_base=False):
        case = self.case()
        if copy_base:
            case.copy_base(self.base_run)
        result = case.run(args)
        if copy_base:
            lost = kept(checkpoint_state(case.path("RUN")), export_state(case.path("RUN/export")))
        else:
            lost = left_behind(case.path("RUN"))
        self.row("absurd numbers", case, name, shell(args), result, lost)

    # Reruns.

    def rerun_other_settings(self):
        case = self.case()
        run = case.copy_base(self.base_run)
        (run / "run.json").unlink()
        args = [*TOY, "--steps", "8", "--out", "RUN", "--width", "64", "--lr", "0.5"]
        result = case.run(args)
        lost = kept(checkpoint_state(run), export_state(run / "export"))
        self.row(
            "reruns",
            case,
            "run.json deleted, rerun with --width 64 --lr 0.5",
            shell(args),
            result,
            lost,
        )

    def rerun_finished(self, force):
        case = self.case()
        run = case.copy_base(self.base_run)
        args = [*TOY, "--steps", "4", "--out", "RUN"] + (["--force-export"] if force else [])
        result = case.run(args)
        lost = kept(checkpoint_state(run), export_state(run / "export"), no_temporaries(run))
        name = "rerun of a finished run" + (" with --force-export" if force else "")
        self.row("reruns", case, name, shell(args), result, lost)

    # Requests to an export.

    def serving(self):
        version = str(self.base_run / "export" / "1")
        loaded = tf.saved_model.load(version)
        default = loaded.signatures["serving_default"]
        seeded = loaded.signatures["generate_from_seed"]
        requests = {
            "z of rank 1": ("f(z=tf.zeros([2]))", lambda: default(z=tf.zeros([2]))),
            "z of rank 3": ("f(z=tf.zeros([2, 2, 1]))", lambda: default(z=tf.zeros([2, 2, 1]))),
            "z of 3 columns (latent_dim 2)": (
                "f(z=tf.zeros([2, 3]))",
                lambda: default(z=tf.zeros([2, 3])),
            ),
            "z as float64": (
                "f(z=tf.zeros([2, 2], tf.float64))",
                lambda: default(z=tf.zeros([2, 2], tf.float64)),
            ),
            "z as int32": (
                "f(z=tf.zeros([2, 2], tf.int32))",
                lambda: default(z=tf.zeros([2, 2], tf.int32)),
            ),
            "huge batch: 1,000,000 rows of z (limit 1024)": (
                "f(z=tf.zeros([1000000, 2]))",
                lambda: default(z=tf.zeros([1_000_000, 2])),
            ),
            "huge batch: num_samples 2**31-1": (
                "g(seed=tf.constant(7, tf.int64), num_samples=tf.constant(2**31 - 1))",
                lambda: seeded(seed=tf.constant(7, tf.int64), num_samples=tf.constant(2**31 - 1)),
            ),
            "NaN in z": (
                "f(z=tf.constant([[0.0, float('nan')]]))",
                lambda: default(z=tf.constant([[0.0, float("nan")]])),
            ),
        }
        for name, (command, call) in requests.items():
            start = time.monotonic()
            try:
                outputs = call()
                gives = f"answered: {sorted(outputs)}"
                shape = "ok"
            except tf.errors.InvalidArgumentError as error:
                gives = f"InvalidArgumentError: {first_op_line(error.message)}"
                shape = "error"
            except Exception as error:  # noqa: BLE001  (the type is part of the finding)
                line = (str(error).strip().splitlines() or [""])[0]
                gives = f"{type(error).__name__}: {line}"
                shape = "error"
            seconds = time.monotonic() - start
            good = default(z=tf.zeros([1, 2]))["samples"].shape == (1, 2)
            lost = f"in {seconds:.2f} s; a good request still answers" if good else "BROKE"
            self.row("serving", None, f"request with {name}", command, gives, lost, shape)


def export_state_one(version):
    try:
        fn = tf.saved_model.load(str(version)).signatures["serving_default"]
        fn(z=tf.zeros([1, fn.structured_input_signature[1]["z"].shape[1]]))
        return "loads and answers"
    except Exception as error:  # noqa: BLE001
        return f"does NOT load ({type(error).__name__})"


def first_op_line(message):
    """A TensorFlow error's assertion (or first) line, without the graph dump."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    named = [line for line in lines if "assertion failed" in line or "Shape of tensor" in line]
    return (named or lines or ["(no message)"])[0].split(" [Condition")[0]


def fill(path):
    """Writes `path` until the file system is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for chunk in (64 * 1024, 4096, 1):
            try:
                while True:
                    os.write(fd, bytes(chunk))
            except OSError:
                pass
    finally:
        os.close(fd)


def main(probe):
    probe.base()
    probe.kills_at_random()
    for what in ("checkpoint", "export", "export command"):
        probe.kill_inside_write(what)
    probe.interrupt(signal.SIGINT)
    probe.interrupt(signal.SIGTERM)

    for how in ("truncated to half", "garbled (4 KiB of noise in the middle)"):
        probe.damaged_checkpoint(how)
    probe.damaged_run_record("truncated")
    probe.damaged_run_record("garbled")
    for how in (
        "saved_model.pb truncated",
        "variables garbled",
        "keras_wgan.json garbled",
        "an empty version folder",
    ):
        probe.damaged_export(how)

    probe.full_disk()
    probe.read_only()
    probe.out_is_file()
    probe.out_empty()

    probe.two_trains_at_once()
    probe.train_mid_run()
    probe.two_exports_at_once()

    for how in (
        "a corrupt PNG",
        "a truncated JPEG",
        "a 1-bit BMP",
        "a 5000x4000 JPEG",
        "no files (empty folder)",
        "only broken files",
    ):
        probe.image_folder(how)
    for how in ("empty", "one line", "binary", "not UTF-8 (Latin-1)"):
        probe.text_file(how)

    out = ["--steps", "2", "--out", "RUN"]
    # The recipe's width (256), as an operator would leave it.
    default_width = ["train", "--dataset", "8gaussians", "--steps-per-epoch", "1", "--seed", "1"]
    probe.absurd("--batch-size 1e7", [*TOY, "--batch-size", "1e7", *out])
    probe.absurd("--batch-size 10000000", [*default_width, "--batch-size", "10000000", *out])
    probe.absurd("--batch-size 10000000 at width 8", [*TOY, "--batch-size", "10000000", *out])
    probe.absurd("--latent-dim 100000000", [*default_width, "--latent-dim", "100000000", *out])
    probe.absurd("--latent-dim 100000000 at width 8", [*TOY, "--latent-dim", "100000000", *out])
    probe.absurd("--n-critic 1000000", [*TOY, "--n-critic", "1000000", *out])
    probe.absurd(
        "--steps 9223372036854775807", [*TOY, "--steps", "9223372036854775807", "--out", "RUN"]
    )
    probe.absurd("--max-samples 1099511627776", [*TOY, "--max-samples", "1099511627776", *out])
    probe.absurd(
        "evaluate --num-samples 1000000000",
        ["evaluate", "--model", "RUN/export", "--dataset", "8gaussians"]
        + ["--num-samples", "1000000000"],
        copy_base=True,
    )
    file_case_args = [*TOY, *out, "--export-dir", "RUN/run.json"]
    probe.absurd("--export-dir that is a file", file_case_args, copy_base=True)

    probe.rerun_other_settings()
    probe.rerun_finished(force=False)
    probe.rerun_finished(force=True)

    probe.serving()


def table_rows(rows):
    def code(text):
        text = text.replace("|", "\\|")
        fence = "``" if "`" in text else "`"
        pad = " " if "`" in text else ""
        return f"{fence}{pad}{text}{pad}{fence}"

    lines = []
    for row in rows:
        lost = row["lost"].replace("|", "\\|")
        gives = code(row["gives"]) if row["gives"] else ""
        lines.append(f"| {row['case']} | {code(row['command'])} | {gives} | {lost} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/reliability_probe.py OUT")
    output = Path(sys.argv[1])
    output.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="keras-wgan-probe-"))
    probe = Probe(work)
    started = time.monotonic()
    try:
        main(probe)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        minutes = (time.monotonic() - started) / 60
        (output / "rows.md").write_text(table_rows(probe.rows))
        summary = {"minutes": round(minutes, 1), "cases": probe.records}
        (output / "results.json").write_text(json.dumps(summary, indent=1) + "\n")
        print(f"{len(probe.rows)} cases in {minutes:.1f} min; rows in {output / 'rows.md'}")
