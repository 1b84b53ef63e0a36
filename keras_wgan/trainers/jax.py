"""The WGAN training step on the JAX backend: pure functions of the variables' values.

Keras's JAX trainer passes the model's state (trainable, non-trainable, optimizer and metric
variable values) through a jitted `train_step(state, data)`. The WGAN has two optimisers,
which Keras does not know about: `OptimizerPair` shows them to Keras as one
`model.optimizer` whose variables are the critic's then the generator's, so that Keras's
own machinery (state gathering, donation, sharding under `keras.distribution`, syncing back
after each epoch) carries both.

The gradient penalty takes `jax.grad` of the critic's summed scores with respect to x-hat,
inside the function `jax.grad` differentiates for the critic's parameters: the double
gradient of equation 3.
"""

import jax
import jax.numpy as jnp
import keras
from keras.src.backend.common.stateless_scope import StatelessScope

from keras_wgan import losses as losses_lib
from keras_wgan.trainers.common import Draws


class OptimizerPair:
    """The critic's and the generator's optimisers, seen by Keras as one.

    Keras's JAX trainer reads `model.optimizer.variables` to build, donate and sync the
    optimiser state; this lists both optimisers' variables, critic first.
    """

    built = True

    def __init__(self, d_optimizer, g_optimizer):
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def variables(self):
        return list(self.d_optimizer.variables) + list(self.g_optimizer.variables)

    @property
    def iterations(self):
        return self.g_optimizer.iterations

    @property
    def learning_rate(self):
        return self.g_optimizer.learning_rate

    def build(self, variables):  # both are built by WGAN.compile
        pass


def _positions(variables, subset):
    """Indices of `subset`'s variables within `variables` (by identity)."""
    index = {id(v): i for i, v in enumerate(variables)}
    return [index[id(v)] for v in subset]


def _take(values, positions):
    return [values[i] for i in positions]


def _put(values, positions, new):
    values = list(values)
    for i, value in zip(positions, new):
        values[i] = value
    return values


def _f32_mean(x):
    return jnp.mean(jnp.asarray(x, jnp.float32))


class JAXTrainer(Draws):
    """Mixin holding `train_step` and `test_step` for `keras_wgan.WGAN` on JAX.

    Random draws (z, alpha, labels) use the model's `SeedGenerator` through a
    `StatelessScope`, so its state advances inside the jitted step exactly as on
    TensorFlow, and is saved with the model.
    """

    # --- set-up ------------------------------------------------------------------------

    def _attach_optimizers(self):
        for opt in (self.d_optimizer, self.g_optimizer):
            if isinstance(opt, keras.optimizers.LossScaleOptimizer):
                raise ValueError(
                    "The JAX trainer does not scale losses: train in float32 or with the "
                    "mixed_bfloat16 policy on JAX (mixed_float16 needs the TensorFlow backend)."
                )
        self.optimizer = OptimizerPair(self.d_optimizer, self.g_optimizer)
        self._jax_layout = None

    def _layout(self):
        """Where the generator's and critic's variables sit in the model's state lists."""
        if self._jax_layout is None:
            trainable, non_trainable = self.trainable_variables, self.non_trainable_variables
            num_d = len(self.d_optimizer.variables)
            self._jax_layout = {
                "g": _positions(trainable, self.generator.trainable_variables),
                "c": _positions(trainable, self.critic.trainable_variables),
                "g_nt": _positions(non_trainable, self.generator.non_trainable_variables),
                "c_nt": _positions(non_trainable, self.critic.non_trainable_variables),
                "seed": _positions(non_trainable, [self.seed_generator.state])[0],
                "d_opt": slice(0, num_d),
                "g_opt": slice(num_d, None),
                "g_iterations": num_d + _positions(self.g_optimizer.variables,
                                                   [self.g_optimizer.iterations])[0],
            }
        return self._jax_layout

    def generator_step(self):
        """The generator's update count, also in the middle of a JAX `fit` epoch (when
        Keras has lent the variables' values to the jitted step)."""
        state = getattr(self, "_jax_state", None)
        if state and not self._jax_state_synced and state.get("optimizer_variables"):
            return int(state["optimizer_variables"][self._layout()["g_iterations"]])
        return int(keras.ops.convert_to_numpy(self.g_optimizer.iterations))

    # --- pure pieces -------------------------------------------------------------------

    def _draw(self, seed_state, fn):
        """Runs `fn()` (random draws from `self.seed_generator`) on the given seed state;
        returns (its result, the advanced seed state)."""
        with StatelessScope(state_mapping=[(self.seed_generator.state, seed_state)]) as scope:
            out = fn()
            new_state = scope.get_current_value(self.seed_generator.state)
        return out, seed_state if new_state is None else new_state

    def _critic(self, c_tv, c_nt, x, training):
        outputs, c_nt = self.critic.stateless_call(c_tv, c_nt, x, training=training)
        if isinstance(outputs, (list, tuple)):
            scores, logits = outputs
        else:
            scores, logits = outputs, None
        return scores, logits, c_nt

    def _generator(self, g_tv, g_nt, z, labels, training):
        inputs = [z, labels] if self.num_classes else z
        return self.generator.stateless_call(g_tv, g_nt, inputs, training=training)

    def _penalty(self, c_tv, c_nt, real, fake, alpha):
        """(penalty, mean norm) of equation 3, differentiable in `c_tv`."""
        x_hat = losses_lib.interpolate(real, fake, alpha)

        def summed_scores(x):
            # The sum gives each example its own gradient (no batch norm in the critic).
            scores, _, _ = self._critic(c_tv, c_nt, x, training=True)
            return jnp.sum(jnp.asarray(scores, jnp.float32))

        norms = losses_lib.gradient_norm(jax.grad(summed_scores)(x_hat))
        one_sided = self.loss_spec.penalty == "one-sided"
        return losses_lib.gradient_penalty_from_norms(norms, one_sided), jnp.mean(norms)

    def critic_loss_fn(self, c_tv, c_nt, real, fake, alpha, labels, fake_labels=None):
        """The critic's loss (Algorithm 1, line 7) and its logs; pure in `c_tv`."""
        spec = self.loss_spec
        if self.joint_critic_call:  # one call on both halves (see WGAN.joint_critic_call)
            n = real.shape[0]
            scores, logits, c_nt = self._critic(
                c_tv, c_nt, jnp.concatenate([real, fake.astype(real.dtype)]), training=True)
            real_scores, fake_scores = scores[:n], scores[n:]
            real_logits = None if logits is None else logits[:n]
            fake_logits = None if logits is None else logits[n:]
        else:
            real_scores, real_logits, c_nt = self._critic(c_tv, c_nt, real, training=True)
            fake_scores, fake_logits, c_nt = self._critic(c_tv, c_nt, fake, training=True)
        loss = spec.critic_loss(real_scores, fake_scores)
        logs = {"wasserstein_estimate": _f32_mean(real_scores) - _f32_mean(fake_scores)}
        if spec.penalty:
            penalty, norm = self._penalty(c_tv, c_nt, real, fake, alpha)
            loss = loss + self.gp_weight * penalty
            logs.update(gradient_penalty=penalty, grad_norm=norm)
        if self.num_classes:
            class_loss = self.critic_class_loss(labels, real_logits, fake_labels, fake_logits)
            loss = loss + self.ac_weight_critic * class_loss
            logs["critic_class_loss"] = class_loss
        logs["critic_loss"] = loss
        return loss, (logs, c_nt)

    def generator_loss_fn(self, g_tv, g_nt, c_tv, c_nt, z, labels):
        """The generator's loss (Algorithm 1, line 11) and its logs; pure in `g_tv`."""
        fake, g_nt = self._generator(g_tv, g_nt, z, labels, training=True)
        scores, logits, c_nt = self._critic(c_tv, c_nt, fake, training=True)
        loss = self.loss_spec.generator_loss(scores)
        logs = {}
        if self.num_classes:
            class_loss = losses_lib.classification_loss(labels, logits)
            loss = loss + self.ac_weight_generator * class_loss
            logs["generator_class_loss"] = class_loss
        logs["generator_loss"] = loss
        return loss, (logs, g_nt, c_nt)

    # --- one update of each network, pure in the state ---------------------------------

    def _critic_step(self, st, real, labels, fake=None, alpha=None, fake_labels=None):
        """One critic update (Algorithm 1, lines 2-9) on the state `st` (a dict of the
        generator's and critic's variable values, the critic optimiser's and the seed);
        returns (logs, new state). Draws fake data (z then labels, as G(z) is drawn on
        TensorFlow) and alpha from the seed when not given."""
        st = dict(st)
        batch_size = real.shape[0]
        if fake is None:
            def draw():
                z = self.sample_latent(batch_size)
                return z, (self.sample_labels(batch_size) if self.num_classes else None)

            (z, fake_labels), st["seed"] = self._draw(st["seed"], draw)
            fake, st["g_nt"] = self._generator(st["g_tv"], st["g_nt"], z, fake_labels,
                                               training=True)
        self.check_fake_labels(fake_labels)
        if alpha is None and self.loss_spec.penalty:
            alpha, st["seed"] = self._draw(st["seed"], lambda: self.draw("uniform", (batch_size,)))
        grads, (logs, st["c_nt"]) = jax.grad(self.critic_loss_fn, has_aux=True)(
            st["c_tv"], st["c_nt"], real, jax.lax.stop_gradient(fake), alpha, labels,
            fake_labels)
        c_tv, st["d_opt"] = self.d_optimizer.stateless_apply(st["d_opt"], grads, st["c_tv"])
        if self.loss_spec.clip_weights:
            c_tv = [jnp.clip(v, -self.clip_value, self.clip_value) for v in c_tv]
        st["c_tv"] = c_tv
        return logs, st

    def _generator_step(self, st, batch_size, z=None, labels=None):
        """One generator update (Algorithm 1, lines 10-12) on the state `st`; returns
        (logs, new state). Draws labels then z from the seed when not given."""
        st = dict(st)
        if self.num_classes and labels is None:
            labels, st["seed"] = self._draw(st["seed"], lambda: self.sample_labels(batch_size))
        if z is None:
            z, st["seed"] = self._draw(st["seed"], lambda: self.sample_latent(batch_size))
        grads, (logs, st["g_nt"], st["c_nt"]) = jax.grad(self.generator_loss_fn, has_aux=True)(
            st["g_tv"], st["g_nt"], st["c_tv"], st["c_nt"], z, labels)
        st["g_tv"], st["g_opt"] = self.g_optimizer.stateless_apply(st["g_opt"], grads, st["g_tv"])
        return logs, st

    # --- eager updates (the same public API as the TensorFlow trainer) ------------------

    def _owners(self):
        """The variables behind each entry of the state `_critic_step` works on."""
        return {
            "g_tv": self.generator.trainable_variables,
            "g_nt": self.generator.non_trainable_variables,
            "c_tv": self.critic.trainable_variables,
            "c_nt": self.critic.non_trainable_variables,
            "d_opt": self.d_optimizer.variables,
            "g_opt": self.g_optimizer.variables,
        }

    def _eager(self, step, *args, **kwargs):
        """Runs a pure step on the variables' current values and assigns the results."""
        st = {key: [v.value for v in variables] for key, variables in self._owners().items()}
        st["seed"] = self.seed_generator.state.value
        logs, st = step(st, *args, **kwargs)
        for key, variables in self._owners().items():
            for variable, value in zip(variables, st[key]):
                variable.assign(value)
        self.seed_generator.state.assign(st["seed"])
        return logs

    def critic_update(self, real, fake=None, labels=None, alpha=None, fake_labels=None):
        """One critic update on a real batch, outside `fit` (Algorithm 1, lines 2-9).

        Arguments and returned logs as for the TensorFlow trainer's `critic_update`.
        """
        return self._eager(self._critic_step, jnp.asarray(real), labels,
                           fake=None if fake is None else jnp.asarray(fake),
                           alpha=None if alpha is None else jnp.asarray(alpha),
                           fake_labels=fake_labels)

    def generator_update(self, batch_size, z=None, labels=None):
        """One generator update, outside `fit` (Algorithm 1, lines 10-12)."""
        return self._eager(self._generator_step, batch_size,
                           z=None if z is None else jnp.asarray(z), labels=labels)

    # --- the step ----------------------------------------------------------------------

    def train_step(self, state, data):
        trainable, non_trainable, opt_vars, metric_vars = state
        real, labels = self.unpack_real(data)
        at = self._layout()
        st = {
            "g_tv": _take(trainable, at["g"]), "c_tv": _take(trainable, at["c"]),
            "g_nt": _take(non_trainable, at["g_nt"]), "c_nt": _take(non_trainable, at["c_nt"]),
            "d_opt": list(opt_vars[at["d_opt"]]), "g_opt": list(opt_vars[at["g_opt"]]),
            "seed": non_trainable[at["seed"]],
        }
        reals = self.split_critic_batches(real)
        label_batches = (self.split_critic_batches(labels) if self.num_classes
                         else [None] * self.n_critic)
        critic_logs = []
        for real_batch, label_batch in zip(reals, label_batches):  # unrolled under jit
            logs, st = self._critic_step(st, real_batch, label_batch)
            critic_logs.append(logs)
        g_logs, st = self._generator_step(st, self.generator_batch_size or reals[0].shape[0])

        values = {name: sum(log[name] for log in critic_logs) / len(critic_logs)
                  for name in critic_logs[0]}
        values.update(g_logs)
        logs, metric_vars = self._update_tracked(metric_vars, values)
        trainable = _put(_put(trainable, at["g"], st["g_tv"]), at["c"], st["c_tv"])
        non_trainable = _put(_put(non_trainable, at["g_nt"], st["g_nt"]), at["c_nt"], st["c_nt"])
        non_trainable[at["seed"]] = st["seed"]
        return logs, (trainable, non_trainable, st["d_opt"] + st["g_opt"], metric_vars)

    def _update_tracked(self, metric_vars, values):
        """Updates the `tracked` Mean metrics statelessly; returns (logs, new variables)."""
        new_vars, logs, start = [], {}, 0
        for name, metric in self.tracked.items():
            count = len(metric.variables)
            own = metric_vars[start:start + count]
            start += count
            if name in values:
                own = metric.stateless_update_state(own, values[name])
            new_vars.extend(own)
            logs[name] = metric.stateless_result(own)
        return logs, new_vars

    def test_step(self, state, data):
        """The Wasserstein estimate E[D(x)] - E[D(G(z))] on held-out real data (section 5.3)."""
        trainable, non_trainable, metric_vars = state
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        self.check_real(real)  # held-out data may come without labels
        at = self._layout()
        g_tv, c_tv = _take(trainable, at["g"]), _take(trainable, at["c"])
        g_nt, c_nt = _take(non_trainable, at["g_nt"]), _take(non_trainable, at["c_nt"])
        batch_size = real.shape[0]

        def draw():
            z = self.sample_latent(batch_size)
            return z, (self.sample_labels(batch_size) if self.num_classes else None)

        (z, labels), seed = self._draw(non_trainable[at["seed"]], draw)
        fake, _ = self._generator(g_tv, g_nt, z, labels, training=False)
        real_scores, _, _ = self._critic(c_tv, c_nt, real, training=False)
        fake_scores, _, _ = self._critic(c_tv, c_nt, fake, training=False)
        estimate = _f32_mean(real_scores) - _f32_mean(fake_scores)
        logs, new_vars = self._update_tracked(metric_vars, {"wasserstein_estimate": estimate})
        logs = {"wasserstein_estimate": logs["wasserstein_estimate"]}
        non_trainable = list(non_trainable)
        non_trainable[at["seed"]] = seed
        return logs, (trainable, non_trainable, new_vars)
