"""The GAN losses as components: serializable objects that check their own arguments and
give the training step its hooks.

`keras_wgan.WGAN(loss=...)` takes one of them (or its name, through `get`). The step
(`keras_wgan.trainers.base`) asks the loss for the critic's and the generator's losses,
the random draws of its penalty, the penalty itself and what follows a critic update
(weight clipping); a loss that has no penalty has no penalty arguments, so an option the
chosen loss does not take cannot be given.

References: Gulrajani et al. 2017 (WGAN-GP, Algorithm 1, equation 3; the one-sided
penalty of appendix D), Arjovsky et al. 2017 (weight clipping), Goodfellow et al. 2014
(minimax, non-saturating), Mao et al. 2017 (LSGAN), Mescheder et al. 2018 (R1), Kodali et
al. 2017 (DRAGAN), Miyato et al. 2018 (hinge), Salimans et al. 2016 (label smoothing,
feature matching, historical averaging).
"""

import keras
from keras import ops

from keras_wgan.losses import functions
from keras_wgan.losses.features import feature_model
from keras_wgan.utils.components import Component
from keras_wgan.utils.components import get as _get
from keras_wgan.utils.validation import check_float, check_int, invalid

_register = keras.saving.register_keras_serializable(package="keras_wgan")


def _f32_mean(x):
    return ops.mean(ops.cast(x, "float32"))


class GANLoss(Component):
    """The base of the loss components: the two losses, and the hooks of the step.

    A subclass sets `name` (its string for `get` and the optimiser presets) and the two
    losses (`loss_functions`, or the two methods); a penalised one sets `penalized` and
    implements `penalty` (and `draws` when the penalty takes random draws). Every hook
    has a default that does nothing, so a new loss writes only what it changes.
    """

    #: The loss's name: `get(name)` builds it, and `keras_wgan.presets` keys the
    #: optimisers of the authors' code by it.
    name = None

    #: Whether the critic's loss carries a gradient penalty (it then must not hold a
    #: layer that couples the examples of a batch, and logs `gradient_penalty`,
    #: `grad_norm`).
    penalized = False

    #: Whether the generator's loss reads a real batch (feature matching).
    needs_real = False

    #: The two losses as functions of the scores, (critic's, generator's), such as
    #: `keras_wgan.losses.functions`' pairs; None where a subclass writes the methods.
    loss_functions = None

    def critic_loss(self, real_scores, fake_scores):
        """The critic's loss from its raw scores on real and generated data."""
        if self.loss_functions is None:
            raise NotImplementedError
        return self.loss_functions[0](real_scores, fake_scores)

    def generator_loss(self, fake_scores):
        """The generator's loss from the critic's raw scores on generated data."""
        if self.loss_functions is None:
            raise NotImplementedError
        return self.loss_functions[1](fake_scores)

    # --- hooks of the step ------------------------------------------------------------

    def build(self, model):
        """Creates what the loss needs of the model (its state, a feature model)."""

    def draws(self, model, shape, alpha=None, noise=None):
        """The penalty's random draws for a real batch of `shape`: those given, the
        others drawn with `model.draw` (after z and the labels). {} without a penalty."""
        return {}

    def penalty(self, input_gradient, real, fake, draws, critic_step):
        """(weighted penalty, penalty, mean gradient norm) of the critic update, or None.

        Args:
            input_gradient: x -> the gradient of the critic's summed scores at x,
                differentiable in the critic's parameters (the step's inner gradient).
            real, fake: the critic update's batches (augmented if augmentation is on).
            draws: what `draws` returned.
            critic_step: the critic optimiser's update count before this update.
        """
        return None

    def regularization(self, model, player):
        """(a term added to the player's loss, [(variable, new value)] to store after the
        gradient), or (None, []). `player` is "critic" or "generator"."""
        return None, []

    def generator_objective(self, model, fake, critic_fn, real):
        """(the generator's loss, the critic's class logits of `fake` or None).

        `critic_fn(x)` returns (scores, class logits or None) in training mode; `real` is
        a real batch when `needs_real`.
        """
        scores, logits = critic_fn(fake)
        return self.generator_loss(scores), logits

    def after_critic_update(self, model, variables):
        """Runs after the critic's optimiser has applied its update (weight clipping)."""


class _Wasserstein(GANLoss):
    """E[D(G(z))] - E[D(x)] for the critic, -E[D(G(z))] for the generator."""

    loss_functions = (functions.wasserstein_critic_loss, functions.wasserstein_generator_loss)


@_register
class WGANGP(_Wasserstein):
    """WGAN-GP: the Wasserstein loss with the gradient penalty (Gulrajani et al. 2017).

    The critic's loss is E[D(G(z))] - E[D(x)] + lambda * E[(||grad D(x-hat)||_2 - 1)^2]
    at x-hat = alpha * x + (1 - alpha) * G(z), alpha ~ U[0, 1] per example (equation 3);
    `one_sided` penalises only norms above 1 (appendix D).

    Args:
        gp_weight: lambda. Default 10.
        one_sided: penalise max(0, ||grad|| - 1)^2 only. Default False.

    Example:
    >>> from keras_wgan import losses
    >>> losses.WGANGP(gp_weight=10.0)
    WGANGP(gp_weight=10.0, one_sided=False)
    >>> losses.get("wgan-gp-one-sided")
    WGANGP(gp_weight=10.0, one_sided=True)
    """

    penalized = True

    def __init__(self, gp_weight=10.0, one_sided=False):
        self.gp_weight = check_float("gp_weight", gp_weight)
        if not isinstance(one_sided, bool):
            raise invalid("one_sided", one_sided, "True or False")
        self.one_sided = one_sided

    @property
    def name(self):
        return "wgan-gp-one-sided" if self.one_sided else "wgan-gp"

    def draws(self, model, shape, alpha=None, noise=None):
        return {"alpha": model.draw("uniform", (shape[0],)) if alpha is None else alpha}

    def penalty(self, input_gradient, real, fake, draws, critic_step):
        x_hat = functions.interpolate(real, fake, draws["alpha"])
        norms = functions.gradient_norm(input_gradient(x_hat))
        penalty = functions.gradient_penalty_from_norms(norms, self.one_sided)
        return self.gp_weight * penalty, penalty, ops.mean(norms)

    def get_config(self):
        return {"gp_weight": self.gp_weight, "one_sided": self.one_sided}


@_register
class WeightClipping(_Wasserstein):
    """WGAN with weight clipping (Arjovsky et al. 2017): after each critic update its
    weights are clipped to [-c, c].

    Args:
        clip_value: c. Default 0.01.

    Example:
    >>> from keras_wgan import losses
    >>> losses.WeightClipping(0.01).name
    'wgan-clip'
    """

    name = "wgan-clip"

    def __init__(self, clip_value=0.01):
        self.clip_value = check_float("clip_value", clip_value, positive=True)

    def after_critic_update(self, model, variables):
        c = self.clip_value
        model.assign_values(variables, [ops.clip(v.value, -c, c) for v in variables])

    def get_config(self):
        return {"clip_value": self.clip_value}


class _Sigmoid(GANLoss):
    """The sigmoid cross-entropy losses, with optional one-sided label smoothing
    (Salimans et al. 2016, section 3.4)."""

    def __init__(self, label_smoothing=None):
        self.label_smoothing = None
        self._targets = None
        if label_smoothing is not None:
            alpha, beta = functions.label_smoothing_targets(label_smoothing)
            self.label_smoothing = alpha if beta == 0.0 else [alpha, beta]
            self._targets = (alpha, beta)

    def critic_loss(self, real_scores, fake_scores):
        if self._targets is None:
            return functions.minimax_critic_loss(real_scores, fake_scores)
        alpha, beta = self._targets
        return functions.smoothed_minimax_critic_loss(real_scores, fake_scores, alpha, beta)

    def get_config(self):
        return {"label_smoothing": self.label_smoothing}


@_register
class DCGAN(_Sigmoid):
    """The non-saturating GAN loss (Goodfellow et al. 2014; the DCGAN baseline).

    Args:
        label_smoothing: the discriminator's real target alpha (one-sided smoothing,
            Salimans et al. 2016, 0.9 is usual), or (alpha, beta) for a fake target beta
            too. Default None (targets 1 and 0).

    Example:
    >>> from keras_wgan import losses
    >>> losses.DCGAN(label_smoothing=0.9)
    DCGAN(label_smoothing=0.9)
    """

    name = "dcgan"

    def generator_loss(self, fake_scores):
        return functions.dcgan_generator_loss(fake_scores)


@_register
class Minimax(_Sigmoid):
    """The saturating minimax loss of Goodfellow et al. 2014.

    Args:
        label_smoothing: as for `DCGAN`.
    """

    name = "minimax"

    def generator_loss(self, fake_scores):
        return functions.minimax_generator_loss(fake_scores)


@_register
class LSGAN(GANLoss):
    """The least-squares loss of Mao et al. 2017 (targets 1 and 0)."""

    name = "lsgan"
    loss_functions = (functions.lsgan_critic_loss, functions.lsgan_generator_loss)


@_register
class Hinge(GANLoss):
    """The hinge loss of Miyato et al. 2018 (with `keras_wgan.architectures.spectral_normalize`
    for their spectral normalisation)."""

    name = "hinge"
    loss_functions = (functions.hinge_critic_loss, functions.hinge_generator_loss)


class _NonSaturating(GANLoss):
    loss_functions = (functions.dcgan_critic_loss, functions.dcgan_generator_loss)


@_register
class R1(_NonSaturating):
    """The non-saturating loss with the R1 penalty gamma/2 E||grad D(x)||^2 on real data
    (Mescheder et al. 2018, section 4.1).

    Args:
        gamma: the penalty's weight. Default 10.
        every: lazy regularisation (StyleGAN2): the penalty is taken on every `every`-th
            critic update only (those whose count, the critic optimiser's `iterations`, is
            a multiple of it, the first included), weighted by `every`, and not computed
            on the others. Default 1 (every update).

    Example:
    >>> from keras_wgan import losses
    >>> losses.R1(gamma=10.0, every=4)
    R1(gamma=10.0, every=4)
    """

    name = "r1"
    penalized = True

    def __init__(self, gamma=10.0, every=1):
        self.gamma = check_float("gamma", gamma)
        self.every = check_int("every", every, 1)

    def penalty(self, input_gradient, real, fake, draws, critic_step):
        def take(scale=1.0):
            gradients = input_gradient(ops.convert_to_tensor(real))
            norm = ops.mean(functions.gradient_norm(gradients))
            return scale * functions.r1_penalty_from_gradients(gradients), scale * norm

        if self.every == 1:
            penalty, norm = take()
        else:
            # Lazy R1: K times the penalty on the updates whose count is a multiple of K,
            # nothing (and no double gradient, `ops.cond`) on the others.
            zero = ops.zeros((), "float32")
            penalty, norm = ops.cond(
                ops.equal(critic_step % self.every, 0),
                lambda: take(float(self.every)),
                lambda: (zero, zero),
            )
        return self.gamma * penalty, penalty, norm

    def get_config(self):
        return {"gamma": self.gamma, "every": self.every}


@_register
class DRAGAN(_NonSaturating):
    """The non-saturating loss with DRAGAN's penalty E[(||grad D(x-hat)|| - 1)^2] at
    x-hat = x + alpha * delta around the real data (Kodali et al. 2017,
    `keras_wgan.losses.dragan_points`).

    Args:
        gp_weight: lambda. Default 10.
    """

    name = "dragan"
    penalized = True

    def __init__(self, gp_weight=10.0):
        self.gp_weight = check_float("gp_weight", gp_weight)

    def draws(self, model, shape, alpha=None, noise=None):
        if alpha is None:
            alpha = model.draw("uniform", (shape[0],))
        if noise is None:
            noise = model.draw("uniform", tuple(shape))
        return {"alpha": alpha, "noise": noise}

    def penalty(self, input_gradient, real, fake, draws, critic_step):
        points = functions.dragan_points(real, draws["alpha"], draws["noise"])
        norms = functions.gradient_norm(input_gradient(points))
        penalty = functions.gradient_penalty_from_norms(norms)
        return self.gp_weight * penalty, penalty, ops.mean(norms)

    def get_config(self):
        return {"gp_weight": self.gp_weight}


class _Wrapper(GANLoss):
    """A loss that changes another's: everything it does not override is the inner
    loss's."""

    def __init__(self, loss):
        self.loss = get(loss)

    name = property(lambda self: self.loss.name)
    penalized = property(lambda self: self.loss.penalized)
    needs_real = property(lambda self: self.loss.needs_real)

    def critic_loss(self, real_scores, fake_scores):
        return self.loss.critic_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores):
        return self.loss.generator_loss(fake_scores)

    def build(self, model):
        self.loss.build(model)

    def draws(self, model, shape, alpha=None, noise=None):
        return self.loss.draws(model, shape, alpha, noise)

    def penalty(self, input_gradient, real, fake, draws, critic_step):
        return self.loss.penalty(input_gradient, real, fake, draws, critic_step)

    def regularization(self, model, player):
        return self.loss.regularization(model, player)

    def generator_objective(self, model, fake, critic_fn, real):
        return self.loss.generator_objective(model, fake, critic_fn, real)

    def after_critic_update(self, model, variables):
        self.loss.after_critic_update(model, variables)

    def get_config(self):
        return {"loss": keras.saving.serialize_keras_object(self.loss)}

    def __repr__(self):
        config = self.get_config()
        arguments = ", ".join(f"{k}={v!r}" for k, v in config.items() if k != "loss")
        return f"{type(self).__name__}({self.loss!r}, {arguments})"


@_register
class FeatureMatching(_Wrapper):
    """Feature matching (Salimans et al. 2016, section 3.1): the generator's loss becomes
    ||E f(x) - E f(G(z))||^2 over the critic's features f; the critic keeps `loss`'s.

    The real batch is the step's last critic batch. For unconditional models.

    Args:
        loss: the critic's loss (a component or its name). Default "dcgan".
        layer: the name of a hidden layer of the critic whose output is f. Default None:
            the critic's last hidden features (the input of its last layer).

    Example:
    >>> from keras_wgan import losses
    >>> losses.FeatureMatching("dcgan").name
    'dcgan'
    """

    needs_real = True

    def __init__(self, loss="dcgan", layer=None):
        super().__init__(loss)
        if layer is not None and not isinstance(layer, str):
            raise invalid("layer", layer, "None (the last hidden features) or a layer's name")
        self.layer = layer
        self.features = None

    def build(self, model):
        super().build(model)
        if model.num_classes:
            raise ValueError("FeatureMatching is for unconditional models (conditioning=None).")
        self.features = feature_model(model.critic, self.layer)

    def generator_objective(self, model, fake, critic_fn, real):
        # The real features are a constant for the generator.
        real_features = ops.stop_gradient(self.features(real, training=True))
        return functions.feature_matching_loss(
            real_features, self.features(fake, training=True)
        ), None

    def get_config(self):
        return {**super().get_config(), "layer": self.layer}


@_register
class HistoricalAveraging(_Wrapper):
    """Historical averaging (Salimans et al. 2016, section 3.3): each player's loss gains
    weight * ||theta - mean_i theta_i||^2, theta_i its parameters at the start of each of
    its updates so far, the current one included.

    The running means are non-trainable variables of the model: saved and resumed.

    Args:
        loss: the loss it adds to (a component or its name).
        weight: w, the term's weight, > 0.

    Example:
    >>> from keras_wgan import losses
    >>> losses.HistoricalAveraging("dcgan", weight=1e-3).weight
    0.001
    """

    def __init__(self, loss, weight):
        super().__init__(loss)
        self.weight = check_float("weight", weight, positive=True)
        self.averages = {}

    def build(self, model):
        super().build(model)
        self.averages = {}
        for player, network in (("critic", model.critic), ("generator", model.generator)):
            averages = [
                model.add_weight(
                    shape=v.shape,
                    initializer="zeros",
                    trainable=False,
                    name=f"{player}_average_{i}",
                    dtype="float32",
                )
                for i, v in enumerate(network.trainable_variables)
            ]
            count = model.add_weight(
                shape=(), initializer="zeros", trainable=False, name=f"{player}_average_count"
            )
            self.averages[player] = (network, averages, count)

    def regularization(self, model, player):
        term, updates = self.loss.regularization(model, player)
        network, averages, count = self.averages[player]
        params = [v.value for v in network.trainable_variables]
        new_term, new_averages, new_count = functions.historical_average(
            params, [a.value for a in averages], count.value, self.weight
        )
        updates = updates + list(zip(averages, new_averages)) + [(count, new_count)]
        return new_term if term is None else term + new_term, updates

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


#: The names `get` takes, each with the component it builds.
LOSSES = {
    "wgan-gp": WGANGP,
    "wgan-gp-one-sided": lambda: WGANGP(one_sided=True),
    "wgan-clip": WeightClipping,
    "dcgan": DCGAN,
    "minimax": Minimax,
    "lsgan": LSGAN,
    "r1": R1,
    "dragan": DRAGAN,
    "hinge": Hinge,
}


def get(identifier):
    """A loss component from a component, its name or its serialized config.

    As `keras.losses.get` does for Keras's losses: a string names a loss with its
    defaults (`LOSSES`), a dict is what `keras.saving.serialize_keras_object` wrote.

    Raises:
        ValueError: on an unknown name or another type.

    Example:
    >>> from keras_wgan import losses
    >>> losses.get("wgan-gp")
    WGANGP(gp_weight=10.0, one_sided=False)
    """
    if identifier is None:
        raise invalid("loss", None, f"a keras_wgan.losses component or one of {sorted(LOSSES)}")
    return _get(
        "loss",
        identifier,
        GANLoss,
        lambda x: LOSSES[x]() if isinstance(x, str) and x in LOSSES else None,
        f"a keras_wgan.losses component or one of {sorted(LOSSES)}",
    )
