"""Smoke tests of the scripts behind the paper's Figures 3-4 and section 5.3, tiny settings."""

import importlib.util
import json
import pathlib

import pytest
from PIL import Image

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples" / "paper"


def load(name):
    spec = importlib.util.spec_from_file_location(f"{name}_example", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_png(path):
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] > 100


def test_critic_loss_vs_quality_records_losses_and_scores(tmp_path):
    script = load("critic_loss_vs_quality")
    results = script.main(
        [
            "--out",
            str(tmp_path),
            "--dataset",
            "digits",
            "--arch",
            "mlp",
            "--steps",
            "4",
            "--every",
            "2",
            "--width",
            "8",
            "--latent-dim",
            "4",
            "--batch-size",
            "8",
            "--num-samples",
            "40",
            "--verbose",
            "0",
        ]
    )
    assert list(results) == ["wgan-gp", "wgan-clip", "dcgan"]
    for records in results.values():
        assert [r["step"] for r in records] == [2, 4]
        assert all(1.0 <= r["digits_score"] <= 10.0 for r in records)
    saved = json.loads((tmp_path / "critic_loss_vs_quality.json").read_text())
    assert saved["records"]["dcgan"][1]["step"] == 4
    check_png(tmp_path / "critic_loss_vs_quality.png")


def test_overfitting_records_both_estimates(tmp_path):
    script = load("overfitting")
    records = script.main(
        [
            "--out",
            str(tmp_path),
            "--steps",
            "4",
            "--every",
            "2",
            "--width",
            "8",
            "--latent-dim",
            "4",
            "--batch-size",
            "8",
            "--num-train",
            "50",
            "--eval-examples",
            "20",
            "--verbose",
            "0",
        ]
    )
    assert [r["step"] for r in records] == [2, 4]
    assert all(
        isinstance(r["train"], float) and isinstance(r["validation"], float) for r in records
    )
    check_png(tmp_path / "overfitting.png")


@pytest.mark.slow
def test_improved_techniques_table_trains_every_row(tmp_path):
    script = load("improved_techniques")
    records = script.main(
        [
            "--out",
            str(tmp_path),
            "--dataset",
            "digits",
            "--steps",
            "2",
            "--width",
            "8",
            "--batch-size",
            "8",
            "--steps-per-epoch",
            "1",
            "--grid-size",
            "2",
            "--rows",
            "dcgan",
            "all",
            "wgan-gp",
        ]
    )
    assert [r["row"] for r in records] == ["dcgan", "all", "wgan-gp"]  # "all": every technique
    for r in records:
        assert r["steps"] == 2 and 1.0 <= r["score"] <= 10.0 and sum(r["class_counts"]) == 2000
    saved = json.loads((tmp_path / "improved_techniques.json").read_text())
    assert saved["rows"][-1]["row"] == "wgan-gp"
    check_png(tmp_path / "improved_techniques.png")
