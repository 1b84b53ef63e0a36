"""The package's shape: no import cycle, no function-level import of its own modules, the
import layers that `pyproject.toml` states, and a public API that lists what it exports."""

import ast
import importlib
import pathlib
import subprocess
import sys

import keras_wgan

PACKAGE = pathlib.Path(keras_wgan.__file__).parent


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name):
    """The module an imported name lives in: `keras_wgan.evaluation.digits_score` (a
    function) resolves to `keras_wgan.evaluation`."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _imports(path):
    """[(imported module, inside a function?)] of the package's own modules."""
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and child.module and not child.level:
                if child.module.startswith("keras_wgan"):
                    for alias in child.names:
                        found.append((_resolve(f"{child.module}.{alias.name}"), inner))
            elif isinstance(child, ast.Import):
                found.extend(
                    (_resolve(a.name), inner)
                    for a in child.names
                    if a.name.startswith("keras_wgan")
                )
            visit(child, inner)

    visit(ast.parse(path.read_text()), False)
    return found


def test_no_function_level_import_of_the_package_s_own_modules():
    inside = {
        name: sorted({m for m, inner in _imports(path) if inner}) for name, path in MODULES.items()
    }
    assert {name: found for name, found in inside.items() if found} == {}


def test_no_import_cycle_counting_every_import():
    # The root package is the public facade: it imports the layers, none imports it back
    # for anything but a submodule (which `_resolve` names).
    graph = {
        name: {m for m, _ in _imports(path) if m != name and m != "keras_wgan"}
        for name, path in MODULES.items()
        if name != "keras_wgan"
    }
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


LINT_IMPORTS = pathlib.Path(sys.executable).parent / "lint-imports"


def test_the_import_layers_hold():  # import-linter is in the test extra
    result = subprocess.run([str(LINT_IMPORTS)], cwd=PACKAGE.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]


def test_the_public_api_lists_what_it_exports():
    assert keras_wgan.__version__
    for name in keras_wgan.__all__:
        assert getattr(keras_wgan, name) is not None, name
    for package in ("layers", "callbacks", "evaluation", "architectures"):
        module = importlib.import_module(f"keras_wgan.{package}")
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == [], package
