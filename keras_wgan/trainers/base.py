"""Algorithm 1, written once for every backend, over the model's components.

Algorithm 1 of Gulrajani et al. 2017: each training step makes `n_critic` critic
updates, each on a fresh real batch, with the loss of line 7 (the critic's loss plus
lambda times the gradient penalty of equation 3), then one generator update (line 11).
What the options change comes from the model's components (`keras_wgan.losses`,
`keras_wgan.conditioning`, `keras_wgan.augment`, `keras_wgan.ema`): the losses and the
penalty, the class losses, the augmented batches, the moving average.

The step is written as stateful Keras code. A backend trainer (`tensorflow.py`, `jax.py`,
`torch.py`) supplies only the gradient plumbing: `_minimize` (the gradient of a loss with
respect to some variables, and the optimiser's update) and `_input_gradient` (the
penalty's inner gradient, itself differentiable in the critic's parameters). The JAX
trainer runs the same code inside a `keras.StatelessScope` that maps every variable to the
values Keras lends its jitted step.
"""

import keras
from keras import ops
from keras.src.backend.common.stateless_scope import get_stateless_scope

from keras_wgan.augment import functions as augment_functions
from keras_wgan.trainers.nonfinite import NONFINITE_REAL, nonfinite_flag


def f32_mean(x):
    """The mean of a tensor, computed in float32 (scores may be bfloat16 or float16)."""
    return ops.mean(ops.cast(x, "float32"))


def nested_scope(pairs=()):
    """A `keras.StatelessScope` that sees what the current one sees, with `pairs`
    ((variable, value)) on top; its updates stay inside it.

    Outside any stateless scope (TensorFlow, PyTorch, an eager JAX update) the variables
    it does not map are read as they are.
    """
    scope = keras.StatelessScope(state_mapping=list(pairs), initialize_variables=False)
    outer = get_stateless_scope()
    if outer is not None:
        for key, value in outer.state_mapping.items():
            scope.state_mapping.setdefault(key, value)
    return scope


class TrainerBase:
    """The backend-neutral trainer, mixed into `keras_wgan.WGAN`.

    A backend trainer subclasses it and implements `_minimize`, `_input_gradient`,
    `train_step` and `test_step` (which call `_train_logic` and `_test_logic`); it may
    override `draw`, `assign_values`, `_on_compile` and `_sync_variables`.
    """

    # --- what each backend supplies ----------------------------------------------------

    def _minimize(self, loss_fn, optimizer, variables):
        """One optimiser update of `variables` on the loss `loss_fn()` returns.

        `loss_fn()` returns (loss, logs, updates): the float32 loss, a dict of float32
        scalars, and [(variable, new value)] that are stored once the gradient is taken.
        The variables the networks update themselves while the loss is computed (batch
        norm statistics, a spectral norm's vector) keep their new values.

        Returns:
            The logs, as values (not differentiable).
        """
        raise NotImplementedError

    def _input_gradient(self, fn, x):
        """The gradient of the scalar `fn(x)` with respect to the batch `x`, itself
        differentiable in the critic's parameters (the double gradient of equation 3)."""
        raise NotImplementedError

    def _on_compile(self):
        """Called at the end of `WGAN.compile`, once both optimisers are built."""

    def _refuse_loss_scaling(self, backend):
        """Raises for a `LossScaleOptimizer` (mixed_float16), which only the TensorFlow
        trainer scales losses for."""
        for opt in (self.d_optimizer, self.g_optimizer):
            if isinstance(opt, keras.optimizers.LossScaleOptimizer):
                raise ValueError(
                    f"Invalid value for the optimiser {opt.name!r}. Received a "
                    f"LossScaleOptimizer. Expected an optimiser without loss scaling: the "
                    f"{backend} trainer does not scale losses; train in float32 or with the "
                    f"mixed_bfloat16 policy on {backend} (mixed_float16 needs the TensorFlow "
                    "backend)."
                )

    def _sync_variables(self):
        """Makes the variables hold their current values before an eager read.

        A no-op here; in a JAX `fit` Keras lends the values to the jitted step and the
        variables lag behind until they are synced back.
        """

    def assign_values(self, variables, values, replicated=True):
        """Stores new values in variables (components call it after an update).

        A trainer may override it: under a `tf.distribute` strategy, values that every
        replica computed alike (`replicated`) are assigned once on every device, and the
        others are refused.
        """
        for variable, value in zip(variables, values):
            variable.assign(value)

    def generator_step(self):
        """The number of generator updates made so far (the run's step counter)."""
        return int(ops.convert_to_numpy(self.g_optimizer.iterations))

    # --- random draws -----------------------------------------------------------------

    def draw(self, kind, shape, maxval=None):
        """Random values from the model's seed generator.

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

    def _sample_latent(self, batch_size):
        """Draws z ~ N(0, I) of shape [batch_size, latent_dim] from the model's seed."""
        return self.draw("normal", (batch_size, self.latent_dim))

    def _sample_labels(self, batch_size):
        """Draws class labels uniformly from 0..num_classes-1 (conditional models)."""
        return self.draw("randint", (batch_size,), maxval=self.num_classes)

    def _generate_batch(self, batch_size, labels=None, training=False):
        """(G(z), labels) for fresh z (drawn first) and, if conditional, the given or
        fresh labels; labels are None for an unconditional model."""
        z = self._sample_latent(batch_size)
        if not self.num_classes:
            return self.generator(z, training=training), None
        if labels is None:
            labels = self._sample_labels(batch_size)
        return self.generator([z, labels], training=training), labels

    # --- the networks, as the losses take them ----------------------------------------

    def _critic_outputs(self, x, training=False):
        """(scores, class_logits or None) of the critic on a batch."""
        outputs = self.critic(x, training=training)
        if self.num_classes:
            return outputs[0], outputs[1]
        return outputs, None

    def _critic_fn(self, x):
        """The critic in training mode: a batch to (scores, class logits or None)."""
        return self._critic_outputs(x, training=True)

    def _penalty_gradient(self, x):
        """The gradient of the critic's summed scores at `x` (the penalty's inner
        gradient). No layer of a penalised critic couples the examples of a batch (the
        constructor checks it), so the gradient of the sum is each example's own. The
        critic's calls here leave its non-trainable state (a spectral norm's vector) as the
        scoring left it."""

        def summed(x):
            with nested_scope([(v, v.value) for v in self.critic.weights]):
                scores, _ = self._critic_outputs(x, training=True)
            return ops.sum(ops.cast(scores, "float32"))

        return self._input_gradient(summed, x)

    def _critic_scores(self, real, fake):
        """(real scores, real logits, fake scores, fake logits) of the critic in training
        mode: one call on real and fake data concatenated when `_joint_critic_call`
        (exact without layers that couple the examples of a batch), else two."""
        if not self._joint_critic_call:
            real_scores, real_logits = self._critic_fn(real)
            fake_scores, fake_logits = self._critic_fn(fake)
            return real_scores, real_logits, fake_scores, fake_logits
        n = ops.shape(real)[0]
        scores, logits = self._critic_fn(ops.concatenate([real, ops.cast(fake, real.dtype)], 0))
        if logits is None:
            return scores[:n], None, scores[n:], None
        return scores[:n], logits[:n], scores[n:], logits[n:]

    # --- the losses of Algorithm 1 -----------------------------------------------------

    def _critic_objective(self, real, fake, labels, fake_labels, draws, critic_step):
        """The critic's loss of Algorithm 1, line 7: the loss's critic loss, its
        regularisation, its penalty and the class loss, added in this order.

        Returns:
            (loss, logs, updates), as `_minimize` takes them.
        """
        real_scores, real_logits, fake_scores, fake_logits = self._critic_scores(real, fake)
        loss = self.gan_loss.critic_loss(real_scores, fake_scores)
        term, updates = self.gan_loss.regularization(self, "critic")
        if term is not None:
            loss = loss + term
        logs = {"wasserstein_estimate": f32_mean(real_scores) - f32_mean(fake_scores)}
        if self.augment is not None:
            logs.update(self.augment.critic_logs(real_scores, fake_scores))
        penalty = self.gan_loss.penalty(self._penalty_gradient, real, fake, draws, critic_step)
        if penalty is not None:
            weighted, value, norm = penalty
            loss = loss + weighted
            logs.update(gradient_penalty=value, grad_norm=norm)
        if self.conditioning is not None:
            class_loss = self.conditioning.critic_loss(
                labels, real_logits, fake_labels, fake_logits
            )
            loss = loss + self.conditioning.critic_weight * class_loss
            logs["critic_class_loss"] = class_loss
        logs["critic_loss"] = loss
        return loss, logs, updates

    def _generator_objective(self, fake, labels, real):
        """The generator's loss of Algorithm 1, line 11, its regularisation and the class
        loss. Returns (loss, logs, updates)."""
        loss, fake_logits = self.gan_loss.generator_objective(self, fake, self._critic_fn, real)
        term, updates = self.gan_loss.regularization(self, "generator")
        if term is not None:
            loss = loss + term
        logs = {}
        if self.conditioning is not None:
            class_loss = self.conditioning.generator_loss(labels, fake_logits)
            loss = loss + self.conditioning.generator_weight * class_loss
            logs["generator_class_loss"] = class_loss
        logs["generator_loss"] = loss
        return loss, logs, updates

    # --- one update of each network ----------------------------------------------------

    def critic_update(self, real, fake=None, labels=None, alpha=None, fake_labels=None, noise=None):
        """One critic update on a real batch (Algorithm 1, lines 2-9).

        `train_step` makes `n_critic` of them per step. The random draws come in this
        order: z and the labels of the generated batch, the penalty's (alpha, DRAGAN's
        noise), the augmentation's.

        Args:
            real: a batch of real data.
            fake: generated data of the same shape; by default drawn from the generator.
            labels: the real batch's class labels (conditional models only).
            alpha: the interpolation weights of x-hat, [batch]; by default U[0, 1] (under
                the losses whose penalty takes them).
            fake_labels: the classes `fake` was generated for (conditional models whose
                critic also classifies generated images); drawn with the fake data when
                it is drawn here.
            noise: DRAGAN's U[0, 1) draws of the real batch's shape; by default drawn.

        Returns:
            A dict of float32 scalars: critic_loss, wasserstein_estimate and, under a
            gradient penalty, gradient_penalty and grad_norm; critic_class_loss for a
            conditional model; augment_rt under augmentation.

        Raises:
            ValueError: when the critic must classify `fake` but `fake_labels` is None.
        """
        self._check_fake_labels(fake, fake_labels)
        real = ops.convert_to_tensor(real)
        batch_size = ops.shape(real)[0]
        if fake is None:
            fake, fake_labels = self._generate_batch(batch_size, training=True)
        fake = ops.stop_gradient(ops.convert_to_tensor(fake))
        draws = self.gan_loss.draws(self, ops.shape(real), alpha, noise)
        if self.augment is not None:
            real, fake = self.augment.critic_batches(self, real, fake)
        critic_step = self.d_optimizer.iterations.value
        variables = self.critic.trainable_variables

        def loss_fn():
            return self._critic_objective(real, fake, labels, fake_labels, draws, critic_step)

        logs = self._minimize(loss_fn, self.d_optimizer, variables)
        self.gan_loss.after_critic_update(self, variables)
        if self.augment is not None:
            self.augment.after_critic_update(self, logs, batch_size)
        return logs

    def generator_update(self, batch_size, z=None, labels=None, real=None):
        """One generator update (Algorithm 1, lines 10-12); `train_step` makes one per
        step. The labels are drawn before z, then the augmentation's parameters.

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
        if self.gan_loss.needs_real and real is None:
            raise ValueError(
                "Invalid value for argument `real`. Received: real=None. Expected a real "
                "batch: the feature matching loss compares the critic's features of real "
                "and generated data."
            )
        if self.num_classes and labels is None:
            labels = self._sample_labels(batch_size)
        if z is None:
            z = self._sample_latent(batch_size)
        params = None
        if self.augment is not None:
            params, real = self.augment.generator_draws(self, batch_size, real)
        inputs = [z, labels] if self.num_classes else z

        def loss_fn():
            fake = augment_functions.apply(self.generator(inputs, training=True), params)
            return self._generator_objective(fake, labels, real)

        logs = self._minimize(loss_fn, self.g_optimizer, self.generator.trainable_variables)
        if self.ema is not None:
            self.ema.after_generator_update(self)
        if self.augment is not None:
            self.augment.after_generator_update(self)
        return logs

    # --- the step ----------------------------------------------------------------------

    def _train_logic(self, data):
        """Algorithm 1 on one dataset element: n_critic critic updates on its n_critic
        parts, one generator update; returns the logs (the critic's averaged)."""
        real, labels = self._unpack_real(data)
        reals = self._split_critic_batches(real)
        label_batches = (
            self._split_critic_batches(labels) if self.num_classes else [None] * self.n_critic
        )
        # Unrolled: n_critic updates on fresh real batches inside one compiled step.
        critic_logs = [self.critic_update(r, labels=y) for r, y in zip(reals, label_batches)]
        # Feature matching compares the critic's features of generated and real data.
        g_logs = self.generator_update(
            self.generator_batch_size or ops.shape(reals[0])[0],
            real=reals[-1] if self.gan_loss.needs_real else None,
        )
        values = {
            name: sum(log[name] for log in critic_logs) / len(critic_logs)
            for name in critic_logs[0]
        }
        values.update(g_logs)
        values.update(self._real_data_logs(real))
        if self.augment is not None:
            values["augment_p"] = self.augment.p()
        for name, value in values.items():
            self._log_metrics[name].update_state(value)
        return self._with_loss({metric.name: metric.result() for metric in self.metrics})

    @staticmethod
    def _with_loss(logs):
        """`logs` with Keras's `loss` first: the critic's estimate of the Wasserstein
        distance, which falls as the samples improve (the paper's figure 4), so Keras's
        callbacks that watch `loss` or `val_loss` (lower is better) by default have a value
        to watch."""
        return {"loss": logs["wasserstein_estimate"], **logs}

    def _test_logic(self, data):
        """The Wasserstein estimate E[D(x)] - E[D(G(z))] on held-out real data: the gap
        between it and the training estimate is the paper's overfitting monitor (section
        5.3)."""
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        self._check_real(real)  # held-out data may come without labels
        fake, _ = self._generate_batch(ops.shape(real)[0], training=False)
        real_scores, _ = self._critic_outputs(real, training=False)
        fake_scores, _ = self._critic_outputs(fake, training=False)
        metric = self._log_metrics["wasserstein_estimate"]
        metric.update_state(f32_mean(real_scores) - f32_mean(fake_scores))
        return self._with_loss({"wasserstein_estimate": metric.result()})

    # --- checks on the data, while the step is traced ----------------------------------

    def _unpack_real(self, data):
        """(real, labels or None) of a dataset element, checked against the model."""
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
        """Raises a clear error when the real data cannot be fed to the critic (on static
        shapes, while the step is traced)."""
        want = tuple(self.sample_shape[1:])
        got = tuple(real.shape[1:])
        fits = len(got) == len(want) and all(
            g is None or w is None or g == w for g, w in zip(got, want)
        )
        if not fits:
            raise ValueError(
                f"The real data has examples of shape {got}, but the generator makes "
                f"{want}: the data and the model must agree on rank, size and channels."
            )

    def _check_fake_labels(self, fake, fake_labels):
        """Raises when the critic must classify given generated data whose classes are
        unknown."""
        conditioning = self.conditioning
        if fake is not None and conditioning is not None and conditioning.classify_fake:
            if fake_labels is None:
                raise ValueError(
                    "With ACGAN(classify_fake=True) the critic also classifies the "
                    "generated data: pass the classes it was generated for as `fake_labels`."
                )
