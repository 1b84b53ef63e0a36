"""The gradient plumbing of the WGAN step on the TensorFlow backend: nested
`tf.GradientTape`s, the optimisers' `apply`, and the `tf.distribute` replicas.

Algorithm 1 itself is written once, in `keras_wgan.trainers.base`.
"""

import tensorflow as tf

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
    """The TensorFlow half of `keras_wgan.WGAN`'s trainer.

    Under `tf.distribute.MirroredStrategy` or `MultiWorkerMirroredStrategy` each replica
    computes its losses (the penalty too) on its own examples, scales them by
    1 / replicas so that the summed gradients are those of the global batch, and draws its
    own noise (the model's seed, folded with the replica's id).
    """

    def _minimize(self, loss_fn, optimizer, variables):
        with tf.GradientTape() as tape:
            loss, logs, updates = loss_fn()
            # Per replica, then the LossScaleOptimizer's scale under mixed_float16 (its
            # `apply` unscales and skips non-finite steps); identity otherwise.
            scaled = optimizer.scale_loss(loss * _loss_scale())
        grads = tape.gradient(scaled, variables)
        for variable, value in updates:
            variable.assign(value)
        optimizer.apply(grads, variables)
        return logs

    def _input_gradient(self, fn, x):
        return _input_gradient(fn, x)

    def draw(self, kind, shape, maxval=None):
        ctx = _replica_context()
        if ctx is None:
            return super().draw(kind, shape, maxval)
        # The seed generator gives every replica the same seed: fold in the replica id.
        seed = tf.random.experimental.stateless_fold_in(
            tf.cast(self._seed_generator.next(), tf.int64), ctx.replica_id_in_sync_group
        )
        if kind == "normal":
            return tf.random.stateless_normal(shape, seed)
        if kind == "uniform":
            return tf.random.stateless_uniform(shape, seed)
        return tf.random.stateless_uniform(shape, seed, minval=0, maxval=maxval, dtype=tf.int32)

    def assign_values(self, variables, values, replicated=True):
        ctx = _replica_context()
        if ctx is None:
            return super().assign_values(variables, values)
        if not replicated:
            raise ValueError(
                "ADA adapts p to the critic's outputs on one device: under a tf.distribute "
                "strategy each replica would see only its own. Use `DiffAugment` with a "
                "fixed probability there, or the JAX backend."
            )

        def assign_mirrored(strategy, values):
            # Every replica computed the same values from the same weights: assign them
            # once, on every device.
            for variable, value in zip(variables, values):
                strategy.extended.update(
                    variable.value,  # the tf.distribute variable behind the Keras one
                    lambda var, new: var.assign(new),
                    args=(value,),
                )

        ctx.merge_call(assign_mirrored, args=(list(values),))

    def train_step(self, data):
        # After the data arrives: the step's updates of the counters (the optimisers'
        # iterations, the seed) do not read the data, so in the graph they could run even
        # when reading the next element fails at the end of a dataset of unknown length,
        # and count a step that never happened.
        with tf.control_dependencies([t for t in tf.nest.flatten(data) if t is not None]):
            return _for_reduction(self._train_logic(data))

    def test_step(self, data):
        """Reports the Wasserstein estimate E[D(x)] - E[D(G(z))] on held-out real data
        (section 5.3)."""
        return _for_reduction(self._test_logic(data))
