"""Each example script runs for two steps on its real data path, under tfds mock data."""

import importlib.util
import os

import pytest
import tensorflow_datasets as tfds
from PIL import Image

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def load_example(name, folder="paper"):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(EXAMPLES, folder, f"{name}.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_export(out):
    assert os.path.isfile(os.path.join(out, "export", "1", "saved_model.pb"))
    assert os.path.isfile(os.path.join(out, "checkpoint.keras"))


# The conditional run takes every path of the unconditional one and more.
@pytest.mark.parametrize(
    "conditional",
    [pytest.param(False, marks=pytest.mark.slow), pytest.param(True, marks=pytest.mark.slow)],
)
def test_cifar10_two_steps(tmp_path, conditional):
    cifar10 = load_example("cifar10", "usage")
    out = str(tmp_path / "run")
    argv = [
        "--out",
        out,
        "--steps",
        "2",
        "--width",
        "8",
        "--batch-size",
        "4",
        "--generator-batch-size",
        "8",
        "--steps-per-epoch",
        "1",
    ]
    with tfds.testing.mock_data(num_examples=64):
        cifar10.main(argv + (["--conditional"] if conditional else []))
    assert_export(out)
    gan = cifar10.runs.load_checkpoint(out)
    assert int(gan.g_optimizer.iterations) == 2 and int(gan.d_optimizer.iterations) == 10
    assert gan.generator_batch_size == 8 and (gan.num_classes == 10) == conditional
    # The learning rate decays linearly to 0 over the run.
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.slow
def test_lsun_bedroom_two_steps(tmp_path):
    lsun = load_example("lsun_bedroom", "usage")
    out = str(tmp_path / "run")
    with tfds.testing.mock_data(num_examples=64):
        lsun.main(
            [
                "--out",
                out,
                "--steps",
                "2",
                "--width",
                "8",
                "--batch-size",
                "2",
                "--image-size",
                "16",
                "--steps-per-epoch",
                "1",
            ]
        )
    assert_export(out)


@pytest.mark.slow
def test_robustness_grid_on_digits(tmp_path):
    robustness = load_example("robustness")
    out = str(tmp_path / "grid")
    cells = robustness.main(
        [
            "--out",
            out,
            "--dataset",
            "digits",
            "--steps",
            "2",
            "--width",
            "8",
            "--batch-size",
            "4",
            "--steps-per-epoch",
            "1",
            "--grid-size",
            "2",
            "--archs",
            "dcgan",
            "gated",
            "--methods",
            "dcgan",
            "wgan-gp",
        ]
    )
    assert len(cells) == 4
    for (arch, method), (images, quality, seconds) in cells.items():
        assert images.shape == (4, 8, 8, 1)
        assert 1.0 <= quality["score"] <= 10.0
        assert sum(quality["class_counts"]) == 2000 and seconds > 0
        assert os.path.isfile(os.path.join(out, f"{arch}__{method}", "samples.png"))
    assert Image.open(os.path.join(out, "robustness.png")).size[0] > 100


@pytest.mark.slow
def test_toy_defaults_table_runs_the_command_line(tmp_path):
    toy_defaults = load_example("toy_defaults")
    out = str(tmp_path / "toy")
    rows = toy_defaults.main(
        [
            "--out",
            out,
            "--datasets",
            "8gaussians",
            "swissroll",
            "--seeds",
            "0",
            "--steps",
            "2",
            "--num-samples",
            "200",
            "--json",
            str(tmp_path / "toy.json"),
        ]
    )
    assert [r["dataset"] for r in rows] == ["8gaussians", "swissroll"]
    assert rows[0]["steps"] == 2 and 0 <= rows[0]["high_quality"] <= 1
    assert "high_quality" not in rows[1] and rows[1]["distance_ratio"] > 0
    assert "| 8gaussians | 0 |" in toy_defaults.table(rows)


@pytest.mark.slow
def test_conditional_digits_table_runs_the_command_line(tmp_path):
    conditional = load_example("conditional_digits")
    rows = conditional.main(
        [
            "--out",
            str(tmp_path / "c"),
            "--steps",
            "2",
            "--num-samples",
            "100",
            "--rows",
            "mlp, ac-gan, generator weight 1",
        ]
    )
    (row,) = rows
    assert row["steps"] == 2 and 0 <= row["label_accuracy"] <= 1 and 1 <= row["score"] <= 10
    assert "--conditioning ac-gan --ac-weight-generator 1" in row["command"]


@pytest.mark.slow
def test_peer_options_table_runs_the_command_line(tmp_path):
    peers = load_example("peer_options")
    rows = peers.main(
        [
            "--out",
            str(tmp_path / "p"),
            "--steps",
            "2",
            "--num-samples",
            "100",
            "--rows",
            "wgan-gp + ema + augment",
        ]
    )
    (row,) = rows
    assert row["steps"] == 2 and 1 <= row["inception_score"] <= 10
    assert 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1
    assert "--ema 0.999 --augment translation,cutout" in row["command"]
    assert "| wgan-gp + ema + augment | 0 |" in peers.table(rows)


@pytest.mark.slow
def test_language_model_comparison_runs(tmp_path):
    language = load_example("language_model")
    out = str(tmp_path / "language")
    results = language.main(
        [
            "--out",
            out,
            "--steps",
            "2",
            "--every",
            "1",
            "--width",
            "4",
            "--methods",
            "wgan-gp",
            "--verbose",
            "0",
        ]
    )
    assert set(results) == {"wgan-gp"}
    records, samples = results["wgan-gp"]
    assert [r["step"] for r in records] == [1, 2] and len(samples) == 8
    assert all(0 <= records[-1][f"js{n}"] <= 1 for n in range(1, 5))
    assert Image.open(os.path.join(out, "language_model.png")).size[0] > 100
