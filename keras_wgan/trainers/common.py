"""What every trainer shares: random draws from the model's noise generator."""

import keras


class Draws:
    """`draw(kind, shape)`: z, alpha and labels from `self.seed_generator`.

    A trainer may override it (the TensorFlow one gives each replica of a
    `tf.distribute` strategy its own noise).
    """

    def draw(self, kind, shape, maxval=None):
        """Random values: kind "normal" (N(0, 1)), "uniform" (U[0, 1)) or "randint"
        (integers in [0, maxval))."""
        if kind == "normal":
            return keras.random.normal(shape, seed=self.seed_generator)
        if kind == "uniform":
            return keras.random.uniform(shape, seed=self.seed_generator)
        if kind == "randint":
            return keras.random.randint(shape, 0, maxval, seed=self.seed_generator, dtype="int32")
        raise ValueError(f"Unknown kind of draw {kind!r}.")
