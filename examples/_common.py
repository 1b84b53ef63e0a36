"""What the example scripts share: their common flags, the JSON of results, the figure.

A script imports it after putting this folder on the path (a script's own folder is on it
when run as `python examples/paper/X.py`, this one is not):

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import _common

Standard library only (matplotlib when a figure is drawn): `usage/load_test.py` must run
with TensorFlow alone, without Keras.
"""

import argparse
import json
import os


def parser(doc):
    """An `ArgumentParser` described by the first line of the script's docstring."""
    return argparse.ArgumentParser(description=doc.splitlines()[0])


def add(parser, **flags):
    """Adds `--name` for each keyword, in the order given (the order of `vars(config)`).

    A value is the flag's default, or a (default, help) pair. An int or float default
    makes the flag's type; `figure=NAME` and `json=NAME` add an optional output path
    whose help says it defaults to OUT/NAME (`json=None`: "write the numbers here").
    """
    for name, value in flags.items():
        default, text = value if isinstance(value, tuple) else (value, None)
        flag = "--" + name.replace("_", "-")
        if name in ("figure", "json") and not isinstance(value, tuple):
            text = f"default: OUT/{default}" if default else "write the numbers here"
            parser.add_argument(flag, default=None, help=text)
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            parser.add_argument(flag, type=type(default), default=default, help=text)
        else:
            parser.add_argument(flag, default=default, help=text)
    return parser


def check_every(config):
    """Refuses a run with no evaluation: --every below 1 or above --steps."""
    if config.steps < config.every or config.every < 1:
        raise SystemExit("--steps must be at least --every, and --every at least 1")


def settings(config, leave_out=()):
    """The flags as a dict, less the keys in `leave_out` (paths and verbosity, which do
    not change the numbers)."""
    return {k: v for k, v in vars(config).items() if k not in leave_out}


def output(path, out, name):
    """`path` if given, else OUT/NAME."""
    return path or os.path.join(out, name)


def write_json(path, data):
    """Writes `data` as JSON (indent 1) atomically, making its folder: a reader sees the
    old file or the new one, never half of one, even if the run is killed mid-write."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with open(temporary, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def report_runs(config, rows, table):
    """Prints the Markdown `table(rows)` and, with --json, writes {"config": the flags,
    "runs": rows} there; returns `rows`."""
    print(table(rows))
    if config.json:
        write_json(config.json, {"config": settings(config), "runs": rows})
    return rows


def pyplot():
    """`matplotlib.pyplot` on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path, dpi, **layout):
    """Lays out `fig` (`tight_layout(**layout)`), saves it at `path` and closes it."""
    fig.tight_layout(**layout)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path
