"""Hyperparameters from the papers, as plain data.

`PRESETS[name]` holds the WGAN arguments and both optimisers' configs; `optimizers(name)`
builds fresh optimiser instances from them. The image presets follow the paper's code
(igul222/improved_wgan_training); "toy" is its `gan_toy.py` set-up.
"""

import copy

import keras

_ADAM_GP = {"class_name": "Adam", "config": {"learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9}}

PRESETS = {
    # Algorithm 1 of the paper: lambda 10, n_critic 5, Adam(1e-4, 0, 0.9).
    "wgan-gp": {
        "model": {"loss": "wgan-gp", "n_critic": 5, "gp_weight": 10.0},
        "d_optimizer": _ADAM_GP,
        "g_optimizer": _ADAM_GP,
    },
    "wgan-gp-one-sided": {
        "model": {"loss": "wgan-gp-one-sided", "n_critic": 5, "gp_weight": 10.0},
        "d_optimizer": _ADAM_GP,
        "g_optimizer": _ADAM_GP,
    },
    # Arjovsky et al. 2017: RMSProp(5e-5), c = 0.01, n_critic 5.
    "wgan-clip": {
        "model": {"loss": "wgan-clip", "n_critic": 5, "clip_value": 0.01},
        "d_optimizer": {"class_name": "RMSprop", "config": {"learning_rate": 5e-5}},
        "g_optimizer": {"class_name": "RMSprop", "config": {"learning_rate": 5e-5}},
    },
    # Radford et al. 2016: Adam(2e-4, 0.5), one discriminator step per generator step.
    "dcgan": {
        "model": {"loss": "dcgan", "n_critic": 1},
        "d_optimizer": {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}},
        "g_optimizer": {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}},
    },
    "minimax": {
        "model": {"loss": "minimax", "n_critic": 1},
        "d_optimizer": {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}},
        "g_optimizer": {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}},
    },
    # The paper's LSGAN baseline: RMSProp(1e-4).
    "lsgan": {
        "model": {"loss": "lsgan", "n_critic": 1},
        "d_optimizer": {"class_name": "RMSprop", "config": {"learning_rate": 1e-4}},
        "g_optimizer": {"class_name": "RMSprop", "config": {"learning_rate": 1e-4}},
    },
    # gan_toy.py: lambda 0.1, n_critic 5, batch 256, Adam(1e-4, 0.5, 0.9), 512-wide MLPs.
    "toy": {
        "model": {"loss": "wgan-gp", "n_critic": 5, "gp_weight": 0.1},
        "d_optimizer": {"class_name": "Adam", "config": {"learning_rate": 1e-4, "beta_1": 0.5, "beta_2": 0.9}},
        "g_optimizer": {"class_name": "Adam", "config": {"learning_rate": 1e-4, "beta_1": 0.5, "beta_2": 0.9}},
        "batch_size": 256,
        "width": 512,
    },
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
