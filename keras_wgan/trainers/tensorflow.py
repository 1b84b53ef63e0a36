"""The WGAN training step on the TensorFlow backend (nested `tf.GradientTape`s)."""

import keras
import tensorflow as tf

from keras_wgan import losses as losses_lib
from keras_wgan.trainers.common import Draws


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
    x_hat = losses_lib.interpolate(real, fake, alpha)
    with tf.GradientTape() as inner:
        inner.watch(x_hat)
        # The sum over the batch gives each example its own gradient: the critic has no
        # cross-example coupling (no batch norm), which the WGAN constructor checks.
        total = tf.reduce_sum(tf.cast(critic(x_hat, training=training), tf.float32))
    grads = inner.gradient(total, x_hat)
    norms = losses_lib.gradient_norm(grads)
    return losses_lib.gradient_penalty_from_norms(norms, one_sided), tf.reduce_mean(norms)


def _mean(x):
    return tf.reduce_mean(tf.cast(x, tf.float32))


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


class TensorFlowTrainer(Draws):
    """Mixin holding `train_step` and `test_step` for `keras_wgan.WGAN` on TensorFlow.

    It uses the backend-neutral pieces of `WGAN`: `sample_latent`, `sample_labels`,
    `generate_batch` and `critic_outputs`.

    Under `tf.distribute.MirroredStrategy` or `MultiWorkerMirroredStrategy` each replica
    computes its losses (the penalty too) on its own examples, scales them by
    1 / replicas so that the summed gradients are those of the global batch, and draws its
    own noise (the model's seed, folded with the replica's id).
    """

    def draw(self, kind, shape, maxval=None):
        ctx = _replica_context()
        if ctx is None:
            return super().draw(kind, shape, maxval)
        # The seed generator gives every replica the same seed: fold in the replica id.
        seed = tf.random.experimental.stateless_fold_in(
            tf.cast(self.seed_generator.next(), tf.int64), ctx.replica_id_in_sync_group)
        if kind == "normal":
            return tf.random.stateless_normal(shape, seed)
        if kind == "uniform":
            return tf.random.stateless_uniform(shape, seed)
        return tf.random.stateless_uniform(shape, seed, minval=0, maxval=maxval, dtype=tf.int32)

    def critic_update(self, real, fake=None, labels=None, alpha=None, fake_labels=None):
        """One critic update on a real batch (Algorithm 1, lines 2-9).

        Args:
            real: a batch of real data.
            fake: generated data of the same shape; by default drawn from the generator.
            labels: the real batch's class labels (conditional models only).
            alpha: the interpolation weights of x-hat, [batch]; by default U[0, 1].
            fake_labels: the classes `fake` was generated for (conditional models whose
                critic also classifies generated images, `conditioning="ac-gan"`); drawn
                with the fake data when it is drawn here.

        Returns:
            A dict of float32 scalars: critic_loss, wasserstein_estimate and, under a
            gradient penalty, gradient_penalty and grad_norm; critic_class_loss for a
            conditional model.
        """
        spec = self.loss_spec
        batch_size = tf.shape(real)[0]
        if fake is None:
            fake, fake_labels = self.generate_batch(batch_size, training=True)
        self.check_fake_labels(fake_labels)
        fake = tf.stop_gradient(fake)
        critic_vars = self.critic.trainable_variables
        with tf.GradientTape() as tape:
            real_scores, real_logits, fake_scores, fake_logits = self._real_and_fake_scores(
                real, fake)
            loss = spec.critic_loss(real_scores, fake_scores)
            if self.historical_averages:
                loss = loss + self.historical_average_loss("critic")
            logs = {"wasserstein_estimate": _mean(real_scores) - _mean(fake_scores)}
            if spec.penalty:
                if alpha is None:
                    alpha = self.draw("uniform", (batch_size,))
                penalty, norm = gradient_penalty(
                    lambda x, training: self.critic_outputs(x, training)[0],
                    real, fake, alpha, one_sided=spec.penalty == "one-sided",
                )
                loss = loss + self.gp_weight * penalty
                logs.update(gradient_penalty=penalty, grad_norm=norm)
            if self.num_classes:
                class_loss = self.critic_class_loss(labels, real_logits, fake_labels, fake_logits)
                loss = loss + self.ac_weight_critic * class_loss
                logs["critic_class_loss"] = class_loss
            # Per replica, then the LossScaleOptimizer's scale under mixed_float16 (its
            # `apply` unscales and skips non-finite steps); identity otherwise.
            scaled = self.d_optimizer.scale_loss(loss * _loss_scale())
        grads = tape.gradient(scaled, critic_vars)
        self.d_optimizer.apply(grads, critic_vars)
        if spec.clip_weights:
            self._clip(critic_vars)
        logs["critic_loss"] = loss
        return logs

    def _real_and_fake_scores(self, real, fake):
        """(real scores, real class logits, fake scores, fake class logits) of the critic;
        the logits are None for an unconditional model."""
        if not self.joint_critic_call:
            real_scores, real_logits = self.critic_outputs(real, training=True)
            fake_scores, fake_logits = self.critic_outputs(fake, training=True)
            return real_scores, real_logits, fake_scores, fake_logits
        n = tf.shape(real)[0]
        scores, logits = self.critic_outputs(
            tf.concat([real, tf.cast(fake, real.dtype)], axis=0), training=True)
        if logits is None:
            return scores[:n], None, scores[n:], None
        return scores[:n], logits[:n], scores[n:], logits[n:]

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
                        tf.clip_by_value(var, -self.clip_value, self.clip_value)))

        ctx.merge_call(clip_mirrored)

    def generator_update(self, batch_size, z=None, labels=None, real=None):
        """One generator update (Algorithm 1, lines 10-12).

        Args:
            batch_size: the number of samples.
            z: their latent vectors; by default drawn from N(0, I).
            labels: their classes (conditional models); by default drawn uniformly.
            real: a real batch, for feature matching (whose loss compares the critic's
                features of real and generated data).

        Returns:
            A dict with generator_loss and, for a conditional model, generator_class_loss.
        """
        gen_vars = self.generator.trainable_variables
        if self.num_classes and labels is None:
            labels = self.sample_labels(batch_size)
        with tf.GradientTape() as tape:
            if z is None:
                fake, _ = self.generate_batch(batch_size, labels=labels, training=True)
            else:
                inputs = [z, labels] if self.num_classes else z
                fake = self.generator(inputs, training=True)
            if self.feature_model is not None:
                if real is None:
                    raise ValueError("feature_matching needs the real batch: pass `real`.")
                real_features = tf.stop_gradient(self.feature_model(real, training=True))
                loss = losses_lib.feature_matching_loss(
                    real_features, self.feature_model(fake, training=True))
                fake_logits = None
            else:
                fake_scores, fake_logits = self.critic_outputs(fake, training=True)
                loss = self.loss_spec.generator_loss(fake_scores)
            if self.historical_averages:
                loss = loss + self.historical_average_loss("generator")
            logs = {}
            if self.num_classes:
                class_loss = losses_lib.classification_loss(labels, fake_logits)
                loss = loss + self.ac_weight_generator * class_loss
                logs["generator_class_loss"] = class_loss
            scaled = self.g_optimizer.scale_loss(loss * _loss_scale())
        grads = tape.gradient(scaled, gen_vars)
        self.g_optimizer.apply(grads, gen_vars)
        logs["generator_loss"] = loss
        return logs

    def train_step(self, data):
        real, labels = self.unpack_real(data)
        real_batches = self.split_critic_batches(real)
        label_batches = (self.split_critic_batches(labels) if self.num_classes
                         else [None] * self.n_critic)
        critic_logs = []
        # Unrolled: n_critic updates on fresh real batches inside one compiled step.
        for real_batch, label_batch in zip(real_batches, label_batches):
            critic_logs.append(self.critic_update(real_batch, labels=label_batch))
        # Feature matching compares the critic's features of generated and real data.
        extra = {"real": real_batches[-1]} if self.feature_model is not None else {}
        g_logs = self.generator_update(
            self.generator_batch_size or tf.shape(real_batches[0])[0], **extra)

        for name in critic_logs[0]:
            self.tracked[name].update_state(
                tf.add_n([log[name] for log in critic_logs]) / len(critic_logs)
            )
        for name, value in g_logs.items():
            self.tracked[name].update_state(value)
        return _for_reduction({name: m.result() for name, m in self.tracked.items()})

    def test_step(self, data):
        """Reports the Wasserstein estimate E[D(x)] - E[D(G(z))] on held-out real data.

        The gap between this and the training estimate is the paper's overfitting monitor
        (section 5.3).
        """
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        self.check_real(real)
        fake, _ = self.generate_batch(tf.shape(real)[0], training=False)
        real_scores, _ = self.critic_outputs(real, training=False)
        fake_scores, _ = self.critic_outputs(fake, training=False)
        metric = self.tracked["wasserstein_estimate"]
        metric.update_state(_mean(real_scores) - _mean(fake_scores))
        return _for_reduction({"wasserstein_estimate": metric.result()})
