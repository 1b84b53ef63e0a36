"""Property-based tests of the entry points: any arguments either work or fail clearly.

`WGAN`'s constructor either builds a model or raises a `ValueError` that names the
argument; `keras-wgan train` (run in process) either trains or prints one error line and
returns 1 (argparse's own refusals exit with 2), never a traceback, and a refused run leaves
no run folder behind. Examples are derandomised, so every run of the suite tries the same
ones.
"""

import os

import keras
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import keras_wgan  # noqa: E402
from keras_wgan import cli  # noqa: E402


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


def tiny_networks(latent_dim=3):
    generator = keras.Sequential([keras.Input((latent_dim,)), keras.layers.Dense(2)])
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    return generator, critic


NETWORKS = tiny_networks()

CONSTRUCTOR = st.fixed_dictionaries(
    {},
    optional={
        "latent_dim": maybe_int(st.integers(1, 5)),
        "n_critic": maybe_int(st.integers(1, 6)),
        "loss": st.one_of(st.sampled_from(sorted(keras_wgan.losses.LOSSES)), st.text(max_size=6)),
        "gp_weight": maybe_float,
        "clip_value": maybe_float,
        "generator_batch_size": st.one_of(st.none(), maybe_int(st.integers(1, 64))),
        "seed": st.one_of(st.none(), st.integers(0, 2**31 - 1)),
        "num_classes": st.one_of(st.none(), maybe_int(st.integers(2, 10))),
        "ac_weight_critic": maybe_float,
        "ac_weight_generator": maybe_float,
        "conditioning": st.one_of(st.sampled_from(["ac-gan-paper", "ac-gan"]), st.text(max_size=6)),
    },
)


@fuzz(60)
@given(kwargs=CONSTRUCTOR)
def test_wgan_constructor_builds_or_names_the_bad_argument(kwargs):
    generator, critic = NETWORKS
    try:
        gan = keras_wgan.WGAN(generator, critic, **kwargs)
    except ValueError as error:
        event("refused")
        message = str(error)
        assert message.startswith(
            (
                "Invalid value for argument",
                "The ",
                "A ",
                "label_smoothing",
                "feature_matching",
                "Could not infer",
            )
        ), message
        named = [name for name in kwargs if name in message]
        conditional = kwargs.get("num_classes") not in (None,) and "class" in message
        assert named or conditional, (kwargs, message)
        return
    event("built")
    gan.compile()
    assert gan.n_critic >= 1 and gan.latent_dim == 3


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
