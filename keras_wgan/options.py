"""The flat options of a run, and the components they make: one table.

A run's settings (`keras-wgan train`'s flags, the recipes of `keras_wgan.presets`, the
`model` entry of a run's `run.json`) and a 0.1 model config name the options flat
(`gp_weight`, `num_classes`, `ema_start`, ...). `OPTIONS` says which component and which
of its arguments each one is; `components` builds the components from them and refuses an
option that the chosen component does not take (`--gp-weight` with weight clipping), so
that no option is recorded and then ignored.
"""

import dataclasses

from keras_wgan import augment as augment_lib
from keras_wgan import losses
from keras_wgan.conditioning import ACGAN
from keras_wgan.ema import EMA
from keras_wgan.utils.validation import invalid


@dataclasses.dataclass(frozen=True)
class Option:
    """A flat option: its name, the component it configures, the argument it becomes,
    what it does (the command line's help), and its value in a 0.1 config when unset."""

    name: str
    component: str
    argument: str
    help: str
    legacy_default: object = None


#: Every flat option, grouped by component. A loss's arguments depend on the loss
#: (`LOSS_ARGUMENTS`).
OPTIONS = (
    Option("gp_weight", "loss", "gp_weight", "lambda of WGAN-GP and DRAGAN, gamma of R1", 10.0),
    Option("clip_value", "loss", "clip_value", "c, for wgan-clip", 0.01),
    Option("r1_every", "loss", "every", "lazy R1: the penalty every K critic updates", 1),
    Option("label_smoothing", "loss", "label_smoothing", "dcgan/minimax real target"),
    Option("feature_matching", "loss", "layer", "feature matching (Salimans et al.)"),
    Option("historical_averaging", "loss", "weight", "historical averaging weight", 0.0),
    Option("num_classes", "conditioning", "num_classes", "K of an AC-GAN"),
    Option("ac_weight_critic", "conditioning", "critic_weight", "critic class loss", 1.0),
    Option("ac_weight_generator", "conditioning", "generator_weight", "generator class loss", 0.1),
    Option(
        "conditioning", "conditioning", "classify_fake", "ac-gan-paper or ac-gan", "ac-gan-paper"
    ),
    Option("ema", "ema", "decay", "the moving average's decay"),
    Option("ema_start", "ema", "start", "generator step the average starts after", 0),
    Option("augment", "augment", "policies", "DiffAugment policies"),
    Option("augment_probability", "augment", "probability", "p (ADA: its start)"),
    Option("ada_target", "augment", "target", "ADA's target of r_t"),
    Option("ada_kimg", "augment", "kimg", "ADA's speed in thousands of images", 20.0),
)

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


def _conditioning(flat):
    names = ("ac_weight_critic", "ac_weight_generator", "conditioning")
    if "num_classes" not in flat:
        for name in names:
            if name in flat:
                _refuse(name, flat[name], "is for a class-conditional model (num_classes)")
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
    if "ema" not in flat:
        if "ema_start" in flat:
            _refuse("ema_start", flat["ema_start"], "is for a moving average (ema)")
        return None
    return EMA(flat["ema"], start=flat.get("ema_start", 0))


def _augment(flat):
    names = ("augment_probability", "ada_target", "ada_kimg")
    if "augment" not in flat:
        for name in names:
            if name in flat:
                _refuse(name, flat[name], "is for augmentation (augment)")
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
