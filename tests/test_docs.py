"""The README and the site's pages (docs/) cannot rot.

- Every ```python block runs, in order, the blocks of a page sharing one namespace. An HTML
  comment right before a block changes how it runs:
  `<!-- test: replace "OLD" "NEW" -->` (each pair must apply) shrinks a block that trains,
  `<!-- test: skip REASON -->` leaves it out, `<!-- test: slow -->` moves its page to
  `-m slow`. `toy_generator()` and `toy_critic()` are shrunk to 8 units everywhere.
- Every `keras-wgan ...` line of a ```bash block parses with the command's own parser.
- Every repository path in a link or in backticks exists, and no link leaves the repository
  but the papers' arXiv pages.
- docs/reference/cli.md equals what tools/cli_reference.py renders from the parser.
- docs/development.md's snippet include of pyproject.toml selects the import contracts.
- The README stays a short overview that holds the two set-up commands.
"""

import glob
import os
import re
import shlex
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
README = os.path.join(ROOT, "README.md")
PAGES = sorted(
    [README] + glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True),
)

_BLOCK = re.compile(r"((?:<!--[^\n]*-->\n)*)```(\w+)\n(.*?)```", re.S)
_DIRECTIVE = re.compile(r"<!--\s*test:\s*(.*?)\s*-->", re.S)


def _rel(path):
    return os.path.relpath(path, ROOT)


def blocks(path, language="python"):
    """[(code, directives)] of one page's blocks in `language`; directives are the
    `<!-- test: ... -->` comments right before the block."""
    with open(path) as f:
        text = f.read()
    found = []
    for match in _BLOCK.finditer(text):
        if match.group(2) == language:
            found.append((match.group(3), _DIRECTIVE.findall(match.group(1))))
    return found


def python_blocks(path=README):
    return [code for code, _ in blocks(path)]


def shrink(code, directives):
    """The block as the tests run it: tiny toy networks and the page's replacements."""
    code = code.replace("toy_generator()", "toy_generator(width=8)").replace(
        "toy_critic()", "toy_critic(width=8)"
    )
    for directive in directives:
        if directive.startswith("replace"):
            old, new = shlex.split(directive)[1:]
            assert old in code, f"replacement does not apply: {old!r}"
            code = code.replace(old, new)
    return code


def run_page(path, scope=None):
    """Runs every block of a page in one namespace; returns it."""
    scope = {} if scope is None else scope
    for code, directives in blocks(path):
        if any(d.startswith("skip") for d in directives):
            continue
        exec(compile(shrink(code, directives), _rel(path), "exec"), scope)
    return scope


def _page_params():
    params = []
    for path in PAGES:
        found = blocks(path)
        if not found:
            continue
        slow = any(d == "slow" for _, directives in found for d in directives)
        params.append(pytest.param(path, id=_rel(path), marks=[pytest.mark.slow] if slow else []))
    return params


@pytest.fixture
def digits_export(tmp_path, monkeypatch):
    """A tiny digits-shaped model exported where the serving guide's commands look for it."""
    import keras

    import keras_wgan
    from keras_wgan import architectures
    from keras_wgan.export import export_generator

    keras.utils.set_random_seed(0)
    generator, critic = architectures.build("mlp", (8, 8, 1), latent_dim=128, width=8)
    gan = keras_wgan.WGAN(generator, critic)
    export_generator(gan, str(tmp_path / "saved_models" / "digits"))
    monkeypatch.chdir(tmp_path)
    return gan


def _check_readme(scope, tmp_path):
    assert scope["samples"].shape == (1000, 2) and np.isfinite(scope["samples"]).all()
    assert (tmp_path / "gan.keras").exists()


def _check_saving(scope, tmp_path, output):
    assert scope["step"] == 0  # the backup block's first run
    assert not (tmp_path / "runs" / "python" / "backup").exists()  # deleted after a normal end
    # The non-finite block: stopped at the bad batch, before its update.
    assert "generator step 3" in output and "NaN" in output
    assert int(scope["gan"].g_optimizer.iterations) == 3


def _check_serving(scope, tmp_path):
    assert scope["images"].shape == (5, 8, 8, 1) and scope["same"]["samples"].shape == (5, 8, 8, 1)


def _check_scaling_out(scope, tmp_path):
    assert scope["gan"].generator_step() == 2


def _check_own_data(scope, tmp_path):
    assert scope["samples"].shape == (500, 2) and scope["sevens"].shape == (4, 8, 8, 1)
    assert scope["gan"].learning_rate is not None
    assert float(scope["scheduled"].d_optimizer.learning_rate) == 0.0  # ends with the run


def _check_deploying(scope, tmp_path):
    assert sorted(os.listdir(tmp_path / "site")) == sorted(
        [*scope["demo"].FILES, scope["demo"].MANIFEST]
    )
    assert scope["first"].shape == (36, 8, 8, 1)


CHECKS = {
    "README.md": _check_readme,
    "docs/guides/deploying.md": _check_deploying,
    "docs/guides/own-data.md": _check_own_data,
    "docs/guides/getting-started.md": _check_readme,
    "docs/guides/serving.md": _check_serving,
    "docs/guides/scaling-out.md": _check_scaling_out,
}
NEEDS_EXPORT = {"docs/guides/serving.md"}


@pytest.mark.parametrize("path", _page_params())
def test_python_blocks_run(path, tmp_path, monkeypatch, request, capsys):
    """Each page's Python blocks, shrunk where they train, run in a fresh folder."""
    name = _rel(path)
    if name in NEEDS_EXPORT:
        request.getfixturevalue("digits_export")
    monkeypatch.chdir(tmp_path)
    import keras

    keras.utils.set_random_seed(0)
    scope = run_page(path)
    if name == "docs/guides/saving.md":
        _check_saving(scope, tmp_path, capsys.readouterr().out)
    elif name in CHECKS:
        CHECKS[name](scope, tmp_path)


def test_readme_is_short_and_keeps_the_set_up_commands():
    with open(README) as f:
        text = f.read()
    assert len(text.splitlines()) <= 150
    commands = re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)
    assert commands[:2] == [
        "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/keras-wgan train "
        "--dataset digits --steps 10000 --out runs/digits --export-dir saved_models/digits",
        'python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]" && .venv/bin/python -m pytest',
    ]
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        assert commands[1] in f.read()  # CI runs the README's test command


def _cli_lines():
    for path in PAGES:
        for code, directives in blocks(path, "bash"):
            if any(d.startswith("skip") for d in directives):
                continue
            for line in code.splitlines():
                words = shlex.split(line, comments=True)
                while words and re.match(r"^\w+=", words[0]):  # KERAS_BACKEND=jax ...
                    words = words[1:]
                if words and os.path.basename(words[0]) == "keras-wgan":
                    yield pytest.param(words[1:], id=f"{_rel(path)}: {' '.join(words[1:3])}")


@pytest.mark.parametrize("argv", list(_cli_lines()))
def test_shell_commands_parse(argv):
    """Every `keras-wgan` command of the README and the guides is one the parser accepts."""
    from keras_wgan.cli import build_parser

    try:
        build_parser().parse_args(argv)
    except SystemExit as exit:
        pytest.fail(f"keras-wgan {' '.join(argv)}: refused by the parser ({exit.code})")


def test_the_pages_have_commands_to_check():
    assert len(list(_cli_lines())) >= 20


_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_PATH = re.compile(r"`((?:keras_wgan|examples|benchmarks|tests|tools|docs|\.ci)/[\w./-]*\w)`")
_OUTSIDE = ("https://arxiv.org/abs/",)


def _pending_pages():
    """Pages the site's build hook stands in for until they are committed
    (tools/docs_hooks.py, PENDING), relative to docs/."""
    with open(os.path.join(ROOT, "tools", "docs_hooks.py")) as f:
        return set(re.findall(r'^    "([\w/.-]+\.md)": \(', f.read(), flags=re.M))


@pytest.mark.parametrize("path", [pytest.param(p, id=_rel(p)) for p in PAGES])
def test_links_and_paths_exist(path):
    """Relative links resolve to files of the repository (figures, pages, sources); links out
    of it are the papers' arXiv pages only; repository paths in backticks exist."""
    with open(path) as f:
        text = f.read()
    here = os.path.dirname(path)
    missing, outside = [], []
    for target in _LINK.findall(text):
        if target.startswith("#"):
            continue
        if re.match(r"^[a-z]+:", target):
            if not target.startswith(_OUTSIDE):
                outside.append(target)
            continue
        file = os.path.normpath(os.path.join(here, target.split("#")[0]))
        if not os.path.exists(file) and _rel(file)[len("docs/") :] not in _pending_pages():
            missing.append(target)
    for target in _PATH.findall(text):
        if "<" in target or target.endswith("/") or "*" in target:
            continue
        if not os.path.exists(os.path.join(ROOT, target)):
            missing.append(target)
    assert not missing, f"{_rel(path)} names files that do not exist: {missing}"
    assert not outside, f"{_rel(path)} links out of the repository: {outside}"


def test_cli_reference_is_up_to_date():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    try:
        import cli_reference
    finally:
        sys.path.pop(0)
    with open(os.path.join(ROOT, "docs", "reference", "cli.md")) as f:
        assert f.read() == cli_reference.render(), (
            "docs/reference/cli.md differs from the parser: run python tools/cli_reference.py"
        )


def test_development_page_includes_the_import_contracts():
    """docs/development.md shows pyproject.toml's import contracts through a snippet
    section (`# --8<-- [start:contracts]` ... `[end:contracts]`): one copy, in pyproject.toml."""
    with open(os.path.join(ROOT, "docs", "development.md")) as f:
        assert f.read().count('--8<-- "pyproject.toml:contracts"') == 1
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        text = f.read()
    start, end = text.index("# --8<-- [start:contracts]"), text.index("# --8<-- [end:contracts]")
    assert "[tool.importlinter]" in text[start:end]
    # every contract: the layers and the two forbidden ones
    assert text[start:end].count("[[tool.importlinter.contracts]]") == 3


def test_serving_commands_run(digits_export, tmp_path):
    """The serving guide's saved_model_cli and dry-run client commands, on a tiny export."""
    with open(os.path.join(ROOT, "docs", "guides", "serving.md")) as f:
        text = f.read()
    bin_dir = os.path.dirname(sys.executable)
    commands = [
        line
        for line in text.splitlines()
        if line.startswith(".venv/bin/saved_model_cli")
        or (
            line.startswith(".venv/bin/python examples/usage/serving_client.py")
            and "--dry-run" in line
        )
    ]
    assert len(commands) == 3
    for line in commands:
        argv = shlex.split(line)
        argv[0] = os.path.join(bin_dir, os.path.basename(argv[0]))
        argv = [os.path.join(ROOT, a) if a.startswith("examples/") else a for a in argv]
        result = subprocess.run(argv, capture_output=True, text=True)
        assert result.returncode == 0, (line, result.stderr[-2000:])
    assert (tmp_path / "served" / "samples.npy").exists()
