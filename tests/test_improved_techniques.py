"""The techniques of Salimans et al. 2016, pinned on closed forms, saved, loaded and resumed."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_wgan
from keras_wgan import cli, layers, losses
from keras_wgan.architectures import improved


def softplus(x):
    return np.log1p(np.exp(x))


def test_smoothed_loss_values():
    real, fake = np.array([2.0, -1.0]), np.array([0.5, -3.0])
    for alpha, beta in ((0.9, 0.0), (0.8, 0.1), (1.0, 0.0)):
        expected = np.mean(alpha * softplus(-real) + (1 - alpha) * softplus(real)) + np.mean(
            beta * softplus(-fake) + (1 - beta) * softplus(fake)
        )
        got = float(losses.smoothed_minimax_critic_loss(real, fake, alpha, beta))
        assert got == pytest.approx(expected, rel=1e-6)
    assert float(losses.smoothed_minimax_critic_loss(real, fake, 1.0, 0.0)) == pytest.approx(
        float(losses.minimax_critic_loss(real, fake)), rel=1e-6
    )
    assert losses.label_smoothing_targets(0.9) == (0.9, 0.0)
    assert losses.label_smoothing_targets([0.9, 0.1]) == (0.9, 0.1)
    for bad in (1.5, -0.1, (0.5, 0.7), "0.9", (0.9, 0.1, 0.0), True):
        with pytest.raises(ValueError, match="label_smoothing"):
            losses.label_smoothing_targets(bad)


def pair(latent_dim=2, features=3):
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((latent_dim,)), keras.layers.Dense(2, name="g")])
    x = keras.Input((2,))
    h = keras.layers.Dense(features, use_bias=False, name="features")(x)
    critic = keras.Model(x, keras.layers.Dense(1, name="score")(h))
    return generator, critic


def test_smoothing_is_for_the_sigmoid_losses_and_reaches_the_critic_loss():
    generator, critic = pair()
    # Smoothing is an argument of the sigmoid losses only: the others have no targets.
    for loss in (losses.WGANGP, losses.WeightClipping, losses.R1, losses.DRAGAN):
        with pytest.raises(TypeError, match="label_smoothing"):
            loss(label_smoothing=0.9)
    for loss in (losses.LSGAN, losses.Hinge):
        with pytest.raises(TypeError, match="takes no arguments"):
            loss(label_smoothing=0.9)
    with pytest.raises(TypeError, match="label_smoothing.*loss component"):
        keras_wgan.WGAN(generator, critic, label_smoothing=0.9)
    assert losses.Minimax(label_smoothing=0.9).label_smoothing == 0.9
    gan = keras_wgan.WGAN(generator, critic, loss=losses.DCGAN(label_smoothing=0.9))
    assert float(gan.gan_loss.critic_loss(np.array([0.0]), np.array([0.0]))) == pytest.approx(
        2 * np.log(2), rel=1e-6
    )
    assert float(gan.gan_loss.critic_loss(np.array([3.0]), np.array([-3.0]))) == pytest.approx(
        0.9 * softplus(-3) + 0.1 * softplus(3) + softplus(-3), rel=1e-6
    )


def test_feature_matching_gradient_of_a_linear_discriminator():
    generator, critic = pair()
    gan = keras_wgan.WGAN(
        generator, critic, loss=losses.FeatureMatching(losses.DCGAN()), n_critic=1
    )
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    A, b = [v.numpy() for v in generator.get_layer("g").weights]
    W = critic.get_layer("features").kernel.numpy()  # f(x) = x W, [2, 3]
    rng = np.random.default_rng(1)
    z = rng.standard_normal((5, 2)).astype("float32")
    real = rng.standard_normal((4, 2)).astype("float32") + 3
    logs = gan.generator_update(5, z=tf.constant(z), real=tf.constant(real))
    # loss = ||(mean x - mean G(z)) W||^2, G(z) = z A + b: d/db = -2 W W^T (mean x - mean G(z)).
    gap = real.mean(0) - (z @ A + b).mean(0)
    assert float(logs["generator_loss"]) == pytest.approx(np.sum((gap @ W) ** 2), rel=1e-5)
    grad_b = -2 * W @ W.T @ gap
    np.testing.assert_allclose(generator.get_layer("g").bias.numpy(), b - 0.1 * grad_b, rtol=1e-5)
    with pytest.raises(ValueError, match="no hidden layer 'nope'.*features"):
        keras_wgan.WGAN(generator, critic, loss=losses.FeatureMatching("dcgan", layer="nope"))
    named = keras_wgan.WGAN(
        generator, critic, loss=losses.FeatureMatching("dcgan", layer="features")
    )
    assert named.gan_loss.features.output.shape == (None, 3)
    assert named.gan_loss.name == "dcgan" and named.gan_loss.loss == losses.DCGAN()


def test_minibatch_discrimination_of_a_batch_of_two():
    layer = layers.MinibatchDiscrimination(num_kernels=3, kernel_dim=2)
    x = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]], "float32")
    out = layer(x).numpy()
    M = (x @ layer.kernel.numpy()).reshape(2, 3, 2)
    o = np.exp(-np.abs(M[0] - M[1]).sum(-1))  # each example's closeness to the other
    np.testing.assert_allclose(out, np.concatenate([x, [o, o]], axis=1), rtol=1e-5)
    # One example alone has no other to be close to.
    np.testing.assert_allclose(layer(x[:1]).numpy()[0, 3:], 0.0, atol=1e-6)


def test_minibatch_discrimination_is_refused_under_a_gradient_penalty():
    generator, critic = pair()
    critic = improved.with_minibatch_discrimination(critic, 4, 2)
    with pytest.raises(ValueError, match="MinibatchDiscrimination.*each example"):
        keras_wgan.WGAN(generator, critic)
    gan = keras_wgan.WGAN(generator, critic, loss="dcgan")
    assert not gan._joint_critic_call  # real and fake are scored in separate batches


def test_historical_average_after_three_steps():
    generator, critic = pair()
    gan = keras_wgan.WGAN(
        generator, critic, loss=losses.HistoricalAveraging("dcgan", 0.5), n_critic=1, seed=0
    )
    gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))
    real = tf.constant(np.random.default_rng(0).standard_normal((8, 2)), tf.float32)
    seen = []
    for _ in range(3):
        seen.append([v.numpy() for v in critic.trainable_variables])
        gan.critic_update(real)
    network, averages, count = gan.gan_loss.averages["critic"]
    assert network is critic
    assert float(count.numpy()) == 3.0
    for i, average in enumerate(averages):
        np.testing.assert_allclose(
            average.numpy(), np.mean([s[i] for s in seen], axis=0), rtol=1e-5, atol=1e-7
        )
    # The term is w * ||theta - average||^2 with the current theta folded in first.
    now = [v.numpy() for v in critic.trainable_variables]
    before = [a.numpy() for a in averages]
    term, updates = gan.gan_loss.regularization(gan, "critic")
    folded = [b + (n - b) / 4.0 for b, n in zip(before, now)]
    assert float(term) == pytest.approx(
        0.5 * sum(np.sum((n - f) ** 2) for n, f in zip(now, folded)), rel=1e-5
    )
    # ... and the folded means and the count are what the update stores afterwards.
    assert [variable for variable, _ in updates] == [*averages, count]
    for (_, value), want in zip(updates, folded):
        np.testing.assert_allclose(np.asarray(value), want, rtol=1e-5, atol=1e-7)
    assert float(updates[-1][1]) == 4.0


def test_virtual_batch_norm_uses_the_reference_batch_statistics():
    layer = layers.VirtualBatchNormalization(reference_size=4, epsilon=0.0)
    rng = np.random.default_rng(0)
    reference = rng.standard_normal((4, 3, 3, 2)).astype("float32") * 2 + 1
    batch = rng.standard_normal((2, 3, 3, 2)).astype("float32")
    out = layer(np.concatenate([reference, batch])).numpy()
    # The reference rows: normalised with their own statistics, per channel.
    np.testing.assert_allclose(out[:4].mean(axis=(0, 1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(out[:4].var(axis=(0, 1, 2)), 1.0, rtol=1e-4)
    # Any other example: the reference's statistics combined with its own, weight 1 / 5.
    x = batch[0]
    mean = (4 * reference.mean(axis=(0, 1, 2)) + x.mean(axis=(0, 1))) / 5
    square = (4 * (reference**2).mean(axis=(0, 1, 2)) + (x**2).mean(axis=(0, 1))) / 5
    np.testing.assert_allclose(out[4], (x - mean) / np.sqrt(square - mean**2), rtol=1e-4, atol=1e-5)
    # ... and never on the rest of its batch.
    alone = layer(np.concatenate([reference, batch[:1]])).numpy()
    np.testing.assert_allclose(alone[4], out[4], rtol=1e-5, atol=1e-6)


def vbn_pair():
    keras.utils.set_random_seed(0)
    z = keras.Input((3,))
    h = keras.layers.BatchNormalization()(keras.layers.Dense(4)(z))
    generator = keras.Model(z, keras.layers.Dense(2)(keras.layers.ReLU()(h)))
    generator = improved.with_virtual_batch_norm(generator, reference_size=8, seed=3)
    x = keras.Input((2,))
    h = keras.layers.Dense(6, activation="relu")(x)
    critic = improved.with_minibatch_discrimination(
        keras.Model(x, keras.layers.Dense(1)(h)), num_kernels=3, kernel_dim=2
    )
    return generator, critic


def test_virtual_batch_norm_generator_gives_each_sample_from_its_own_z():
    generator, _ = vbn_pair()
    assert not improved.coupling_layers(generator)
    z = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    together = generator(z, training=True).numpy()
    for i in range(5):
        np.testing.assert_allclose(
            generator(z[i : i + 1], training=True).numpy()[0], together[i], rtol=1e-5, atol=1e-6
        )
    with pytest.raises(ValueError, match="no BatchNormalization"):
        improved.with_virtual_batch_norm(pair()[0])


def test_all_techniques_save_load_and_resume_exactly(tmp_path):
    generator, critic = vbn_pair()
    loss = losses.HistoricalAveraging(
        losses.FeatureMatching(losses.DCGAN(label_smoothing=[0.9, 0.05])), 0.1
    )
    gan = keras_wgan.WGAN(generator, critic, loss=loss, n_critic=1, seed=5)
    gan.compile()
    data = (
        tf.data.Dataset.from_tensor_slices(
            np.random.default_rng(0).standard_normal((64, 2)).astype("float32") + 2
        )
        .batch(8)
        .repeat()
    )
    gan.fit(data, steps_per_epoch=2, epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    averaging = loaded.gan_loss
    assert isinstance(averaging, losses.HistoricalAveraging) and averaging.weight == 0.1
    matching = averaging.loss
    assert isinstance(matching, losses.FeatureMatching) and matching.layer is None
    assert matching.loss == losses.DCGAN(label_smoothing=[0.9, 0.05])
    assert loaded.gan_loss == gan.gan_loss
    np.testing.assert_allclose(loaded.generate(6, seed=1), gan.generate(6, seed=1), atol=1e-6)
    for player in ("critic", "generator"):
        (_, mine, count), (_, theirs, their_count) = (
            gan.gan_loss.averages[player],
            loaded.gan_loss.averages[player],
        )
        assert float(count.numpy()) == float(their_count.numpy()) == 2.0
        for a, b in zip(mine, theirs):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    for model in (gan, loaded):
        model.fit(data.skip(2), steps_per_epoch=2, epochs=1, verbose=0)
    for a, b in zip(gan.weights, loaded.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_the_train_command_takes_each_technique(tmp_path, capsys):
    out = str(tmp_path / "run")
    argv = [
        "train",
        "--dataset",
        "8gaussians",
        "--loss",
        "dcgan",
        "--steps",
        "2",
        "--out",
        out,
        "--width",
        "8",
        "--batch-size",
        "8",
        "--steps-per-epoch",
        "1",
        "--feature-matching",
        "--minibatch-discrimination",
        "4",
        "2",
        "--historical-averaging",
        "0.1",
        "--label-smoothing",
        "0.9",
    ]
    assert cli.main(argv) == 0
    gan = keras.saving.load_model(f"{out}/checkpoint.keras")
    assert gan.gan_loss == losses.HistoricalAveraging(
        losses.FeatureMatching(losses.DCGAN(label_smoothing=0.9)), 0.1
    )
    assert "minibatch_discrimination" in [layer.name for layer in gan.critic.layers]
    capsys.readouterr()
    bad = [
        "train",
        "--dataset",
        "8gaussians",
        "--steps",
        "1",
        "--out",
        str(tmp_path / "x"),
        "--minibatch-discrimination",
    ]
    assert cli.main(bad) == 1  # wgan-gp: refused, with the reason
    assert "each example" in capsys.readouterr().err
    assert cli.main(bad[:-1] + ["--virtual-batch-norm"]) == 1
    assert "no BatchNormalization" in capsys.readouterr().err
