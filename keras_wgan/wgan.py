"""The WGAN model: a generator and a critic trained with `fit`."""

import inspect
import json
import threading
import warnings

import keras
import numpy as np
from keras import ops

from keras_wgan import augment as augment_lib
from keras_wgan import conditioning as conditioning_lib
from keras_wgan import ema as ema_lib
from keras_wgan import losses as losses_lib
from keras_wgan import options, presets
from keras_wgan.architectures.improved import coupling_layers
from keras_wgan.optimizers import OptimizerPair, PerGeneratorStep
from keras_wgan.trainers import Trainer, check_backend
from keras_wgan.trainers.data import (
    check_latent,
    evaluate_arguments,
    fit_arguments,
    runs_to_its_end,
)
from keras_wgan.trainers.nonfinite import NONFINITE_REAL, KerasLossLog, StopOnNonFinite
from keras_wgan.utils import seeding
from keras_wgan.utils.validation import check_choice, check_int, invalid


def _check_metadata(metadata):
    """`metadata` as a JSON round trip (what a reloaded model will hold), or None."""
    if metadata is None:
        return None
    try:
        if not isinstance(metadata, dict):
            raise TypeError("not a dict")
        return json.loads(json.dumps(metadata))
    except (TypeError, ValueError):
        raise ValueError(
            f"Invalid value for argument `metadata`. Received: metadata={metadata!r}. "
            "Expected a JSON-serialisable dict or None."
        ) from None


#: `keras.Model.fit`'s arguments, which `WGAN.fit` takes by position and by name.
_FIT_SIGNATURE = inspect.signature(keras.Model.fit)
_EVALUATE_SIGNATURE = inspect.signature(keras.Model.evaluate)

#: `keras.Model.compile` arguments that a WGAN has no use for.
_UNUSED_COMPILE_ARGUMENTS = ("metrics", "weighted_metrics", "loss_weights")


def _schedule_per_generator_step(optimizer, n_critic):
    """Wraps a learning-rate schedule of the critic's optimiser in `PerGeneratorStep`."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer's
    schedule = getattr(inner, "_learning_rate", None)
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule) and not isinstance(
        schedule, PerGeneratorStep
    ):
        inner.learning_rate = PerGeneratorStep(schedule, n_critic)


_SQUASHING = {"sigmoid", "softmax", "hard_sigmoid", "log_softmax"}


def _squashing_output(critic):
    """The name of a bounded activation the critic's (first) output comes out of, or None.

    Looks at the layer that makes the output of a Sequential or functional critic: an
    activation argument (`Dense(1, activation="sigmoid")`) or an activation layer.
    """
    try:
        if isinstance(critic, keras.Sequential):
            layer = critic.layers[-1]
        else:
            output = critic.outputs[0]
            layer = output._keras_history[0]
    except (AttributeError, IndexError, TypeError, ValueError):  # a subclassed critic
        return None
    if isinstance(layer, keras.layers.Wrapper):  # a spectrally normalised layer, say
        layer = layer.layer
    if isinstance(layer, keras.layers.Softmax):
        return "softmax layer"
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", None)
    if name in _SQUASHING:
        return f"{name} activation (layer {layer.name!r})"
    return None


def _serialize(component):
    return None if component is None else keras.saving.serialize_keras_object(component)


#: `active` while `from_config` builds a model whose weights are then loaded.
_loading = threading.local()


class PresetReplacedWarning(UserWarning):
    """`WGAN.compile` was given an optimiser other than its loss's preset (filter it by
    this class to silence it)."""


def _brief(optimizer):
    """An optimiser as its class and the hyperparameters the presets set, e.g.
    "Adam(learning_rate=0.0001, beta_1=0.0, beta_2=0.9)"."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer's
    config = inner.get_config()
    keys = ("learning_rate", "beta_1", "beta_2", "rho", "momentum")
    shown = []
    for key in keys:
        if key in config:
            value = config[key]
            if isinstance(value, dict):  # a schedule
                value = value.get("class_name", "schedule")
            shown.append(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}")
    return f"{type(inner).__name__}({', '.join(shown)})"


@keras.saving.register_keras_serializable(package="keras_wgan")
class WGAN(Trainer, keras.Model):
    """A generator and a critic trained adversarially, by default with WGAN-GP.

    Implements Algorithm 1 of Gulrajani et al., "Improved Training of Wasserstein GANs"
    (NeurIPS 2017): each `train_step` makes `n_critic` critic updates, each on a fresh real
    batch, with the gradient penalty lambda * E[(||grad D(x-hat)||_2 - 1)^2] at
    x-hat = alpha * x + (1 - alpha) * G(z), alpha ~ U[0, 1] per example, then one
    generator update. It trains on TensorFlow, JAX and PyTorch.

    The options are components, each a serializable object that checks its own arguments:
    the loss and its penalty (`keras_wgan.losses`), class conditioning
    (`keras_wgan.conditioning.ACGAN`), augmentation (`keras_wgan.augment.DiffAugment`,
    `ADA`) and a moving average of the generator (`keras_wgan.ema.EMA`).

    Each batch the dataset yields holds the real data for all `n_critic` critic updates:
    `n_critic * batch_size` examples, split in order into `n_critic` critic batches
    (`keras_wgan.datasets.critic_batches` builds such a dataset).

    Args:
        generator: a built Keras model mapping z of shape [batch, latent_dim] (and int32
            labels [batch] for a conditional model) to samples; `latent_dim` is read
            from its input shape.
        critic: a built Keras model mapping samples to one unbounded score each, shape
            [batch] or [batch, 1] (no sigmoid: the GAN losses take logits), and for a
            conditional model to [score, class_logits].
        loss: a `keras_wgan.losses` component, such as `losses.WGANGP(gp_weight=10.0)`
            (the paper), `losses.WeightClipping(0.01)`, `losses.DCGAN()`, `losses.R1()`,
            or its name ("wgan-gp", "wgan-gp-one-sided", "wgan-clip", "dcgan", "minimax",
            "lsgan", "r1", "dragan", "hinge"). Default "wgan-gp".
        n_critic: critic updates per generator update. Default 5.
        conditioning: None (default), or `keras_wgan.conditioning.ACGAN(num_classes,
            ...)` for a class-conditional model (the paper's AC-GAN form, section 5.2);
            a number of classes means `ACGAN(num_classes)`.
        augment: None (default), `keras_wgan.augment.DiffAugment(policies, probability)`
            or `keras_wgan.augment.ADA(policies, target, kimg)`; a string or a list of
            policies means `DiffAugment(policies)`.
        ema: None (default), or `keras_wgan.ema.EMA(decay, start)`: `generate`, `export`
            and the sampling callbacks then use the moving average of the generator; a
            number means `EMA(decay)`.
        seed: seeds the run: the model's noise (z, alpha, sampled labels,
            augmentation) and, unless `keras.utils.set_random_seed` was called before the
            networks were built (their weights are reproducible then, and kept), the
            networks' initial weights, drawn again from their layers' initializers. With
            a seed, the same script gives the same run in every process. Networks with
            trained weights keep them if the global seed is set, or if they are loaded
            after the WGAN is built (or with `seed=None`). Default None: fresh noise.
        **kwargs: `keras.Model`'s (`name`, `dtype`).

    The training settings that are not components are given to `compile`
    (`generator_batch_size`, `stop_on_nonfinite`); `metadata` is an attribute.

    Raises:
        ValueError: on an argument out of range, a generator whose input size cannot be
            read, or batch normalisation in the critic under a gradient penalty.

    Example:
    >>> import keras, keras_wgan
    >>> g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    >>> d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> gan = keras_wgan.WGAN(g, d, loss=keras_wgan.losses.WGANGP(gp_weight=10.0))
    >>> gan.compile()  # the preset optimisers: Adam(1e-4, beta_1=0, beta_2=0.9)
    >>> gan.generate(3).shape
    (3, 2)

    With an exponential moving average of the generator, which sampling uses:
    >>> gan = keras_wgan.WGAN(g, d, ema=keras_wgan.ema.EMA(0.999, start=1000))
    >>> gan.compile()
    >>> gan.generate(3).shape, gan.generate(3, ema=False).shape  # the raw generator
    ((3, 2), (3, 2))
    """

    def __init__(
        self,
        generator,
        critic,
        *,
        loss="wgan-gp",
        n_critic=5,
        conditioning=None,
        augment=None,
        ema=None,
        seed=None,
        **kwargs,
    ):
        options.check_no_flat_options(kwargs)
        super().__init__(**kwargs)
        # === Networks ===
        for arg, net in (("generator", generator), ("critic", critic)):
            if not isinstance(net, keras.layers.Layer):
                raise ValueError(
                    f"Invalid value for argument `{arg}`. Received: {arg}={net!r}. "
                    "Expected a Keras model."
                )
        self.generator = generator
        self.critic = critic

        # === Components ===
        self.gan_loss = losses_lib.get(loss)
        self.n_critic = check_int("n_critic", n_critic, 1)
        self.conditioning = conditioning_lib.get(conditioning)
        self.augment = augment_lib.get(augment)
        self.ema = ema_lib.get(ema)
        self.seed = seed
        self.latent_dim = self._resolve_latent_dim()
        self.metadata = None
        self.generator_batch_size = None
        self.stop_on_nonfinite = True
        if self.gan_loss.penalized:
            coupled = coupling_layers(critic)
            if coupled:
                raise ValueError(
                    f"The critic contains {', '.join(coupled)}, which the gradient penalty "
                    f"of loss={self.gan_loss!r} cannot be used with: such a layer makes each "
                    "example's score depend on the rest of the batch, while the penalty "
                    "constrains the gradient of each example on its own. Use "
                    "LayerNormalization or no normalisation in the critic, and no "
                    "minibatch discrimination."
                )
        # One critic call on real and fake data concatenated, in place of two: exact when
        # no layer couples the examples of a batch (batch norm would see other statistics).
        self._joint_critic_call = not coupling_layers(critic)

        # === State ===
        self._seed_generator = keras.random.SeedGenerator(seed)
        self._build_networks()
        loading = getattr(_loading, "active", False)
        if isinstance(seed, int) and not loading and not seeding.global_seed_is_set():
            # Networks built from no seed, their weights still as drawn: drawn again from
            # this one, so that `WGAN(seed=...)` alone makes the run reproducible.
            for network, network_seed in ((self.generator, 2 * seed), (self.critic, 2 * seed + 1)):
                if seeding.as_built(network):
                    seeding.redraw_weights(network, network_seed)
        self._check_conditional_networks()
        self.ema_generator = None
        # Own variables in this order (a 0.1 checkpoint's): the loss's, the augmentation's.
        self.gan_loss.build(self)
        if self.ema is not None:
            self.ema.build(self)
        if self.augment is not None:
            self.augment.build(self)
        # One Mean per log, named `_log_metrics`: TensorFlow's Layer already has `_tracked`.
        self._log_metrics = {name: keras.metrics.Mean(name=name) for name in self._metric_names()}
        # A count, not a mean: one bad batch keeps it above 0 for the rest of the
        # epoch, also when `steps_per_execution` shows the callbacks only every N steps.
        self._log_metrics[NONFINITE_REAL] = keras.metrics.Sum(name=NONFINITE_REAL)
        self.built = True

    @property
    def num_classes(self):
        """K of a conditional model (`conditioning`), else None."""
        return None if self.conditioning is None else self.conditioning.num_classes

    @property
    def metadata(self):
        """A JSON-serialisable dict kept with the model and saved in its config, so that
        it travels inside every checkpoint (`keras-wgan train` records the settings of its
        run here and checks a rerun against them), or None."""
        return self._metadata

    @metadata.setter
    def metadata(self, value):
        self._metadata = _check_metadata(value)

    # --- construction helpers -------------------------------------------------------

    def _resolve_latent_dim(self):
        try:
            shape = self.generator.input_shape
            if self.num_classes and isinstance(shape, list):
                shape = shape[0]
            if isinstance(shape, tuple) and len(shape) == 2 and shape[1] is not None:
                return int(shape[1])
        except (AttributeError, ValueError):
            pass
        if not self.num_classes and isinstance(getattr(self.generator, "inputs", None), list):
            if len(self.generator.inputs) == 2:
                raise ValueError(
                    "The generator takes two inputs, as a conditional generator takes "
                    "[z, labels]: pass `conditioning=keras_wgan.conditioning.ACGAN(num_classes)`."
                )
        raise ValueError(
            "Could not read the latent size from the generator's input shape: build it "
            "from `keras.Input((latent_dim,))` (and a labels input for a conditional "
            "model), or call `generator.build((None, latent_dim))` first."
        )

    def generator_input_shape(self):
        """The generator's input shape(s): (None, latent_dim), and (None,) for labels."""
        z = (None, self.latent_dim)
        return [z, (None,)] if self.num_classes else z

    def _generator_input_spec(self):
        z = keras.KerasTensor((None, self.latent_dim))
        return [z, keras.KerasTensor((None,), dtype="int32")] if self.num_classes else z

    def _build_networks(self):
        try:
            spec = self.generator.compute_output_spec(self._generator_input_spec())
        except ValueError as error:
            takes = (
                "[z, labels] (latent codes and int class labels)"
                if self.num_classes
                else f"z of shape (batch, {self.latent_dim})"
            )
            raise ValueError(
                f"The generator cannot take {takes}"
                + (f", as num_classes={self.num_classes} needs" if self.num_classes else "")
                + f": {error}"
            ) from None
        self.sample_shape = tuple(spec.shape)
        if not self.critic.built:
            self.critic.build(self.sample_shape)

    def _check_conditional_networks(self):
        outputs = self.critic.compute_output_spec(keras.KerasTensor(self.sample_shape))
        score = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
        if tuple(score.shape[1:]) not in ((), (1,)):
            raise ValueError(
                f"The critic must return one score per example, of shape (batch,) or "
                f"(batch, 1); it returns {tuple(score.shape)}. Give its last layer one "
                "unit, e.g. `keras.layers.Dense(1)`."
            )
        squashing = _squashing_output(self.critic)
        if squashing:
            raise ValueError(
                f"The critic's score comes out of a {squashing}. A WGAN critic returns "
                "unbounded scores, and the other losses take logits (they apply the sigmoid "
                "themselves): remove the activation of the critic's last layer."
            )
        two = isinstance(outputs, (list, tuple)) and len(outputs) == 2
        if self.num_classes and not (two and outputs[1].shape[-1] == self.num_classes):
            raise ValueError(
                f"A conditional WGAN (num_classes={self.num_classes}) needs a critic with two "
                f"outputs [score, class_logits of size {self.num_classes}] (an AC-GAN head); "
                f"the critic returns {outputs}."
            )
        if not self.num_classes and isinstance(outputs, (list, tuple)):
            raise ValueError(
                "The critic returns several outputs; pass `conditioning=ACGAN(num_classes)` for a conditional "
                "(AC-GAN) model, or give the critic a single score output."
            )

    def sampling_generator(self, ema=None):
        """The generator that sampling uses: the EMA's shadow generator or the raw one.

        Args:
            ema: None (default): the shadow generator if the model keeps one (`ema` set),
                else the generator; True: the shadow generator (a ValueError without
                one); False: the raw generator.

        Returns:
            A Keras model.
        """
        if ema not in (None, True, False):
            raise invalid("ema", ema, "None (the shadow generator if any), True or False")
        if ema and self.ema_generator is None:
            raise invalid(
                "ema",
                ema,
                "None or False: this model keeps no moving average of its generator "
                "(create it with `WGAN(..., ema=keras_wgan.ema.EMA(0.999))`)",
            )
        if ema is False or self.ema_generator is None:
            return self.generator
        return self.ema_generator

    @property
    def augment_p(self):
        """p, the current probability of each augmentation policy (ADA moves it), as a
        float; None without augmentation."""
        if self.augment is None:
            return None
        self._sync_variables()
        return float(ops.convert_to_numpy(self.augment.state[0]))

    def _generator_values(self, generator):
        """(trainable, non-trainable) values for `self.generator.stateless_call` that make
        it compute `generator` (itself, or the shadow generator of the same weights)."""
        if generator is self.generator:
            source = {}
        else:
            source = {id(w): s for s, w, _ in self.ema.pairs}
        return (
            [source.get(id(v), v).value for v in self.generator.trainable_variables],
            [source.get(id(v), v).value for v in self.generator.non_trainable_variables],
        )

    def _metric_names(self):
        names = ["critic_loss", "generator_loss", "wasserstein_estimate"]
        if self.gan_loss.penalized:
            names += ["gradient_penalty", "grad_norm"]
        for component in (self.conditioning, self.augment):
            if component is not None:
                names += list(component.log_names)
        return names

    @property
    def metrics(self):
        return [
            metric
            for name, metric in self._log_metrics.items()
            if name != NONFINITE_REAL or self.stop_on_nonfinite
        ]

    # --- compile / config -----------------------------------------------------------

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        generator_batch_size=None,
        stop_on_nonfinite=None,
        **kwargs,
    ):
        """Configures the model for training.

        After `compile`, `model.optimizer` is an `OptimizerPair` of both optimisers, as
        Keras's callbacks see it (`ReduceLROnPlateau` and `LearningRateScheduler` change
        both learning rates, `TensorBoard` counts generator steps), and
        `model.learning_rate` is the generator's learning rate: setting it scales the
        critic's by the same factor.

        A learning-rate schedule of the critic's optimiser is evaluated at the generator
        step (it is wrapped in `keras_wgan.optimizers.PerGeneratorStep`), so one schedule
        means the same on both optimisers: `PolynomialDecay(..., decay_steps=N)` ends at
        generator step N for both.

        Args:
            d_optimizer: the critic's optimiser. Defaults to the preset of the loss
                (`keras_wgan.presets`), e.g. Adam(1e-4, beta_1=0, beta_2=0.9) for WGAN-GP.
            g_optimizer: the generator's optimiser, with the same default. Each network
                needs an optimiser of its own (their state is per variable).
            generator_batch_size: batch size of the generator update. Default None: the
                critic batch size (the paper's CIFAR-10 ResNet uses 128 against the
                critic's 64).
            stop_on_nonfinite: `fit` stops with a `FloatingPointError` naming the
                generator step at the first real batch holding NaN or infinity (the step
                logs how many there were this epoch as `nonfinite_real_batches`) or the
                first NaN or infinite loss, before any other callback of that batch runs
                (and so before a checkpoint callback can save the corrupted weights).
                Default None: as set before, at first True; False trains on (the
                checkpoint callbacks and the export still refuse non-finite weights).
            **kwargs: passed to `keras.Model.compile` (`jit_compile`,
                `steps_per_execution`, `run_eagerly`).

        Raises:
            ValueError: `optimizer`, `loss` or `metrics` given (the model has two
                optimisers, its losses are chosen with `WGAN(loss=...)` and it logs its
                own metrics; score samples with `keras_wgan.callbacks.Evaluation`), or
                one optimiser object given for both networks.
        """
        self._compile(
            d_optimizer,
            g_optimizer,
            per_generator_step=True,
            generator_batch_size=generator_batch_size,
            stop_on_nonfinite=stop_on_nonfinite,
            **kwargs,
        )
        self._say_which_preset_is_replaced(d_optimizer, g_optimizer)

    def _say_which_preset_is_replaced(self, d_optimizer, g_optimizer):
        """Warns once when `compile` was given an optimiser other than the loss's preset:
        `compile("adam", "adam")` is Keras's Adam(1e-3, beta_1=0.9), not the paper's."""
        presets_ = presets.optimizers(self.gan_loss.name)
        replaced = [
            f"the {network}'s {_brief(mine)} replaces its preset {_brief(preset)}"
            for network, given, mine, preset in zip(
                ("critic", "generator"),
                (d_optimizer, g_optimizer),
                (self.d_optimizer, self.g_optimizer),
                presets_,
            )
            if given is not None and _brief(mine) != _brief(preset)
        ]
        if replaced:
            warnings.warn(
                f"WGAN.compile: {'; '.join(replaced)} (the {self.gan_loss.name!r} preset, "
                "keras_wgan.presets). `compile()` without optimisers uses the preset.",
                PresetReplacedWarning,
                stacklevel=3,
            )

    def _compile(
        self,
        d_optimizer,
        g_optimizer,
        per_generator_step,
        generator_batch_size=None,
        stop_on_nonfinite=None,
        **kwargs,
    ):
        check_backend()
        if generator_batch_size is not None:
            self.generator_batch_size = check_int("generator_batch_size", generator_batch_size, 1)
        if stop_on_nonfinite is not None:
            if not isinstance(stop_on_nonfinite, bool):
                raise invalid("stop_on_nonfinite", stop_on_nonfinite, "True or False")
            self.stop_on_nonfinite = stop_on_nonfinite
        if "optimizer" in kwargs or "loss" in kwargs:
            raise ValueError(
                "WGAN.compile takes `d_optimizer` and `g_optimizer`; the loss is chosen "
                "with `WGAN(loss=...)`."
            )
        given = [name for name in _UNUSED_COMPILE_ARGUMENTS if kwargs.get(name) is not None]
        if given:
            raise ValueError(
                f"WGAN.compile does not take `{given[0]}`: a WGAN logs its own metrics "
                f"({', '.join(self._metric_names())}) and has no targets to score. Score "
                "its samples during training with the callback "
                "`keras_wgan.callbacks.Evaluation`."
            )
        if (
            d_optimizer is not None
            and d_optimizer is g_optimizer
            and not isinstance(d_optimizer, (str, dict))
        ):
            raise ValueError(
                "Invalid value for arguments `d_optimizer` and `g_optimizer`: they are one "
                "optimiser object. The critic and the generator each need an optimiser of "
                "their own (an optimiser keeps state per variable and counts its own "
                "updates); pass two, e.g. `keras.optimizers.Adam(1e-4, beta_1=0.0, "
                "beta_2=0.9)` twice."
            )
        default_d, default_g = presets.optimizers(self.gan_loss.name)
        self.d_optimizer = keras.optimizers.get(d_optimizer) if d_optimizer else default_d
        self.g_optimizer = keras.optimizers.get(g_optimizer) if g_optimizer else default_g
        if per_generator_step:
            _schedule_per_generator_step(self.d_optimizer, self.n_critic)
        if self._float16():
            # float16 gradients underflow without loss scaling; Keras's compile wraps only
            # `model.optimizer`, so each GAN optimiser is wrapped here.
            self.d_optimizer, self.g_optimizer = (
                opt
                if isinstance(opt, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(opt)
                for opt in (self.d_optimizer, self.g_optimizer)
            )
        # optimizer=None: else Keras creates an unused RMSprop as `model.optimizer`.
        super().compile(optimizer=None, **kwargs)
        # Build the optimiser state now: loading weights into an unbuilt optimiser drops it.
        self.d_optimizer.build(self.critic.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        self._on_compile()
        self.optimizer = OptimizerPair(self.d_optimizer, self.g_optimizer)

    @property
    def learning_rate(self):
        """The generator's learning rate; setting it scales the critic's by the same
        factor (see `OptimizerPair`). None before `compile`."""
        optimizer = getattr(self, "optimizer", None)
        return optimizer.learning_rate if isinstance(optimizer, OptimizerPair) else None

    @learning_rate.setter
    def learning_rate(self, value):
        if not isinstance(getattr(self, "optimizer", None), OptimizerPair):
            raise RuntimeError("Call `compile()` before setting the learning rate.")
        self.optimizer.learning_rate = value

    def fit(self, *args, **kwargs):
        """Trains the model (`keras.Model.fit`), stopping at the first non-finite value.

        The data comes as for any Keras model, with `batch_size` the examples of one
        critic update (default 32):

        - arrays: `x`, and `y` as the labels of a conditional model. An epoch is one
          pass over a fresh permutation of the data (`shuffle=False`: in order),
          N // (n_critic * batch_size) generator steps. `validation_split` and
          `validation_data` work as in Keras (the validation step reports the
          Wasserstein estimate on the held-out data).
        - a `tf.data.Dataset` batched the Keras way, `ds.batch(batch_size)` (or
          (examples, labels) pairs): every n_critic consecutive batches make one
          generator step; a batch of another size than the first (the short last one)
          is left out. `keras_wgan.datasets.critic_batches` yields such batches and
          repeats forever: give it `steps_per_epoch` (generator steps per epoch).
        - a finite `tf.data.Dataset` of single examples: batched by `batch_size` in
          order, the last partial step dropped.
        - a `keras.utils.PyDataset` or a Python generator of batches (examples, or
          (examples, labels)): n_critic consecutive batches per generator step, as for
          a dataset.

        Every kind of input is checked before training starts, by the name of the
        argument that holds it (`x`, `y`, `validation_data`): the examples' shape and
        float dtype, the labels' presence, dtype and range. `validation_data` is
        batched like `x` (single examples of a dataset, and arrays, by `batch_size`).

        Unless `stop_on_nonfinite=False`, a `StopOnNonFinite` callback runs first after
        each batch (one already among `callbacks`, such as
        `keras_wgan.callbacks.NonFiniteLoss`, is moved first instead of doubled).

        Args:
            *args: `keras.Model.fit`'s arguments, by position.
            **kwargs: `keras.Model.fit`'s arguments, by name.

        Returns:
            The `History` of `keras.Model.fit`.

        Raises:
            ValueError: data that does not fit the model (shape, integer dtype, NaN or
                infinity in arrays, labels missing, given to an unconditional model or out
                of range), fewer examples than one step reads, `sample_weight` or
                `class_weight`, or a dataset that repeats forever without
                `steps_per_epoch`.
            FloatingPointError: at the first real batch holding NaN or infinity, or the
                first NaN or infinite log, naming the generator step.

        Example:
        >>> import keras, numpy as np, keras_wgan
        >>> g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        >>> d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> gan = keras_wgan.WGAN(g, d, seed=0)
        >>> gan.compile()
        >>> points = np.random.default_rng(0).normal(size=(1000, 2)).astype("float32")
        >>> history = gan.fit(points, batch_size=50, epochs=2, verbose=0)
        >>> int(gan.generator_step())  # 2 epochs of 1000 // (5 * 50) steps
        8
        """
        try:
            bound = _FIT_SIGNATURE.bind(self, *args, **kwargs)
        except TypeError as error:
            raise TypeError(f"fit() {error}") from None
        arguments = dict(bound.arguments)
        del arguments["self"]
        arguments = fit_arguments(self, arguments)
        callbacks = [
            KerasLossLog(c) if isinstance(c, keras.callbacks.TerminateOnNaN) else c
            for c in arguments.pop("callbacks", None) or []
        ]
        if self.stop_on_nonfinite:
            checks = [c for c in callbacks if isinstance(c, StopOnNonFinite)] or [StopOnNonFinite()]
            # First: it must raise before a later callback saves this batch's weights.
            callbacks = checks + [c for c in callbacks if not isinstance(c, StopOnNonFinite)]
        with warnings.catch_warnings():
            if runs_to_its_end(arguments):
                warnings.filterwarnings("ignore", message="Your input ran out of data")
            return super().fit(callbacks=callbacks, **arguments)

    def _float16(self):
        return any(
            getattr(network.dtype_policy, "compute_dtype", None) == "float16"
            for network in (self.generator, self.critic)
        )

    def get_compile_config(self):
        if not getattr(self, "compiled", False) or not hasattr(self, "d_optimizer"):
            return {}
        return {
            "d_optimizer": keras.optimizers.serialize(self.d_optimizer),
            "g_optimizer": keras.optimizers.serialize(self.g_optimizer),
            "generator_batch_size": self.generator_batch_size,
            "stop_on_nonfinite": self.stop_on_nonfinite,
        }

    def compile_from_config(self, config):
        # As saved: a critic's schedule saved unwrapped (before `PerGeneratorStep`) keeps
        # the meaning it was trained with.
        self._compile(
            d_optimizer=keras.optimizers.deserialize(config["d_optimizer"]),
            g_optimizer=keras.optimizers.deserialize(config["g_optimizer"]),
            per_generator_step=False,
            generator_batch_size=config.get("generator_batch_size"),
            stop_on_nonfinite=config.get("stop_on_nonfinite"),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "generator": keras.saving.serialize_keras_object(self.generator),
                "critic": keras.saving.serialize_keras_object(self.critic),
                "loss": _serialize(self.gan_loss),
                "n_critic": self.n_critic,
                "conditioning": _serialize(self.conditioning),
                "augment": _serialize(self.augment),
                "ema": _serialize(self.ema),
                "seed": self.seed,
                "metadata": self.metadata,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        """A WGAN from `get_config`'s dict; a 0.1 config (flat options such as
        `gp_weight`, `num_classes`, `ema_start`) is migrated to components."""
        config = dict(config)
        for key in ("generator", "critic"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        metadata = config.pop("metadata", None)
        training = {}
        if options.is_legacy_config(config):
            config, training = options.migrate_config(config)
        _loading.active = True  # the weights that follow are the model's: nothing to draw
        try:
            model = cls(**config)
        finally:
            _loading.active = False
        model.metadata = metadata
        if training.get("generator_batch_size") is not None:
            model.generator_batch_size = training["generator_batch_size"]
        if training.get("stop_on_nonfinite") is not None:
            model.stop_on_nonfinite = training["stop_on_nonfinite"]
        return model

    # --- saving ---------------------------------------------------------------------

    _SEED_STATE = "seed_generator_state"

    def save_own_variables(self, store):
        """Saves the model's own variables and the state of its noise generator.

        Keras does not save a `SeedGenerator`'s state with the weights; without it a
        resumed run would redraw the z and alpha it drew before the checkpoint.
        """
        super().save_own_variables(store)
        store[self._SEED_STATE] = self._seed_generator.state.numpy()

    def load_own_variables(self, store):
        own = self._trainable_variables + self._non_trainable_variables
        keys = [k for k in store.keys() if k != self._SEED_STATE]
        if len(keys) != len(own):
            raise ValueError(
                f"The checkpoint holds {len(keys)} variables of the WGAN itself; the "
                f"model has {len(own)}."
            )
        for i, variable in enumerate(own):
            variable.assign(store[str(i)])
        if self._SEED_STATE in store.keys():  # checkpoints written before it was saved lack it
            self._seed_generator.state.assign(store[self._SEED_STATE])

    # --- inference ------------------------------------------------------------------

    def call(self, inputs, training=False):
        """Generates samples from z (or [z, labels] for a conditional model)."""
        return self.generator(inputs, training=training)

    def predict(self, x, *args, **kwargs):
        """Samples generated from latent points, as for any Keras model (`call`).

        `x` is z, float32 `[N, latent_dim]`, or `[z, labels]` for a conditional model;
        anything else is refused by name before any work (`generate` draws z for you).
        The other arguments are `keras.Model.predict`'s.

        Raises:
            ValueError: an array that is not a batch of latent points (real examples,
                for instance: score those with `evaluate` or the critic), or missing or
                out-of-range labels.
        """
        check_latent(self, x)
        return super().predict(x, *args, **kwargs)

    def evaluate(self, x=None, *args, **kwargs):
        """The critic's Wasserstein estimate E[D(x)] - E[D(G(z))] on held-out real
        examples, as `fit` logs it for `validation_data`: `loss` and
        `wasserstein_estimate` (the same number; lower is better).

        `x` is real examples as `fit` takes them (arrays, a `tf.data.Dataset` of single
        examples or of batches); labels are optional. It is checked as `fit`'s data is,
        by argument name, and arrays or single examples are batched by `batch_size`
        (default 32). The other arguments are `keras.Model.evaluate`'s.

        Raises:
            ValueError: no data, or data that does not fit the model (shape, integer
                dtype, NaN or infinity, labels out of range), naming the argument.
        """
        bound = _EVALUATE_SIGNATURE.bind(self, x, *args, **kwargs).arguments
        del bound["self"]
        bound.update(bound.pop("kwargs", {}))
        return super().evaluate(**evaluate_arguments(self, bound))

    def generate(self, n_or_z, labels=None, batch_size=256, seed=None, batch_stats=False, ema=None):
        """Generates samples as a NumPy array, in inference mode by default.

        By default the generator runs with `training=False`: its batch norm layers use
        their moving averages, so a sample does not depend on the others generated with
        it (and the TF Serving export, which keeps this inference mode, serves a batch of
        one). The paper's code has no inference mode: its generator always normalises with
        the statistics of the batch, also when it draws the samples of its Inception
        Scores (100 at a time). `batch_stats=True` follows that protocol: each generator
        call runs in training mode, with the batch statistics of its chunk, and leaves
        every variable of the model as it was (the moving means and variances are not
        updated). It changes nothing for a generator without batch norm (or dropout).

        Args:
            n_or_z: a number of samples, or latent vectors of shape [n, latent_dim].
            labels: class labels of shape [n] for a conditional model; drawn uniformly
                (from `seed`) when omitted.
            batch_size: the most samples per generator call; the n samples are split into
                ceil(n / batch_size) chunks whose sizes differ by at most one (so that with
                `batch_stats` no chunk's statistics come from a handful of samples).
            seed: seeds the z (and labels) drawn for a number of samples.
            batch_stats: normalise with the statistics of each chunk (the paper's
                sampling protocol; `batch_size=100` is its chunk) rather than the moving
                averages.
            ema: which generator draws the samples (see `sampling_generator`): by
                default the moving average's shadow generator when the model keeps one
                (`WGAN(ema=...)`), else the generator; False: the raw generator.

        Returns:
            A NumPy array with the generator's output for each z.

        Raises:
            ValueError: on bad `z` or `labels`, a `batch_size` < 1, or `batch_stats` with
                a chunk of a single sample (whose batch statistics are degenerate).
        """
        self._sync_variables()
        generator = self.sampling_generator(ema)
        batch_size = check_int("batch_size", batch_size, 1)
        rng = np.random.default_rng(seed)
        if isinstance(n_or_z, (int, np.integer)) and not isinstance(n_or_z, bool):
            n = check_int("n", n_or_z, 1)
            z = rng.standard_normal((n, self.latent_dim))
        else:
            z = np.asarray(n_or_z)
            if z.ndim != 2 or z.shape[1] != self.latent_dim:
                raise ValueError(
                    f"Invalid value for argument `z`. Received shape {z.shape}. "
                    f"Expected [n, {self.latent_dim}]."
                )
        z = z.astype("float32")
        inputs = [z]
        if self.num_classes:
            if labels is None:
                labels = rng.integers(self.num_classes, size=len(z))
            labels = np.asarray(labels)
            if labels.shape != (len(z),) or labels.min() < 0 or labels.max() >= self.num_classes:
                raise ValueError(
                    f"Invalid value for argument `labels`: expected {len(z)} integers in "
                    f"[0, {self.num_classes}), received shape {labels.shape}."
                )
            inputs.append(labels.astype("int32"))
        elif labels is not None:
            raise ValueError("`labels` are only for a conditional model (num_classes set).")
        num_chunks = -(-len(z) // batch_size)
        bounds = np.cumsum([0] + [len(c) for c in np.array_split(np.arange(len(z)), num_chunks)])
        if batch_stats:
            if len(z) < 2 * num_chunks:
                raise ValueError(
                    f"batch_stats=True needs at least 2 samples per generator call; "
                    f"received {len(z)} samples with batch_size={batch_size}."
                )
            # The variables' values, passed in: the moving statistics the training-mode
            # call computes come back as new values, which are dropped.
            # The shadow generator runs as the generator on its values: a frozen
            # (non-trainable) model's batch norm would keep its moving averages.
            trainable, non_trainable = self._generator_values(generator)

            def run(chunk):
                outputs, _ = self.generator.stateless_call(
                    trainable, non_trainable, chunk, training=True
                )
                return outputs
        else:

            def run(chunk):
                return generator(chunk, training=False)

        outputs = []
        for start, stop in zip(bounds[:-1], bounds[1:]):
            chunk = [x[start:stop] for x in inputs]
            chunk = chunk if self.num_classes else chunk[0]
            outputs.append(ops.convert_to_numpy(run(chunk)))
        # float32 whatever the compute dtype (mixed precision computes in float16/bfloat16).
        return np.concatenate(outputs, axis=0).astype("float32", copy=False)

    # --- export -----------------------------------------------------------------------

    #: {format: function(model, filepath, verbose, **options)}: what `export` writes.
    #: The TF Serving export is built on TensorFlow and sits above this module in the
    #: package's layers (`keras_wgan.export`), so this module does not import it, not even
    #: by name inside a function: that would hide an upward dependency from the layers
    #: contract. The package's facade, `keras_wgan/__init__.py` (which Python runs before
    #: any of its modules, so before any `WGAN` exists), registers it here and imports it
    #: on the first export; `import keras_wgan` stays free of TensorFlow on JAX.
    _export_formats = {}

    @classmethod
    def register_export_format(cls, format, exporter):
        """Makes `export(filepath, format=format, ...)` call
        `exporter(model, filepath, verbose=..., **options)`."""
        cls._export_formats[format] = exporter

    def export(
        self,
        filepath,
        format="tf_saved_model",
        verbose=None,
        input_signature=None,
        max_samples=None,
        ema=None,
        **kwargs,
    ):
        """Exports the generator for inference, as `keras.Model.export` does a model.

        `filepath` is the SavedModel folder itself, as in Keras:
        `tf.saved_model.load(filepath)` loads it and TF Serving serves it. It holds the
        export `keras_wgan.export_generator` writes into a version folder: the generator
        in inference mode, the signatures `serving_default` (z, and labels for a
        conditional model) and `generate_from_seed`, their input checks, the outputs
        (`samples`, and `images_uint8` or `tokens` and `text`) and `keras_wgan.json`; on
        the TensorFlow and the JAX backend alike. For TF Serving's numbered layout
        (`base/<version>/`, the next version each time), use `export_generator`.

        The folder is written under a temporary name and renamed into place; an existing
        folder that is not empty is never overwritten (`FileExistsError`).

        Args:
            filepath: the SavedModel folder to write; must not exist, or be empty.
            format: "tf_saved_model" (default), "onnx" or "litert": one file at
                `filepath` (`keras_wgan.export.export_file`: no input checks, no
                `max_samples`). Keras's others ("openvino", "torch") raise
                `NotImplementedError`.
            verbose: print where the export went. Default (None) True, as in Keras.
            input_signature: must be None: the signatures are fixed (z is float32
                [batch, latent_dim]; labels int32 [batch]).
            max_samples: the most samples one request may ask for; default 1024 (see
                `export_generator`).
            ema: which generator is exported (see `sampling_generator`): by default the
                moving average's shadow generator when the model keeps one, else the
                generator; False: the raw generator.

        Returns:
            `filepath`, as a string.

        Example:
        >>> gan.export("exported/digits")  # doctest: +SKIP
        >>> f = tf.saved_model.load("exported/digits").signatures["serving_default"]  # doctest: +SKIP
        """
        formats = tuple(self._export_formats)
        if format in ("onnx", "openvino", "litert", "torch") and format not in formats:
            raise NotImplementedError(
                f"`export` writes the formats {list(formats)} (the generator's TF Serving "
                f"export, ONNX, LiteRT). Received: format={format!r}."
            )
        exporter = self._export_formats[check_choice("format", format, formats)]
        if input_signature is not None:
            raise ValueError(
                "Invalid value for argument `input_signature`. Received: input_signature="
                f"{input_signature!r}. Expected None: the export's signatures are fixed "
                "(z float32 [batch, latent_dim], labels int32 [batch])."
            )
        if kwargs:
            raise TypeError(f"`export` got unexpected keyword arguments: {sorted(kwargs)}.")
        self.sampling_generator(ema)  # checked before anything is written
        extra = {} if max_samples is None else {"max_samples": max_samples}
        if ema is not None:
            extra["ema"] = ema
        return exporter(self, filepath, verbose=True if verbose is None else verbose, **extra)
