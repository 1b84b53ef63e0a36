"""Property-based tests of the entry points: any arguments either work or fail clearly.

`WGAN`'s constructor and its components (the losses, `ACGAN`, `DiffAugment`/`ADA`, `EMA`)
either build or raise a `ValueError` or `TypeError` that names the argument; `compile`
and `metadata` likewise; `keras-wgan train` (run in process) either trains or prints one
error line and returns 1 (argparse's own refusals exit with 2), never a traceback, and a
refused run leaves no run folder behind. Examples are derandomised, so every run of the
suite tries the same ones.
"""

import dataclasses
import inspect
import os

import keras
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import keras_wgan  # noqa: E402
from keras_wgan import cli, losses, options  # noqa: E402
from keras_wgan.augment import ADA, POLICIES, DiffAugment  # noqa: E402
from keras_wgan.conditioning import ACGAN  # noqa: E402
from keras_wgan.ema import EMA  # noqa: E402


def fuzz(max_examples):
    return settings(
        derandomize=True,
        deadline=None,
        database=None,
        max_examples=max_examples,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-3, 3),
)
maybe_int = lambda valid: st.one_of(valid, junk)  # noqa: E731
maybe_float = st.one_of(st.floats(0, 20), junk)

LATENT_DIM = 3


def tiny_networks(kind="points", num_classes=None):
    """A generator of z (size 3, and int labels with `num_classes`) to 2-D points or 4x4x1
    images, and a functional critic with a hidden layer "hidden" (and a class head)."""
    keras.utils.set_random_seed(0)
    z = keras.Input((LATENT_DIM,))
    h, inputs = z, z
    if num_classes:
        labels = keras.Input((), dtype="int32")
        inputs = [z, labels]
        embedded = keras.layers.Flatten()(keras.layers.Embedding(num_classes, 2)(labels))
        h = keras.layers.Concatenate()([z, embedded])
    if kind == "points":
        generator = keras.Model(inputs, keras.layers.Dense(2)(h))
        x = keras.Input((2,))
        flat = x
    else:
        generator = keras.Model(inputs, keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16)(h)))
        x = keras.Input((4, 4, 1))
        flat = keras.layers.Flatten()(x)
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(flat)
    score = keras.layers.Dense(1, name="score")(hidden)
    outputs = [score, keras.layers.Dense(num_classes)(hidden)] if num_classes else score
    return generator, keras.Model(x, outputs)


_NETWORKS = {}


def networks(kind, num_classes):
    """`tiny_networks`, built once per kind and number of classes."""
    if (kind, num_classes) not in _NETWORKS:
        _NETWORKS[kind, num_classes] = tiny_networks(kind, num_classes)
    return _NETWORKS[kind, num_classes]


@dataclasses.dataclass
class Spec:
    """A component to construct in the test: `factory(**kwargs)`, `kwargs` possibly
    holding other specs (a wrapper's inner loss)."""

    factory: object
    kwargs: dict

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.factory.__name__}({arguments})"


class RefusedError(Exception):
    """A component's constructor refused its arguments (clearly: checked before)."""


MESSAGE_STARTS = (
    "Invalid value for argument",
    "The ",
    "A ",
    "Could not read",
    "FeatureMatching ",
)


def check_refusal(error, names):
    """Asserts that `error` is a ValueError or TypeError whose message names one of
    `names` (a TypeError of an argument-less component may say it takes none)."""
    message = str(error)
    if isinstance(error, ValueError):
        assert message.startswith(MESSAGE_STARTS), message
    named = any(name in message for name in names)
    assert named or "takes no arguments" in message, (names, message)


def build(value, argument):
    """The value a spec stands for (other values as they are), constructed as the user
    would: a constructor that refuses must name one of its own parameters or the `WGAN`
    argument (`argument`) it is for; then `RefusedError`."""
    if not isinstance(value, Spec):
        return value
    kwargs = {name: build(v, argument) for name, v in value.kwargs.items()}
    try:
        return value.factory(**kwargs)
    except (ValueError, TypeError) as error:
        event(f"{value.factory.__name__} refused")
        names = [*inspect.signature(value.factory).parameters, *kwargs, argument]
        check_refusal(error, names)
        raise RefusedError from error


# Each component's arguments: (values that build, values that may not).
SMOOTHING = (
    st.one_of(
        st.none(),
        st.floats(0.5, 1.0),
        st.tuples(st.floats(0.5, 1.0), st.floats(0.0, 0.4)).map(list),
    ),
    st.one_of(junk, st.lists(st.floats(-1, 2), max_size=3)),
)
BASE_LOSSES = {
    losses.WGANGP: {
        "gp_weight": (st.floats(0, 20), junk),
        "one_sided": (st.booleans(), junk),
    },
    losses.WeightClipping: {"clip_value": (st.floats(1e-4, 1.0), junk)},
    losses.DCGAN: {"label_smoothing": SMOOTHING},
    losses.Minimax: {"label_smoothing": SMOOTHING},
    losses.LSGAN: {},
    losses.Hinge: {},
    losses.R1: {"gamma": (st.floats(0, 20), junk), "every": (st.integers(1, 4), junk)},
    losses.DRAGAN: {"gp_weight": (st.floats(0, 20), junk)},
}
POLICY_NAMES = st.lists(st.sampled_from(POLICIES), min_size=1, max_size=3, unique=True)
GOOD_POLICIES = st.one_of(POLICY_NAMES, POLICY_NAMES.map(",".join))
BAD_POLICIES = st.one_of(
    junk, st.sampled_from(["", "flip", "color,color", "color,,cutout"]), st.lists(junk, max_size=2)
)
AUGMENTS = {
    DiffAugment: {
        "policies": (GOOD_POLICIES, BAD_POLICIES),
        "probability": (st.floats(0, 1), junk),
    },
    ADA: {
        "policies": (GOOD_POLICIES, BAD_POLICIES),
        "target": (st.floats(0, 0.99), junk),
        "kimg": (st.floats(0.1, 100), junk),
        "probability": (st.floats(0, 1), junk),
    },
}
ACGAN_ARGUMENTS = {
    "critic_weight": (st.floats(0, 5), junk),
    "generator_weight": (st.floats(0, 5), junk),
    "classify_fake": (st.booleans(), junk),
}
EMA_ARGUMENTS = {"decay": (st.floats(0.01, 0.999), junk), "start": (st.integers(0, 100), junk)}
#: Every argument name of the components, for an argument given to the wrong one.
ALL_ARGUMENTS = sorted(
    {name for table in (*BASE_LOSSES.values(), *AUGMENTS.values()) for name in table}
    | set(ACGAN_ARGUMENTS)
    | set(EMA_ARGUMENTS)
    | {"num_classes", "layer", "weight", "loss"}
)
#: 0.1 arguments of `WGAN`, each refused with a `TypeError` that names its new home.
MOVED = {"latent_dim", "generator_batch_size", "stop_on_nonfinite", "metadata"}
LEGACY = sorted(
    ({option.name for option in options.OPTIONS} | MOVED)
    - set(inspect.signature(keras_wgan.WGAN).parameters)
)


@st.composite
def wgan_arguments(draw):
    """(valid, the networks' kind and classes, `WGAN`'s keyword arguments (components as
    `Spec`s), `compile`'s, the metadata).

    About half the examples (`valid`) use only values that must build, on networks that
    fit them; the rest mix in values that may not, and networks that may not fit.
    """
    valid = draw(st.booleans())

    def faulty():
        """In a mixed example, whether this one place gets a value that may not build
        (one in four, so that the other places often build and the later checks run)."""
        return not valid and draw(st.integers(0, 3)) == 0

    def pick(good, bad):
        """A value that builds or, in a mixed example, maybe one that may not."""
        return draw(st.one_of(good, bad) if faulty() else good)

    def spec(factory, table, required=()):
        """A Spec of `factory` with some of its arguments (all of `required`, unless a
        mixed example leaves one out) and, in a mixed example, maybe an argument of
        another component."""
        kwargs = {}
        for name, (good, bad) in table.items():
            if (name in required and not faulty()) or draw(st.booleans()):
                kwargs[name] = pick(good, bad)
        if faulty():
            stray = draw(st.sampled_from([n for n in ALL_ARGUMENTS if n not in table]))
            kwargs[stray] = draw(junk)
        return Spec(factory, kwargs)

    loss_names = st.sampled_from(sorted(losses.LOSSES))
    bad_loss = st.one_of(st.text(max_size=6), junk)

    def base_loss():
        """A loss's name or a base loss component."""
        if draw(st.booleans()):
            return pick(loss_names, bad_loss)
        factory = draw(st.sampled_from(list(BASE_LOSSES)))
        return spec(factory, BASE_LOSSES[factory])

    def feature_matching():
        layer = (st.one_of(st.none(), st.just("hidden")), st.one_of(st.just("nope"), junk))
        return spec(
            losses.FeatureMatching, {"loss": (st.just(base_loss()), bad_loss), "layer": layer}
        )

    kind = draw(st.sampled_from(["points", "images"]))
    num_classes = draw(st.one_of(st.none(), st.integers(2, 4)))
    arguments = {}

    # The loss: a name, a component, or the wrappers (feature matching is for
    # unconditional models).
    matching = not (valid and num_classes)
    form = draw(st.sampled_from(["default", "loss", "averaging"] + ["matching"] * matching))
    if form == "loss":
        arguments["loss"] = base_loss()
    elif form == "matching":
        arguments["loss"] = feature_matching()
    elif form == "averaging":
        inner = feature_matching() if matching and draw(st.booleans()) else base_loss()
        table = {"loss": (st.just(inner), bad_loss), "weight": (st.floats(1e-4, 1.0), junk)}
        arguments["loss"] = spec(losses.HistoricalAveraging, table, required=("loss", "weight"))

    # Class conditioning, for the networks' classes: their number or an ACGAN.
    if num_classes or faulty():
        k = pick(st.just(num_classes) if num_classes else st.integers(2, 4), junk)
        if draw(st.booleans()):
            arguments["conditioning"] = k
        else:
            table = dict(ACGAN_ARGUMENTS, num_classes=(st.just(k), junk))
            arguments["conditioning"] = spec(ACGAN, table, required=("num_classes",))

    # Augmentation, of images: policies, or a DiffAugment or an ADA.
    if draw(st.booleans()) and (kind == "images" or not valid):
        if draw(st.booleans()):
            arguments["augment"] = pick(GOOD_POLICIES, BAD_POLICIES)
        else:
            factory = draw(st.sampled_from(list(AUGMENTS)))
            arguments["augment"] = spec(factory, AUGMENTS[factory])

    # A moving average of the generator: a decay or an EMA.
    if draw(st.booleans()):
        if draw(st.booleans()):
            arguments["ema"] = pick(st.floats(0.01, 0.999), junk)
        else:
            arguments["ema"] = spec(EMA, EMA_ARGUMENTS)

    if draw(st.booleans()):
        arguments["n_critic"] = pick(st.integers(1, 6), junk)
    if draw(st.booleans()):
        arguments["seed"] = draw(st.one_of(st.none(), st.integers(0, 2**31 - 1)))
    if faulty():
        arguments[draw(st.sampled_from(LEGACY))] = draw(junk)

    if faulty():  # networks that may not fit the conditioning or the augmentation
        kind = draw(st.sampled_from(["points", "images"]))
        num_classes = draw(st.one_of(st.none(), st.integers(2, 4)))
    compile_arguments = {}
    if draw(st.booleans()):
        compile_arguments["generator_batch_size"] = pick(st.integers(1, 64), junk)
    if draw(st.booleans()):
        compile_arguments["stop_on_nonfinite"] = pick(st.booleans(), junk)
    metadata = pick(
        st.one_of(st.none(), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
        st.one_of(junk, st.dictionaries(st.text(max_size=3), junk, max_size=2)),
    )
    return valid, (kind, num_classes), arguments, compile_arguments, metadata


def spec_arguments(value):
    """The argument names of a spec and the specs inside it."""
    if not isinstance(value, Spec):
        return []
    return [n for name, v in value.kwargs.items() for n in (name, *spec_arguments(v))]


def classes_of(conditioning):
    """The number of classes a built `conditioning` argument asks for (None: none or junk)."""
    if isinstance(conditioning, ACGAN):
        return conditioning.num_classes
    if isinstance(conditioning, int) and not isinstance(conditioning, bool):
        return conditioning
    return None


def config_of(component):
    return None if component is None else keras.saving.serialize_keras_object(component)


@fuzz(80)
@given(example=wgan_arguments())
def test_wgan_constructor_builds_or_names_the_bad_argument(example):
    valid, (kind, num_classes), specs, compile_arguments, metadata = example
    event("valid" if valid else "mixed")
    generator, critic = networks(kind, num_classes)
    try:
        kwargs = {name: build(value, name) for name, value in specs.items()}
    except RefusedError:
        assert not valid, specs  # every constructor takes the values that must build
        return
    try:
        gan = keras_wgan.WGAN(generator, critic, **kwargs)
    except (ValueError, TypeError) as error:
        assert not valid, (specs, error)
        event(f"WGAN refused ({type(error).__name__})")
        legacy = [name for name in kwargs if name in LEGACY]
        if legacy:  # refused first, naming its new home
            assert isinstance(error, TypeError), error
            assert str(error).startswith(f"WGAN() no longer takes `{legacy[0]}`: "), error
            return
        # The argument, one of its components' arguments, or, when the networks do not
        # fit the conditioning, their classes.
        names = [*kwargs, *(n for v in specs.values() for n in spec_arguments(v))]
        if classes_of(kwargs.get("conditioning")) != num_classes:
            names += ["class", "conditional"]
        check_refusal(error, names)
        return
    event("built")

    # The model holds the components it was given (a name, a number, a policy string or
    # a decay stands for the component with its defaults).
    loss = kwargs.get("loss", "wgan-gp")
    assert (
        gan.gan_loss is loss
        if isinstance(loss, losses.GANLoss)
        else gan.gan_loss == (losses.get(loss))
    )
    conditioning = kwargs.get("conditioning")
    expected = ACGAN(conditioning) if isinstance(conditioning, int) else conditioning
    assert config_of(gan.conditioning) == config_of(expected)
    assert gan.num_classes == (None if expected is None else expected.num_classes)
    augment = kwargs.get("augment")
    expected = augment
    if augment is not None and not isinstance(augment, DiffAugment):
        expected = DiffAugment(augment)
    assert config_of(gan.augment) == config_of(expected)
    if expected is not None:
        assert gan.augment_p == pytest.approx(expected.probability)
    ema = kwargs.get("ema")
    expected = EMA(ema) if isinstance(ema, float) else ema
    assert config_of(gan.ema) == config_of(expected)
    assert (gan.ema_generator is None) == (expected is None)
    assert gan.n_critic == kwargs.get("n_critic", 5) and gan.latent_dim == LATENT_DIM

    # The config rebuilds the same components.
    rebuilt = keras_wgan.WGAN.from_config(gan.get_config())
    for part in ("gan_loss", "conditioning", "augment", "ema"):
        assert config_of(getattr(rebuilt, part)) == config_of(getattr(gan, part)), part
    assert (rebuilt.n_critic, rebuilt.seed) == (gan.n_critic, gan.seed)

    # `compile`'s settings and the metadata: taken, or refused by name.
    try:
        gan.compile(**compile_arguments)
    except ValueError as error:
        assert not valid, (compile_arguments, error)
        check_refusal(error, list(compile_arguments))
        gan.compile()
    else:
        size = compile_arguments.get("generator_batch_size")
        assert gan.generator_batch_size == size
        assert gan.stop_on_nonfinite is compile_arguments.get("stop_on_nonfinite", True)
    try:
        gan.metadata = metadata
    except ValueError as error:
        assert not valid, (metadata, error)
        check_refusal(error, ["metadata"])
        assert gan.metadata is None
    else:
        assert gan.metadata == metadata
    samples = gan.generate(2, seed=0)
    assert samples.shape == (2, *gan.sample_shape[1:]) and np.isfinite(samples).all()


JUNK_TEXT = st.sampled_from(["", "x", "-1", "0", "nan", "inf", "1e9", "2.5"])
# flag: (values that should train, values that may not)
TRAIN_FLAGS = {
    "--loss": (
        st.sampled_from(["wgan-gp", "wgan-clip", "dcgan", "lsgan"]),
        st.sampled_from(["wgan", "", "WGAN-GP"]),
    ),
    "--width": (st.integers(1, 8).map(str), JUNK_TEXT),
    "--batch-size": (st.integers(2, 16).map(str), JUNK_TEXT),
    "--n-critic": (st.integers(1, 3).map(str), JUNK_TEXT),
    "--gp-weight": (st.floats(0, 20).map(str), JUNK_TEXT),
    "--clip-value": (st.floats(1e-3, 1).map(str), JUNK_TEXT),
    "--lr": (st.floats(1e-5, 1e-2).map(str), JUNK_TEXT),
    "--latent-dim": (st.integers(1, 4).map(str), JUNK_TEXT),
    "--lr-decay": (st.sampled_from(["none", "linear"]), st.just("cosine")),
    "--seed": (st.integers(0, 3).map(str), st.sampled_from(["-1", "x", "1.5"])),
    "--arch": (st.nothing(), st.sampled_from(["mlp", "dcgan", "language", "nope"])),
    "--image-size": (st.nothing(), JUNK_TEXT),
}


@st.composite
def train_flags(draw):
    """About half the examples use only values that should train (tiny toy runs); the
    rest mix in values that may not, and datasets that do not exist."""
    valid = draw(st.booleans())
    if valid:
        flags = {
            "--dataset": draw(st.sampled_from(["8gaussians", "swissroll"])),
            "--steps": draw(st.integers(1, 2).map(str)),
        }
    else:
        flags = {
            "--dataset": draw(
                st.sampled_from(
                    ["8gaussians", "digits", "nope", "folder:/nowhere", "text:/nowhere.txt"]
                )
            ),
            "--steps": draw(st.one_of(st.integers(-1, 2).map(str), JUNK_TEXT)),
        }
    for flag in draw(st.lists(st.sampled_from(sorted(TRAIN_FLAGS)), unique=True, max_size=5)):
        good, bad = TRAIN_FLAGS[flag]
        choice = good if valid else st.one_of(good, bad)
        if valid and good.is_empty:
            continue
        flags[flag] = draw(choice)
    return flags


TRAIN = train_flags()


@fuzz(8)
@given(flags=TRAIN)
def test_train_command_trains_or_prints_one_error_line(flags, tmp_path_factory, capsys):
    check_train_command(flags, tmp_path_factory, capsys)


@pytest.mark.slow
@fuzz(60)
@given(flags=TRAIN)
def test_train_command_trains_or_prints_one_error_line_many(flags, tmp_path_factory, capsys):
    check_train_command(flags, tmp_path_factory, capsys)


def check_train_command(flags, tmp_path_factory, capsys):
    out = str(tmp_path_factory.mktemp("fuzz") / "run")
    argv = ["train", "--out", out, "--steps-per-epoch", "1", "--sample-every", "1"]
    for flag, value in flags.items():
        argv += [flag, value]
    if "--width" not in flags:
        argv += ["--width", "4"]
    if "--batch-size" not in flags:
        argv += ["--batch-size", "8"]
    capsys.readouterr()
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # argparse refused a flag: its one-line usage error
        event("refused by argparse")
        assert exit_.code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "error:" in err, err
        assert not os.path.exists(out)
        return
    captured = capsys.readouterr()
    event(f"returned {code}")
    if code == 1:
        err = captured.err.strip()
        assert err.startswith("keras-wgan: error:") and len(err.splitlines()) == 1, err
        assert not os.path.exists(out), (argv, os.listdir(out))
        return
    assert code == 0, argv
    for name in ("run.json", "checkpoint.keras"):
        assert os.path.isfile(os.path.join(out, name)), (argv, name)
    assert os.path.isfile(os.path.join(out, "export", "1", "saved_model.pb"))
