"""The WGAN training step on the TensorFlow backend (nested `tf.GradientTape`s).

The losses are assembled once for every backend in `keras_wgan.trainers.base`; this file
holds the gradient plumbing: the tapes, the optimisers' `apply`, the weight clipping and
the `tf.distribute` replicas.
"""

import keras
import tensorflow as tf

from keras_wgan import augment as augment_lib
from keras_wgan.trainers import base


def _input_gradient(fn, x):
    """The gradient of the scalar fn(x) with respect to x, taken by an inner tape.

    An outer tape records it, so the penalty built on it has parameter gradients: the
    double gradient of equation 3.
    """
    with tf.GradientTape() as inner:
        inner.watch(x)
        total = fn(x)
    return inner.gradient(total, x)


def gradient_penalty(critic, real, fake, alpha, one_sided=False, training=True):
    """The WGAN-GP penalty E[(||grad D(x-hat)||_2 - 1)^2] and the mean norm.

    The inner tape of the paper's equation 3: it takes the gradient of the critic with
    respect to x-hat = alpha * x + (1 - alpha) * G(z). Call it under an outer tape to get
    the critic's parameter gradients of the penalty.

    Args:
        critic: a callable on a batch returning one score per example.
        real, fake: batches of the same shape, any rank.
        alpha: mixing weights of shape [batch] (the paper: U[0, 1] per example).
        one_sided: penalise only norms above 1.
        training: passed to the critic.

    Returns:
        (penalty, mean_norm): float32 scalars.
    """
    summed = base.score_sum(lambda x: (critic(x, training=training), None))
    return base.gradient_penalty(
        lambda x_hat: _input_gradient(summed, x_hat), real, fake, alpha, one_sided
    )


def _replica_context():
    """The replica context of a `tf.distribute` strategy with several replicas, or None."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return None
    return ctx


def _loss_scale():
    """1 / replicas: gradients are summed across replicas, and each replica's loss is a
    mean over its own part of the global batch."""
    ctx = _replica_context()
    return 1.0 if ctx is None else 1.0 / ctx.num_replicas_in_sync


def _for_reduction(logs):
    """Logs as Keras can reduce them across replicas.

    Under MultiWorkerMirroredStrategy Keras averages each log over axis 0 of the replicas'
    values, which fails on scalars: give them that axis.
    """
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        return {name: tf.reshape(value, [1]) for name, value in logs.items()}
    return logs


class TensorFlowTrainer(base.TrainerBase):
    """Mixin holding the updates, `train_step` and `test_step` of `keras_wgan.WGAN` on
    TensorFlow.

    The losses come from `TrainerBase`, called under tapes on the stateful networks.

    Under `tf.distribute.MirroredStrategy` or `MultiWorkerMirroredStrategy` each replica
    computes its losses (the penalty too) on its own examples, scales them by
    1 / replicas so that the summed gradients are those of the global batch, and draws its
    own noise (the model's seed, folded with the replica's id).
    """

    def _draw(self, kind, shape, maxval=None):
        ctx = _replica_context()
        if ctx is None:
            return super()._draw(kind, shape, maxval)
        # The seed generator gives every replica the same seed: fold in the replica id.
        seed = tf.random.experimental.stateless_fold_in(
            tf.cast(self._seed_generator.next(), tf.int64), ctx.replica_id_in_sync_group
        )
        if kind == "normal":
            return tf.random.stateless_normal(shape, seed)
        if kind == "uniform":
            return tf.random.stateless_uniform(shape, seed)
        return tf.random.stateless_uniform(shape, seed, minval=0, maxval=maxval, dtype=tf.int32)

    def _critic_fn(self, x):
        """The critic in training mode as the losses of `TrainerBase` take it: a batch
        to (scores, class logits or None), recorded by the enclosing tape."""
        return self._critic_outputs(x, training=True)

    def _penalty_critic_fn(self, x):
        """The critic in training mode as the penalty's inner tape takes it: differentiable
        in its variables (read under the tapes), but leaving its non-trainable state (a
        spectral norm's u, a dropout seed) as the scoring left it, as on JAX."""
        mapping = [(v, v.value) for v in self.critic.weights]
        with keras.StatelessScope(state_mapping=mapping, initialize_variables=False):
            return self._critic_outputs(x, training=True)

    def _critic_update(
        self, real, fake=None, labels=None, alpha=None, fake_labels=None, noise=None
    ):
        batch_size = tf.shape(real)[0]
        if fake is None:
            fake, fake_labels = self._generate_batch(batch_size, training=True)
        fake = tf.stop_gradient(fake)
        # Drawn after z and the labels, as on JAX: the seed's stream stays the same.
        alpha, noise = self._penalty_draws(keras.ops.shape(real), alpha, noise)
        real, fake = self._augment_critic_batches(real, fake, self._augment_probability())
        summed = base.score_sum(self._penalty_critic_fn)
        critic_vars = self.critic.trainable_variables
        with tf.GradientTape() as tape:
            loss, logs, new_average = self._critic_loss(
                self._critic_fn,
                real,
                fake,
                labels=labels,
                fake_labels=fake_labels,
                alpha=alpha,
                penalty_fn=lambda x_hat: _input_gradient(summed, x_hat),
                average=self._historical_state("critic"),
                noise=noise,
                critic_step=self.d_optimizer.iterations,
            )
            # Per replica, then the LossScaleOptimizer's scale under mixed_float16 (its
            # `apply` unscales and skips non-finite steps); identity otherwise.
            scaled = self.d_optimizer.scale_loss(loss * _loss_scale())
        grads = tape.gradient(scaled, critic_vars)
        self._assign_historical_averages("critic", new_average)
        self._ada_record(logs, batch_size)
        self.d_optimizer.apply(grads, critic_vars)
        if self._loss_spec.clip_weights:
            self._clip(critic_vars)
        return logs

    def _clip(self, variables):
        """Clips the critic's weights to [-c, c] (WGAN with weight clipping)."""
        ctx = _replica_context()
        if ctx is None:
            for v in variables:
                v.assign(tf.clip_by_value(v, -self.clip_value, self.clip_value))
            return

        def clip_mirrored(strategy):
            # The updated weights are the same on every replica: clip them once, everywhere.
            for v in variables:
                strategy.extended.update(
                    v.value,  # the tf.distribute variable behind the Keras one
                    lambda var: var.assign(
                        tf.clip_by_value(var, -self.clip_value, self.clip_value)
                    ),
                )

        ctx.merge_call(clip_mirrored)

    def _generator_update(self, batch_size, z=None, labels=None, real=None):
        gen_vars = self.generator.trainable_variables
        if self.num_classes and labels is None:
            labels = self._sample_labels(batch_size)
        features_fn = None
        if self._feature_model is not None:

            def features_fn(x):
                return self._feature_model(x, training=True)

        with tf.GradientTape() as tape:
            if z is None:
                fake, _ = self._generate_batch(batch_size, labels=labels, training=True)
            else:
                inputs = [z, labels] if self.num_classes else z
                fake = self.generator(inputs, training=True)
            params, real = self._augment_generator_draws(
                batch_size, real, self._augment_probability()
            )
            fake = augment_lib.apply(fake, params)
            loss, logs, new_average = self._generator_loss(
                fake,
                labels,
                critic_fn=self._critic_fn,
                features_fn=features_fn,
                real=real,
                average=self._historical_state("generator"),
            )
            scaled = self.g_optimizer.scale_loss(loss * _loss_scale())
        grads = tape.gradient(scaled, gen_vars)
        self._assign_historical_averages("generator", new_average)
        self.g_optimizer.apply(grads, gen_vars)
        self._update_ema()
        self._ada_update()
        return logs

    def _assign_ema(self, shadows, values):
        ctx = _replica_context()
        if ctx is None:
            return super()._assign_ema(shadows, values)

        def assign_mirrored(strategy, values):
            # Every replica computed the same values from the same weights: assign them
            # once, on every device.
            for shadow, value in zip(shadows, values):
                strategy.extended.update(
                    shadow.value,  # the tf.distribute variable behind the Keras one
                    lambda var, new: var.assign(new),
                    args=(value,),
                )

        ctx.merge_call(assign_mirrored, args=(list(values),))

    def _assign_augment_state(self, values):
        if _replica_context() is not None:
            raise ValueError(
                "ADA (`ada_target`) adapts p to the critic's outputs on one device: under "
                "a tf.distribute strategy each replica would see only its own. Use a fixed "
                "`augment_probability` there, or the JAX backend."
            )
        super()._assign_augment_state(values)

    def train_step(self, data):
        real, labels = self._unpack_real(data)
        real_batches = self._split_critic_batches(real)
        label_batches = (
            self._split_critic_batches(labels) if self.num_classes else [None] * self.n_critic
        )
        critic_logs = []
        # Unrolled: n_critic updates on fresh real batches inside one compiled step.
        for real_batch, label_batch in zip(real_batches, label_batches):
            critic_logs.append(self.critic_update(real_batch, labels=label_batch))
        # Feature matching compares the critic's features of generated and real data.
        extra = {"real": real_batches[-1]} if self._feature_model is not None else {}
        g_logs = self.generator_update(
            self.generator_batch_size or tf.shape(real_batches[0])[0], **extra
        )

        for name in critic_logs[0]:
            self._log_metrics[name].update_state(
                tf.add_n([log[name] for log in critic_logs]) / len(critic_logs)
            )
        p_logs = self._augment_p_logs(self._augment_probability())
        for name, value in {**g_logs, **self._real_data_logs(real), **p_logs}.items():
            self._log_metrics[name].update_state(value)
        return _for_reduction({name: m.result() for name, m in self._log_metrics.items()})

    def test_step(self, data):
        """Reports the Wasserstein estimate E[D(x)] - E[D(G(z))] on held-out real data.

        The gap between this and the training estimate is the paper's overfitting monitor
        (section 5.3).
        """
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        self._check_real(real)
        fake, _ = self._generate_batch(tf.shape(real)[0], training=False)
        real_scores, _ = self._critic_outputs(real, training=False)
        fake_scores, _ = self._critic_outputs(fake, training=False)
        metric = self._log_metrics["wasserstein_estimate"]
        metric.update_state(base.f32_mean(real_scores) - base.f32_mean(fake_scores))
        return _for_reduction({"wasserstein_estimate": metric.result()})
