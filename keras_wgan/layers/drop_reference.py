"""`DropReference`: removes the reference rows that `ReferenceBatch` put first."""

import keras


@keras.saving.register_keras_serializable(package="keras_wgan")
class DropReference(keras.layers.Layer):
    """Removes the reference batch's `size` rows that `ReferenceBatch` put first."""

    def __init__(self, size=64, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def call(self, inputs):
        return inputs[self.size :]

    def compute_output_shape(self, input_shape):
        return (None,) + tuple(input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "size": self.size}
