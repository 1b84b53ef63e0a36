"""One recipe, one place: the CLI and the example scripts resolve the same hyperparameters."""

import importlib.util
import os

import keras
import pytest

from keras_wgan import cli, presets, runs

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples", "usage")
# The keys that make a run: everything but the CLI's own bookkeeping.
RUN_KEYS = (
    "recipe",
    "arch",
    "width",
    "latent_dim",
    "batch_size",
    "model",
    "optimizers",
    "lr_decay",
    "steps",
    "dequantize",
    "conditional",
    "image_shape",
    "num_classes",
)


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cli_settings(*argv):
    return cli.train.settings(cli.build_parser().parse_args(["train", "--out", "x", *argv]))


def run_part(settings):
    return {key: settings.get(key) for key in RUN_KEYS}


@pytest.mark.parametrize("conditional", [False, True])
def test_cli_and_cifar10_example_resolve_the_same_recipe(conditional):
    flag = ["--conditional"] if conditional else []
    from_cli = cli_settings("--dataset", "cifar10", "--steps", "100000", *flag)
    example = load_example("cifar10")
    from_example = example.settings(example.parse_args(flag))
    assert run_part(from_cli) == run_part(from_example)
    # The paper's gan_cifar_resnet.py recipe.
    assert from_cli["model"]["generator_batch_size"] == 128 and from_cli["batch_size"] == 64
    assert from_cli["optimizers"][0]["config"] == {
        "learning_rate": 2e-4,
        "beta_1": 0.0,
        "beta_2": 0.9,
    }
    assert from_cli["lr_decay"] == "linear" and from_cli["dequantize"]
    assert from_cli["num_classes"] == (10 if conditional else None)
    if conditional:
        assert from_cli["model"]["conditioning"] == "ac-gan-paper"
        assert (
            from_cli["model"]["ac_weight_critic"],
            from_cli["model"]["ac_weight_generator"],
        ) == (1.0, 0.1)


def test_cli_and_lsun_example_resolve_the_same_recipe():
    from_cli = cli_settings("--dataset", "lsun-bedroom", "--steps", "200000", "--image-size", "64")
    example = load_example("lsun_bedroom")
    from_example = example.settings(example.parse_args([]))
    assert run_part(from_cli) == run_part(from_example)
    assert from_cli["arch"] == "resnet-64" and from_cli["lr_decay"] is None


def test_example_flags_override_the_recipe_as_the_cli_flags_do():
    example = load_example("cifar10")
    from_example = example.settings(
        example.parse_args(["--width", "8", "--lr", "1e-3", "--steps", "10"])
    )
    from_cli = cli_settings("--dataset", "cifar10", "--width", "8", "--lr", "1e-3", "--steps", "10")
    assert run_part(from_cli) == run_part(from_example)
    assert from_cli["width"] == 8 and from_cli["steps"] == 10


def test_toy_defaults_and_the_papers_settings_one_flag_away():
    own = cli_settings("--dataset", "8gaussians", "--steps", "2000")
    assert (own["width"], own["lr_decay"], own["steps"]) == (256, "linear", 2000)
    paper = cli_settings("--dataset", "8gaussians", "--steps", "2000", "--paper")
    assert (paper["width"], paper["lr_decay"]) == (512, None)
    assert paper["optimizers"][0]["config"] == {"learning_rate": 1e-4, "beta_1": 0.5, "beta_2": 0.9}
    assert paper["model"] == {"loss": "wgan-gp", "n_critic": 5, "gp_weight": 0.1}
    with pytest.raises(ValueError, match="--paper"):
        cli_settings("--dataset", "digits", "--steps", "2000", "--paper")


def test_other_losses_take_their_own_preset_without_the_recipes_decay():
    clip = cli_settings("--dataset", "cifar10", "--loss", "wgan-clip", "--steps", "10")
    assert clip["lr_decay"] is None
    assert clip["optimizers"][0]["class_name"] == "keras_wgan>TF1RMSprop"
    assert clip["model"]["clip_value"] == 0.01 and clip["model"]["loss"] == "wgan-clip"
    # The run's own arguments (the generator batch) stay.
    assert clip["model"]["generator_batch_size"] == 128


def test_linear_decay_reaches_zero_at_the_last_step_for_both_players():
    settings = runs.with_data(presets.resolve("8gaussians", steps=4), "8gaussians")
    d_opt, g_opt = presets.build_optimizers(settings)
    n_critic = settings["model"]["n_critic"]
    lr = presets.RECIPES["8gaussians"]["optimizer"]["config"]["learning_rate"]
    assert float(g_opt.learning_rate) == pytest.approx(lr)  # step 0
    g_schedule, d_schedule = g_opt._learning_rate, d_opt._learning_rate
    assert float(g_schedule(2)) == pytest.approx(lr / 2)
    assert float(g_schedule(4)) == 0.0 and float(d_schedule(4 * n_critic)) == 0.0
    assert float(d_schedule(2 * n_critic)) == pytest.approx(float(g_schedule(2)))


def test_a_decayed_run_refuses_to_resume_with_another_length(tmp_path, capsys):
    out = str(tmp_path / "run")
    tiny = ["--width", "8", "--batch-size", "16", "--steps-per-epoch", "2"]
    assert cli.main(["train", "--dataset", "8gaussians", "--steps", "2", "--out", out] + tiny) == 0
    gan = keras.saving.load_model(os.path.join(out, "checkpoint.keras"))
    assert float(gan.g_optimizer.learning_rate) == 0.0  # decayed to 0 over the run
    capsys.readouterr()
    assert cli.main(["train", "--dataset", "8gaussians", "--steps", "4", "--out", out] + tiny) == 1
    assert "settings.steps=2 there, 4 asked" in capsys.readouterr().err


def test_unknown_recipe_names_the_recipes():
    with pytest.raises(ValueError, match="Expected one of .*cifar10"):
        presets.recipe("cifar100")
    with pytest.raises(ValueError, match="lr_decay"):
        presets.resolve("cifar10", lr_decay="cosine")


def test_text_defaults_and_the_papers_language_model_one_flag_away():
    own = cli_settings("--dataset", "text", "--steps", "2000")
    assert (own["arch"], own["width"], own["num_blocks"], own["lr_decay"]) == (
        "language",
        48,
        5,
        "linear",
    )
    assert own["model"]["n_critic"] == 5 and own["sequence_length"] == 32
    assert own["vocabulary"][:2] == ["", "\ufffd"]
    paper = cli_settings("--dataset", "text", "--steps", "200000", "--paper")
    # gan_language.py: DIM 512, batch 64, n_critic 10, lambda 10, Adam(1e-4, 0.5, 0.9).
    assert (paper["width"], paper["batch_size"], paper["lr_decay"]) == (512, 64, None)
    assert paper["model"] == {"loss": "wgan-gp", "n_critic": 10, "gp_weight": 10.0}
    assert paper["optimizers"][0]["config"] == {"learning_rate": 1e-4, "beta_1": 0.5, "beta_2": 0.9}
    assert presets.recipe_name("lm1b") == "text-paper"
    assert presets.recipe_name("text:corpus.txt") == "text"
    for flags in (["--conditional"], ["--image-size", "16"], ["--arch", "dcgan"]):
        with pytest.raises(ValueError, match="--"):
            cli_settings("--dataset", "text", "--steps", "10", *flags)
    built = runs.build_gan(dict(own, width=4, num_blocks=1), seed=0)
    assert built.sample_shape == (None, 32, len(own["vocabulary"])) and built.n_critic == 5


def test_the_conditional_resnet_has_its_own_mnist_recipe():
    # `--arch cifar10-resnet --conditional` on MNIST takes the recipe made for it (32 wide,
    # critic batch 32, Adam(5e-4) decayed to 0, the generator's class loss at weight 1);
    # another architecture, or the unconditional run, keeps the dataset's recipe.
    resnet = cli_settings(
        "--dataset", "mnist", "--conditional", "--arch", "cifar10-resnet", "--steps", "3000"
    )
    assert resnet["recipe"] == "mnist-conditional-cifar10-resnet"
    assert (resnet["arch"], resnet["width"], resnet["batch_size"], resnet["lr_decay"]) == (
        "cifar10-resnet",
        32,
        32,
        "linear",
    )
    assert resnet["model"]["ac_weight_generator"] == 1.0
    assert resnet["model"]["conditioning"] == "ac-gan-paper"
    assert resnet["optimizers"][1]["config"]["learning_rate"] == 5e-4
    wider = cli_settings(
        "--dataset",
        "mnist",
        "--conditional",
        "--arch",
        "cifar10-resnet",
        "--steps",
        "3",
        "--width",
        "64",
        "--batch-size",
        "64",
    )
    assert (wider["width"], wider["batch_size"]) == (64, 64)
    assert (
        presets.recipe_name("digits", conditional=True, arch="cifar10-resnet")
        == "digits-conditional-cifar10-resnet"
    )
    assert presets.recipe_name("mnist", arch="cifar10-resnet") == "mnist"
    assert presets.recipe_name("mnist", conditional=True, arch="dcgan") == "mnist-conditional"
