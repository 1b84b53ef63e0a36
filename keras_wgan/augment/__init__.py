"""Differentiable augmentation of what the critic sees (DiffAugment) and its adaptive
strength (ADA): the components `DiffAugment` and `ADA` for `keras_wgan.WGAN(augment=...)`,
and the backend-neutral functions they are made of (`keras_wgan.augment.functions`)."""

from keras_wgan.augment.components import ADA, DiffAugment, get
from keras_wgan.augment.functions import (
    ADA_INTERVAL,
    CUTOUT_RATIO,
    POLICIES,
    TRANSLATION_RATIO,
    ada_accumulate,
    ada_adjust,
    ada_step,
    apply,
    check_policies,
    check_probability,
    color,
    cutout,
    cutout_size,
    num_uniforms,
    overfitting_sign,
    parameters,
    translation,
    translation_limits,
)

__all__ = [
    "ADA",
    "ADA_INTERVAL",
    "CUTOUT_RATIO",
    "POLICIES",
    "TRANSLATION_RATIO",
    "DiffAugment",
    "ada_accumulate",
    "ada_adjust",
    "ada_step",
    "apply",
    "check_policies",
    "check_probability",
    "color",
    "cutout",
    "cutout_size",
    "get",
    "num_uniforms",
    "overfitting_sign",
    "parameters",
    "translation",
    "translation_limits",
]
