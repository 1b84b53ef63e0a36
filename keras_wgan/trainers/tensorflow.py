"""The WGAN training step on the TensorFlow backend (nested `tf.GradientTape`s)."""

import keras
import tensorflow as tf

from keras_wgan import losses as losses_lib


def gradient_penalty(critic, real, fake, alpha, one_sided=False, training=True):
    """The WGAN-GP penalty E[(||grad D(x-hat)||_2 - 1)^2] and the mean norm.

    The inner tape of the paper's equation 3: it takes the gradient of the critic with
    respect to x-hat = alpha * x + (1 - alpha) * G(z). Call it under an outer tape to get
    the critic's parameter gradients of the penalty.

    Args:
        critic: the critic, a callable on a batch.
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


def _split_critic_batches(real, n_critic):
    """Splits a batch of n_critic * B examples into n_critic batches of B, in order."""
    size = real.shape[0]
    if size is not None and size % n_critic:
        raise ValueError(
            f"Each batch holds the real data of all n_critic={n_critic} critic updates, so "
            f"its size must be a multiple of n_critic; received a batch of {size}. Batch "
            "the dataset with `batch_size * n_critic` examples "
            "(`keras_wgan.datasets.critic_batches` does this)."
        )
    return tf.split(real, n_critic, axis=0)


class TensorFlowTrainer:
    """Mixin holding `train_step` and `test_step` for `keras_wgan.WGAN` on TensorFlow."""

    def critic_update(self, real, fake=None):
        """One critic update on a real batch (Algorithm 1, lines 2-9).

        Args:
            real: a batch of real data.
            fake: generated data of the same shape; by default drawn from the generator.

        Returns:
            A dict of float32 scalars: critic_loss, wasserstein_estimate and, under a
            gradient penalty, gradient_penalty and grad_norm.
        """
        spec = self.loss_spec
        batch_size = tf.shape(real)[0]
        if fake is None:
            fake = self.generator(self.sample_latent(batch_size), training=True)
        fake = tf.stop_gradient(fake)
        critic_vars = self.critic.trainable_variables
        with tf.GradientTape() as tape:
            real_scores = self.critic(real, training=True)
            fake_scores = self.critic(fake, training=True)
            loss = spec.critic_loss(real_scores, fake_scores)
            logs = {
                "wasserstein_estimate": tf.reduce_mean(tf.cast(real_scores, tf.float32))
                - tf.reduce_mean(tf.cast(fake_scores, tf.float32))
            }
            if spec.penalty:
                alpha = keras.random.uniform((batch_size,), seed=self.seed_generator)
                penalty, norm = gradient_penalty(
                    self.critic, real, fake, alpha, one_sided=spec.penalty == "one-sided"
                )
                loss = loss + self.gp_weight * penalty
                logs.update(gradient_penalty=penalty, grad_norm=norm)
        grads = tape.gradient(loss, critic_vars)
        self.d_optimizer.apply(grads, critic_vars)
        if spec.clip_weights:
            for v in critic_vars:
                v.assign(tf.clip_by_value(v, -self.clip_value, self.clip_value))
        logs["critic_loss"] = loss
        return logs

    def generator_update(self, batch_size):
        """One generator update (Algorithm 1, lines 10-12). Returns the generator loss."""
        gen_vars = self.generator.trainable_variables
        z = self.sample_latent(batch_size)
        with tf.GradientTape() as tape:
            fake_scores = self.critic(self.generator(z, training=True), training=True)
            loss = self.loss_spec.generator_loss(fake_scores)
        grads = tape.gradient(loss, gen_vars)
        self.g_optimizer.apply(grads, gen_vars)
        return loss

    def train_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        critic_logs = []
        batch_size = None
        # Unrolled: n_critic updates on fresh real batches inside one compiled step.
        for real_batch in _split_critic_batches(real, self.n_critic):
            batch_size = tf.shape(real_batch)[0]
            critic_logs.append(self.critic_update(real_batch))
        g_batch = self.generator_batch_size or batch_size
        g_loss = self.generator_update(g_batch)

        for name in critic_logs[0]:
            self.tracked[name].update_state(tf.add_n([log[name] for log in critic_logs]) / len(critic_logs))
        self.tracked["generator_loss"].update_state(g_loss)
        return {name: m.result() for name, m in self.tracked.items()}

    def test_step(self, data):
        """Reports the Wasserstein estimate E[D(x)] - E[D(G(z))] on held-out real data.

        The gap between this and the training estimate is the paper's overfitting monitor
        (section 5.3).
        """
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        fake = self.generator(self.sample_latent(tf.shape(real)[0]), training=False)
        estimate = tf.reduce_mean(
            tf.cast(self.critic(real, training=False), tf.float32)
        ) - tf.reduce_mean(tf.cast(self.critic(fake, training=False), tf.float32))
        metric = self.tracked["wasserstein_estimate"]
        metric.update_state(estimate)
        return {"wasserstein_estimate": metric.result()}
