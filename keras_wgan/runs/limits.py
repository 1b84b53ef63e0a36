"""Checks of a run's sizes and folders before anything is built, trained or written.

A setting the machine cannot hold (a batch of ten million, a latent space of a hundred
million), a step count past what the step counters hold, or an export folder that is a
file is refused at once, with what it would need, rather than after minutes of training
or an exhausted memory.
"""

import math

from keras_wgan.export import check_max_samples
from keras_wgan.utils.files import check_folder
from keras_wgan.utils.memory import FLOAT_BYTES, check_fits
from keras_wgan.utils.validation import check_int, invalid

#: The largest value of an int64 step counter (the critic's optimiser counts
#: steps * n_critic updates, and a learning-rate decay spans them).
MAX_COUNT = 2**63 - 1
#: Critic updates per generator step: the paper uses 5, Arjovsky et al. 100 at most.
MAX_N_CRITIC = 1000
#: Hidden layers of the critic whose activations a step holds at once, at the least.
_LAYERS = 3
#: Critic passes a gradient-penalty step holds: real, generated and x-hat.
_PASSES = 3


def example_shape(settings):
    """The shape of one training example a run's settings imply."""
    if "image_shape" in settings:
        return tuple(settings["image_shape"])
    if "sequence_length" in settings:
        return (settings["sequence_length"], len(settings["vocabulary"]))
    return (2,)


def check_run(settings, steps, steps_per_epoch=100, memory=None):
    """Refuses a run whose counters overflow or whose tensors cannot fit in memory.

    The estimates are lower bounds on the largest tensors of a training step (all
    float32): the real data of a step, `batch_size * n_critic` examples; the critic's
    activations, `batch_size * width` values a position of the example per hidden layer
    for each of real, generated and x-hat; the generator's first layer with its gradient
    and Adam's two moments, `4 * latent_dim * width` values.

    Args:
        settings: resolved settings with what the data fixes (`with_data`).
        steps: the run's generator steps.
        steps_per_epoch: generator steps an epoch.
        memory: the bytes available; default the machine's physical memory.

    Raises:
        ValueError: naming the argument (`steps`, `n_critic`, `batch_size`,
            `latent_dim`, `width`) and what it would need.
    """
    n_critic = check_int("n_critic", settings["model"].get("n_critic", 1), 1)
    if n_critic > MAX_N_CRITIC:
        raise invalid("n_critic", n_critic, f"an integer in [1, {MAX_N_CRITIC}]")
    steps = check_int("steps", steps, 1)
    check_int("steps_per_epoch", steps_per_epoch, 1)
    if steps > MAX_COUNT // n_critic:
        raise invalid(
            "steps",
            steps,
            f"an integer in [1, {MAX_COUNT // n_critic}]: the critic's step counter "
            f"(int64) counts steps * n_critic = {steps * n_critic} updates",
        )
    batch, width, latent = (settings.get(k) for k in ("batch_size", "width", "latent_dim"))
    shape = example_shape(settings)
    example = math.prod(shape)
    positions = math.prod(shape[:-1]) if len(shape) > 1 else 1
    needs = [
        (
            batch * n_critic * example * FLOAT_BYTES if batch else 0,
            {"batch_size": batch, "n_critic": n_critic},
            f"the real data of one step (batch_size * n_critic examples of {shape})",
        ),
        (
            _PASSES * _LAYERS * (batch or 0) * positions * (width or 0) * FLOAT_BYTES,
            {"batch_size": batch, "width": width},
            f"the critic's activations ({batch} examples, {width} channels)",
        ),
        (
            4 * (latent or 0) * (width or 0) * FLOAT_BYTES,
            {"latent_dim": latent, "width": width},
            "the generator's first layer with its gradient and Adam's moments",
        ),
        (
            (batch or 0) * (latent or 0) * FLOAT_BYTES,
            {"batch_size": batch, "latent_dim": latent},
            "a batch of z",
        ),
    ]
    # A size left unset (an architecture that has no width) is the builder's to refuse.
    check_fits([need for need in needs if None not in need[1].values()], memory)


def check_sampling(num, sample_shape, latent_dim, name="num_samples", memory=None):
    """Refuses `num` samples whose z and samples (float32, and a copy decoded) cannot fit.

    Args:
        num: samples asked for.
        sample_shape: one sample's shape.
        latent_dim: size of z.
        name: the argument that asked for them.
        memory: the bytes available; default the machine's physical memory.
    """
    num = check_int(name, num, 1)
    size = num * (2 * math.prod(sample_shape) + latent_dim) * FLOAT_BYTES
    check_fits(
        [(size, {name: num}, f"{num} samples of {tuple(sample_shape)} with their z")], memory
    )


def check_outputs(out, export_dir=None, max_samples=None):
    """Refuses a run folder or export base that cannot be one (empty, a file, under a
    file) and an export limit the export would refuse, before training.

    Args:
        out: the run folder.
        export_dir: the export's base folder (default `out/export`).
        max_samples: the export's limit (`keras_wgan.export.check_max_samples`).
    """
    check_folder("out", out)
    if export_dir is not None:
        check_folder("export_dir", export_dir)
    if max_samples is not None:
        check_max_samples(max_samples)
