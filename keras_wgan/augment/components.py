"""Augmentation as components of `keras_wgan.WGAN(augment=...)`: `DiffAugment` (Zhao et
al. 2020) with a fixed probability p, and `ADA` (Karras et al. 2020), whose p follows the
critic's overfitting heuristic.

A component owns p (and ADA's running sums), non-trainable float32 variables of the model
(saved, resumed, threaded through the JAX step), and gives the step its hooks: the
augmented batches of each update, the logs `augment_p` and `augment_rt`, and ADA's
adjustment after the updates.
"""

import keras
from keras import ops

from keras_wgan.augment import functions
from keras_wgan.utils.components import Component
from keras_wgan.utils.components import get as _get
from keras_wgan.utils.validation import check_float, invalid

_register = keras.saving.register_keras_serializable(package="keras_wgan")


@_register
class DiffAugment(Component):
    """Differentiable augmentation of every image the critic sees (DiffAugment).

    The real and the generated batch of each critic update and the generated batch (and
    feature matching's real batch) of each generator update are augmented with
    independent draws from the model's seed; the penalty's x-hat lies between the
    augmented batches, and a conditional critic's class head sees them too. Images only
    (samples of shape [batch, height, width, channels]).

    Args:
        policies: among "color", "translation", "cutout", as a comma-separated string or
            a list. Default "color,translation,cutout".
        probability: p, the probability with which each policy is applied to each
            example, in [0, 1]. Default 1.

    Example:
    >>> from keras_wgan.augment import DiffAugment
    >>> DiffAugment("cutout,translation")
    DiffAugment(policies=['translation', 'cutout'], probability=1.0)
    """

    #: The logs the step adds: p, and r_t of the critic's updates.
    log_names = ("augment_p", "augment_rt")

    def __init__(self, policies="color,translation,cutout", probability=1.0):
        self.policies = list(functions.check_policies(policies, "policies"))
        if not self.policies:
            raise invalid("policies", policies, f"one or more of {list(functions.POLICIES)}")
        self.probability = functions.check_probability("probability", probability)
        self.state = ()

    def _state_names(self):
        return ["augment_p"]

    def build(self, model):
        """Checks that the model makes images and creates p on it."""
        shape = model.sample_shape
        if len(shape) != 4 or None in shape[1:3]:
            raise ValueError(
                f"Invalid value for argument `augment`. Received: augment={self!r}. "
                "Expected None: augmentation is for images of shape [batch, height, width, "
                f"channels], and the generator makes samples of shape {shape}."
            )
        initial = [self.probability, 0.0, 0.0]
        self.state = tuple(
            model.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(value),
                trainable=False,
                name=name,
                dtype="float32",
            )
            for name, value in zip(self._state_names(), initial)
        )

    def p(self):
        """p, the current probability (a tensor)."""
        return self.state[0].value

    def _draw(self, model, batch_size):
        uniforms = model.draw("uniform", (batch_size, functions.num_uniforms(self.policies)))
        return functions.parameters(uniforms, self.policies, model.sample_shape[1:3], self.p())

    def critic_batches(self, model, real, fake):
        """(T(x), T'(G(z))), augmented with independent draws (the real batch's first)."""
        real = functions.apply(real, self._draw(model, ops.shape(real)[0]))
        fake = functions.apply(fake, self._draw(model, ops.shape(fake)[0]))
        return real, fake

    def generator_draws(self, model, batch_size, real):
        """(the generated batch's parameters, which the generator's loss applies, and
        `real` augmented, or None); the generated batch's are drawn first."""
        params = self._draw(model, batch_size)
        if real is not None:
            real = functions.apply(real, self._draw(model, ops.shape(real)[0]))
        return params, real

    def critic_logs(self, real_scores, fake_scores):
        return {"augment_rt": functions.overfitting_sign(real_scores, fake_scores)}

    def after_critic_update(self, model, logs, batch_size):
        """ADA folds r_t in; nothing here."""

    def after_generator_update(self, model):
        """ADA adjusts p; nothing here."""

    def get_config(self):
        return {"policies": list(self.policies), "probability": self.probability}


@_register
class ADA(DiffAugment):
    """DiffAugment with the adaptive p of ADA (Karras et al. 2020).

    Every 4 generator steps p moves up while the critic's overfitting heuristic r_t
    (logged as `augment_rt`) is above `target` and down otherwise. A WGAN critic's scores
    have no fixed zero, so r_t = E[sign(D(T(x)) - mean D(T(G(z))))] is centred on the
    generated batch's mean score (`keras_wgan.augment.overfitting_sign`).

    Args:
        policies: as for `DiffAugment`.
        target: the target of r_t, in [0, 1). Default 0.6.
        kimg: the thousands of real images the critic sees for p to move from 0 to 1.
            Default 20 (ADA's 500 suits runs of millions of images).
        probability: the starting p. Default 0.

    Example:
    >>> from keras_wgan.augment import ADA
    >>> ADA("translation", target=0.6).kimg
    20.0
    """

    def __init__(self, policies="color,translation,cutout", target=0.6, kimg=20.0, probability=0.0):
        super().__init__(policies, probability)
        self.target = functions.check_probability("target", target, one=False)
        self.kimg = check_float("kimg", kimg, positive=True)

    def _state_names(self):
        return ["augment_p", "ada_rt_sum", "ada_images"]

    def after_critic_update(self, model, logs, batch_size):
        values = [v.value for v in self.state]
        model.assign_values(
            self.state,
            functions.ada_accumulate(values, logs["augment_rt"], batch_size),
            replicated=False,
        )

    def after_generator_update(self, model):
        values = [v.value for v in self.state]
        step = model.g_optimizer.iterations.value
        model.assign_values(
            self.state, functions.ada_step(values, step, self.target, self.kimg), replicated=False
        )

    def get_config(self):
        return {**super().get_config(), "target": self.target, "kimg": self.kimg}


def _policies(identifier):
    functions.check_policies(identifier)  # the error names `augment`
    return DiffAugment(identifier)


def get(identifier):
    """An augmentation component from a component, policies (a string or a list: a
    `DiffAugment` of them) or a serialized config; None stays None.

    Example:
    >>> get("translation,cutout").policies
    ['translation', 'cutout']
    """
    return _get("augment", identifier, DiffAugment, _policies, "a DiffAugment or ADA")
