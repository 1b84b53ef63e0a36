"""MkDocs hook of the site (mkdocs.yml `hooks:`).

Pages written in parallel with the rest (`PENDING`): until one is committed, the build uses
a short generated page that points to where its subject is covered, so the navigation and
the links to it stay valid; the committed page replaces it.

After the build, every public name must have an entry in the API reference.

The public names are those of `keras_wgan.__all__` and, for each public module (a module of
`keras_wgan.__all__` and the submodules that the API pages render), the names of its
`__all__` or, without one, the public functions, classes and constants it defines. The
entries are those of the inventory that mkdocstrings writes (`objects.inv`). A missing name
fails the build, `mkdocs build --strict` or not.
"""

import os
import zlib

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

PENDING = {
    "guides/own-data.md": (
        "# Your own data and networks\n\n"
        "Batch your arrays with `keras_wgan.datasets.critic_batches` and pass any Keras\n"
        "generator and critic to `keras_wgan.WGAN`: see [Getting started](getting-started.md),\n"
        "[Datasets and architectures](datasets.md) and the [API reference](../api/wgan.md).\n"
    ),
    "reliability.md": (
        "# What survives a crash, case by case\n\n"
        "What a run keeps through a crash is described in\n"
        "[Saving, resuming and crashes](guides/saving.md).\n"
    ),
}

# Rendered on their own although not in keras_wgan.__all__ (their parents document them).
SUBMODULES = (
    "keras_wgan.architectures.improved",
    "keras_wgan.architectures.language",
    "keras_wgan.architectures.initializers",
    "keras_wgan.datasets.mnist",
    "keras_wgan.evaluation.inception",
    "keras_wgan.evaluation.digits",
    "keras_wgan.evaluation.mnist",
    "keras_wgan.evaluation.precision_recall",
)


def on_files(files, config, **kwargs):
    for path, content in PENDING.items():
        if files.get_file_from_path(path) is None:
            files.append(File.generated(config, path, content=content))
    return files


def _inventory(site_dir):
    with open(os.path.join(site_dir, "objects.inv"), "rb") as f:
        data = f.read()
    header_end = 0
    for _ in range(4):  # four lines of header, then zlib
        header_end = data.index(b"\n", header_end) + 1
    lines = zlib.decompress(data[header_end:]).decode().splitlines()
    return {line.split(" ", 1)[0] for line in lines if line.strip()}


def _public(module):
    if module.exports is not None:
        return sorted(str(name) for name in module.exports)
    return sorted(
        name
        for name, member in module.members.items()
        if not name.startswith("_") and not member.is_alias and not member.is_module
    )


def public_names():
    """Every public name, as the dotted path an API entry must have (or end with)."""
    import griffe

    package = griffe.load("keras_wgan", search_paths=["."], allow_inspection=False)
    names = {"keras_wgan.__version__"}
    modules = list(SUBMODULES)
    for name in package.exports:
        name = str(name)
        if name == "__version__":
            continue
        if name in package.members and package.members[name].is_module:
            modules.append(f"keras_wgan.{name}")
        else:
            names.add(f"keras_wgan.{name}")
    for path in modules:
        module = package[path.removeprefix("keras_wgan.")]
        names.update(f"{path}.{member}" for member in _public(module))
    return names


def on_post_build(config, **kwargs):
    entries = _inventory(config["site_dir"])
    leaves = {}
    for entry in entries:
        leaves.setdefault(entry.rsplit(".", 1)[-1], set()).add(entry)
    missing = []
    for name in sorted(public_names()):
        if name in entries:
            continue
        # keras_wgan.WGAN is documented where it is defined (keras_wgan.wgan.WGAN) and
        # keras_wgan.export_generator in keras_wgan.export: accept the same name one or two
        # modules down.
        package, leaf = name.rsplit(".", 1)
        if any(e.startswith(package + ".") for e in leaves.get(leaf, ())):
            continue
        missing.append(name)
    if missing:
        raise PluginError(
            "Public names without an entry in the API reference (docs/api/): " + ", ".join(missing)
        )
