import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import import_tfgan

from keras_wgan import losses
from keras_wgan.trainers.tensorflow import TensorFlowTrainer


def gradient_penalty(critic, real, fake, alpha, one_sided=False, gp_weight=10.0):
    """(penalty, mean norm) of the WGAN-GP component for a critic callable.

    The inner gradient is the TensorFlow trainer's (`_input_gradient`, the nested tape of
    equation 3) of the critic's summed scores, as the training step takes it; the weighted
    penalty the component returns must be `gp_weight` times the penalty.
    """

    def summed(x):
        return tf.reduce_sum(tf.cast(critic(x, training=True), tf.float32))

    def input_gradient(x):
        return TensorFlowTrainer()._input_gradient(summed, tf.convert_to_tensor(x))

    loss = losses.WGANGP(gp_weight=gp_weight, one_sided=one_sided)
    weighted, penalty, norm = loss.penalty(input_gradient, real, fake, {"alpha": alpha}, None)
    np.testing.assert_allclose(float(weighted), gp_weight * float(penalty), rtol=1e-6)
    return penalty, norm


def linear_critic(w):
    w = tf.constant(w, tf.float32)
    return lambda x, training=False: tf.reduce_sum(
        tf.reshape(x, [tf.shape(x)[0], -1]) * tf.reshape(w, [1, -1]), axis=1
    )


@pytest.mark.parametrize("shape", [(6, 3), (6, 4, 4, 2)])
@pytest.mark.parametrize("one_sided", [False, True])
@pytest.mark.parametrize("scale", [0.3, 2.5])
def test_linear_critic_penalty_has_closed_form(shape, one_sided, scale):
    rng = np.random.default_rng(0)
    w = rng.standard_normal(shape[1:])
    w = scale * w / np.linalg.norm(w)  # ||w|| = scale
    real = rng.standard_normal(shape).astype("float32")
    fake = rng.standard_normal(shape).astype("float32")
    excess = scale - 1.0
    expected = max(excess, 0.0) ** 2 if one_sided else excess**2
    # The gradient of w.x is w wherever it is taken: every alpha gives the same penalty.
    for alpha in (np.zeros(6), np.ones(6), rng.uniform(size=6)):
        penalty, norm = gradient_penalty(
            linear_critic(w), real, fake, alpha, one_sided, gp_weight=2.5
        )
        np.testing.assert_allclose(float(norm), scale, rtol=1e-5)
        np.testing.assert_allclose(float(penalty), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("shape", [(5, 2), (5, 8, 8, 3)])
def test_constant_critic_gives_lambda_and_finite_gradients(shape):
    bias = tf.Variable(0.7)

    def critic(x, training=False):
        return tf.zeros([tf.shape(x)[0]]) * tf.reduce_sum(x) + bias

    real = tf.random.normal(shape)
    fake = tf.random.normal(shape)
    with tf.GradientTape() as tape:
        penalty, norm = gradient_penalty(critic, real, fake, tf.random.uniform([shape[0]]))
        loss = 10.0 * penalty
    np.testing.assert_allclose(float(loss), 10.0, rtol=1e-5)
    assert float(norm) < 1e-5
    grad = tape.gradient(loss, bias)
    assert grad is None or np.isfinite(float(grad))


@pytest.mark.parametrize("one_sided", [False, True])
def test_penalty_of_a_models_critic_has_closed_form(one_sided):
    # The training step's inner gradient (`_penalty_gradient`) with the loss component's
    # penalty, on a linear critic: the gradient is its kernel w at every x-hat.
    import keras_wgan

    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    w = np.array([[1.5], [-1.0], [0.5]], "float32")  # ||w|| = 1.87
    critic.layers[-1].kernel.assign(w)
    loss = losses.WGANGP(gp_weight=4.0, one_sided=one_sided)
    gan = keras_wgan.WGAN(generator, critic, loss=loss)
    assert gan.gan_loss is loss and gan.gan_loss.penalized
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((2, 6, 3)).astype("float32")
    alpha = rng.uniform(size=6).astype("float32")
    weighted, penalty, norm = gan.gan_loss.penalty(
        gan._penalty_gradient, real, fake, {"alpha": alpha}, None
    )
    scale = float(np.linalg.norm(w))
    np.testing.assert_allclose(float(norm), scale, rtol=1e-5)
    np.testing.assert_allclose(float(penalty), (scale - 1.0) ** 2, rtol=1e-5)
    np.testing.assert_allclose(float(weighted), 4.0 * (scale - 1.0) ** 2, rtol=1e-5)


def test_gradient_norm_reduces_every_non_batch_axis():
    g = np.arange(2 * 3 * 4 * 5, dtype="float32").reshape(2, 3, 4, 5)
    expected = np.sqrt((g.reshape(2, -1) ** 2).sum(axis=1))
    np.testing.assert_allclose(losses.gradient_norm(g), expected, rtol=1e-6)


def test_interpolate_is_per_example():
    real = np.ones((3, 2, 2), "float32")
    fake = np.zeros((3, 2, 2), "float32")
    out = keras.ops.convert_to_numpy(losses.interpolate(real, fake, np.array([0.0, 0.5, 1.0])))
    np.testing.assert_allclose(out[:, 0, 0], [0.0, 0.5, 1.0])


@pytest.mark.parametrize("one_sided", [False, True])
@pytest.mark.parametrize("shape", [(8, 2), (8, 4, 4, 3)])
def test_penalty_matches_tensorflow_gan(one_sided, shape):
    tfgan = import_tfgan("losses.losses_impl")
    keras.utils.set_random_seed(1)
    critic = keras.Sequential(
        [
            keras.Input(shape[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )
    net = critic

    def critic(x, training=False):  # steep enough that some norms exceed 1
        return 4.0 * net(x, training=training)

    real = tf.random.normal(shape)
    fake = tf.random.normal(shape) * 2.0
    alpha = tf.random.uniform([shape[0]])

    # tensorflow-gan draws alpha itself and mixes real + alpha * (fake - real): hand it
    # 1 - alpha, the same point as ours alpha * real + (1 - alpha) * fake.
    class FixedAlpha:
        def __getattr__(self, name):
            return getattr(tf, name)

        class random:
            @staticmethod
            def uniform(shape):
                return tf.reshape(1.0 - alpha, shape)

    @tf.function
    def reference():
        original = tfgan.tf
        tfgan.tf = FixedAlpha()
        try:
            return tfgan.wasserstein_gradient_penalty(
                real,
                fake,
                None,
                lambda x, _: critic(x),
                "critic",
                epsilon=losses.NORM_EPSILON,
                one_sided=one_sided,
            )
        finally:
            tfgan.tf = original

    ours, _ = gradient_penalty(critic, real, fake, alpha, one_sided=one_sided)
    expected = float(reference())
    assert expected > 1e-3
    np.testing.assert_allclose(float(ours), expected, rtol=1e-5)


def test_losses_match_tensorflow_gan():
    tfgan = import_tfgan("losses.losses_impl")
    rng = np.random.default_rng(0)
    real = tf.constant(rng.standard_normal(32), tf.float32)
    fake = tf.constant(rng.standard_normal(32), tf.float32)
    pairs = [
        (
            losses.wasserstein_critic_loss(real, fake),
            tfgan.wasserstein_discriminator_loss(real, fake),
        ),
        (losses.wasserstein_generator_loss(fake), tfgan.wasserstein_generator_loss(fake)),
        (
            losses.minimax_critic_loss(real, fake),
            tfgan.minimax_discriminator_loss(real, fake, label_smoothing=0.0),
        ),
        # tensorflow-gan's form adds the constant -log(sigmoid(1)) (a term on ones_like).
        (
            losses.minimax_generator_loss(fake),
            tfgan.minimax_generator_loss(fake) + np.log1p(np.exp(-1.0)),
        ),
        (losses.dcgan_generator_loss(fake), tfgan.modified_generator_loss(fake)),
        (losses.lsgan_critic_loss(real, fake), tfgan.least_squares_discriminator_loss(real, fake)),
        (losses.lsgan_generator_loss(fake), tfgan.least_squares_generator_loss(fake)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-5, atol=1e-6)


def test_unknown_loss_lists_the_names():
    with pytest.raises(ValueError, match="wgan-gp-one-sided"):
        losses.get("wgan-lp")
