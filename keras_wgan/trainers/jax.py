"""The WGAN training step on the JAX backend: pure functions of the variables' values.

The losses are assembled once for every backend in `keras_wgan.trainers.base`, from
forward callables that here are `stateless_call`s on the values; this file holds the
gradient plumbing (`jax.grad`, `stateless_apply`) and the threading of the state.

Keras's JAX trainer passes the model's state (trainable, non-trainable, optimizer and metric
variable values) through a jitted `train_step(state, data)`. The WGAN has two optimisers,
which Keras does not know about: `keras_wgan.optimizers.OptimizerPair` shows them to Keras as one
`model.optimizer` whose variables are the critic's then the generator's, so that Keras's
own machinery (state gathering, donation, sharding under `keras.distribution`, syncing back
after each epoch) carries both. The running means of historical averaging are the model's
own non-trainable variables, so they travel in that state too, as do the weights of the
shadow generator of the exponential moving average (`WGAN(ema=...)`).

The gradient penalty takes `jax.grad` of the critic's summed scores with respect to x-hat,
inside the function `jax.grad` differentiates for the critic's parameters: the double
gradient of equation 3.
"""

import jax
import jax.numpy as jnp
import keras
from keras.src.backend.common.stateless_scope import StatelessScope

from keras_wgan import augment as augment_lib
from keras_wgan.trainers import base


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


def _average_args(params, flat):
    """(params, averages, count) for `base.historical_average` from the flat state
    entry [averages..., count], or None when historical averaging is off."""
    return None if flat is None else (params, flat[:-1], flat[-1])


def _flat_average(new_average):
    """The flat state entry [averages..., count] of (averages, count), or None."""
    return None if new_average is None else list(new_average[0]) + [new_average[1]]


class JAXTrainer(base.TrainerBase):
    """Mixin holding the updates, `train_step` and `test_step` of `keras_wgan.WGAN` on
    JAX.

    The losses come from `TrainerBase`, called on `stateless_call`s of the networks.
    Random draws (z, alpha, labels) use the model's `SeedGenerator` through a
    `StatelessScope`, so its state advances inside the jitted step exactly as on
    TensorFlow, and is saved with the model.
    """

    # --- set-up ------------------------------------------------------------------------

    def _on_compile(self):
        """Checks the optimisers (`WGAN.compile` then shows both to Keras as
        `self.optimizer`, a `keras_wgan.optimizers.OptimizerPair`)."""
        for opt in (self.d_optimizer, self.g_optimizer):
            if isinstance(opt, keras.optimizers.LossScaleOptimizer):
                raise ValueError(
                    f"Invalid value for the optimiser {opt.name!r}. Received a "
                    "LossScaleOptimizer. Expected an optimiser without loss scaling: the JAX "
                    "trainer does not scale losses; train in float32 or with the "
                    "mixed_bfloat16 policy on JAX (mixed_float16 needs the TensorFlow backend)."
                )
        self._jax_layout = None

    def _sync_variables(self):
        """Assigns the values a JAX `fit` has lent to its jitted step back to the
        variables (Keras's `jax_state_sync`; a no-op outside `fit`)."""
        self.jax_state_sync()

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
                "seed": _positions(non_trainable, [self._seed_generator.state])[0],
                "d_opt": slice(0, num_d),
                "g_opt": slice(num_d, None),
                "g_iterations": num_d
                + _positions(self.g_optimizer.variables, [self.g_optimizer.iterations])[0],
                "d_iterations": _positions(
                    self.d_optimizer.variables, [self.d_optimizer.iterations]
                )[0],
            }
            self._jax_layout["g_opt_iterations"] = self._jax_layout["g_iterations"] - num_d
            pairs = self._ema_pairs()
            if pairs:
                # The shadow's weights, and where each one's source sits in the
                # generator's trainable ("g_tv") or non-trainable ("g_nt") values.
                self._jax_layout["ema"] = _positions(non_trainable, [p[0] for p in pairs])
                g_tv = {id(v): i for i, v in enumerate(self.generator.trainable_variables)}
                g_nt = {id(v): i for i, v in enumerate(self.generator.non_trainable_variables)}
                self._jax_layout["ema_src"] = [
                    ("g_tv", g_tv[id(w)]) if averaged else ("g_nt", g_nt[id(w)])
                    for _, w, averaged in pairs
                ]
            for key, variables in {**self._average_owners(), **self._augment_owners()}.items():
                self._jax_layout[key] = _positions(non_trainable, variables)
            if self._feature_model is not None:
                # The feature model shares the critic's variables: its values are the
                # critic's, found by identity.
                self._jax_layout["f"] = _positions(
                    self.critic.trainable_variables, self._feature_model.trainable_variables
                )
                self._jax_layout["f_nt"] = _positions(
                    self.critic.non_trainable_variables, self._feature_model.non_trainable_variables
                )
        return self._jax_layout

    def _average_owners(self):
        """The variables behind the state entries "c_avg" and "g_avg" (historical
        averaging): each player's running means, then its count."""
        return {
            f"{player[0]}_avg": list(averages) + [count]
            for player, (averages, count) in self._historical_averages.items()
        }

    def _augment_owners(self):
        """{"aug": p, then ADA's r_t sum and image count} under augmentation, or {}."""
        return {"aug": list(self._augment_state)} if self._augment_state else {}

    def generator_step(self):
        """The generator's update count, also in the middle of a JAX `fit` epoch (when
        Keras has lent the variables' values to the jitted step)."""
        state = getattr(self, "_jax_state", None)
        if state and not self._jax_state_synced and state.get("optimizer_variables"):
            return int(state["optimizer_variables"][self._layout()["g_iterations"]])
        return int(keras.ops.convert_to_numpy(self.g_optimizer.iterations))

    # --- pure pieces -------------------------------------------------------------------

    def _draw_from(self, seed_state, fn):
        """Runs `fn()` (random draws from `self._seed_generator`) on the given seed state;
        returns (its result, the advanced seed state)."""
        with StatelessScope(state_mapping=[(self._seed_generator.state, seed_state)]) as scope:
            out = fn()
            new_state = scope.get_current_value(self._seed_generator.state)
        return out, seed_state if new_state is None else new_state

    def _critic(self, c_tv, c_nt, x, training):
        """(scores, class logits or None, new non-trainable values) of the critic on the
        values `c_tv` and `c_nt`."""
        outputs, c_nt = self.critic.stateless_call(c_tv, c_nt, x, training=training)
        if isinstance(outputs, (list, tuple)):
            scores, logits = outputs
        else:
            scores, logits = outputs, None
        return scores, logits, c_nt

    def _generator(self, g_tv, g_nt, z, labels, training):
        """(G(z) or G(z, labels), new non-trainable values) on the values `g_tv` and
        `g_nt`."""
        inputs = [z, labels] if self.num_classes else z
        return self.generator.stateless_call(g_tv, g_nt, inputs, training=training)

    def _critic_fns(self, c_tv, c_nt):
        """The critic and its features in training mode, on the values `c_tv`, as the
        callables the losses of `TrainerBase` take.

        Returns:
            (critic_fn, features_fn, penalty_fn, non_trainable): the first three as
            `_critic_loss` and `_generator_loss` take them; `non_trainable()` returns the
            critic's non-trainable values after the calls made so far.
        """
        cell = [c_nt]

        def critic_fn(x):
            scores, logits, cell[0] = self._critic(c_tv, cell[0], x, training=True)
            return scores, logits

        def features_fn(x):
            at = self._layout()
            features, f_nt = self._feature_model.stateless_call(
                _take(c_tv, at["f"]), _take(cell[0], at["f_nt"]), x, training=True
            )
            cell[0] = _put(cell[0], at["f_nt"], f_nt)
            return features

        def penalty_fn(x_hat):
            # Evaluated inside its own `jax.grad`: the penalty's critic calls read the
            # non-trainable state and leave it as the scoring left it.
            frozen = cell[0]

            def critic_at(x):
                scores, logits, _ = self._critic(c_tv, frozen, x, training=True)
                return scores, logits

            return jax.grad(base.score_sum(critic_at))(x_hat)

        return critic_fn, features_fn, penalty_fn, lambda: cell[0]

    def _critic_loss_fn(
        self, c_tv, c_nt, c_avg, real, fake, alpha, labels, fake_labels, noise, critic_step
    ):
        """The critic's loss (Algorithm 1, line 7); pure in `c_tv`.

        Returns:
            (loss, (logs, new non-trainable values, new flat historical average or None)).
        """
        critic_fn, _, penalty_fn, non_trainable = self._critic_fns(c_tv, c_nt)
        loss, logs, new_average = self._critic_loss(
            critic_fn,
            real,
            fake,
            labels=labels,
            fake_labels=fake_labels,
            alpha=alpha,
            penalty_fn=penalty_fn,
            average=_average_args(c_tv, c_avg),
            noise=noise,
            critic_step=critic_step,
        )
        return loss, (logs, non_trainable(), _flat_average(new_average))

    def _generator_loss_fn(self, g_tv, g_nt, c_tv, c_nt, g_avg, z, labels, real, augment=None):
        """The generator's loss (Algorithm 1, line 11); pure in `g_tv`. `augment`: the
        generated batch's augmentation parameters, drawn outside, or None.

        Returns:
            (loss, (logs, new generator and critic non-trainable values, new flat
            historical average or None)).
        """
        fake, g_nt = self._generator(g_tv, g_nt, z, labels, training=True)
        fake = augment_lib.apply(fake, augment)
        critic_fn, features_fn, _, non_trainable = self._critic_fns(c_tv, c_nt)
        loss, logs, new_average = self._generator_loss(
            fake,
            labels,
            critic_fn=critic_fn,
            features_fn=features_fn,
            real=real,
            average=_average_args(g_tv, g_avg),
        )
        return loss, (logs, g_nt, non_trainable(), _flat_average(new_average))

    # --- one update of each network, pure in the state ---------------------------------

    def _critic_step(self, st, real, labels, fake=None, alpha=None, fake_labels=None, noise=None):
        """One critic update (Algorithm 1, lines 2-9) on the state `st` (a dict of the
        generator's and critic's variable values, the critic optimiser's, the seed and
        the historical averages); returns (logs, new state). Draws fake data (z then
        labels, as G(z) is drawn on TensorFlow), then alpha and DRAGAN's noise, from the
        seed when not given."""
        st = dict(st)
        batch_size = real.shape[0]
        if fake is None:

            def draw():
                z = self._sample_latent(batch_size)
                return z, (self._sample_labels(batch_size) if self.num_classes else None)

            (z, fake_labels), st["seed"] = self._draw_from(st["seed"], draw)
            fake, st["g_nt"] = self._generator(
                st["g_tv"], st["g_nt"], z, fake_labels, training=True
            )
        (alpha, noise), st["seed"] = self._draw_from(
            st["seed"], lambda: self._penalty_draws(real.shape, alpha, noise)
        )
        if "aug" in st:
            (real, fake), st["seed"] = self._draw_from(
                st["seed"], lambda: self._augment_critic_batches(real, fake, st["aug"][0])
            )
        grads, (logs, st["c_nt"], c_avg) = jax.grad(self._critic_loss_fn, has_aux=True)(
            st["c_tv"],
            st["c_nt"],
            st.get("c_avg"),
            real,
            jax.lax.stop_gradient(fake),
            alpha,
            labels,
            fake_labels,
            noise,
            st["d_opt"][self._layout()["d_iterations"]],
        )
        if c_avg is not None:
            st["c_avg"] = c_avg
        if self.ada_target is not None:
            st["aug"] = list(augment_lib.ada_accumulate(st["aug"], logs["augment_rt"], batch_size))
        c_tv, st["d_opt"] = self.d_optimizer.stateless_apply(st["d_opt"], grads, st["c_tv"])
        if self._loss_spec.clip_weights:
            c_tv = [jnp.clip(v, -self.clip_value, self.clip_value) for v in c_tv]
        st["c_tv"] = c_tv
        return logs, st

    def _generator_step(self, st, batch_size, z=None, labels=None, real=None):
        """One generator update (Algorithm 1, lines 10-12) on the state `st`; returns
        (logs, new state). Draws labels then z from the seed when not given."""
        st = dict(st)
        if self.num_classes and labels is None:
            labels, st["seed"] = self._draw_from(
                st["seed"], lambda: self._sample_labels(batch_size)
            )
        if z is None:
            z, st["seed"] = self._draw_from(st["seed"], lambda: self._sample_latent(batch_size))
        augment = None
        if "aug" in st:
            (augment, real), st["seed"] = self._draw_from(
                st["seed"], lambda: self._augment_generator_draws(batch_size, real, st["aug"][0])
            )
        grads, (logs, st["g_nt"], st["c_nt"], g_avg) = jax.grad(
            self._generator_loss_fn, has_aux=True
        )(st["g_tv"], st["g_nt"], st["c_tv"], st["c_nt"], st.get("g_avg"), z, labels, real, augment)
        if g_avg is not None:
            st["g_avg"] = g_avg
        st["g_tv"], st["g_opt"] = self.g_optimizer.stateless_apply(st["g_opt"], grads, st["g_tv"])
        if "ema" in st:
            at = self._layout()
            st["ema"] = base.ema_update(
                st["ema"],
                [st[key][i] for key, i in at["ema_src"]],
                [key == "g_tv" for key, _ in at["ema_src"]],
                st["g_opt"][at["g_opt_iterations"]],
                self.ema,
                self.ema_start,
            )
        if self.ada_target is not None:
            step = st["g_opt"][self._layout()["g_opt_iterations"]]
            st["aug"] = list(augment_lib.ada_step(st["aug"], step, self.ada_target, self.ada_kimg))
        return logs, st

    # --- eager updates (`critic_update` and `generator_update` of TrainerBase) ----------

    def _owners(self):
        """The variables behind each entry of the state the steps work on."""
        return {
            "g_tv": self.generator.trainable_variables,
            "g_nt": self.generator.non_trainable_variables,
            "c_tv": self.critic.trainable_variables,
            "c_nt": self.critic.non_trainable_variables,
            "d_opt": self.d_optimizer.variables,
            "g_opt": self.g_optimizer.variables,
            **self._average_owners(),
            **self._ema_owners(),
            **self._augment_owners(),
        }

    def _ema_owners(self):
        """{"ema": the shadow generator's weights} (`WGAN(ema=...)`), or {}."""
        pairs = self._ema_pairs()
        return {"ema": [p[0] for p in pairs]} if pairs else {}

    def _eager(self, step, *args, **kwargs):
        """Runs a pure step on the variables' current values and assigns the results."""
        st = {key: [v.value for v in variables] for key, variables in self._owners().items()}
        st["seed"] = self._seed_generator.state.value
        logs, st = step(st, *args, **kwargs)
        for key, variables in self._owners().items():
            for variable, value in zip(variables, st[key]):
                variable.assign(value)
        self._seed_generator.state.assign(st["seed"])
        return logs

    def _critic_update(
        self, real, fake=None, labels=None, alpha=None, fake_labels=None, noise=None
    ):
        return self._eager(
            self._critic_step,
            jnp.asarray(real),
            labels,
            fake=None if fake is None else jnp.asarray(fake),
            alpha=None if alpha is None else jnp.asarray(alpha),
            fake_labels=fake_labels,
            noise=None if noise is None else jnp.asarray(noise),
        )

    def _generator_update(self, batch_size, z=None, labels=None, real=None):
        return self._eager(
            self._generator_step,
            batch_size,
            z=None if z is None else jnp.asarray(z),
            labels=labels,
            real=None if real is None else jnp.asarray(real),
        )

    # --- the step ----------------------------------------------------------------------

    def train_step(self, state, data):
        trainable, non_trainable, opt_vars, metric_vars = state
        real, labels = self._unpack_real(data)
        at = self._layout()
        st = {
            "g_tv": _take(trainable, at["g"]),
            "c_tv": _take(trainable, at["c"]),
            "g_nt": _take(non_trainable, at["g_nt"]),
            "c_nt": _take(non_trainable, at["c_nt"]),
            "d_opt": list(opt_vars[at["d_opt"]]),
            "g_opt": list(opt_vars[at["g_opt"]]),
            "seed": non_trainable[at["seed"]],
        }
        carried = list(self._average_owners()) + list(self._ema_owners())
        carried += list(self._augment_owners())
        for key in carried:
            st[key] = _take(non_trainable, at[key])
        reals = self._split_critic_batches(real)
        label_batches = (
            self._split_critic_batches(labels) if self.num_classes else [None] * self.n_critic
        )
        critic_logs = []
        for real_batch, label_batch in zip(reals, label_batches):  # unrolled under jit
            logs, st = self._critic_step(st, real_batch, label_batch)
            critic_logs.append(logs)
        # Feature matching compares the critic's features of generated and real data.
        features_real = reals[-1] if self._feature_model is not None else None
        g_logs, st = self._generator_step(
            st, self.generator_batch_size or reals[0].shape[0], real=features_real
        )

        values = {
            name: sum(log[name] for log in critic_logs) / len(critic_logs)
            for name in critic_logs[0]
        }
        values.update(g_logs)
        values.update(self._real_data_logs(real))
        values.update(self._augment_p_logs(st["aug"][0] if "aug" in st else None))
        logs, metric_vars = self._update_log_metrics(metric_vars, values)
        trainable = _put(_put(trainable, at["g"], st["g_tv"]), at["c"], st["c_tv"])
        non_trainable = _put(_put(non_trainable, at["g_nt"], st["g_nt"]), at["c_nt"], st["c_nt"])
        for key in carried:
            non_trainable = _put(non_trainable, at[key], st[key])
        non_trainable[at["seed"]] = st["seed"]
        return logs, (trainable, non_trainable, st["d_opt"] + st["g_opt"], metric_vars)

    def _update_log_metrics(self, metric_vars, values):
        """Updates the `_log_metrics` Means statelessly; returns (logs, new variables)."""
        new_vars, logs, start = [], {}, 0
        for name, metric in self._log_metrics.items():
            count = len(metric.variables)
            own = metric_vars[start : start + count]
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
        self._check_real(real)  # held-out data may come without labels
        at = self._layout()
        g_tv, c_tv = _take(trainable, at["g"]), _take(trainable, at["c"])
        g_nt, c_nt = _take(non_trainable, at["g_nt"]), _take(non_trainable, at["c_nt"])
        batch_size = real.shape[0]

        def draw():
            z = self._sample_latent(batch_size)
            return z, (self._sample_labels(batch_size) if self.num_classes else None)

        (z, labels), seed = self._draw_from(non_trainable[at["seed"]], draw)
        fake, _ = self._generator(g_tv, g_nt, z, labels, training=False)
        real_scores, _, _ = self._critic(c_tv, c_nt, real, training=False)
        fake_scores, _, _ = self._critic(c_tv, c_nt, fake, training=False)
        estimate = base.f32_mean(real_scores) - base.f32_mean(fake_scores)
        logs, new_vars = self._update_log_metrics(metric_vars, {"wasserstein_estimate": estimate})
        logs = {"wasserstein_estimate": logs["wasserstein_estimate"]}
        non_trainable = list(non_trainable)
        non_trainable[at["seed"]] = seed
        return logs, (trainable, non_trainable, new_vars)
