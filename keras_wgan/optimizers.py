"""Optimisers that the paper's reference code used and Keras does not provide as such, and
how a WGAN's two optimisers show themselves to Keras.

- `TF1RMSprop`: TensorFlow 1's RMSProp, which the paper's baselines trained with.
- `OptimizerPair`: `WGAN.optimizer`, the critic's and the generator's optimisers as Keras's
  callbacks and trainers see them (`ReduceLROnPlateau`, `LearningRateScheduler` and
  `TensorBoard` handle each of them; `iterations` counts generator steps).
- `PerGeneratorStep`: a learning-rate schedule of the critic's optimiser evaluated at the
  generator step, so that one schedule means the same on both optimisers.
"""

import math
import numbers

import keras
from keras import ops

__all__ = ["OptimizerPair", "PerGeneratorStep", "TF1RMSprop"]


def _check_number(name, value, low, high=None):
    """Raises Keras's ValueError unless `value` is a real number in [low, high)."""
    if high is None:
        expected = f"a number >= {low}"
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= low
    else:
        expected = f"a number in [{low}, {high})"
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and low <= value < high
    if not ok or not math.isfinite(value):
        raise ValueError(
            f"Invalid value for argument `{name}`. Received: {name}={value!r}. Expected {expected}."
        )


@keras.saving.register_keras_serializable(package="keras_wgan")
class TF1RMSprop(keras.optimizers.Optimizer):
    """RMSProp with the semantics of TensorFlow 1's `tf.train.RMSPropOptimizer`.

    The update, per variable, as TensorFlow 1 defines it (the `rmsprop.py` module
    docstring of `tf.compat.v1.train.RMSPropOptimizer` and the `ApplyRMSProp` kernel in
    `training_ops.cc`, which computes the same thing as `ms += (g**2 - ms) * (1 - rho)`):

        ms  <- rho * ms + (1 - rho) * g**2
        mom <- momentum * mom + learning_rate * g / sqrt(ms + epsilon)
        var <- var - mom

    Epsilon sits inside the square root; `ms` (the "rms" slot) is created filled with
    ones by `_create_slots` (a `ones_initializer`) and `mom` with zeros; the defaults are
    decay (rho) 0.9, momentum 0 and epsilon 1e-10. With momentum 0, `mom` is just the
    step `learning_rate * g / sqrt(ms + epsilon)`, so no momentum variable is kept then.

    How it differs from `keras.optimizers.RMSprop`: Keras starts `ms` at zero and
    defaults epsilon to 1e-7 (it also puts epsilon inside the root). From zero, the first
    step is `lr * g / sqrt(0.1 * g**2)`, about `3.16 * lr * sign(g)` whatever the size
    of g, and steps stay larger than `lr * g / sqrt(E[g**2])` until `ms` has warmed up
    (some tens of steps at rho 0.9). Starting at one, TF1's first step is
    `lr * g / sqrt(0.9 + 0.1 * g**2)`: for the small gradients of a freshly initialised
    network it is about `lr * g`, and the accumulator's memory of the 1 fades as
    0.9**t, so the first ~100 updates are damped. The WGAN-GP paper's code
    (igul222/improved_wgan_training, TensorFlow 1) trains its weight-clipping WGAN
    (learning rate 5e-5) and LSGAN (1e-4) baselines with `tf.train.RMSPropOptimizer` at
    its defaults; Keras's RMSprop with the same learning rate takes early steps up to
    sqrt(10) times larger than those runs did, whatever the gradients' scale, so only
    this optimiser reproduces the baselines' start of training.

    The centered variant and sparse updates of TF1 are not implemented; gradients are
    applied densely, like TF1's dense kernel (the accumulators decay even where the
    gradient is zero).

    Args:
        learning_rate: A float, a `keras.optimizers.schedules.LearningRateSchedule`, or
            a callable without arguments returning the value. Defaults to 0.001.
        rho: Decay of the mean-square accumulator (TF1's `decay`), in [0, 1).
            Defaults to 0.9.
        momentum: Momentum of the step accumulator, >= 0. Defaults to 0.0 (no
            momentum variable is created then).
        epsilon: Added to the mean square inside the square root, >= 0. Defaults to
            1e-10, TF1's default.
        initial_accumulator_value: The value the mean-square accumulator starts at, a
            number >= 0. Defaults to 1.0, as in TF1; 0.0 gives Keras's start.
        **kwargs: The `keras.optimizers.Optimizer` arguments: `name`, `weight_decay`,
            `clipnorm`, `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`.

    Example:

    >>> import keras, keras_wgan
    >>> opt = keras_wgan.optimizers.TF1RMSprop(learning_rate=0.1)
    >>> var = keras.Variable(10.0)
    >>> opt.apply([keras.ops.convert_to_tensor(10.0)], [var])  # g = 10
    >>> round(float(var.numpy()), 4)  # 10 - 0.1 * 10 / sqrt(0.9 + 0.1 * 100)
    9.6971
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-10,
        initial_accumulator_value=1.0,
        name=None,
        **kwargs,
    ):
        _check_number("rho", rho, 0, 1)
        _check_number("momentum", momentum, 0)
        _check_number("epsilon", epsilon, 0)
        _check_number("initial_accumulator_value", initial_accumulator_value, 0)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = float(rho)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.initial_accumulator_value = float(initial_accumulator_value)

    def build(self, var_list):
        """Creates the mean-square accumulators (and momenta, if momentum > 0)."""
        if self.built:
            return
        super().build(var_list)
        start = keras.initializers.Constant(self.initial_accumulator_value)
        self._mean_squares = [
            self.add_variable_from_reference(v, name="rms", initializer=start) for v in var_list
        ]
        self._momentums = []
        if self.momentum > 0:
            self._momentums = [
                self.add_variable_from_reference(v, name="momentum") for v in var_list
            ]

    def update_step(self, gradient, variable, learning_rate):
        """Applies TF1's dense RMSProp update to one variable."""
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        ms = self._mean_squares[index]
        self.assign(
            ms,
            ops.add(ops.multiply(self.rho, ms), ops.multiply(1.0 - self.rho, ops.square(gradient))),
        )
        step = ops.divide(ops.multiply(lr, gradient), ops.sqrt(ops.add(ms, self.epsilon)))
        if self.momentum > 0:
            mom = self._momentums[index]
            self.assign(mom, ops.add(ops.multiply(self.momentum, mom), step))
            self.assign_sub(variable, mom)
        else:
            self.assign_sub(variable, step)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "rho": self.rho,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "initial_accumulator_value": self.initial_accumulator_value,
            }
        )
        return config


class _Role:
    """One of the pair's optimisers under the name of its role ("critic", "generator").

    Keras's learning-rate callbacks log and set `learning_rate_<name>` for each optimiser
    of a `model.optimizer.optimizers`; both optimisers are usually named "adam", so the
    pair shows them under their roles. Everything else is the optimiser's own.
    """

    def __init__(self, name, optimizer):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "optimizer", optimizer)

    def __getattr__(self, attr):
        return getattr(self.optimizer, attr)

    def __setattr__(self, attr, value):
        setattr(self.optimizer, attr, value)


def _rate(optimizer):
    return float(ops.convert_to_numpy(optimizer.learning_rate))


class OptimizerPair:
    """A `WGAN`'s two optimisers, as Keras sees its `model.optimizer`.

    Keras's callbacks and trainers know one optimiser per model; a WGAN has the critic's
    (`d_optimizer`) and the generator's (`g_optimizer`). The pair stands for both:

    - `optimizers`: both, named "critic" and "generator". Keras's `ReduceLROnPlateau`
      multiplies each one's learning rate by its factor (so their ratio stays), Keras's
      `LearningRateScheduler` calls its schedule once for each with that one's current
      rate, and both log `learning_rate_critic` and `learning_rate_generator`.
    - `learning_rate`: the generator's; setting it scales the critic's by the same factor
      (both are set to the value when the generator's is 0).
    - `iterations`: the generator steps made (the critic's optimiser makes `n_critic`
      updates per step), which Keras's `TensorBoard` callback uses as its step.
    - `variables`: the critic's optimiser's variables, then the generator's, the state
      Keras's JAX trainer carries through its compiled step.

    Example:
    >>> import keras
    >>> pair = OptimizerPair(keras.optimizers.Adam(2e-4), keras.optimizers.Adam(1e-4))
    >>> pair.learning_rate = 5e-5  # halves both
    >>> [(opt.name, round(float(opt.learning_rate), 6)) for opt in pair.optimizers]
    [('critic', 0.0001), ('generator', 5e-05)]
    """

    built = True

    def __init__(self, d_optimizer, g_optimizer):
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.optimizers = [_Role("critic", d_optimizer), _Role("generator", g_optimizer)]

    @property
    def variables(self):
        return list(self.d_optimizer.variables) + list(self.g_optimizer.variables)

    @property
    def iterations(self):
        return self.g_optimizer.iterations

    @property
    def learning_rate(self):
        return self.g_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        old = _rate(self.g_optimizer)
        critic = value if old == 0 else _rate(self.d_optimizer) * (float(value) / old)
        self.g_optimizer.learning_rate = float(value)
        self.d_optimizer.learning_rate = float(critic)

    def build(self, variables):
        """Does nothing: `WGAN.compile` builds both optimisers on their networks."""


@keras.saving.register_keras_serializable(package="keras_wgan")
class PerGeneratorStep(keras.optimizers.schedules.LearningRateSchedule):
    """A learning-rate schedule of the critic's optimiser, evaluated at the generator step.

    The critic's optimiser counts its own updates, `n_critic` per generator step, so a
    schedule handed to it as such would run `n_critic` times as fast as the same schedule
    on the generator's optimiser. `WGAN.compile` wraps a schedule of the critic's optimiser
    in this class, so that `PolynomialDecay(..., decay_steps=N)` ends at generator step N
    on both optimisers. Its value at critic update u is `schedule(u // n_critic)`.

    Args:
        schedule: a `keras.optimizers.schedules.LearningRateSchedule`.
        n_critic: critic updates per generator step.

    Example:
    >>> import keras
    >>> decay = keras.optimizers.schedules.PolynomialDecay(1e-3, decay_steps=10, end_learning_rate=0.0)
    >>> schedule = PerGeneratorStep(decay, n_critic=5)
    >>> [round(float(schedule(u)), 6) for u in (0, 4, 5, 49, 50)]  # critic updates
    [0.001, 0.001, 0.0009, 0.0001, 0.0]
    """

    def __init__(self, schedule, n_critic):
        if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            raise ValueError(
                f"Invalid value for argument `schedule`. Received: schedule={schedule!r}. "
                "Expected a keras.optimizers.schedules.LearningRateSchedule."
            )
        _check_number("n_critic", n_critic, 1)
        self.schedule = schedule
        self.n_critic = int(n_critic)

    def __call__(self, step):
        return self.schedule(ops.floor_divide(step, self.n_critic))

    def get_config(self):
        return {
            "schedule": keras.saving.serialize_keras_object(self.schedule),
            "n_critic": self.n_critic,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["schedule"] = keras.saving.deserialize_keras_object(config["schedule"])
        return cls(**config)
