"""`ReferenceBatch`: the fixed latent batch that virtual batch norm normalises with
(section 3.4 of Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen, "Improved Techniques for Training
GANs", NeurIPS 2016, https://arxiv.org/abs/1606.03498).
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_wgan")
class ReferenceBatch(keras.layers.Layer):
    """Puts a fixed reference batch of latent vectors before the batch it is given.

    The reference z are drawn once, when the layer is built, from N(0, I) with `seed`, and
    kept as a non-trainable weight, so they are saved, loaded and exported with the model.
    The `VirtualBatchNormalization` layers behind it normalise with the statistics of
    these first `size` rows; `DropReference` removes them at the end.
    """

    def __init__(self, size=64, seed=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int) or size < 2:
            raise ValueError(
                f"Invalid value for argument `size`. Received: size={size!r}. "
                "Expected an integer >= 2 (a reference batch)."
            )
        self.size = size
        self.seed = seed

    def build(self, input_shape):
        self.reference = self.add_weight(
            name="reference",
            shape=(self.size,) + tuple(input_shape[1:]),
            trainable=False,
            initializer=keras.initializers.RandomNormal(stddev=1.0, seed=self.seed),
        )

    def call(self, inputs):
        return ops.concatenate([ops.cast(self.reference, inputs.dtype), inputs], axis=0)

    def compute_output_shape(self, input_shape):
        return (None,) + tuple(input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "size": self.size, "seed": self.seed}
