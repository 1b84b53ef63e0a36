"""The flat options of a run, and the components they make: one table.

A run's settings (`keras-wgan train`'s flags, the recipes of `keras_wgan.presets`, the
`model` entry of a run's `run.json`) and a 0.1 model config name the options flat
(`gp_weight`, `num_classes`, `ema_start`, ...). `OPTIONS` says which component and which
of its arguments each one is; `components` builds the components from them and refuses an
option that the chosen component does not take (`--gp-weight` with weight clipping), so
that no option is recorded and then ignored.
"""

import argparse
import dataclasses

from keras_wgan import augment as augment_lib
from keras_wgan import losses
from keras_wgan.conditioning import ACGAN
from keras_wgan.ema import EMA
from keras_wgan.utils.validation import invalid


def positive_int(text):
    """An `argparse` type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


@dataclasses.dataclass(frozen=True)
class Option:
    """A flat option: its name (`--name-with-dashes` on the command line), the component
    it configures and the argument it becomes there, what it does, its value in a 0.1
    config when unset, and its command-line flag (`argparse` keywords besides `help`;
    None: no flag)."""

    name: str
    component: str
    argument: str
    help: str
    legacy_default: object = None
    flag: dict = dataclasses.field(default_factory=lambda: {"type": float})


#: The command line's groups of component flags, by component.
GROUPS = {
    "loss": "the loss's options (keras_wgan.losses; a flag the chosen loss does not take is refused)",
    "conditioning": "class conditioning (keras_wgan.conditioning.ACGAN; with --conditional)",
    "ema": "a moving average of the generator (keras_wgan.ema.EMA)",
    "augment": "differentiable augmentation of what the critic sees (DiffAugment, ADA), for images",
}

#: Every flat option, by component. A loss's arguments depend on the loss
#: (`LOSS_ARGUMENTS`).
OPTIONS = (
    Option(
        "gp_weight",
        "loss",
        "gp_weight",
        "lambda of WGAN-GP and DRAGAN, gamma of R1",
        10.0,
        {"type": float, "metavar": "LAMBDA"},
    ),
    Option(
        "clip_value",
        "loss",
        "clip_value",
        "c, for wgan-clip",
        0.01,
        {"type": float, "metavar": "C"},
    ),
    Option(
        "r1_every",
        "loss",
        "every",
        "lazy R1 (--loss r1): take the penalty on every K-th critic update only, weighted "
        "by K (StyleGAN2's lazy regularisation); default 1",
        1,
        {"type": positive_int, "metavar": "K"},
    ),
    Option(
        "label_smoothing",
        "loss",
        "label_smoothing",
        "real target alpha (one-sided, e.g. 0.9), or ALPHA BETA for a fake target too; "
        "dcgan and minimax losses (Salimans et al. 2016)",
        None,
        {"nargs": "+", "type": float, "metavar": "ALPHA"},
    ),
    Option(
        "feature_matching",
        "loss",
        "layer",
        "the generator matches the mean of the critic's features: its last hidden "
        "features, or those of the hidden layer LAYER (Salimans et al. 2016)",
        None,
        {"nargs": "?", "const": True, "metavar": "LAYER"},
    ),
    Option(
        "historical_averaging",
        "loss",
        "weight",
        "weight of ||theta - mean of past theta||^2 in both losses (Salimans et al. 2016)",
        0.0,
        {"type": float, "metavar": "W"},
    ),
    Option("num_classes", "conditioning", "num_classes", "K of an AC-GAN", None, None),
    Option(
        "ac_weight_critic",
        "conditioning",
        "critic_weight",
        "weight of the critic's class loss (default: the recipe's, 1)",
        1.0,
        {"type": float, "metavar": "W"},
    ),
    Option(
        "ac_weight_generator",
        "conditioning",
        "generator_weight",
        "weight of the generator's class loss (default: the recipe's, 0.1)",
        0.1,
        {"type": float, "metavar": "W"},
    ),
    Option(
        "conditioning",
        "conditioning",
        "classify_fake",
        "what the critic's class loss classifies: real images only (ac-gan-paper, the "
        "paper's code) or real and generated (ac-gan, Odena et al. 2017); default: the "
        "recipe's",
        "ac-gan-paper",
        {"choices": ("ac-gan-paper", "ac-gan")},
    ),
    Option(
        "ema",
        "ema",
        "decay",
        "keep an exponential moving average of the generator's weights with this decay "
        "(e.g. 0.999), which the samples, the evaluation and the export use",
        None,
        {"type": float, "metavar": "DECAY"},
    ),
    Option(
        "ema_start",
        "ema",
        "start",
        "the generator step after which the average starts (the shadow copies the "
        "weights until then); default 0",
        0,
        {"type": int, "metavar": "STEP"},
    ),
    Option(
        "augment",
        "augment",
        "policies",
        "augment every image the critic sees with these policies, comma-separated: "
        "color, translation, cutout (Zhao et al. 2020)",
        None,
        {"metavar": "POLICIES"},
    ),
    Option(
        "augment_probability",
        "augment",
        "probability",
        "apply each policy to each image with probability P (default 1; the starting P "
        "under --ada-target, default 0)",
        None,
        {"type": float, "metavar": "P"},
    ),
    Option(
        "ada_target",
        "augment",
        "target",
        "adapt P to keep the critic's overfitting heuristic r_t near T, e.g. 0.6 (ADA, "
        "Karras et al. 2020)",
        None,
        {"type": float, "metavar": "T"},
    ),
    Option(
        "ada_kimg",
        "augment",
        "kimg",
        "ADA's speed: P can move from 0 to 1 over K thousand real images (default 20)",
        20.0,
        {"type": float, "metavar": "K"},
    ),
)


def add_flags(parser):
    """Adds a flag for every option of `OPTIONS` that has one to an `argparse` parser,
    one argument group per component (what `keras-wgan train` shows)."""
    groups = {component: parser.add_argument_group(title) for component, title in GROUPS.items()}
    for option in OPTIONS:
        if option.flag is not None:
            flag = "--" + option.name.replace("_", "-")
            groups[option.component].add_argument(
                flag, default=None, help=option.help, **option.flag
            )


def from_flags(args):
    """{option: value} of the flags `add_flags` made, as parsed (None: not given)."""
    flat = {o.name: getattr(args, o.name) for o in OPTIONS if o.flag is not None}
    smoothing = flat["label_smoothing"]
    if smoothing is not None and len(smoothing) == 1:
        flat["label_smoothing"] = smoothing[0]
    return flat


#: The flat options each loss name takes, as its component's arguments.
LOSS_ARGUMENTS = {
    "wgan-gp": {"gp_weight": "gp_weight"},
    "wgan-gp-one-sided": {"gp_weight": "gp_weight"},
    "wgan-clip": {"clip_value": "clip_value"},
    "dcgan": {"label_smoothing": "label_smoothing"},
    "minimax": {"label_smoothing": "label_smoothing"},
    "lsgan": {},
    "r1": {"gp_weight": "gamma", "r1_every": "every"},
    "dragan": {"gp_weight": "gp_weight"},
    "hinge": {},
}

#: The flat options that are not components: `WGAN`'s own arguments, and `compile`'s.
MODEL_KEYS = ("n_critic", "seed")
COMPILE_KEYS = ("generator_batch_size", "stop_on_nonfinite")

_BY_NAME = {option.name: option for option in OPTIONS}


def _refuse(name, value, why):
    raise ValueError(f"The option `{name}` (received {value!r}) {why}; leave it out.")


def _loss(flat, loss):
    if loss not in LOSS_ARGUMENTS:
        raise invalid("loss", loss, f"one of {sorted(LOSS_ARGUMENTS)}")
    takes = LOSS_ARGUMENTS[loss]
    arguments = {}
    for name in ("gp_weight", "clip_value", "r1_every", "label_smoothing"):
        if name in flat:
            if name not in takes:
                _refuse(name, flat[name], f"is not an argument of loss {loss!r}")
            arguments[takes[name]] = flat[name]
    component = losses.get(loss)
    if arguments:
        config = dict(component.get_config(), **arguments)
        component = type(component).from_config(config)
    if "feature_matching" in flat:
        layer = flat["feature_matching"]
        component = losses.FeatureMatching(component, layer=None if layer is True else layer)
    if "historical_averaging" in flat:
        component = losses.HistoricalAveraging(component, flat["historical_averaging"])
    return component


def _absent(flat, component, key, why):
    """Whether the option `key`, which turns `component` on, is not given; the component's
    other options are refused then."""
    if key in flat:
        return False
    for option in OPTIONS:
        if option.component == component and option.name in flat:
            _refuse(option.name, flat[option.name], why)
    return True


def _conditioning(flat):
    if _absent(
        flat, "conditioning", "num_classes", "is for a class-conditional model (num_classes)"
    ):
        return None
    kind = flat.get("conditioning", "ac-gan-paper")
    if kind not in ("ac-gan-paper", "ac-gan"):
        raise invalid("conditioning", kind, "one of ['ac-gan-paper', 'ac-gan']")
    return ACGAN(
        flat["num_classes"],
        critic_weight=flat.get("ac_weight_critic", 1.0),
        generator_weight=flat.get("ac_weight_generator", 0.1),
        classify_fake=kind == "ac-gan",
    )


def _ema(flat):
    if _absent(flat, "ema", "ema", "is for a moving average (ema)"):
        return None
    return EMA(flat["ema"], start=flat.get("ema_start", 0))


def _augment(flat):
    if _absent(flat, "augment", "augment", "is for augmentation (augment)"):
        return None
    if "ada_target" not in flat:
        if "ada_kimg" in flat:
            _refuse("ada_kimg", flat["ada_kimg"], "is ADA's speed: it needs ada_target")
        return augment_lib.DiffAugment(flat["augment"], flat.get("augment_probability", 1.0))
    return augment_lib.ADA(
        flat["augment"],
        target=flat["ada_target"],
        kimg=flat.get("ada_kimg", 20.0),
        probability=flat.get("augment_probability", 0.0),
    )


def components(flat):
    """`WGAN`'s component arguments from flat options.

    Args:
        flat: {option: value} with the keys of `OPTIONS` and "loss" (a name); a value of
            None counts as not given.

    Returns:
        {"loss", "conditioning", "augment", "ema"}: the components (None where unused).

    Raises:
        ValueError: an unknown option, or one the chosen component does not take.

    Example:
    >>> components({"loss": "wgan-clip", "clip_value": 0.02})["loss"]
    WeightClipping(clip_value=0.02)
    >>> components({"loss": "wgan-clip", "gp_weight": 10.0})
    Traceback (most recent call last):
    ...
    ValueError: The option `gp_weight` (received 10.0) is not an argument of loss 'wgan-clip'; leave it out.
    """
    flat = {k: v for k, v in flat.items() if v is not None and v is not False}
    if flat.get("historical_averaging") == 0:
        del flat["historical_averaging"]  # off
    loss = flat.pop("loss", "wgan-gp")
    unknown = sorted(set(flat) - set(_BY_NAME))
    if unknown:
        raise ValueError(f"Unknown options {unknown}; the options are {sorted(_BY_NAME)}.")
    return {
        "loss": _loss(flat, loss),
        "conditioning": _conditioning(flat),
        "augment": _augment(flat),
        "ema": _ema(flat),
    }


_WHERE = {
    "loss": "the loss component, e.g. `loss=keras_wgan.losses.WGANGP(gp_weight=10.0)`",
    "conditioning": "`conditioning=keras_wgan.conditioning.ACGAN(num_classes, ...)`",
    "augment": "`augment=keras_wgan.augment.DiffAugment(...)` or `ADA(...)`",
    "ema": "`ema=keras_wgan.ema.EMA(decay, start)`",
}
_MOVED = {
    "latent_dim": "it is read from the generator's input shape",
    "generator_batch_size": "it is an argument of `compile`",
    "stop_on_nonfinite": "it is an argument of `compile`",
    "metadata": "set the attribute `model.metadata`",
}


def check_no_flat_options(kwargs):
    """Raises a `TypeError` naming the new home of a 0.1 `WGAN` argument (`gp_weight=`,
    `num_classes=`, ...) found among `kwargs`.

    Example:
    >>> check_no_flat_options({"gp_weight": 5.0})
    Traceback (most recent call last):
    ...
    TypeError: WGAN() no longer takes `gp_weight`: it is an argument of the loss component, e.g. `loss=keras_wgan.losses.WGANGP(gp_weight=10.0)` (`lambda of WGAN-GP and DRAGAN, gamma of R1`).
    """
    for name in kwargs:
        if name in _BY_NAME:
            option = _BY_NAME[name]
            raise TypeError(
                f"WGAN() no longer takes `{name}`: it is an argument of "
                f"{_WHERE[option.component]} (`{option.help}`)."
            )
        if name in _MOVED:
            raise TypeError(f"WGAN() no longer takes `{name}`: {_MOVED[name]}.")


def split(flat):
    """(component options, `WGAN` arguments, `compile` arguments) of a flat dict."""
    model = {k: flat[k] for k in MODEL_KEYS if k in flat}
    training = {k: flat[k] for k in COMPILE_KEYS if k in flat}
    rest = {k: v for k, v in flat.items() if k not in MODEL_KEYS + COMPILE_KEYS}
    return rest, model, training


def is_legacy_config(config):
    """Whether a `WGAN` config was written by keras_wgan 0.1 (flat options)."""
    return isinstance(config.get("loss"), str) or any(
        key in config for key in ("gp_weight", "num_classes", "latent_dim", "ema_start")
    )


def migrate_config(config):
    """(the `WGAN` config, the `compile` settings) of a 0.1 config: its flat options
    become components; those a 0.1 model held at their defaults though its loss or
    conditioning ignored them are dropped.

    Example:
    >>> config, training = migrate_config({"loss": "wgan-gp", "gp_weight": 5.0,
    ...     "clip_value": 0.01, "n_critic": 5, "latent_dim": 8, "generator_batch_size": None})
    >>> config["loss"], config["n_critic"]
    (WGANGP(gp_weight=5.0, one_sided=False), 5)
    """
    config = dict(config)
    config.pop("latent_dim", None)  # read from the generator now
    flat, model, training = split(config)
    networks = {
        k: flat.pop(k) for k in ("generator", "critic", "name", "trainable", "dtype") if k in flat
    }
    loss = flat.get("loss", "wgan-gp")
    takes = LOSS_ARGUMENTS.get(loss, {})
    cleaned = {"loss": loss}
    for name, value in flat.items():
        option = _BY_NAME.get(name)
        if option is None or value is None or value == option.legacy_default:
            if option is not None and name in takes and value is not None:
                cleaned[name] = value  # the loss's own argument, at its default
            continue
        cleaned[name] = value
    if "num_classes" not in cleaned:
        for name in ("ac_weight_critic", "ac_weight_generator", "conditioning"):
            cleaned.pop(name, None)
    built = components(cleaned)
    return {**networks, **model, **built}, training
