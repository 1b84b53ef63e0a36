"""Adversarial losses compared in the WGAN-GP paper, as small backend-neutral functions.

Every `*_critic_loss` takes the critic's raw outputs (logits, no sigmoid) on real and on
generated data and returns a scalar; every `*_generator_loss` takes the outputs on generated
data. The gradient penalty is split into a backend-neutral part (`gradient_norm`,
`gradient_penalty_from_norms`) and the tape that produces the gradients, which lives in the
backend trainer (`keras_wgan.trainers`).

Reference: Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017,
https://arxiv.org/abs/1704.00028 (Algorithm 1, equation 3). The regularisers compared with
it: R1 (Mescheder et al. 2018), DRAGAN (Kodali et al. 2017) and the hinge loss (Miyato et
al. 2018).
"""

import keras
from keras import ops

#: Epsilon added under the square root of the gradient norm, so that a zero gradient
#: (a constant critic) gives a finite penalty and a finite second derivative.
NORM_EPSILON = 1e-12


def _mean(x):
    return ops.mean(ops.cast(x, "float32"))


def wasserstein_critic_loss(real_logits, fake_logits):
    """WGAN critic loss E[D(G(z))] - E[D(x)] (paper, equation 3 without the penalty).

    Its negative is the critic's estimate of the Wasserstein-1 distance.

    Example:
    >>> float(wasserstein_critic_loss([1.0, 3.0], [0.5, 0.5]))
    -1.5
    """
    return _mean(fake_logits) - _mean(real_logits)


def wasserstein_generator_loss(fake_logits):
    """WGAN generator loss -E[D(G(z))]."""
    return -_mean(fake_logits)


def minimax_critic_loss(real_logits, fake_logits):
    """Original GAN discriminator loss -E[log D(x)] - E[log(1 - D(G(z)))] on logits.

    Goodfellow et al. 2014. log(sigmoid(l)) = -softplus(-l), log(1 - sigmoid(l)) = -softplus(l).
    """
    return _mean(ops.softplus(-ops.cast(real_logits, "float32"))) + _mean(
        ops.softplus(ops.cast(fake_logits, "float32"))
    )


def minimax_generator_loss(fake_logits):
    """Original (saturating) GAN generator loss E[log(1 - D(G(z)))]."""
    return -_mean(ops.softplus(ops.cast(fake_logits, "float32")))


# DCGAN (Radford et al. 2016) trains the discriminator with the minimax loss and the
# generator with the non-saturating loss -E[log D(G(z))].
dcgan_critic_loss = minimax_critic_loss


def dcgan_generator_loss(fake_logits):
    """Non-saturating GAN generator loss -E[log D(G(z))] (the DCGAN baseline)."""
    return _mean(ops.softplus(-ops.cast(fake_logits, "float32")))


def lsgan_critic_loss(real_logits, fake_logits):
    """Least-squares GAN discriminator loss 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2].

    Mao et al. 2017, with the 0-1 labels.
    """
    real = ops.cast(real_logits, "float32")
    fake = ops.cast(fake_logits, "float32")
    return 0.5 * _mean(ops.square(real - 1.0)) + 0.5 * _mean(ops.square(fake))


def lsgan_generator_loss(fake_logits):
    """Least-squares GAN generator loss 1/2 E[(D(G(z)) - 1)^2]."""
    return 0.5 * _mean(ops.square(ops.cast(fake_logits, "float32") - 1.0))


def hinge_critic_loss(real_logits, fake_logits):
    """Hinge discriminator loss E[relu(1 - D(x))] + E[relu(1 + D(G(z)))].

    Lim and Ye 2017 ("Geometric GAN"), with which Miyato et al. 2018 train their
    spectrally normalised discriminators (https://arxiv.org/abs/1802.05957).

    Example:
    >>> float(hinge_critic_loss([2.0, 0.5], [-3.0, 0.0]))
    0.75
    """
    real = ops.cast(real_logits, "float32")
    fake = ops.cast(fake_logits, "float32")
    return _mean(ops.relu(1.0 - real)) + _mean(ops.relu(1.0 + fake))


def hinge_generator_loss(fake_logits):
    """Hinge-loss generator loss -E[D(G(z))] (Miyato et al. 2018)."""
    return -_mean(fake_logits)


def sigmoid_cross_entropy(logits, target):
    """Mean cross-entropy of sigmoid(logits) against a target probability, on logits:
    -t log sigmoid(l) - (1 - t) log(1 - sigmoid(l)) = t softplus(-l) + (1 - t) softplus(l)."""
    logits = ops.cast(logits, "float32")
    return _mean(target * ops.softplus(-logits) + (1.0 - target) * ops.softplus(logits))


def smoothed_minimax_critic_loss(real_logits, fake_logits, real_target=0.9, fake_target=0.0):
    """The minimax (and DCGAN) discriminator loss with smoothed targets.

    Salimans et al. 2016, section 3.4: one-sided label smoothing replaces the real target 1
    by alpha (0.9) and keeps the fake target at 0; `fake_target` > 0 gives the two-sided
    form (beta), which the paper advises against. With targets 1 and 0 it is
    `minimax_critic_loss`.

    Example:
    >>> round(float(smoothed_minimax_critic_loss([0.0], [0.0])), 4)  # 2 log 2
    1.3863
    """
    return sigmoid_cross_entropy(real_logits, real_target) + sigmoid_cross_entropy(
        fake_logits, fake_target
    )


def label_smoothing_targets(label_smoothing):
    """(real target alpha, fake target beta) of a `label_smoothing` argument: alpha, or
    (alpha, beta); both in [0, 1] with beta < alpha."""
    values = label_smoothing if isinstance(label_smoothing, (list, tuple)) else (label_smoothing,)
    ok = len(values) in (1, 2) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= 1.0 for v in values
    )
    alpha, beta = (tuple(float(v) for v in values) + (0.0,))[:2] if ok else (None, None)
    if not ok or not beta < alpha:
        raise ValueError(
            f"Invalid value for argument `label_smoothing`. Received: "
            f"label_smoothing={label_smoothing!r}. Expected the real target alpha (e.g. 0.9), "
            "or (alpha, beta) with 0 <= beta < alpha <= 1."
        )
    return alpha, beta


def feature_matching_loss(real_features, fake_features):
    """||E_x f(x) - E_z f(G(z))||_2^2: feature matching (Salimans et al. 2016, section 3.1).

    The generator matches the mean of an intermediate layer f of the discriminator on
    real data (a constant for the generator) with its mean on generated data.

    Example:
    >>> float(feature_matching_loss([[1.0, 2.0], [3.0, 2.0]], [[0.0, 0.0], [0.0, 1.0]]))
    6.25
    """
    real = ops.cast(real_features, "float32")
    fake = ops.cast(fake_features, "float32")
    real = ops.reshape(real, (ops.shape(real)[0], -1))
    fake = ops.reshape(fake, (ops.shape(fake)[0], -1))
    return ops.sum(ops.square(ops.mean(real, axis=0) - ops.mean(fake, axis=0)))


def historical_average_term(variables, averages):
    """sum ||theta - theta_avg||^2 over a player's parameters and their running averages
    (historical averaging, Salimans et al. 2016, section 3.3); the averages are constants."""
    total = 0.0
    for variable, average in zip(variables, averages):
        diff = ops.cast(variable, "float32") - ops.stop_gradient(ops.cast(average, "float32"))
        total = total + ops.sum(ops.square(diff))
    return total


def historical_average(params, averages, count, weight):
    """Historical averaging in a pure form (Salimans et al. 2016, section 3.3).

    The player's current parameters are folded into their running mean first, so that
    the mean covers the parameters at the start of every update so far, this one
    included; the term is then weight * ||theta - mean_i theta_i||^2, the mean a constant.

    Args:
        params: the player's trainable parameters (their values).
        averages: the running means, one per parameter, float32.
        count: the number of updates averaged so far, a float32 scalar.
        weight: w, the term's weight.

    Returns:
        (term, new_averages, new_count).

    Example:
    >>> term, means, count = historical_average([ops.ones((2,))], [ops.zeros((2,))], 1.0, 1.0)
    >>> float(term), ops.convert_to_numpy(means[0]).tolist(), float(count)
    (0.5, [0.5, 0.5], 2.0)
    """
    step = 1.0 / (count + 1.0)
    new_averages = [
        average + (ops.cast(param, "float32") - average) * step
        for param, average in zip(params, averages)
    ]
    term = weight * historical_average_term(params, new_averages)
    return term, new_averages, count + 1.0


def interpolate(real, fake, alpha):
    """x-hat = alpha * x + (1 - alpha) * G(z), the points where the penalty is taken.

    Args:
        real: real batch, any rank.
        fake: generated batch of the same shape.
        alpha: per-example mixing weights of shape [batch] or broadcastable to `real`;
            the paper draws them from U[0, 1].
    """
    alpha = ops.cast(alpha, real.dtype)
    if len(alpha.shape) == 1:
        alpha = ops.reshape(alpha, (-1,) + (1,) * (len(real.shape) - 1))
    return alpha * real + (1.0 - alpha) * ops.cast(fake, real.dtype)


def dragan_points(real, alpha, noise):
    """x-hat = x + alpha * delta, delta = 0.5 * std(x) * noise: DRAGAN's perturbed points.

    Kodali et al. 2017, "On Convergence and Stability of GANs" (https://arxiv.org/abs/1705.07215),
    as their code draws them: std(x) is the standard deviation of the whole real batch
    (one number), the noise is U[0, 1) of the batch's shape, and alpha is U[0, 1] per
    example.

    Args:
        real: the real batch, any rank.
        alpha: per-example weights of shape [batch].
        noise: U[0, 1) draws of `real`'s shape.

    Example:
    >>> x = ops.convert_to_tensor([[0.0, 2.0], [2.0, 0.0]])  # std(x) = 1
    >>> ops.convert_to_numpy(dragan_points(x, [1.0, 0.5], [[1.0, 0.0], [0.5, 0.5]])).tolist()
    [[0.5, 2.0], [2.125, 0.125]]
    """
    real = ops.convert_to_tensor(real)
    delta = 0.5 * ops.std(ops.cast(real, "float32")) * ops.cast(noise, "float32")
    alpha = ops.reshape(ops.cast(alpha, "float32"), (-1,) + (1,) * (len(real.shape) - 1))
    return real + ops.cast(alpha * delta, real.dtype)


def gradient_norm(gradients, epsilon=NORM_EPSILON):
    """Per-example L2 norm over all non-batch axes, sqrt(sum g^2 + epsilon), in float32.

    Args:
        gradients: gradients of the critic with respect to its input, any rank >= 1.
        epsilon: added under the square root so a zero gradient gives no NaN.

    Returns:
        A float32 tensor of shape [batch].
    """
    g = ops.cast(gradients, "float32")
    axes = tuple(range(1, len(g.shape)))
    squares = ops.sum(ops.square(g), axis=axes) if axes else ops.square(g)
    return ops.sqrt(squares + epsilon)


def gradient_penalty_from_norms(norms, one_sided=False):
    """E[(||grad D(x-hat)|| - 1)^2], or E[max(0, ||grad|| - 1)^2] when one-sided.

    The two-sided form is the paper's equation 3; the one-sided form is the variant it
    compares in appendix D.
    """
    excess = norms - 1.0
    if one_sided:
        excess = ops.maximum(excess, 0.0)
    return ops.mean(ops.square(excess))


def r1_penalty_from_gradients(gradients):
    """1/2 E_x[||grad D(x)||_2^2]: the R1 penalty at real data, before its weight gamma.

    Mescheder, Geiger, Nowozin, "Which Training Methods for GANs do actually Converge?",
    ICML 2018 (https://arxiv.org/abs/1801.04406), section 4.1:
    R1 = gamma/2 * E||grad D(x)||^2, zero-centred (no "- 1"), so no square root (and no
    epsilon) is taken.

    Args:
        gradients: gradients of the critic with respect to the real batch, any rank >= 1.

    Returns:
        A float32 scalar.
    """
    g = ops.cast(gradients, "float32")
    axes = tuple(range(1, len(g.shape)))
    squares = ops.sum(ops.square(g), axis=axes) if axes else ops.square(g)
    return 0.5 * ops.mean(squares)


def classification_loss(labels, logits):
    """Mean sparse softmax cross-entropy: the AC-GAN class loss (Odena et al. 2017).

    The paper's conditional CIFAR-10 model adds it to the critic (on real images, weight
    1) and to the generator (on generated images and their labels, weight 0.1).
    """
    return ops.mean(
        keras.losses.sparse_categorical_crossentropy(
            labels, ops.cast(logits, "float32"), from_logits=True
        )
    )
