"""Smoke test of examples/paper/toy_2d.py (the paper's Figure 1) with tiny settings."""

import importlib.util
import pathlib

import pytest
from PIL import Image

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "examples" / "paper" / "toy_2d.py"


def load_script():
    spec = importlib.util.spec_from_file_location("toy_2d_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_toy_2d_writes_both_figures(tmp_path):
    toy_2d = load_script()
    toy_2d.main(["--out", str(tmp_path), "--critic-steps", "3", "--width", "8"])
    for name in ("figure1a_value_surfaces.png", "figure1b_gradient_norms.png"):
        path = tmp_path / name
        assert path.is_file()
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size[0] > 0 and image.size[1] > 0
