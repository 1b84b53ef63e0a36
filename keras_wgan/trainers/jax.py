"""The gradient plumbing of the WGAN step on the JAX backend: `jax.value_and_grad` of
pure functions of the variables' values.

Algorithm 1 itself is written once, as stateful Keras code, in `keras_wgan.trainers.base`.
Keras's JAX trainer passes the model's state (trainable, non-trainable, optimizer and
metric variable values) through a jitted `train_step(state, data)`; here the shared step
runs inside a `keras.StatelessScope` that maps each variable to its value, and the new
values are read back from the scope. The WGAN has two optimisers, which Keras does not
know about: `keras_wgan.optimizers.OptimizerPair` shows them to Keras as one
`model.optimizer` whose variables are the critic's then the generator's, so that Keras's
own machinery (state gathering, donation, sharding, syncing back) carries both.

Each update differentiates a pure function: the loss computed in a nested scope that maps
the updated variables to the values `jax.value_and_grad` traces; what the networks update
on the way (batch norm statistics) leaves it as auxiliary output. The gradient penalty
takes `jax.grad` with respect to x-hat inside it: the double gradient of equation 3.
"""

import jax
import keras

from keras_wgan.trainers import base


class JAXTrainer(base.TrainerBase):
    """The JAX half of `keras_wgan.WGAN`'s trainer."""

    def _on_compile(self):
        self._refuse_loss_scaling("JAX")

    def _sync_variables(self):
        """Assigns the values a JAX `fit` has lent to its jitted step back to the
        variables (Keras's `jax_state_sync`; a no-op outside `fit`)."""
        self.jax_state_sync()

    def generator_step(self):
        """The generator's update count, also in the middle of a JAX `fit` epoch (when
        Keras has lent the variables' values to the jitted step)."""
        state = getattr(self, "_jax_state", None)
        if state and not self._jax_state_synced and state.get("optimizer_variables"):
            variables = self.optimizer.variables
            at = next(i for i, v in enumerate(variables) if v is self.g_optimizer.iterations)
            return int(state["optimizer_variables"][at])
        return super().generator_step()

    def _all_variables(self):
        """{id: variable} of every variable the step may update."""
        variables = list(self.variables) + list(self.optimizer.variables)
        variables += list(self.metrics_variables) + [self._seed_generator.state]
        return {id(v): v for v in variables}

    def _minimize(self, loss_fn, optimizer, variables):
        def pure(values):
            with base.nested_scope(zip(variables, values)) as scope:
                initial = dict(scope.state_mapping)
                loss, logs, updates = loss_fn()
            changed = {
                key: value
                for key, value in scope.state_mapping.items()
                if initial.get(key) is not value
            }
            changed.update({id(variable): value for variable, value in updates})
            return loss, (logs, changed)

        values = [v.value for v in variables]
        (_, (logs, changed)), grads = jax.value_and_grad(pure, has_aux=True)(values)
        owners = self._all_variables()
        for key, value in changed.items():
            owners[key].assign(value)
        optimizer.apply(grads, variables)
        return logs

    def _input_gradient(self, fn, x):
        return jax.grad(fn)(x)

    def _stateless(self, step, variables, values, data):
        """Runs `step(data)` with `variables` mapped to `values`; returns (its result,
        the new values)."""
        with keras.StatelessScope(state_mapping=list(zip(variables, values))) as scope:
            logs = step(data)
        new = [scope.get_current_value(v) for v in variables]
        return logs, [old if value is None else value for old, value in zip(values, new)]

    def train_step(self, state, data):
        trainable, non_trainable, opt_vars, metric_vars = state
        groups = [
            (self.trainable_variables, trainable),
            (self.non_trainable_variables, non_trainable),
            (self.optimizer.variables, opt_vars),
            (self.metrics_variables, metric_vars),
        ]
        variables = [v for group, _ in groups for v in group]
        values = [x for _, group in groups for x in group]
        logs, new = self._stateless(self._train_logic, variables, values, data)
        sizes = [len(group) for group, _ in groups]
        splits = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
        return logs, tuple(new[a:b] for a, b in zip(splits[:-1], splits[1:]))

    def test_step(self, state, data):
        """The Wasserstein estimate E[D(x)] - E[D(G(z))] on held-out real data (section 5.3)."""
        trainable, non_trainable, metric_vars = state
        groups = [
            (self.trainable_variables, trainable),
            (self.non_trainable_variables, non_trainable),
            (self.metrics_variables, metric_vars),
        ]
        variables = [v for group, _ in groups for v in group]
        values = [x for _, group in groups for x in group]
        logs, new = self._stateless(self._test_logic, variables, values, data)
        n, m = len(trainable), len(non_trainable)
        return logs, (trainable, new[n : n + m], new[n + m :])
