"""Salimans et al. 2016 for standard GANs: the functions that add minibatch discrimination
and virtual batch normalisation (`keras_wgan.layers`) to a built pair, and feature matching's
view of a critic.

Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen, "Improved Techniques for Training
GANs", NeurIPS 2016, https://arxiv.org/abs/1606.03498, sections 3.2 and 3.4. Both layers
make an example's output depend on other examples, so neither belongs in a critic trained
with a gradient penalty, which constrains each example's gradient on its own; `WGAN`
refuses minibatch discrimination there as it refuses batch norm.
"""

import keras

from keras_wgan.layers import (
    DropReference,
    MinibatchDiscrimination,
    ReferenceBatch,
    VirtualBatchNormalization,
)
from keras_wgan.losses.features import _final_features, _inputs


def coupling_layers(model):
    """The layers inside `model` that make one example's output depend on the others of
    its batch, BatchNormalization and MinibatchDiscrimination, as "name (class)"."""
    found = []
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if isinstance(layer, (keras.layers.BatchNormalization, MinibatchDiscrimination)):
            found.append(f"{layer.name} ({type(layer).__name__})")
    return found


def with_minibatch_discrimination(critic, num_kernels=100, kernel_dim=5):
    """The critic with a `MinibatchDiscrimination` layer before a new final dense layer.

    The last hidden features h (the input of the critic's last layer) become
    [h, o(h)], and a fresh Dense(1) scores them: the critic's other layers and weights are
    kept, its old final layer is replaced.
    """
    features = _final_features(critic, "Minibatch discrimination")
    h = MinibatchDiscrimination(num_kernels, kernel_dim, name="minibatch_discrimination")(features)
    score = keras.layers.Dense(1, name="minibatch_score")(h)
    return keras.Model(_inputs(critic), score, name=f"{critic.name}_minibatch")


def with_virtual_batch_norm(generator, reference_size=64, seed=0):
    """The generator with every BatchNormalization layer replaced by
    `VirtualBatchNormalization` over a fixed reference batch of `reference_size` z.

    The network becomes z -> [z_ref; z] -> (the generator's layers, VBN for BN) -> drop the
    reference rows: same input and output shapes, and a sample that depends on its own z
    only. The generator's other layers are cloned with fresh weights.
    """
    if not isinstance(generator, keras.Model) or not getattr(generator, "inputs", None):
        raise ValueError("Virtual batch norm needs a functional Keras generator.")
    if len(generator.inputs) != 1:
        raise ValueError("Virtual batch norm is for unconditional generators (one input, z).")
    replaced = []

    def clone(layer):
        if isinstance(layer, keras.layers.BatchNormalization):
            replaced.append(layer.name)
            return VirtualBatchNormalization(
                reference_size, epsilon=layer.epsilon, name=f"{layer.name}_virtual"
            )
        return layer.__class__.from_config(layer.get_config())

    body = keras.models.clone_model(generator, clone_function=clone)
    if not replaced:
        raise ValueError(
            f"The generator {generator.name!r} has no BatchNormalization layer "
            "for virtual batch norm to replace."
        )
    z = keras.Input(generator.inputs[0].shape[1:], name="z")
    with_reference = ReferenceBatch(reference_size, seed=seed, name="reference_batch")(z)
    samples = DropReference(reference_size, name="drop_reference")(body(with_reference))
    return keras.Model(z, samples, name=f"{generator.name}_vbn")
