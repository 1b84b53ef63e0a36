"""The WGAN model: a generator and a critic trained with `fit`."""

import dataclasses
import functools

import keras
import numpy as np
from keras import ops

from keras_wgan import losses as losses_lib
from keras_wgan import presets
from keras_wgan.architectures import improved
from keras_wgan.architectures.improved import coupling_layers
from keras_wgan.trainers import Trainer, check_backend
from keras_wgan.utils.validation import check_choice, check_float, check_int


#: What the critic's class loss of a conditional model classifies (see `WGAN`).
CONDITIONING = ("ac-gan-paper", "ac-gan")


@keras.saving.register_keras_serializable(package="keras_wgan")
class WGAN(Trainer, keras.Model):
    """A generator and a critic trained adversarially, by default with WGAN-GP.

    Implements Algorithm 1 of Gulrajani et al., "Improved Training of Wasserstein GANs"
    (NeurIPS 2017): each `train_step` makes `n_critic` critic updates, each on a fresh real
    batch, with the gradient penalty lambda * E[(||grad D(x-hat)||_2 - 1)^2] at
    x-hat = alpha * x + (1 - alpha) * G(z), alpha ~ U[0, 1] per example, then one
    generator update. The other losses the paper compares are available by name.

    Each batch the dataset yields holds the real data for all `n_critic` critic updates:
    `n_critic * batch_size` examples, split in order into `n_critic` critic batches
    (`keras_wgan.datasets.critic_batches` builds such a dataset).

    Args:
        generator: a built Keras model mapping z of shape [batch, latent_dim] to samples.
        critic: a built Keras model mapping samples to one unbounded score each, shape
            [batch] or [batch, 1] (no sigmoid: the GAN losses take logits).
        latent_dim: size of z. Defaults to the generator's input size.
        n_critic: critic updates per generator update. Default 5.
        loss: one of "wgan-gp" (default, the paper), "wgan-gp-one-sided",
            "wgan-clip" (weight clipping, Arjovsky et al. 2017), "dcgan" (non-saturating),
            "minimax" (Goodfellow et al. 2014), "lsgan" (Mao et al. 2017).
        gp_weight: lambda, the penalty's weight. Default 10.
        clip_value: c, the weight-clipping bound for "wgan-clip". Default 0.01.
        generator_batch_size: batch size of the generator update. Defaults to the critic
            batch size (the paper's CIFAR-10 ResNet uses 128 against the critic's 64).
        seed: seed of the model's noise (z, alpha, sampled labels), for reproducible runs.
        num_classes: K for a class-conditional model (the paper's AC-GAN form, section
            5.2): the generator takes [z, labels] (labels int32 [batch]), the critic returns
            [score, class_logits], and the dataset yields (images, labels).
        ac_weight_critic: weight of the critic's class loss. Default 1.0.
        ac_weight_generator: weight of the generator's class loss. Default 0.1.
        conditioning: what the critic's class loss classifies (conditional models only):
            "ac-gan-paper" (default), the real images only, as in the paper's code
            (gan_cifar_resnet.py); or "ac-gan", the real images and the generated ones
            with the classes they were generated for, as in Odena et al. 2017 (AC-GAN,
            section 3): on small datasets the real-only head memorises the training set
            and the generator learns to fool it instead of following its labels.
        feature_matching: the generator's loss becomes ||E f(x) - E f(G(z))||^2 over the
            critic's features f (Salimans et al. 2016, section 3.1): True for the critic's
            last hidden features (the input of its last layer), or the name of one of its
            hidden layers. The real batch is the step's last critic batch. Default None.
        historical_averaging: weight w of the term w * ||theta - mean_i theta_i||^2 added
            to each player's loss, theta_i the player's parameters at the start of each of
            its updates so far, the current one included (section 3.3); the averages are
            non-trainable state, saved and resumed. Default 0 (off).
        label_smoothing: the discriminator's real target alpha (one-sided smoothing,
            section 3.4; 0.9 is usual), or (alpha, beta) for a fake target beta too; for
            the "dcgan" and "minimax" losses only. Default None (targets 1 and 0).

    Raises:
        ValueError: on an argument out of range, a `latent_dim` that does not match the
            generator, or batch normalisation in the critic under a gradient penalty.

    Example:
    >>> import keras, keras_wgan
    >>> g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    >>> d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> gan = keras_wgan.WGAN(g, d)
    >>> gan.compile()  # the preset optimisers: Adam(1e-4, beta_1=0, beta_2=0.9)
    >>> gan.generate(3).shape
    (3, 2)
    """

    def __init__(
        self,
        generator,
        critic,
        latent_dim=None,
        n_critic=5,
        loss="wgan-gp",
        gp_weight=10.0,
        clip_value=0.01,
        generator_batch_size=None,
        seed=None,
        num_classes=None,
        ac_weight_critic=1.0,
        ac_weight_generator=0.1,
        conditioning="ac-gan-paper",
        feature_matching=None,
        historical_averaging=0.0,
        label_smoothing=None,
        **kwargs,
    ):
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

        # === Arguments ===
        self.loss_spec = losses_lib.get(loss)
        self.loss_name = loss
        self.n_critic = check_int("n_critic", n_critic, 1)
        self.gp_weight = check_float("gp_weight", gp_weight)
        self.clip_value = check_float("clip_value", clip_value, positive=True)
        self.generator_batch_size = (
            None
            if generator_batch_size is None
            else check_int("generator_batch_size", generator_batch_size, 1)
        )
        self.num_classes = None if num_classes is None else check_int("num_classes", num_classes, 2)
        self.ac_weight_critic = check_float("ac_weight_critic", ac_weight_critic)
        self.ac_weight_generator = check_float("ac_weight_generator", ac_weight_generator)
        self.conditioning = check_choice("conditioning", conditioning, CONDITIONING)
        self.latent_dim = self._resolve_latent_dim(latent_dim)
        self.seed = seed
        if self.loss_spec.penalty:
            coupled = coupling_layers(critic)
            if coupled:
                raise ValueError(
                    f"The critic contains {', '.join(coupled)}, which the gradient penalty "
                    f"of loss={loss!r} cannot be used with: such a layer makes each example's "
                    "score depend on the rest of the batch, while the penalty constrains "
                    "the gradient of each example on its own. Use LayerNormalization or no "
                    "normalisation in the critic, and no minibatch discrimination."
                )

        # One critic call on real and fake data concatenated, in place of two: exact when
        # no layer couples the examples of a batch (batch norm would see other statistics).
        self.joint_critic_call = not coupling_layers(critic)
        self._init_improved_techniques(feature_matching, historical_averaging, label_smoothing)

        # === State ===
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._build_networks()
        self._check_conditional_networks()
        self._build_improved_techniques()
        self.tracked = {
            name: keras.metrics.Mean(name=name) for name in self._metric_names()
        }
        self.built = True

    # --- construction helpers -------------------------------------------------------

    def _resolve_latent_dim(self, latent_dim):
        inferred = None
        try:
            shape = self.generator.input_shape
            if self.num_classes and isinstance(shape, list):
                shape = shape[0]
            if isinstance(shape, tuple) and len(shape) == 2 and shape[1] is not None:
                inferred = int(shape[1])
        except (AttributeError, ValueError):
            pass
        if latent_dim is None:
            if inferred is None:
                raise ValueError(
                    "Could not infer `latent_dim` from the generator; pass "
                    "`latent_dim=` explicitly."
                )
            return inferred
        latent_dim = check_int("latent_dim", latent_dim, 1)
        if inferred is not None and inferred != latent_dim:
            raise ValueError(
                f"Invalid value for argument `latent_dim`. Received: latent_dim={latent_dim}, "
                f"but the generator takes inputs of shape {self.generator.input_shape}."
            )
        return latent_dim

    def _generator_input_spec(self):
        z = keras.KerasTensor((None, self.latent_dim))
        return [z, keras.KerasTensor((None,), dtype="int32")] if self.num_classes else z

    def _build_networks(self):
        if not self.generator.built:
            self.generator.build(
                [(None, self.latent_dim), (None,)] if self.num_classes else (None, self.latent_dim)
            )
        try:
            spec = self.generator.compute_output_spec(self._generator_input_spec())
        except ValueError as error:
            takes = ("[z, labels] (latent codes and int class labels)" if self.num_classes
                     else f"z of shape (batch, {self.latent_dim})")
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
        two = isinstance(outputs, (list, tuple)) and len(outputs) == 2
        if self.num_classes and not (two and outputs[1].shape[-1] == self.num_classes):
            raise ValueError(
                f"A conditional WGAN (num_classes={self.num_classes}) needs a critic with two "
                f"outputs [score, class_logits of size {self.num_classes}] (an AC-GAN head); "
                f"the critic returns {outputs}."
            )
        if not self.num_classes and isinstance(outputs, (list, tuple)):
            raise ValueError(
                "The critic returns several outputs; pass `num_classes=` for a conditional "
                "(AC-GAN) model, or give the critic a single score output."
            )

    def _init_improved_techniques(self, feature_matching, historical_averaging, label_smoothing):
        """Checks the options of Salimans et al. 2016 (feature matching, historical
        averaging, label smoothing)."""
        self.feature_matching = None if feature_matching in (None, False) else feature_matching
        if self.feature_matching is not None and not (
                self.feature_matching is True or isinstance(self.feature_matching, str)):
            raise ValueError(
                f"Invalid value for argument `feature_matching`. Received: "
                f"feature_matching={feature_matching!r}. Expected None, True (the critic's "
                "last hidden features) or the name of a hidden layer of the critic.")
        self.historical_averaging = check_float("historical_averaging", historical_averaging)
        self.label_smoothing = label_smoothing
        if label_smoothing is not None:
            if self.loss_name not in ("dcgan", "minimax"):
                raise ValueError(
                    f"label_smoothing is for the sigmoid losses 'dcgan' and 'minimax'; "
                    f"loss={self.loss_name!r} has no targets to smooth.")
            alpha, beta = losses_lib.label_smoothing_targets(label_smoothing)
            self.label_smoothing = alpha if beta == 0.0 else [alpha, beta]
            self.loss_spec = dataclasses.replace(
                self.loss_spec, critic_loss=functools.partial(
                    losses_lib.smoothed_minimax_critic_loss, real_target=alpha, fake_target=beta))
        uses_trainer = self.feature_matching is not None or self.historical_averaging > 0
        if uses_trainer and keras.backend.backend() != "tensorflow":
            raise ValueError(
                "feature_matching and historical_averaging are implemented in the "
                f"TensorFlow trainer; Keras runs on {keras.backend.backend()!r}. Set "
                "KERAS_BACKEND=tensorflow.")
        if self.feature_matching is not None and self.num_classes:
            raise ValueError("feature_matching is for unconditional models (num_classes=None).")

    def _build_improved_techniques(self):
        self.feature_model = None
        if self.feature_matching is not None:
            layer = None if self.feature_matching is True else self.feature_matching
            self.feature_model = improved.feature_model(self.critic, layer)
        self.historical_averages = {}
        if self.historical_averaging > 0:
            # A running mean per parameter and a count per player: the model's own
            # non-trainable variables, saved and loaded with it.
            for player, network in (("critic", self.critic), ("generator", self.generator)):
                averages = [
                    self.add_weight(shape=v.shape, initializer="zeros", trainable=False,
                                    name=f"{player}_average_{i}", dtype="float32")
                    for i, v in enumerate(network.trainable_variables)
                ]
                count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                        name=f"{player}_average_count", dtype="float32")
                self.historical_averages[player] = (averages, count)

    def historical_average_loss(self, player):
        """Folds the player's current parameters into their running average, then
        returns historical_averaging * ||theta - average||^2 (0 when off).

        Called inside the update's tape, before its loss; the average is a constant there.
        """
        if player not in self.historical_averages:
            return 0.0
        averages, count = self.historical_averages[player]
        variables = (self.critic if player == "critic" else self.generator).trainable_variables
        weight = 1.0 / (count + 1.0)
        for variable, average in zip(variables, averages):
            average.assign(average + (ops.cast(variable, "float32") - average) * weight)
        count.assign(count + 1.0)
        return self.historical_averaging * losses_lib.historical_average_term(variables, averages)

    def _metric_names(self):
        names = ["critic_loss", "generator_loss", "wasserstein_estimate"]
        if self.loss_spec.penalty:
            names += ["gradient_penalty", "grad_norm"]
        if self.num_classes:
            names += ["critic_class_loss", "generator_class_loss"]
        return names

    @property
    def metrics(self):
        return list(self.tracked.values())

    # --- compile / config -----------------------------------------------------------

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures the model for training.

        Args:
            d_optimizer: the critic's optimiser. Defaults to the preset of the loss
                (`keras_wgan.presets`), e.g. Adam(1e-4, beta_1=0, beta_2=0.9) for WGAN-GP.
            g_optimizer: the generator's optimiser, with the same default.
            **kwargs: passed to `keras.Model.compile` (`jit_compile`,
                `steps_per_execution`, `run_eagerly`).
        """
        check_backend()
        if "optimizer" in kwargs or "loss" in kwargs:
            raise ValueError(
                "WGAN.compile takes `d_optimizer` and `g_optimizer`; the loss is chosen "
                "with `WGAN(loss=...)`."
            )
        default_d, default_g = presets.optimizers(self.loss_name)
        self.d_optimizer = keras.optimizers.get(d_optimizer) if d_optimizer else default_d
        self.g_optimizer = keras.optimizers.get(g_optimizer) if g_optimizer else default_g
        if self._float16():
            # float16 gradients underflow without loss scaling; Keras's compile wraps only
            # `model.optimizer`, so each GAN optimiser is wrapped here.
            self.d_optimizer, self.g_optimizer = (
                opt if isinstance(opt, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(opt)
                for opt in (self.d_optimizer, self.g_optimizer)
            )
        # optimizer=None: else Keras creates an unused RMSprop as `model.optimizer`.
        super().compile(optimizer=None, **kwargs)
        # Build the optimiser state now: loading weights into an unbuilt optimiser drops it.
        self.d_optimizer.build(self.critic.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        if hasattr(self, "_attach_optimizers"):  # the JAX trainer carries both in its state
            self._attach_optimizers()

    def _float16(self):
        return any(getattr(network.dtype_policy, "compute_dtype", None) == "float16"
                   for network in (self.generator, self.critic))

    def generator_step(self):
        """The number of generator updates made so far (the run's step counter)."""
        return int(ops.convert_to_numpy(self.g_optimizer.iterations))

    def get_compile_config(self):
        if not getattr(self, "compiled", False) or not hasattr(self, "d_optimizer"):
            return {}
        return {
            "d_optimizer": keras.optimizers.serialize(self.d_optimizer),
            "g_optimizer": keras.optimizers.serialize(self.g_optimizer),
        }

    def compile_from_config(self, config):
        self.compile(
            d_optimizer=keras.optimizers.deserialize(config["d_optimizer"]),
            g_optimizer=keras.optimizers.deserialize(config["g_optimizer"]),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "generator": keras.saving.serialize_keras_object(self.generator),
                "critic": keras.saving.serialize_keras_object(self.critic),
                "latent_dim": self.latent_dim,
                "n_critic": self.n_critic,
                "loss": self.loss_name,
                "gp_weight": self.gp_weight,
                "clip_value": self.clip_value,
                "generator_batch_size": self.generator_batch_size,
                "seed": self.seed,
                "num_classes": self.num_classes,
                "ac_weight_critic": self.ac_weight_critic,
                "ac_weight_generator": self.ac_weight_generator,
                "conditioning": self.conditioning,
                "feature_matching": self.feature_matching,
                "historical_averaging": self.historical_averaging,
                "label_smoothing": self.label_smoothing,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "critic"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    # --- saving ---------------------------------------------------------------------

    _SEED_STATE = "seed_generator_state"

    def save_own_variables(self, store):
        """Saves the model's own variables and the state of its noise generator.

        Keras does not save a `SeedGenerator`'s state with the weights; without it a
        resumed run would redraw the z and alpha it drew before the checkpoint.
        """
        super().save_own_variables(store)
        store[self._SEED_STATE] = self.seed_generator.state.numpy()

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
            self.seed_generator.state.assign(store[self._SEED_STATE])

    # --- backend-neutral pieces of the training step ----------------------------------

    def unpack_real(self, data):
        """(real, labels or None) of a dataset element, checked against the model.

        Called while the step is traced, by every trainer.
        """
        real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.num_classes and labels is None:
            raise ValueError(
                f"This WGAN is conditional (num_classes={self.num_classes}): the dataset "
                "must yield (images, labels) pairs."
            )
        self.check_real(real)
        return real, labels

    def split_critic_batches(self, tensor):
        """Splits a batch of n_critic * B examples into n_critic batches of B, in order."""
        size = tensor.shape[0]
        if size is not None and size % self.n_critic:
            raise ValueError(
                f"Each batch holds the real data of all n_critic={self.n_critic} critic "
                f"updates, so its size must be a multiple of n_critic; received a batch of "
                f"{size}. Batch the dataset with `batch_size * n_critic` examples "
                "(`keras_wgan.datasets.critic_batches` does this)."
            )
        return ops.split(tensor, self.n_critic, axis=0)

    def check_fake_labels(self, fake_labels):
        """Raises when the critic must classify generated data whose classes are unknown."""
        if self.num_classes and self.conditioning == "ac-gan" and fake_labels is None:
            raise ValueError(
                'With conditioning="ac-gan" the critic also classifies the generated '
                "data: pass the classes it was generated for as `fake_labels`."
            )

    def critic_class_loss(self, labels, real_logits, fake_labels=None, fake_logits=None):
        """The AC-GAN class loss of the critic (before `ac_weight_critic`).

        Cross-entropy on the real batch; with `conditioning="ac-gan"` plus the
        cross-entropy of the generated batch against the classes it was made for
        (Odena et al. 2017, equation 2: the critic maximises log P(C = c | X) on both).
        """
        loss = losses_lib.classification_loss(labels, real_logits)
        if self.conditioning == "ac-gan":
            loss = loss + losses_lib.classification_loss(fake_labels, fake_logits)
        return loss

    def check_real(self, real):
        """Raises a clear error when the real data cannot be fed to the critic.

        Called while the step is traced, on static shapes: a dataset of the wrong image
        size, rank or channel count fails here rather than deep inside a convolution.
        """
        want = tuple(self.sample_shape[1:])
        got = tuple(real.shape[1:])
        fits = len(got) == len(want) and all(
            g is None or w is None or g == w for g, w in zip(got, want)
        )
        if not fits:
            raise ValueError(
                f"The real data has examples of shape {got}, but the generator makes "
                f"{want}: the dataset and the model must agree on rank, size and channels "
                "(e.g. load the data with image_size= and channels= matching the model)."
            )

    def sample_latent(self, batch_size):
        """Draws z ~ N(0, I) of shape [batch_size, latent_dim] from the model's seed."""
        return self.draw("normal", (batch_size, self.latent_dim))

    def sample_labels(self, batch_size):
        """Draws class labels uniformly from 0..num_classes-1 (conditional models)."""
        return self.draw("randint", (batch_size,), maxval=self.num_classes)

    def generate_batch(self, batch_size, labels=None, training=False):
        """(G(z), labels) for fresh z and, if conditional, the given or fresh labels.

        z is drawn before the labels (the JAX trainer draws them in the same order);
        labels are None for an unconditional model.
        """
        z = self.sample_latent(batch_size)
        if not self.num_classes:
            return self.generator(z, training=training), None
        if labels is None:
            labels = self.sample_labels(batch_size)
        return self.generator([z, labels], training=training), labels

    def critic_outputs(self, x, training=False):
        """(scores, class_logits or None) of the critic on a batch."""
        outputs = self.critic(x, training=training)
        if self.num_classes:
            return outputs[0], outputs[1]
        return outputs, None

    # --- inference ------------------------------------------------------------------

    def call(self, inputs, training=False):
        """Generates samples from z (or [z, labels] for a conditional model)."""
        return self.generator(inputs, training=training)

    def generate(self, n_or_z, labels=None, batch_size=256, seed=None, batch_stats=False):
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

        Returns:
            A NumPy array with the generator's output for each z.

        Raises:
            ValueError: on bad `z` or `labels`, a `batch_size` < 1, or `batch_stats` with
                a chunk of a single sample (whose batch statistics are degenerate).
        """
        if hasattr(self, "jax_state_sync"):  # in a JAX `fit`, the variables are lent out
            self.jax_state_sync()
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
            trainable = [v.value for v in self.generator.trainable_variables]
            non_trainable = [v.value for v in self.generator.non_trainable_variables]

            def run(chunk):
                outputs, _ = self.generator.stateless_call(
                    trainable, non_trainable, chunk, training=True)
                return outputs
        else:
            def run(chunk):
                return self.generator(chunk, training=False)
        outputs = []
        for start, stop in zip(bounds[:-1], bounds[1:]):
            chunk = [x[start:stop] for x in inputs]
            chunk = chunk if self.num_classes else chunk[0]
            outputs.append(ops.convert_to_numpy(run(chunk)))
        return np.concatenate(outputs, axis=0)
