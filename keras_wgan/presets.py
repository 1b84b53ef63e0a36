"""Hyperparameters from the papers, as plain data.

Two levels:

- `PRESETS[name]`: the WGAN arguments and both optimisers' configs of one GAN loss (what
  `WGAN.compile()` uses without arguments, and each method of Figure 2); `optimizers(name)`
  builds fresh optimiser instances from them. "toy" is `gan_toy.py`'s set-up.
- `RECIPES[name]`: a whole training set-up (data, architecture, width, batch sizes, model
  arguments, optimiser, learning-rate schedule, steps) of one of the paper's experiments or
  of this package's CPU defaults. `resolve(name, **overrides)` turns one into the settings
  that `keras-wgan train` and the example scripts both build their runs from
  (`keras_wgan.runs.build_gan`), so a recipe has one source of truth.

The paper's set-ups follow its code (igul222/improved_wgan_training).
"""

import copy
import math

import keras

from keras_wgan import losses
from keras_wgan.optimizers import PerGeneratorStep


def _optimizer(class_name, **config):
    return {"class_name": class_name, "config": config}


def _adam(learning_rate, beta_1=0.0, beta_2=0.9):
    return _optimizer("Adam", learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2)


def _tf1_rmsprop(learning_rate):
    """`tf.train.RMSPropOptimizer(learning_rate)` of the paper's code
    (`keras_wgan.optimizers.TF1RMSprop`); the plain Keras RMSprop stays one config away."""
    return _optimizer("keras_wgan>TF1RMSprop", learning_rate=learning_rate)


def _preset(optimizer, **model):
    """A `PRESETS` entry: the `WGAN` arguments, and one optimiser config for both networks
    (a copy each)."""
    return {"model": model, "d_optimizer": optimizer, "g_optimizer": copy.deepcopy(optimizer)}


PRESETS = {
    # Algorithm 1 of the paper: lambda 10, n_critic 5, Adam(1e-4, 0, 0.9).
    "wgan-gp": _preset(_adam(1e-4), loss="wgan-gp", n_critic=5, gp_weight=10.0),
    "wgan-gp-one-sided": _preset(_adam(1e-4), loss="wgan-gp-one-sided", n_critic=5, gp_weight=10.0),
    # Arjovsky et al. 2017: RMSProp(5e-5), c = 0.01, n_critic 5; TF1's RMSProp, as the
    # paper's code ran it (mean square starting at 1, epsilon 1e-10).
    "wgan-clip": _preset(_tf1_rmsprop(5e-5), loss="wgan-clip", n_critic=5, clip_value=0.01),
    # Radford et al. 2016: Adam(2e-4, 0.5), one discriminator step per generator step.
    "dcgan": _preset(_optimizer("Adam", learning_rate=2e-4, beta_1=0.5), loss="dcgan", n_critic=1),
    "minimax": _preset(
        _optimizer("Adam", learning_rate=2e-4, beta_1=0.5), loss="minimax", n_critic=1
    ),
    # The paper's LSGAN baseline: TF1's RMSProp(1e-4).
    "lsgan": _preset(_tf1_rmsprop(1e-4), loss="lsgan", n_critic=1),
    # Mescheder et al. 2018's code (LMescheder/GAN_stability, configs/default.yaml):
    # gamma 10, one discriminator step, RMSprop(1e-4) with PyTorch's rho 0.99 and epsilon
    # 1e-8 (PyTorch adds epsilon after the square root, Keras under it).
    "r1": _preset(
        _optimizer("RMSprop", learning_rate=1e-4, rho=0.99, epsilon=1e-8),
        loss="r1",
        n_critic=1,
        gp_weight=10.0,
    ),
    # Kodali et al. 2017's code (kodalinaveen3/DRAGAN): lambda 10, one discriminator step,
    # Adam(1e-4, 0.5, 0.9).
    "dragan": _preset(_adam(1e-4, beta_1=0.5), loss="dragan", n_critic=1, gp_weight=10.0),
    # Miyato et al. 2018's CIFAR-10 ResNet (pfnet-research/sngan_projection,
    # sn_cifar10_unconditional.yml): hinge loss, n_dis 5, Adam(2e-4, 0, 0.9) (decayed
    # linearly to 0 there; constant here, as every preset).
    "hinge": _preset(_adam(2e-4), loss="hinge", n_critic=5),
    # gan_toy.py: lambda 0.1, n_critic 5, batch 256, Adam(1e-4, 0.5, 0.9), 512-wide MLPs.
    "toy": dict(
        _preset(_adam(1e-4, beta_1=0.5), loss="wgan-gp", n_critic=5, gp_weight=0.1),
        batch_size=256,
        width=512,
    ),
}


def get(name):
    """Returns a deep copy of a preset; raises a ValueError listing the names."""
    if name not in PRESETS:
        raise ValueError(
            f"Invalid value for argument `preset`. Received: preset={name!r}. "
            f"Expected one of {sorted(PRESETS)}."
        )
    return copy.deepcopy(PRESETS[name])


def optimizers(name):
    """Fresh (d_optimizer, g_optimizer) instances for a preset.

    Example:
    >>> d_opt, g_opt = optimizers("wgan-gp")
    >>> float(d_opt.beta_1), float(d_opt.beta_2)
    (0.0, 0.9)
    """
    preset = get(name)
    return (
        keras.optimizers.deserialize(preset["d_optimizer"]),
        keras.optimizers.deserialize(preset["g_optimizer"]),
    )


# --- whole recipes ---------------------------------------------------------------------

_GP = {"loss": "wgan-gp", "n_critic": 5, "gp_weight": 10.0}
_AC_GAN_PAPER = {
    "conditioning": "ac-gan-paper",
    "ac_weight_critic": 1.0,
    "ac_weight_generator": 0.1,
}


def _toy(width, learning_rate, lr_decay, steps):
    return {
        "dataset_kind": "points",
        "arch": "mlp",
        "width": width,
        "depth": 3,
        "latent_dim": 2,
        "batch_size": 256,
        "model": dict(PRESETS["toy"]["model"]),
        "optimizer": _adam(learning_rate, beta_1=0.5),
        "lr_decay": lr_decay,
        "steps": steps,
    }


def _images(arch, width, learning_rate, lr_decay, steps, model=None, **extra):
    """An image recipe: z of size 128, critic batch 64, lambda 10, n_critic 5 unless said."""
    return dict(
        {
            "dataset_kind": "images",
            "arch": arch,
            "width": width,
            "latent_dim": 128,
            "batch_size": 64,
            "model": dict(_GP, **(model or {})),
            "optimizer": _adam(learning_rate),
            "lr_decay": lr_decay,
            "steps": steps,
        },
        **extra,
    )


def _conditional(recipe, **changes):
    """The class-conditional form of a recipe, with the paper's AC-GAN."""
    return dict(
        copy.deepcopy(recipe),
        model=dict(_AC_GAN_PAPER, **recipe["model"]),
        conditional=True,
        **changes,
    )


def _language(width, learning_rate, lr_decay, steps, n_critic, beta_1=0.5):
    """A language-model recipe (gan_language.py): 32 characters, z of size 128, batch 64,
    lambda 10, five residual blocks, Adam(lr, 0.5, 0.9) for both networks."""
    return {
        "dataset_kind": "text",
        "arch": "language",
        "width": width,
        "num_blocks": 5,
        "latent_dim": 128,
        "batch_size": 64,
        "model": dict(_GP, n_critic=n_critic),
        "optimizer": _adam(learning_rate, beta_1=beta_1),
        "lr_decay": lr_decay,
        "steps": steps,
    }


_CIFAR10 = _images(
    "cifar10-resnet",
    128,
    2e-4,
    "linear",
    100_000,
    model={"generator_batch_size": 128},
    dequantize=True,
)
_DIGITS = _images("mlp", 256, 3e-3, "linear", 10_000)
# The paper's conditional ResNet (conditional batch norm, the AC-GAN head) on a CPU budget,
# for MNIST and the digits: 32 wide, critic batch 32, a larger step decayed linearly to 0,
# and the generator's class loss at weight 1 (docs/results/mnist.md: 93.0% of the asked
# class on MNIST after 3,000 steps, where the paper's settings stay at chance).
_CONDITIONAL_RESNET_CPU = _conditional(
    _images("cifar10-resnet", 32, 5e-4, "linear", 3_000, model={"ac_weight_generator": 1.0}),
    batch_size=32,
)
_MNIST = _images("mlp", 512, 1e-3, "linear", 3_000)

RECIPES = {
    # gan_cifar_resnet.py: 100k generator iterations, critic batch 64, generator batch 128,
    # Adam(2e-4, 0, 0.9) decayed linearly to 0, uniform dequantisation; IS 7.86.
    "cifar10": _CIFAR10,
    # The same with conditional batch norm and the AC-GAN head (ACGAN = True); IS 8.42.
    "cifar10-conditional": _conditional(_CIFAR10),
    # gan_64x64.py with GoodGenerator / GoodDiscriminator: batch 64, Adam(1e-4, 0, 0.9),
    # 200k iterations, no decay.
    "lsun-bedroom": _images("resnet-64", 64, 1e-4, None, 200_000),
    # Image folders: the paper's DCGAN pair with WGAN-GP's defaults.
    "folder": _images("dcgan", 64, 1e-4, None, 100_000),
    # This package's CPU default for the 8x8 digits (not a set-up of the paper): fully
    # connected networks 256 wide and a larger step decayed linearly to 0, so that minutes
    # of CPU converge (README: 8.8 after 2,000 steps, 9.3 after 10,000).
    "digits": _DIGITS,
    # This package's CPU default for the shipped 28x28 MNIST digits padded to 32x32 (not a
    # set-up of the paper, whose gan_mnist.py trains a DCGAN for 200k iterations): the
    # fully connected pair 512 wide, a larger step decayed linearly to 0 (README).
    "mnist": _MNIST,
    "mnist-conditional": _conditional(_MNIST),
    "mnist-conditional-cifar10-resnet": _CONDITIONAL_RESNET_CPU,
    "digits-conditional-cifar10-resnet": _CONDITIONAL_RESNET_CPU,
    # Conditional: the label makes the task easier; a constant 3e-4 follows the labels
    # (README: 98% of the asked class after 3,000 steps).
    "digits-conditional": _conditional(_DIGITS, steps=3_000, lr_decay=None, optimizer=_adam(3e-4)),
    # gan_language.py exactly: DIM 512, n_critic 10, Adam(1e-4, 0.5, 0.9), 200k iterations
    # on the Billion Word benchmark ("lm1b"; "--paper" gives it for other text).
    "text-paper": _language(512, 1e-4, None, 200_000, n_critic=10),
    "lm1b": _language(512, 1e-4, None, 200_000, n_critic=10),
    # This package's CPU default for the embedded help texts (not the paper's set-up):
    # 48 channels in place of 512, n_critic 5 (the paper's code says 5 also works) and a
    # larger step decayed linearly to 0, so that 2,000 iterations take six minutes
    # (README: js4 0.60 at 2e-3, 0.69 at 1e-3, 0.59 at 4e-3).
    "text": _language(48, 2e-3, "linear", 2_000, n_critic=5),
    # gan_toy.py exactly: 512-wide 3-hidden-layer ReLU MLPs, z of size 2, batch 256,
    # lambda 0.1, n_critic 5, Adam(1e-4, 0.5, 0.9), 100k iterations.
    "toy-paper": _toy(512, 1e-4, None, 100_000),
    # This package's CPU defaults for the toy data: 256 wide, a larger step decayed
    # linearly to 0 over the run, so that 2,000 iterations converge (README, toy table);
    # 2e-3 scattered the Swiss roll on two seeds of five, 1e-3 keeps it on the roll.
    "8gaussians": _toy(256, 2e-3, "linear", 2_000),
    "25gaussians": _toy(256, 2e-3, "linear", 2_000),
    "swissroll": _toy(256, 1e-3, "linear", 2_000),
}

LR_DECAYS = (None, "linear")

#: The losses the recipes are tuned for (WGAN-GP, two- and one-sided).
WGAN_GP_LOSSES = ("wgan-gp", "wgan-gp-one-sided")


def recipe(name):
    """Returns a deep copy of a recipe; raises a ValueError listing the names.

    Example:
    >>> recipe("cifar10")["optimizer"]["config"]["learning_rate"]
    0.0002
    """
    if name not in RECIPES:
        raise ValueError(
            f"Invalid value for argument `recipe`. Received: recipe={name!r}. "
            f"Expected one of {sorted(RECIPES)}."
        )
    return copy.deepcopy(RECIPES[name])


def recipe_name(dataset, conditional=False, paper=False, arch=None):
    """The recipe of a dataset name as the CLI takes it ("folder:PATH" -> "folder").

    `paper=True` picks the paper's own set-up where this package's default differs
    (the toy data: "toy-paper"; text: "text-paper", which "lm1b" always gets). An `arch`
    with a recipe of its own for the dataset ("<recipe>-<arch>") gets that recipe; another
    `arch` keeps the dataset's, which `resolve` then gives the architecture's defaults.

    Example:
    >>> recipe_name("mnist", conditional=True, arch="cifar10-resnet")
    'mnist-conditional-cifar10-resnet'
    >>> recipe_name("mnist", arch="dcgan")
    'mnist'
    """
    kind = "folder" if dataset.startswith("folder:") else dataset
    kind = "text" if dataset.startswith("text:") else kind
    kind = "mnist" if kind == "mnist-full" else kind  # the same digits, seven times as many
    if kind in ("8gaussians", "25gaussians", "swissroll"):
        return "toy-paper" if paper else kind
    if kind in ("text", "lm1b"):
        return "text-paper" if paper or kind == "lm1b" else "text"
    if conditional:
        kind = f"{kind}-conditional"
        if kind not in RECIPES:
            raise ValueError(
                f"`conditional=True` needs a dataset with labels; {dataset!r} has none."
            )
    if arch and f"{kind}-{arch}" in RECIPES:
        return f"{kind}-{arch}"
    return kind


def resolve(
    name,
    loss=None,
    arch=None,
    width=None,
    batch_size=None,
    latent_dim=None,
    lr=None,
    lr_critic=None,
    lr_generator=None,
    lr_decay="recipe",
    steps=None,
    minibatch_discrimination=None,
    virtual_batch_norm=None,
    spectral_norm=False,
    **model_overrides,
):
    """The settings of a run: a recipe, then the caller's overrides.

    The recipe's width and optimiser go with its own architecture and a penalty loss:
    another `arch` takes that architecture's default width, and another `loss` takes its
    own `PRESETS` entry (e.g. RMSprop for "wgan-clip") without the recipe's decay.

    Args:
        name: a `RECIPES` name.
        loss, arch, width, batch_size, latent_dim: None keeps the recipe's.
        lr: the learning rate of both optimisers; None keeps the recipe's.
        lr_critic, lr_generator: the learning rate of one optimiser (two time-scale
            updates, Heusel et al. 2017), over `lr` and the recipe's; None keeps.
        lr_decay: None (constant) or "linear" (to 0 over `steps`); "recipe" keeps its.
        steps: generator iterations (the decay's length); None keeps the recipe's.
        minibatch_discrimination: [B, C] to give the critic a minibatch-discrimination
            layer (`architectures.improved.with_minibatch_discrimination`), or None.
        virtual_batch_norm: the reference batch size R to replace the generator's batch
            norm by virtual batch norm (`architectures.improved.with_virtual_batch_norm`),
            or None.
        spectral_norm: spectrally normalise the critic
            (`architectures.spectral_normalize`). Default False.
        **model_overrides: `WGAN` arguments (`n_critic`, `gp_weight`, `feature_matching`,
            `historical_averaging`, `label_smoothing`, `ema`, `ema_start`, `r1_every`,
            ...); None keeps (and leaves it out of the settings).

    Returns:
        A JSON-able dict: "recipe", "dataset_kind", "arch", "width", "latent_dim",
        "batch_size", "model" (WGAN arguments), "optimizers" ([critic, generator] configs),
        "lr_decay", "steps", "dequantize", "conditional" (and "depth" for the toy MLPs,
        "num_blocks" for the language model).

    Example:
    >>> resolve("cifar10")["model"]["generator_batch_size"]
    128
    """
    r = recipe(name)
    loss = loss or r["model"]["loss"]
    own_arch = arch is None or arch == r["arch"]
    settings = {
        "recipe": name,
        "dataset_kind": r["dataset_kind"],
        "arch": arch or r["arch"],
        "width": width or (r["width"] if own_arch else None),
        "latent_dim": latent_dim or r["latent_dim"],
        "batch_size": batch_size or r["batch_size"],
        "steps": steps or r["steps"],
        "dequantize": r.get("dequantize", False),
        "conditional": r.get("conditional", False),
    }
    for key in ("depth", "num_blocks"):
        if key in r:
            settings[key] = r[key]
    model = dict(r["model"], loss=loss)
    # The recipe's optimiser is tuned for WGAN-GP; the other losses take their preset.
    if losses.get(loss).name in WGAN_GP_LOSSES and own_arch:
        optimizers = [copy.deepcopy(r["optimizer"]) for _ in range(2)]
        decay = r["lr_decay"]
    else:
        preset = get(loss)
        keep = {
            k: v
            for k, v in model.items()
            if k not in ("loss", "n_critic", "gp_weight", "clip_value")
        }
        model = dict(preset["model"], **keep, loss=loss)
        # Copies of their own: a preset may name one config for both.
        optimizers = [copy.deepcopy(preset[key]) for key in ("d_optimizer", "g_optimizer")]
        decay = None
    model.update({k: v for k, v in model_overrides.items() if v is not None})
    for arg, value, changed in (
        ("lr", lr, optimizers),
        ("lr_critic", lr_critic, optimizers[:1]),
        ("lr_generator", lr_generator, optimizers[1:]),
    ):
        if value is None:
            continue
        if not 0 < value < math.inf:
            raise ValueError(
                f"Invalid value for argument `{arg}`. Received: {arg}={value!r}. Expected a "
                "finite number > 0."
            )
        for opt in changed:
            opt["config"]["learning_rate"] = value
    if lr_decay != "recipe":
        decay = lr_decay
    if decay not in LR_DECAYS:
        raise ValueError(
            f"Invalid value for argument `lr_decay`. Received: lr_decay={decay!r}. "
            f"Expected one of {list(LR_DECAYS)}."
        )
    settings.update(model=model, optimizers=optimizers, lr_decay=decay)
    # Salimans et al. 2016's layers, recorded only when asked for (older run.json files
    # stay valid).
    if minibatch_discrimination is not None:
        settings["minibatch_discrimination"] = [int(v) for v in minibatch_discrimination]
    if virtual_batch_norm is not None:
        settings["virtual_batch_norm"] = int(virtual_batch_norm)
    if spectral_norm:
        settings["spectral_norm"] = True
    return settings


def build_optimizers(settings):
    """Fresh (d_optimizer, g_optimizer) of resolved settings, with their schedule.

    A linear decay reaches 0 after `steps` generator iterations on both optimisers: the
    critic's, which steps n_critic times per iteration, reads its schedule at the
    generator's iteration (`keras_wgan.optimizers.PerGeneratorStep`), as
    gan_cifar_resnet.py decays both by the generator's iteration.
    """
    n_critic = settings["model"].get("n_critic", 5)
    built = []
    for config, critic in zip(settings["optimizers"], (True, False)):
        config = copy.deepcopy(config)
        if settings["lr_decay"] == "linear":
            schedule = keras.optimizers.schedules.PolynomialDecay(
                config["config"]["learning_rate"], settings["steps"], 0.0, power=1.0
            )
            config["config"]["learning_rate"] = (
                PerGeneratorStep(schedule, n_critic) if critic else schedule
            )
        built.append(keras.optimizers.deserialize(config))
    return tuple(built)
