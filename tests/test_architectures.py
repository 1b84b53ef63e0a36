"""Tests of keras_wgan.architectures: shapes, the paper's structure, saving, double backward."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_wgan
from keras_wgan import architectures
from keras_wgan.layers import ConditionalBatchNormalization, GatedActivation

LATENT_DIM = 16
# One small size per architecture, covering 8x8, 16x16 and 32x32 and 1 or 3 channels.
SMALL = {
    "cifar10-resnet": (32, 32, 3),
    "resnet-64": (16, 16, 3),
    "dcgan": (32, 32, 3),
    "dcgan-no-bn-const": (16, 16, 3),
    "mlp-generator": (8, 8, 1),
    "no-norm": (16, 16, 1),
    "gated": (16, 16, 3),
    "tanh": (8, 8, 3),
    "resnet-101": (8, 8, 3),
    "mlp": (8, 8, 1),
}
WIDTH = 8

_cache = {}


def small_networks(name, num_classes=None):
    """(generator, critic) of `name` at its small size; built once per session."""
    key = (name, num_classes)
    if key not in _cache:
        keras.utils.set_random_seed(0)  # reproducible weights
        _cache[key] = architectures.build(
            name, SMALL[name], latent_dim=LATENT_DIM, width=WIDTH, num_classes=num_classes
        )
    return _cache[key]


def latent(batch, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, LATENT_DIM)).astype("float32")


def layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def randomize_conditional_norms(generator, seed=0):
    """Gives every class its own gamma and beta (the paper starts them all at 1 and 0)."""
    rng = np.random.default_rng(seed)
    for layer in layers_of(generator, ConditionalBatchNormalization):
        gamma, beta = layer.gamma.numpy(), layer.beta.numpy()
        layer.gamma.assign(1.0 + 0.5 * rng.standard_normal(gamma.shape).astype("float32"))
        layer.beta.assign(0.5 * rng.standard_normal(beta.shape).astype("float32"))


def test_names():
    assert architectures.ARCHITECTURES == tuple(SMALL)


@pytest.mark.parametrize("name", architectures.ARCHITECTURES)
def test_documented_shapes_and_range(name):
    generator, critic = small_networks(name)
    shape = SMALL[name]
    assert generator.input_shape == (None, LATENT_DIM)
    assert critic.input_shape == (None,) + shape
    for training in (True, False):
        images = keras.ops.convert_to_numpy(generator(latent(4), training=training))
        assert images.shape == (4,) + shape
        assert images.dtype == np.float32
        assert np.all(np.abs(images) <= 1.0)
        assert np.std(images) > 0  # not a constant image
        scores = keras.ops.convert_to_numpy(critic(images, training=training))
        assert scores.shape == (4, 1)
        assert np.all(np.isfinite(scores))


@pytest.mark.parametrize("name", architectures.ARCHITECTURES)
def test_critic_has_no_batch_norm(name):
    _, critic = small_networks(name)
    assert not layers_of(critic, (keras.layers.BatchNormalization, ConditionalBatchNormalization))


@pytest.mark.parametrize("name", architectures.CONDITIONAL_ARCHITECTURES)
def test_conditional_critic_has_no_batch_norm(name):
    _, critic = small_networks(name, num_classes=3)
    assert not layers_of(critic, (keras.layers.BatchNormalization, ConditionalBatchNormalization))


def _penalty_gradients(critic, images):
    """d/d(weights) of the WGAN-GP penalty mean((||d score / d x-hat||_2 - 1)^2)."""
    x_hat = tf.constant(images)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x_hat)
            score = critic(x_hat, training=True)
            if isinstance(score, (list, tuple)):
                score = score[0]
        grads = inner.gradient(score, x_hat)
        norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
        penalty = tf.reduce_mean(tf.square(norms - 1.0))
    return outer.gradient(penalty, critic.trainable_variables)


@pytest.mark.parametrize("name", architectures.ARCHITECTURES + ("conditional",))
def test_double_backward_through_critic(name):
    if name == "conditional":
        _, critic = small_networks("cifar10-resnet", num_classes=3)
        shape = SMALL["cifar10-resnet"]
    else:
        _, critic = small_networks(name)
        shape = SMALL[name]
    images = np.random.default_rng(1).uniform(-1, 1, (3,) + shape).astype("float32")
    grads = _penalty_gradients(critic, images)
    reached = {}
    for variable, grad in zip(critic.trainable_variables, grads):
        if "class_logits" in variable.path:
            continue  # the AC-GAN head is not part of the score
        if grad is None:
            # Only an offset followed by linear layers leaves the input gradient alone.
            assert variable.name in ("bias", "beta"), variable.path
            continue
        grad = grad.numpy()
        assert np.all(np.isfinite(grad)), variable.path
        if variable.name == "kernel":
            reached[variable.path] = bool(np.any(grad != 0))
    kernels = list(reached)
    # The penalty reaches both ends of the network: the first layer and the score.
    assert reached[kernels[0]] and reached[kernels[-1]], reached
    # And nearly every layer between them; a tiny random bottleneck can be dead (all
    # ReLUs off), which leaves its kernels exactly zero gradient.
    assert sum(reached.values()) >= 0.9 * len(reached), reached


def _conv(k, c_in, c_out):
    """Parameters of a k x k convolution with bias."""
    return k * k * c_in * c_out + c_out


def test_cifar10_resnet_matches_the_paper():
    # gan_cifar_resnet.py with DIM_G = DIM_D = 128 on 32x32x3 images, counted by hand.
    c = 128
    up_block = 2 * (2 * c) + 2 * _conv(3, c, c) + _conv(1, c, c)  # 2 BN, 2 convs, shortcut
    expected_g = (
        (128 * 4 * 4 * c + 4 * 4 * c)  # Generator.Input: linear 128 -> 4*4*128
        + 3 * up_block  # Generator.1-3: 4 -> 8 -> 16 -> 32
        + 2 * c  # Generator.OutputN
        + _conv(3, c, 3)  # Generator.Output
    )
    expected_d = (
        _conv(3, 3, c)
        + _conv(3, c, c)
        + _conv(1, 3, c)  # OptimizedResBlockDisc1
        + 2 * _conv(3, c, c)
        + _conv(1, c, c)  # Discriminator.2, down
        + 2 * (2 * _conv(3, c, c))  # Discriminator.3-4, identity shortcuts
        + (c + 1)  # Discriminator.Output
    )
    assert (expected_g, expected_d) == (1_204_483, 1_053_825)

    generator, critic = architectures.build("cifar10-resnet", (32, 32, 3))
    trainable_g = sum(int(np.prod(w.shape)) for w in generator.trainable_weights)
    assert trainable_g == expected_g
    assert critic.count_params() == expected_d
    # Convolutions: 3 per upsampling block + output; 3 + 3 + 2 + 2 in the critic.
    assert len(layers_of(generator, keras.layers.Conv2D)) == 10
    assert len(layers_of(critic, keras.layers.Conv2D)) == 10
    assert len(layers_of(generator, keras.layers.Dense)) == 1
    assert len(layers_of(critic, keras.layers.Dense)) == 1
    assert len(layers_of(generator, keras.layers.BatchNormalization)) == 7
    # No normalisation of any kind in the critic; shortcuts only where the resolution
    # or width changes (the two plain critic blocks add their input unchanged).
    norm_kinds = (
        keras.layers.BatchNormalization,
        keras.layers.GroupNormalization,
        keras.layers.LayerNormalization,
    )
    assert not layers_of(critic, norm_kinds)
    assert len([l for l in critic.layers if "shortcut_conv" in l.name]) == 2
    assert len([l for l in generator.layers if "shortcut_conv" in l.name]) == 3
    pool = layers_of(critic, keras.layers.GlobalAveragePooling2D)
    assert len(pool) == 1 and tuple(pool[0].input.shape) == (None, 8, 8, c)
    assert generator.output_shape == (None, 32, 32, 3)
    assert critic.output_shape == (None, 1)


def test_conditional_cifar10_resnet_matches_the_paper():
    # ACGAN with 10 classes: the 6 block norms become [10, 128] gamma and beta tables,
    # the output norm stays unconditional, and the critic gains a 128 -> 10 linear head.
    c, k = 128, 10
    generator, critic = architectures.build("cifar10-resnet", (32, 32, 3), num_classes=k)
    trainable_g = sum(int(np.prod(w.shape)) for w in generator.trainable_weights)
    assert trainable_g == 1_204_483 + 6 * (2 * k * c - 2 * c)
    assert critic.count_params() == 1_053_825 + (c * k + k)
    assert len(layers_of(generator, ConditionalBatchNormalization)) == 6
    assert len(layers_of(generator, keras.layers.BatchNormalization)) == 1


def _filters(model, kind, contains=""):
    return [l.filters for l in layers_of(model, kind) if contains in l.name]


def test_64x64_channel_layouts_follow_the_paper():
    # gan_64x64.py with DIM = w: the channel counts of each network, layer by layer.
    w, shape = 4, (64, 64, 3)
    g, d = architectures.build("dcgan", shape, width=w)
    assert layers_of(g, keras.layers.Dense)[0].units == 4 * 4 * 8 * w
    assert _filters(g, keras.layers.Conv2DTranspose) == [4 * w, 2 * w, w, 3]
    assert _filters(d, keras.layers.Conv2D) == [w, 2 * w, 4 * w, 8 * w]
    assert len(layers_of(g, keras.layers.BatchNormalization)) == 4  # BN1-BN4
    assert len(layers_of(d, keras.layers.GroupNormalization)) == 3  # BN2-BN4 as layer norm

    g, _ = architectures.build("dcgan-no-bn-const", shape, width=w)
    assert layers_of(g, keras.layers.Dense)[0].units == 4 * 4 * w
    assert _filters(g, keras.layers.Conv2DTranspose) == [w, w, w, 3]
    assert not layers_of(g, keras.layers.BatchNormalization)

    g, d = architectures.build("gated", shape, width=w)  # twice the channels, then gate
    assert _filters(g, keras.layers.Conv2DTranspose) == [8 * w, 4 * w, 2 * w, 3]
    assert _filters(d, keras.layers.Conv2D) == [2 * w, 4 * w, 8 * w, 16 * w]
    assert len(layers_of(g, GatedActivation)) == len(layers_of(d, GatedActivation)) == 4

    g, d = architectures.build("no-norm", shape, width=w)
    assert not layers_of(g, keras.layers.BatchNormalization)
    assert not layers_of(d, keras.layers.GroupNormalization)

    g, d = architectures.build("resnet-64", shape, width=w)
    assert layers_of(g, keras.layers.Dense)[0].units == 4 * 4 * 8 * w
    assert _filters(g, keras.layers.Conv2D, "conv2") == [8 * w, 4 * w, 2 * w, w]  # Res1-4
    assert _filters(d, keras.layers.Conv2D, "stem") == [w]
    assert _filters(d, keras.layers.Conv2D, "conv2") == [2 * w, 4 * w, 8 * w, 8 * w]
    assert tuple(layers_of(d, keras.layers.Flatten)[0].input.shape) == (None, 4, 4, 8 * w)
    assert len(layers_of(d, keras.layers.GroupNormalization)) == 8  # 2 per block


def test_resnet_101_is_101_layers_deep():
    generator, critic = small_networks("resnet-101")
    for model in (generator, critic):
        weighted = [
            layer
            for layer in model.layers
            if isinstance(
                layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.Dense)
            )
            and "shortcut" not in layer.name
        ]
        assert len(weighted) == 101, model.name


def test_conditional_generator_depends_on_label():
    generator, _ = small_networks("cifar10-resnet", num_classes=3)
    randomize_conditional_norms(generator)
    z = np.repeat(latent(1), 3, axis=0)
    images = keras.ops.convert_to_numpy(
        generator([z, np.array([0, 1, 2], "int32")], training=False)
    )
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert np.max(np.abs(images[i] - images[j])) > 1e-3
    # Per example: relabelling example 0 changes its image and no other.
    z = latent(3)
    before = generator([z, np.array([0, 1, 2], "int32")], training=False)
    after = generator([z, np.array([2, 1, 2], "int32")], training=False)
    diff = np.abs(keras.ops.convert_to_numpy(before - after)).reshape(3, -1).max(axis=1)
    assert diff[0] > 1e-3 and np.all(diff[1:] == 0)


@pytest.mark.parametrize("name", architectures.CONDITIONAL_ARCHITECTURES)
def test_conditional_models_inputs_and_outputs(name):
    generator, critic = small_networks(name, num_classes=3)
    shape = SMALL[name]
    labels = np.array([0, 2], "int32")
    images = generator([latent(2), labels], training=True)
    assert tuple(images.shape) == (2,) + shape
    score, logits = critic(images)
    assert tuple(score.shape) == (2, 1)
    assert tuple(logits.shape) == (2, 3)


def test_conditional_batch_norm_closed_form():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 2, 2, 4)).astype("float32") * 3 + 1
    labels = np.array([0, 1, 2, 0, 1, 2], "int32")
    layer = ConditionalBatchNormalization(num_classes=3)
    layer.build([x.shape, labels.shape])
    gamma = rng.standard_normal((3, 4)).astype("float32")
    beta = rng.standard_normal((3, 4)).astype("float32")
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    expected = (x - mean) / np.sqrt(var + 1e-5) * gamma[labels][:, None, None] + beta[labels][
        :, None, None
    ]
    out = keras.ops.convert_to_numpy(layer([x, labels], training=True))
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.01 * mean, rtol=1e-4, atol=1e-6)


def test_gated_activation_closed_form():
    x = np.random.default_rng(0).standard_normal((2, 3, 3, 6)).astype("float32")
    out = keras.ops.convert_to_numpy(GatedActivation()(x))
    a, b = x[..., :3], x[..., 3:]
    np.testing.assert_allclose(out, np.tanh(a) / (1 + np.exp(-b)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name, num_classes, part",
    [
        ("cifar10-resnet", 3, "generator"),
        ("gated", None, "generator"),
        ("resnet-64", 3, "critic"),
    ],
)
def test_keras_saving_round_trip(tmp_path, name, num_classes, part):
    generator, critic = architectures.build(
        name, (8, 8, 3), latent_dim=LATENT_DIM, width=WIDTH, num_classes=num_classes
    )
    labels = np.array([0, 1, 2, 1], "int32")
    inputs = latent(4) if num_classes is None else [latent(4), labels]
    # A training call moves the batch-norm moving statistics off their initial values.
    generator(inputs, training=True)
    randomize_conditional_norms(generator)
    if part == "generator":
        model = generator
    else:
        model = critic
        inputs = np.random.default_rng(2).uniform(-1, 1, (4, 8, 8, 3)).astype("float32")
    path = tmp_path / f"{part}.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    expected = model(inputs, training=False)
    actual = restored(inputs, training=False)
    for e, a in zip(tf.nest.flatten(expected), tf.nest.flatten(actual)):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(e), keras.ops.convert_to_numpy(a))


def test_unknown_name_lists_the_names():
    with pytest.raises(ValueError, match="name='resnet-50'") as info:
        architectures.build("resnet-50", (32, 32, 3))
    for name in architectures.ARCHITECTURES:
        assert name in str(info.value)


@pytest.mark.parametrize(
    "image_shape", [(48, 48, 3), (32, 16, 3), (4, 4, 3), (32, 32), (32, 32, 0)]
)
def test_bad_image_size_says_which_sizes_work(image_shape):
    with pytest.raises(ValueError, match=r"power of two >= 8 \(sizes that work: 8, 16, 32"):
        architectures.build("cifar10-resnet", image_shape)


def test_conditional_needs_a_resnet():
    with pytest.raises(ValueError, match="only cifar10-resnet, resnet-64, resnet-101"):
        architectures.build("dcgan", (32, 32, 3), num_classes=10)
    with pytest.raises(ValueError, match="Invalid value for argument `num_classes`"):
        architectures.build("cifar10-resnet", (32, 32, 3), num_classes=1)


def test_critic_builders_accept_batch_norm():
    # The baselines without a gradient penalty get batch norm in the critic (gan_64x64.py
    # `Normalize`); keras_wgan.WGAN refuses it under a penalty (tests/test_paper_fidelity.py).
    for critic in (
        architectures.dcgan_critic((16, 16, 3), width=8, norm="batch"),
        architectures.resnet_critic((16, 16, 3), widths=(8, 8), norm="batch"),
    ):
        assert layers_of(critic, keras.layers.BatchNormalization)
    with pytest.raises(ValueError, match="Invalid value for argument `norm`"):
        architectures.dcgan_critic((16, 16, 3), width=8, norm="instance")


def test_bad_builder_arguments():
    with pytest.raises(ValueError, match="Invalid value for argument `widths`"):
        architectures.resnet_generator((16, 16, 3), widths=(8, 8))  # needs 3 for 16x16
    with pytest.raises(ValueError, match="Invalid value for argument `activation`"):
        architectures.dcgan_generator((16, 16, 3), activation="swish")
    with pytest.raises(ValueError, match="Invalid value for argument `width`"):
        architectures.build("dcgan", (16, 16, 3), width=0)


def test_wgan_accepts_the_networks():
    generator, critic = small_networks("dcgan")
    gan = keras_wgan.WGAN(generator, critic)
    assert gan.latent_dim == LATENT_DIM
    assert gan.generate(2, seed=0).shape == (2,) + SMALL["dcgan"]


@pytest.mark.parametrize(
    "name",
    # resnet-101's train step takes 1.5 minutes to trace on 2 CPU cores: kept to `-m slow`.
    [
        pytest.param(n, marks=pytest.mark.slow) if n == "resnet-101" else n
        for n in architectures.ARCHITECTURES
    ],
)
def test_every_architecture_trains_a_step_with_the_penalty(name):
    generator, critic = small_networks(name)
    gan = keras_wgan.WGAN(generator, critic, n_critic=2, seed=0)
    gan.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (2 * 4,) + SMALL[name]).astype("float32")
    logs = gan.train_on_batch(images, return_dict=True)
    assert int(gan.d_optimizer.iterations) == 2 and int(gan.g_optimizer.iterations) == 1
    assert all(np.isfinite(v) for v in logs.values()), logs
