"""Load-test an exported generator as TF Serving runs it: concurrent requests, latency, memory.

TF Serving loads a SavedModel's "serve" MetaGraph into a TensorFlow session and runs each
request's signature with `Session::Run` from many threads at once. This script does the
same in one process that imports TensorFlow only (`tf.compat.v1.saved_model.loader`, one
shared `Session`), then sends `--requests` requests from `--threads` threads to each
signature at each batch size: `serving_default` with random `z` (and labels), and
`generate_from_seed` with a fresh seed per request. Each cell stops early after
`--max-seconds`. It reports, per cell, requests and samples per second, p50 and p99
latency, and the process's resident memory after the first tenth of the requests and at
the end (a leak shows as growth), plus the peak over the whole run.

    python examples/usage/load_test.py --model saved_models/digits --json docs/figures/load_test.json
"""

import concurrent.futures
import json
import os
import resource
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402

SIGNATURES = ("serving_default", "generate_from_seed")


def rss_mb():
    """The process's resident memory now, in MiB (Linux `/proc/self/statm`)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def latest_version(path):
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        return path
    versions = (
        sorted(int(n) for n in os.listdir(path) if n.isdigit()) if os.path.isdir(path) else []
    )
    if not versions:
        raise SystemExit(
            f"load_test: no SavedModel at {path!r} (no saved_model.pb and no "
            "integer version folders)"
        )
    return os.path.join(path, str(versions[-1]))


class Served:
    """A SavedModel loaded into one TF1 session, as TF Serving holds it."""

    def __init__(self, path):
        import tensorflow as tf

        self.graph = tf.Graph()
        self.session = tf.compat.v1.Session(graph=self.graph)
        meta = tf.compat.v1.saved_model.loader.load(self.session, ["serve"], path)
        self.signatures = {}
        for name in SIGNATURES:
            signature = meta.signature_def[name]
            inputs = {key: info.name for key, info in signature.inputs.items()}
            outputs = [info.name for _, info in sorted(signature.outputs.items())]
            self.signatures[name] = (inputs, outputs)
        z = meta.signature_def["serving_default"].inputs["z"]
        self.latent_dim = z.tensor_shape.dim[1].size
        self.conditional = "labels" in meta.signature_def["serving_default"].inputs
        self.num_classes = None
        meta_file = os.path.join(path, "keras_wgan.json")
        if os.path.isfile(meta_file):
            with open(meta_file) as f:
                self.num_classes = json.load(f).get("num_classes")

    def request(self, name, batch, rng, seed):
        """The feed of one request of `batch` samples."""
        inputs, _ = self.signatures[name]
        feed = {}
        if name == "serving_default":
            feed[inputs["z"]] = rng.standard_normal((batch, self.latent_dim)).astype("float32")
        else:
            feed[inputs["seed"]] = np.int64(seed)
            feed[inputs["num_samples"]] = np.int32(batch)
        if self.conditional:
            feed[inputs["labels"]] = rng.integers(0, self.num_classes or 1, batch).astype("int32")
        return feed

    def run(self, name, feed):
        return self.session.run(self.signatures[name][1], feed_dict=feed)


def load_cell(served, name, batch, requests, threads, max_seconds, seed=0):
    """Sends `requests` requests of `batch` samples from `threads` threads; returns the
    cell's figures."""
    served.run(name, served.request(name, batch, np.random.default_rng(seed), seed))  # warm-up
    latencies = []
    lock = threading.Lock()
    issued = iter(range(requests))
    deadline = time.perf_counter() + max_seconds
    rss_after_tenth = []

    def worker(index):
        rng = np.random.default_rng([seed, index])
        while time.perf_counter() < deadline:
            with lock:
                i = next(issued, None)
            if i is None:
                return
            feed = served.request(name, batch, rng, seed + i)
            start = time.perf_counter()
            served.run(name, feed)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if len(latencies) == max(1, requests // 10):
                    rss_after_tenth.append(rss_mb())

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker, t) for t in range(threads)]:
            future.result()
    wall = time.perf_counter() - start
    done = len(latencies)
    ms = np.array(latencies) * 1000
    return {
        "signature": name,
        "batch": batch,
        "requests": done,
        "seconds": round(wall, 2),
        "requests_per_s": round(done / wall, 1),
        "samples_per_s": round(done * batch / wall, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "rss_mb_after_tenth": round(rss_after_tenth[0] if rss_after_tenth else rss_mb(), 1),
        "rss_mb_end": round(rss_mb(), 1),
        "stopped_early": done < requests,
    }


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    parser.add_argument(
        "--model",
        required=True,
        help="an export's version folder, or its base folder (the latest version)",
    )
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 16, 256])
    parser.add_argument("--signatures", nargs="+", default=list(SIGNATURES), choices=SIGNATURES)
    _common.add(
        parser,
        requests=(10_000, "requests per cell"),
        threads=(8, "concurrent clients"),
        max_seconds=(300.0, "each cell stops sending after this long"),
        json=(None, "also write the figures to this file"),
    )
    return parser.parse_args(argv)


def main(argv=None):
    config = parse_args(argv)
    if min(config.batch_sizes) < 1 or config.requests < 1 or config.threads < 1:
        raise SystemExit("load_test: --batch-sizes, --requests and --threads must be >= 1")
    path = latest_version(config.model)
    rss_start = rss_mb()
    served = Served(path)
    rss_loaded = rss_mb()
    cells = [
        load_cell(served, name, batch, config.requests, config.threads, config.max_seconds)
        for name in config.signatures
        for batch in config.batch_sizes
    ]
    report = {
        "model": os.path.basename(os.path.normpath(config.model)),
        "threads": config.threads,
        "requests_per_cell": config.requests,
        "cpus": os.cpu_count(),
        "rss_mb_before_load": round(rss_start, 1),
        "rss_mb_loaded": round(rss_loaded, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "cells": cells,
    }
    print(
        "| signature | batch | requests | requests/s | samples/s | p50 ms | p99 ms | "
        "RSS MiB after 1/10 | RSS MiB at end |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for c in cells:
        print(
            f"| `{c['signature']}` | {c['batch']} | {c['requests']} | {c['requests_per_s']} | "
            f"{c['samples_per_s']} | {c['p50_ms']} | {c['p99_ms']} | "
            f"{c['rss_mb_after_tenth']} | {c['rss_mb_end']} |"
        )
    print(
        f"Peak resident memory {report['peak_rss_mb']} MiB "
        f"({report['rss_mb_loaded']} MiB once loaded); {config.threads} threads."
    )
    if config.json:
        _common.write_json(config.json, report)
    return report


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
