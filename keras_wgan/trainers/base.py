"""What every trainer shares: the random draws and the losses of one training step.

The losses of Algorithm 1 of Gulrajani et al. 2017 (the critic's WGAN loss plus
lambda times the gradient penalty of equation 3, the generator's loss), with the AC-GAN
class losses (section 5.2) and the techniques of Salimans et al. 2016 (feature matching,
historical averaging), are assembled here once, with `keras.ops`, from forward callables
the backend supplies. The backend trainers (`tensorflow.py`, `jax.py`) hold only what
differs: how gradients are taken and applied (nested `tf.GradientTape`s against
`jax.grad` of `stateless_call`s), replicas, and how the state is threaded.
"""

import keras
from keras import ops

from keras_wgan import augment as augment_lib
from keras_wgan import losses as losses_lib
from keras_wgan.trainers.nonfinite import NONFINITE_REAL, nonfinite_flag


def f32_mean(x):
    """The mean of a tensor, computed in float32 (scores may be bfloat16 or float16)."""
    return ops.mean(ops.cast(x, "float32"))


def score_sum(critic_fn):
    """The critic's scores summed over a batch, as a function of the batch.

    The penalty differentiates this sum with respect to x-hat (equation 3): since no
    layer of a penalised critic couples the examples of a batch (the WGAN constructor
    checks it), the gradient of the sum is each example's own gradient.

    Args:
        critic_fn: a callable on a batch returning (scores, class logits or None).

    Returns:
        A callable x -> float32 scalar.
    """

    def summed(x):
        scores, _ = critic_fn(x)
        return ops.sum(ops.cast(scores, "float32"))

    return summed


def gradient_penalty(penalty_fn, real, fake, alpha, one_sided=False):
    """The WGAN-GP penalty E[(||grad D(x-hat)||_2 - 1)^2] and the mean gradient norm.

    Equation 3 of the paper, at x-hat = alpha * x + (1 - alpha) * G(z); appendix D's
    one-sided form penalises only norms above 1.

    Args:
        penalty_fn: the backend's inner gradient: a callable x-hat -> the gradient of the
            critic's summed scores with respect to x-hat (a `tf.GradientTape` or
            `jax.grad`), differentiable in the critic's parameters.
        real, fake: batches of the same shape, any rank.
        alpha: mixing weights of shape [batch] (the paper: U[0, 1] per example).
        one_sided: penalise only norms above 1.

    Returns:
        (penalty, mean_norm): float32 scalars.
    """
    x_hat = losses_lib.interpolate(real, fake, alpha)
    norms = losses_lib.gradient_norm(penalty_fn(x_hat))
    return losses_lib.gradient_penalty_from_norms(norms, one_sided), ops.mean(norms)


def r1_penalty(penalty_fn, real):
    """R1, 1/2 E_x[||grad D(x)||_2^2] at the real batch, and the mean gradient norm.

    Mescheder et al. 2018, section 4.1: a zero-centred penalty on real data only.

    Args:
        penalty_fn: the backend's inner gradient, as for `gradient_penalty`.
        real: the real batch, any rank.

    Returns:
        (penalty, mean_norm): float32 scalars; the penalty before its weight gamma.
    """
    gradients = penalty_fn(ops.convert_to_tensor(real))
    norm = ops.mean(losses_lib.gradient_norm(gradients))
    return losses_lib.r1_penalty_from_gradients(gradients), norm


def dragan_penalty(penalty_fn, real, alpha, noise):
    """DRAGAN's E[(||grad D(x-hat)||_2 - 1)^2] at x-hat = x + alpha * delta, and the mean
    norm (Kodali et al. 2017; `keras_wgan.losses.dragan_points` makes x-hat).

    Args:
        penalty_fn: the backend's inner gradient, as for `gradient_penalty`.
        real: the real batch, any rank.
        alpha: U[0, 1] weights of shape [batch].
        noise: U[0, 1) draws of `real`'s shape.

    Returns:
        (penalty, mean_norm): float32 scalars.
    """
    norms = losses_lib.gradient_norm(penalty_fn(losses_lib.dragan_points(real, alpha, noise)))
    return losses_lib.gradient_penalty_from_norms(norms), ops.mean(norms)


def historical_average(params, averages, count, weight):
    """Historical averaging in a pure form (Salimans et al. 2016, section 3.3).

    The player's current parameters are folded into their running mean first, so that
    the mean covers the parameters at the start of every update so far, this one
    included; the term is then weight * ||theta - mean_i theta_i||^2, the mean a constant.

    Args:
        params: the player's trainable parameters (variables or their values).
        averages: the running means, one per parameter, float32.
        count: the number of updates averaged so far, a float32 scalar.
        weight: w, the term's weight.

    Returns:
        (term, new_averages, new_count): the loss term, and the values the caller stores
        (the TensorFlow trainer assigns them, the JAX trainer threads them in its state).
    """
    step = 1.0 / (count + 1.0)
    new_averages = [
        average + (ops.cast(param, "float32") - average) * step
        for param, average in zip(params, averages)
    ]
    term = weight * losses_lib.historical_average_term(params, new_averages)
    return term, new_averages, count + 1.0


def ema_update(shadow, weights, averaged, step, decay, start):
    """The shadow weights after a generator update, in a pure form.

    shadow = decay * shadow + (1 - decay) * weights for the generator's trainable weights
    once the generator step has passed `start`, and a plain copy before that; the other
    weights (batch norm statistics) are always copied.

    Args:
        shadow: the shadow generator's values, one per weight of the generator.
        weights: the generator's values after the update, in the same order.
        averaged: per weight, whether it is averaged (trainable) or copied.
        step: the generator step the update made (1 for the first), an integer scalar.
        decay: the decay of the average, a float in (0, 1).
        start: the generator step after which averaging starts (0: from the first).

    Returns:
        The new shadow values (the TensorFlow trainer assigns them, the JAX trainer
        threads them in its state).
    """
    averaging = ops.greater(step, start)
    new = []
    for value, weight, average in zip(shadow, weights, averaged):
        weight = ops.cast(weight, value.dtype)
        if average:
            new.append(ops.where(averaging, decay * value + (1.0 - decay) * weight, weight))
        else:  # a copy: on JAX two variables must not share a buffer
            new.append(ops.copy(weight))
    return new


class TrainerBase:
    """The backend-neutral half of the WGAN trainer, mixed into `keras_wgan.WGAN`.

    A backend trainer subclasses it and implements `_critic_update` and
    `_generator_update` (the gradient plumbing), `train_step` and `test_step`; it may
    override the hooks `_on_compile` and `_sync_variables`, no-ops here.
    """

    # --- hooks the backend trainers override ------------------------------------------

    def _on_compile(self):
        """Called at the end of `WGAN.compile`, once both optimisers are built."""

    def _sync_variables(self):
        """Makes the variables hold their current values before an eager read.

        A no-op here; in a JAX `fit` Keras lends the values to the jitted step and the
        variables lag behind until they are synced back.
        """

    def generator_step(self):
        """The number of generator updates made so far (the run's step counter).

        Here, not in `keras_wgan.WGAN`, so that a backend trainer can override it (the JAX
        one reads it from the state a `fit` has lent to its step).
        """
        return int(ops.convert_to_numpy(self.g_optimizer.iterations))

    # --- the public single updates ------------------------------------------------------

    def critic_update(self, real, fake=None, labels=None, alpha=None, fake_labels=None, noise=None):
        """One critic update on a real batch (Algorithm 1, lines 2-9).

        The same on every backend; `train_step` makes `n_critic` of them per step.

        Args:
            real: a batch of real data.
            fake: generated data of the same shape; by default drawn from the generator.
            labels: the real batch's class labels (conditional models only).
            alpha: the interpolation weights of x-hat, [batch]; by default U[0, 1] (under
                the losses whose penalty takes them).
            fake_labels: the classes `fake` was generated for (conditional models whose
                critic also classifies generated images, `conditioning="ac-gan"`); drawn
                with the fake data when it is drawn here.
            noise: DRAGAN's U[0, 1) draws of the real batch's shape, which perturb it
                (`loss="dragan"`); by default drawn.

        Returns:
            A dict of float32 scalars: critic_loss, wasserstein_estimate and, under a
            gradient penalty, gradient_penalty and grad_norm; critic_class_loss for a
            conditional model; augment_rt under augmentation (`WGAN(augment=...)`).

        Raises:
            ValueError: when the critic must classify `fake` but `fake_labels` is None.
        """
        return self._critic_update(
            real, fake=fake, labels=labels, alpha=alpha, fake_labels=fake_labels, noise=noise
        )

    def generator_update(self, batch_size, z=None, labels=None, real=None):
        """One generator update (Algorithm 1, lines 10-12).

        The same on every backend; `train_step` makes one per step.

        Args:
            batch_size: the number of samples.
            z: their latent vectors, [batch_size, latent_dim]; by default drawn from
                N(0, I).
            labels: their classes (conditional models); by default drawn uniformly.
            real: a real batch, needed under feature matching (whose loss compares the
                critic's features of real and generated data); ignored otherwise.

        Returns:
            A dict of float32 scalars: generator_loss and, for a conditional model,
            generator_class_loss.

        Raises:
            ValueError: under feature matching without `real`.
        """
        if self._feature_model is not None and real is None:
            raise ValueError(
                "Invalid value for argument `real`. Received: real=None. Expected a real "
                "batch: the feature matching loss compares the critic's features of real "
                "and generated data."
            )
        return self._generator_update(batch_size, z=z, labels=labels, real=real)

    def _critic_update(
        self, real, fake=None, labels=None, alpha=None, fake_labels=None, noise=None
    ):
        """The backend's `critic_update`: draws what is not given, takes the gradient of
        `_critic_loss` and applies it. Same arguments and returns."""
        raise NotImplementedError

    def _generator_update(self, batch_size, z=None, labels=None, real=None):
        """The backend's `generator_update`: draws what is not given, takes the gradient
        of `_generator_loss` and applies it. Same arguments and returns."""
        raise NotImplementedError

    # --- random draws -----------------------------------------------------------------

    def _draw(self, kind, shape, maxval=None):
        """Random values from `self._seed_generator`.

        A trainer may override it (the TensorFlow one gives each replica of a
        `tf.distribute` strategy its own noise).

        Args:
            kind: "normal" (N(0, 1)), "uniform" (U[0, 1)) or "randint" (int32 in
                [0, maxval)).
            shape: the shape of the draw.
            maxval: the exclusive upper bound of "randint".

        Returns:
            A tensor of the given shape.
        """
        if kind == "normal":
            return keras.random.normal(shape, seed=self._seed_generator)
        if kind == "uniform":
            return keras.random.uniform(shape, seed=self._seed_generator)
        if kind == "randint":
            return keras.random.randint(shape, 0, maxval, seed=self._seed_generator, dtype="int32")
        raise ValueError(
            f"Invalid value for argument `kind`. Received: kind={kind!r}. Expected one "
            "of 'normal', 'uniform', 'randint'."
        )

    def _penalty_draws(self, shape, alpha=None, noise=None):
        """(alpha, noise) of the loss's penalty: those given, and those it takes drawn.

        alpha, U[0, 1] of shape [batch], for the penalties at a mixed x-hat (WGAN-GP,
        DRAGAN); then DRAGAN's noise, U[0, 1) of the real batch's shape. Both trainers draw
        them after z and the labels, in this order, so the seed's stream is the same.

        Args:
            shape: the real batch's shape.
            alpha, noise: given values, or None.
        """
        penalty = self._loss_spec.penalty
        if alpha is None and penalty in losses_lib.MIXED_PENALTIES:
            alpha = self._draw("uniform", (shape[0],))
        if noise is None and penalty == "dragan":
            noise = self._draw("uniform", tuple(shape))
        return alpha, noise

    def _sample_latent(self, batch_size):
        """Draws z ~ N(0, I) of shape [batch_size, latent_dim] from the model's seed."""
        return self._draw("normal", (batch_size, self.latent_dim))

    def _sample_labels(self, batch_size):
        """Draws class labels uniformly from 0..num_classes-1 (conditional models)."""
        return self._draw("randint", (batch_size,), maxval=self.num_classes)

    def _generate_batch(self, batch_size, labels=None, training=False):
        """(G(z), labels) for fresh z and, if conditional, the given or fresh labels.

        z is drawn before the labels (the JAX trainer draws them in the same order);
        labels are None for an unconditional model.
        """
        z = self._sample_latent(batch_size)
        if not self.num_classes:
            return self.generator(z, training=training), None
        if labels is None:
            labels = self._sample_labels(batch_size)
        return self.generator([z, labels], training=training), labels

    def _critic_outputs(self, x, training=False):
        """(scores, class_logits or None) of the critic on a batch, called statefully."""
        outputs = self.critic(x, training=training)
        if self.num_classes:
            return outputs[0], outputs[1]
        return outputs, None

    # --- checks on the data, while the step is traced ----------------------------------

    def _unpack_real(self, data):
        """(real, labels or None) of a dataset element, checked against the model.

        Called while the step is traced, by every trainer.
        """
        real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.num_classes and labels is None:
            raise ValueError(
                f"This WGAN is conditional (num_classes={self.num_classes}): the dataset "
                "must yield (images, labels) pairs."
            )
        self._check_real(real)
        return real, labels

    def _real_data_logs(self, real):
        """{NONFINITE_REAL: 1.0 if `real` holds NaN or infinity, else 0.0}, or {} when
        `stop_on_nonfinite` is off: the value the step adds to that log's count."""
        if not self.stop_on_nonfinite:
            return {}
        return {NONFINITE_REAL: nonfinite_flag(real)}

    def _split_critic_batches(self, tensor):
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

    def _check_real(self, real):
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

    def _check_fake_labels(self, fake_labels):
        """Raises when the critic must classify generated data whose classes are unknown."""
        if self.num_classes and self.conditioning == "ac-gan" and fake_labels is None:
            raise ValueError(
                'With conditioning="ac-gan" the critic also classifies the generated '
                "data: pass the classes it was generated for as `fake_labels`."
            )

    # --- historical averaging state -------------------------------------------------------

    def _build_historical_averages(self):
        """Creates the running means of historical averaging (section 3.3 of Salimans
        et al. 2016): per player, a float32 mean per trainable parameter and a count.

        They are the model's own non-trainable variables, so they are saved, loaded and
        (on JAX) threaded through the jitted step with the rest of its state.
        """
        self._historical_averages = {}
        if self.historical_averaging <= 0:
            return
        for player, network in (("critic", self.critic), ("generator", self.generator)):
            averages = [
                self.add_weight(
                    shape=v.shape,
                    initializer="zeros",
                    trainable=False,
                    name=f"{player}_average_{i}",
                    dtype="float32",
                )
                for i, v in enumerate(network.trainable_variables)
            ]
            count = self.add_weight(
                shape=(),
                initializer="zeros",
                trainable=False,
                name=f"{player}_average_count",
                dtype="float32",
            )
            self._historical_averages[player] = (averages, count)

    def _historical_state(self, player):
        """(params, averages, count) of a player's variables, the arguments of
        `historical_average`, or None when historical averaging is off."""
        if player not in self._historical_averages:
            return None
        averages, count = self._historical_averages[player]
        network = self.critic if player == "critic" else self.generator
        return network.trainable_variables, averages, count

    def _historical_average_loss(self, player):
        """Folds the player's current parameters into their running mean, stores it, and
        returns historical_averaging * ||theta - mean||^2 (0 when off).

        The eager form of `historical_average`, which the updates use.

        Args:
            player: "critic" or "generator".

        Returns:
            A float32 scalar.
        """
        state = self._historical_state(player)
        if state is None:
            return 0.0
        term, new_averages, new_count = historical_average(*state, self.historical_averaging)
        self._assign_historical_averages(player, (new_averages, new_count))
        return term

    def _assign_historical_averages(self, player, new):
        """Stores (new averages, new count) of `historical_average` in the variables."""
        if new is None:
            return
        averages, count = self._historical_averages[player]
        new_averages, new_count = new
        for average, value in zip(averages, new_averages):
            average.assign(value)
        count.assign(new_count)

    # --- the exponential moving average of the generator ---------------------------------

    def _ema_pairs(self):
        """[(shadow variable, generator variable, averaged)], one per weight of the
        generator (in `weights` order, which the clone shares), averaged for its
        trainable weights; [] when the model keeps no EMA."""
        if self.ema_generator is None:
            return []
        trainable = {id(v) for v in self.generator.trainable_variables}
        return [
            (shadow, weight, id(weight) in trainable)
            for shadow, weight in zip(self.ema_generator.weights, self.generator.weights)
        ]

    def _update_ema(self):
        """Folds the generator's current weights into the shadow generator (a no-op
        without EMA): the eager form of `ema_update`, which the generator update uses."""
        pairs = self._ema_pairs()
        if not pairs:
            return
        shadows, weights, averaged = zip(*pairs)
        new = ema_update(
            [v.value for v in shadows],
            [v.value for v in weights],
            averaged,
            self.g_optimizer.iterations,
            self.ema,
            self.ema_start,
        )
        self._assign_ema(shadows, new)

    def _assign_ema(self, shadows, values):
        """Stores the new shadow values (a trainer may override it: the TensorFlow one
        assigns mirrored variables once under a distribution strategy)."""
        for shadow, value in zip(shadows, values):
            shadow.assign(value)

    # --- differentiable augmentation (DiffAugment) and its adaptive strength (ADA) ------

    def _build_augmentation(self):
        """Creates p, the probability of each augmentation policy, and under ADA the
        running sum of r_t * images and the images since p's last adjustment.

        They are the model's own non-trainable float32 variables, so they are saved, loaded
        and (on JAX) threaded through the jitted step with the rest of its state.
        """
        self._augment_state = ()
        if not self._augment_policies:
            return
        shape = self.sample_shape
        if len(shape) != 4 or None in shape[1:3]:
            raise ValueError(
                f"Invalid value for argument `augment`. Received: augment={self.augment!r}. "
                "Expected None: augmentation is for images of shape [batch, height, width, "
                f"channels], and the generator makes samples of shape {shape}."
            )
        ada = self.ada_target is not None
        names = ["augment_p"] + (["ada_rt_sum", "ada_images"] if ada else [])
        # p starts at `augment_probability`, by default 1 (DiffAugment), 0 under ADA.
        start = self.augment_probability
        initial = [(0.0 if ada else 1.0) if start is None else start, 0.0, 0.0]
        self._augment_state = tuple(
            self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(value),
                trainable=False,
                name=name,
                dtype="float32",
            )
            for name, value in zip(names, initial)
        )

    def _augment_probability(self):
        """p, the variable's value, or None without augmentation."""
        return self._augment_state[0].value if self._augment_state else None

    def _augment_draw(self, batch_size, probability):
        """Per-example augmentation parameters of a batch (`augment.parameters`), drawn
        from the model's seed: outside any differentiated function."""
        policies = self._augment_policies
        uniforms = self._draw("uniform", (batch_size, augment_lib.num_uniforms(policies)))
        return augment_lib.parameters(uniforms, policies, self.sample_shape[1:3], probability)

    def _augment_critic_batches(self, real, fake, probability):
        """(T(x), T'(G(z))): the critic update's batches augmented with independent
        draws (the real batch's first); unchanged without augmentation.

        Both are constants for the critic's parameters, so they are augmented before its
        loss, which then scores them, takes its penalty's x-hat between them and shows
        them to the class head of a conditional model.
        """
        if not self._augment_policies:
            return real, fake
        real = augment_lib.apply(real, self._augment_draw(ops.shape(real)[0], probability))
        fake = augment_lib.apply(fake, self._augment_draw(ops.shape(fake)[0], probability))
        return real, fake

    def _augment_generator_draws(self, batch_size, real, probability):
        """(the generated batch's augmentation parameters, which the generator's loss
        applies to G(z), and the real batch of feature matching augmented, or None); (None,
        real) without augmentation. The generated batch's are drawn first."""
        if not self._augment_policies:
            return None, real
        params = self._augment_draw(batch_size, probability)
        if real is not None:
            real = augment_lib.apply(real, self._augment_draw(ops.shape(real)[0], probability))
        return params, real

    def _augment_logs(self, real_scores, fake_scores):
        """{"augment_rt": the centred overfitting heuristic of one critic batch
        (`augment.overfitting_sign`)}, or {} without augmentation."""
        if not self._augment_policies:
            return {}
        return {"augment_rt": augment_lib.overfitting_sign(real_scores, fake_scores)}

    def _augment_p_logs(self, probability):
        """{"augment_p": p} for the step's logs, or {} without augmentation."""
        return {"augment_p": probability} if self._augment_policies else {}

    def _ada_record(self, logs, batch_size):
        """Folds a critic update's r_t into ADA's variables (a no-op without ADA)."""
        if self.ada_target is None:
            return
        values = [v.value for v in self._augment_state]
        self._assign_augment_state(
            augment_lib.ada_accumulate(values, logs["augment_rt"], batch_size)
        )

    def _ada_update(self):
        """Adjusts p after a generator update, every `augment.ADA_INTERVAL` generator
        steps (a no-op without ADA)."""
        if self.ada_target is None:
            return
        values = [v.value for v in self._augment_state]
        self._assign_augment_state(
            augment_lib.ada_step(
                values, self.g_optimizer.iterations, self.ada_target, self.ada_kimg
            )
        )

    def _assign_augment_state(self, values):
        """Stores ADA's new (p, r_t sum, images) in its variables."""
        for variable, value in zip(self._augment_state, values):
            variable.assign(value)

    # --- the losses of one step, from forward callables --------------------------------

    def _critic_scores(self, critic_fn, real, fake):
        """(real scores, real logits, fake scores, fake logits) of the critic.

        One call on real and fake data concatenated when `_joint_critic_call` (exact
        without layers that couple the examples of a batch, and one pass instead of two),
        else two calls. The logits are None for an unconditional model.

        Args:
            critic_fn: a callable on a batch returning (scores, class logits or None).
            real, fake: batches of the same shape.
        """
        if not self._joint_critic_call:
            real_scores, real_logits = critic_fn(real)
            fake_scores, fake_logits = critic_fn(fake)
            return real_scores, real_logits, fake_scores, fake_logits
        n = ops.shape(real)[0]
        scores, logits = critic_fn(ops.concatenate([real, ops.cast(fake, real.dtype)], axis=0))
        if logits is None:
            return scores[:n], None, scores[n:], None
        return scores[:n], logits[:n], scores[n:], logits[n:]

    def _penalty(self, penalty_fn, real, fake, alpha, noise, critic_step):
        """(penalty, mean norm) of the loss's gradient penalty, before `gp_weight`.

        WGAN-GP's (two- or one-sided), DRAGAN's, or R1. Lazy R1 (`r1_every` = K > 1, as
        StyleGAN2): on the critic updates whose count `critic_step` is a multiple of K the
        penalty and the norm are K times their values, on the others 0, and those skip the
        penalty's double gradient altogether (`ops.cond`), so that their mean over K
        updates is the penalty of one update.
        """
        kind = self._loss_spec.penalty
        if kind == "dragan":
            return dragan_penalty(penalty_fn, real, alpha, noise)
        if kind != "r1":
            return gradient_penalty(penalty_fn, real, fake, alpha, kind == "one-sided")
        every = self.r1_every
        if every == 1:
            return r1_penalty(penalty_fn, real)

        def take():
            penalty, norm = r1_penalty(penalty_fn, real)
            return every * penalty, every * norm

        def skip():
            return ops.zeros((), "float32"), ops.zeros((), "float32")

        return ops.cond(ops.equal(critic_step % every, 0), take, skip)

    def _critic_class_loss(self, labels, real_logits, fake_labels=None, fake_logits=None):
        """The AC-GAN class loss of the critic (before `ac_weight_critic`).

        Cross-entropy on the real batch; with `conditioning="ac-gan"` plus the
        cross-entropy of the generated batch against the classes it was made for
        (Odena et al. 2017, equation 2: the critic maximises log P(C = c | X) on both).
        """
        loss = losses_lib.classification_loss(labels, real_logits)
        if self.conditioning == "ac-gan":
            loss = loss + losses_lib.classification_loss(fake_labels, fake_logits)
        return loss

    def _critic_loss(
        self,
        critic_fn,
        real,
        fake,
        labels=None,
        fake_labels=None,
        alpha=None,
        penalty_fn=None,
        average=None,
        noise=None,
        critic_step=None,
    ):
        """The critic's loss of Algorithm 1, line 7, and its logs.

        loss = L(D(x), D(G(z))) [+ w * ||theta - mean theta||^2] [+ lambda * penalty]
        [+ ac_weight_critic * class loss], the terms added in this order.

        Args:
            critic_fn: the critic in training mode, a callable on a batch returning
                (scores, class logits or None), differentiable in its parameters.
            real: the real batch; labels: its classes (conditional models).
            fake: the generated batch (a constant here); fake_labels: its classes.
            alpha: the interpolation weights of x-hat, [batch] (penalised losses).
            penalty_fn: the backend's inner gradient of the penalty, see
                `gradient_penalty` (penalised losses).
            average: (params, averages, count) of historical averaging, or None.
            noise: DRAGAN's U[0, 1) draws of the real batch's shape.
            critic_step: the critic optimiser's update count before this update (lazy
                R1, `r1_every` > 1).

        Returns:
            (loss, logs, new_average): logs a dict of float32 scalars (critic_loss,
            wasserstein_estimate, gradient_penalty, grad_norm, critic_class_loss as they
            apply), new_average the (averages, count) to store, or None.
        """
        spec = self._loss_spec
        self._check_fake_labels(fake_labels)
        real_scores, real_logits, fake_scores, fake_logits = self._critic_scores(
            critic_fn, real, fake
        )
        loss = spec.critic_loss(real_scores, fake_scores)
        new_average = None
        if average is not None:
            term, new_averages, new_count = historical_average(*average, self.historical_averaging)
            loss = loss + term
            new_average = (new_averages, new_count)
        logs = {"wasserstein_estimate": f32_mean(real_scores) - f32_mean(fake_scores)}
        logs.update(self._augment_logs(real_scores, fake_scores))
        if spec.penalty:
            penalty, norm = self._penalty(penalty_fn, real, fake, alpha, noise, critic_step)
            loss = loss + self.gp_weight * penalty
            logs.update(gradient_penalty=penalty, grad_norm=norm)
        if self.num_classes:
            class_loss = self._critic_class_loss(labels, real_logits, fake_labels, fake_logits)
            loss = loss + self.ac_weight_critic * class_loss
            logs["critic_class_loss"] = class_loss
        logs["critic_loss"] = loss
        return loss, logs, new_average

    def _generator_loss(
        self, fake, labels=None, critic_fn=None, features_fn=None, real=None, average=None
    ):
        """The generator's loss of Algorithm 1, line 11, and its logs.

        loss = L(D(G(z))), or under feature matching ||E f(x) - E f(G(z))||^2
        (Salimans et al. 2016, section 3.1) [+ w * ||theta - mean theta||^2]
        [+ ac_weight_generator * class loss], the terms added in this order.

        Args:
            fake: the generated batch, differentiable in the generator's parameters.
            labels: the classes it was generated for (conditional models).
            critic_fn: the critic in training mode, a callable on a batch returning
                (scores, class logits or None).
            features_fn: the critic's features f in training mode (`_feature_model`),
                under feature matching.
            real: the real batch, under feature matching.
            average: (params, averages, count) of historical averaging, or None.

        Returns:
            (loss, logs, new_average), as for `_critic_loss`; logs hold generator_loss
            and, for a conditional model, generator_class_loss.
        """
        if self._feature_model is not None:
            # The real features are a constant for the generator.
            real_features = ops.stop_gradient(features_fn(real))
            loss = losses_lib.feature_matching_loss(real_features, features_fn(fake))
            fake_logits = None
        else:
            fake_scores, fake_logits = critic_fn(fake)
            loss = self._loss_spec.generator_loss(fake_scores)
        new_average = None
        if average is not None:
            term, new_averages, new_count = historical_average(*average, self.historical_averaging)
            loss = loss + term
            new_average = (new_averages, new_count)
        logs = {}
        if self.num_classes:
            class_loss = losses_lib.classification_loss(labels, fake_logits)
            loss = loss + self.ac_weight_generator * class_loss
            logs["generator_class_loss"] = class_loss
        logs["generator_loss"] = loss
        return loss, logs, new_average
