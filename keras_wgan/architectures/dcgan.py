"""The DCGAN generator and critic, whose arguments give the paper's Figure 2 variants."""

import keras

from keras_wgan.architectures import common
from keras_wgan.architectures.initializers import TflibUniform


def _check_dcgan_args(image_shape, width, norm, activation, kernel_initializer, critic):
    """(size, channels, num_doublings, width, kernel initializer) of a DCGAN builder."""
    size, channels, num_doublings = common.check_image_shape(image_shape)
    width = common.check_int("width", width, 1)
    common.check_choice("activation", activation, common.ACTIVATIONS)
    if critic:
        common.check_critic_norm(norm)
    else:
        common.check_choice("norm", norm, common.GENERATOR_NORMS)
    init = common.DCGAN_INIT if kernel_initializer is None else kernel_initializer
    if not (isinstance(init, str) and init == common.TFLIB_INIT):
        common.initializer(init)  # raises on an unknown initializer before any layer is made
    return size, channels, num_doublings, width, init


def _check_mlp_args(image_shape, width, depth, num_classes):
    """(size, channels, width, depth, num_classes) of an MLP builder."""
    size, channels, _ = common.check_image_shape(image_shape)
    width = common.check_int("width", width, 1)
    depth = common.check_int("depth", depth, 1)
    return size, channels, width, depth, common.check_num_classes(num_classes)


def _kernel_init(init, layer):
    """A fresh initializer for one kernel: `layer` is "dense", "conv" or "deconv".

    `common.TFLIB_INIT` gives tflib's defaults: Glorot for a linear layer, He with tflib's
    stride-aware fans for the stride-2 convolutions (`TflibUniform`); any other `init` is
    used as it is for every kernel.
    """
    if not (isinstance(init, str) and init == common.TFLIB_INIT):
        return common.initializer(init)
    if layer == "dense":
        return common.initializer(common.GLOROT_INIT)
    return TflibUniform(2.0, stride=2, transposed=layer == "deconv")


def dcgan_generator(
    image_shape,
    latent_dim=128,
    width=64,
    norm="batch",
    activation="relu",
    constant_filters=False,
    kernel_initializer=None,
    name="generator",
):
    """The DCGAN generator (Radford et al. 2016) and the paper's variants of it.

    Gulrajani et al. 2017, section 5.1 and Figure 2 (`gan_64x64.py` `DCGANGenerator`,
    `WGANPaper_CrippledDCGANGenerator`, `MultiplicativeDCGANGenerator`): a linear layer
    maps z to 4x4 features, then 5x5 transposed convolutions of stride 2 double the
    resolution and halve the channels, each followed by `norm` and `activation`; a last
    transposed convolution makes the image channels, then tanh. The 4x4 features have
    `width * 2**(log2(H / 4) - 1)` channels, so the last hidden layer has `width`
    (8 * width at 4x4 for 64x64 images, 4 * width for 32x32 as in `gan_cifar.py`).

    Args:
        image_shape: (H, W, C), H == W a power of two >= 8.
        latent_dim: size of z. Default 128.
        width: channels of the last hidden layer. Default 64.
        norm: "batch" (default) or "none".
        activation: "relu" (default), "leaky_relu", "tanh", or "gated" (tanh(a) *
            sigmoid(b) over two halves of twice the channels).
        constant_filters: keep `width` channels in every layer instead of doubling
            towards 4x4 (the "constant number of filters" generator). Default False.
        kernel_initializer: initializer of every kernel. Default None: the DCGAN
            files' uniform with stdev 0.02 (tflib's `set_weights_stdev(0.02)`). "tflib":
            tflib's defaults, as in `WGANPaper_CrippledDCGANGenerator` and
            `MultiplicativeDCGANGenerator`: Glorot for the linear layer, He with tflib's
            stride-aware fans (`TflibUniform`) for the transposed convolutions.
        name: the model's name.

    Returns:
        A functional `keras.Model` from z [batch, latent_dim] to images [batch, H, W, C]
        in [-1, 1].

    Raises:
        ValueError: on a bad image shape, a `latent_dim` or `width` that is not an
            integer >= 1, an unknown `norm`, `activation` or `kernel_initializer`, or a
            `constant_filters` that is not a bool.

    Example:
    >>> dcgan_generator((16, 16, 3), latent_dim=8, width=8).output_shape
    (None, 16, 16, 3)
    """
    # === Arguments ===
    _, channels, num_doublings, width, init = _check_dcgan_args(
        image_shape, width, norm, activation, kernel_initializer, critic=False
    )
    latent_dim = common.check_int("latent_dim", latent_dim, 1)
    if not isinstance(constant_filters, bool):
        raise ValueError(
            "Invalid value for argument `constant_filters`. "
            f"Received: constant_filters={constant_filters!r}. Expected True or False."
        )
    filters = [
        width if constant_filters else width * 2 ** (num_doublings - 1 - i)
        for i in range(num_doublings)
    ]

    # === Functional model ===
    z = keras.Input((latent_dim,), name="z")
    units = common.activation_width(filters[0], activation)
    x = keras.layers.Dense(
        4 * 4 * units, kernel_initializer=_kernel_init(init, "dense"), name=f"{name}_dense"
    )(z)
    x = keras.layers.Reshape((4, 4, units), name=f"{name}_reshape")(x)
    x = common.normalize(x, norm, f"{name}_norm4")
    x = common.activate(x, activation, f"{name}_act4")
    for i, f in enumerate(filters[1:] + [channels]):
        size = 8 * 2**i
        last = i == num_doublings - 1
        x = keras.layers.Conv2DTranspose(
            f if last else common.activation_width(f, activation),
            5,
            strides=2,
            padding="same",
            kernel_initializer=_kernel_init(init, "deconv"),
            name=f"{name}_deconv{size}",
        )(x)
        if not last:
            x = common.normalize(x, norm, f"{name}_norm{size}")
            x = common.activate(x, activation, f"{name}_act{size}")
    images = common.tanh_output(x, f"{name}_tanh")
    return keras.Model(z, images, name=name)


def dcgan_critic(
    image_shape,
    width=64,
    norm="layer",
    activation="leaky_relu",
    kernel_initializer=None,
    name="critic",
):
    """The DCGAN discriminator as a WGAN-GP critic, and the paper's variants of it.

    Gulrajani et al. 2017, section 5.1 and Figure 2 (`gan_64x64.py` `DCGANDiscriminator`,
    `MultiplicativeDCGANDiscriminator`): 5x5 convolutions of stride 2 halve the resolution
    down to 4x4 and double the channels from `width`, each followed by `norm` (all but the
    first) and `activation`; then flatten and a linear layer to one unbounded score. The
    default normalisation is layer norm, the paper's replacement for batch norm in a
    gradient-penalty critic (section 4); gan_64x64.py's `Normalize` gives the baselines
    without a penalty (DCGAN, LSGAN, weight clipping) batch norm, which `norm="batch"`
    builds (`keras_wgan.WGAN` refuses it under a gradient penalty).

    Args:
        image_shape: (H, W, C), H == W a power of two >= 8.
        width: channels of the first convolution. Default 64.
        norm: "layer" (default), "batch" or "none".
        activation: "leaky_relu" (default, slope 0.2), "relu", "tanh" or "gated".
        kernel_initializer: initializer of every kernel. Default None: uniform with
            stdev 0.02. "tflib": tflib's defaults, as in
            `MultiplicativeDCGANDiscriminator`: He with tflib's stride-aware fans
            (`TflibUniform`) for the stride-2 convolutions, Glorot for the linear layer.
        name: the model's name.

    Returns:
        A functional `keras.Model` from images [batch, H, W, C] to scores [batch, 1].

    Raises:
        ValueError: on a bad image shape, a `width` that is not an integer >= 1, or an
            unknown `norm`, `activation` or `kernel_initializer`.

    Example:
    >>> dcgan_critic((16, 16, 3), width=8).output_shape
    (None, 1)
    """
    # === Arguments ===
    size, channels, num_doublings, width, init = _check_dcgan_args(
        image_shape, width, norm, activation, kernel_initializer, critic=True
    )

    # === Functional model ===
    images = keras.Input((size, size, channels), name="images")
    x = images
    for i in range(num_doublings):
        res = size // 2 ** (i + 1)
        x = keras.layers.Conv2D(
            common.activation_width(width * 2**i, activation),
            5,
            strides=2,
            padding="same",
            kernel_initializer=_kernel_init(init, "conv"),
            name=f"{name}_conv{res}",
        )(x)
        if i > 0:
            x = common.normalize(x, norm, f"{name}_norm{res}")
        x = common.activate(x, activation, f"{name}_act{res}")
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    score = keras.layers.Dense(
        1,
        kernel_initializer=_kernel_init(init, "dense"),
        dtype="float32",
        name=f"{name}_score",
    )(x)
    return keras.Model(images, score, name=name)


def mlp_generator(
    image_shape, latent_dim=128, width=512, depth=4, num_classes=None, name="generator"
):
    """The paper's fully connected generator: a ReLU MLP to an image.

    Gulrajani et al. 2017, section 5.1 and Figure 2 ("512-dim 4-layer ReLU MLP
    generator"; `gan_64x64.py` `FCGenerator`): `depth` ReLU layers of `width` units with
    He initialisation, a linear layer to H * W * C values, tanh, reshaped to an image.

    Args:
        image_shape: (H, W, C), H == W a power of two >= 8.
        latent_dim: size of z. Default 128.
        width: units of each hidden layer. Default 512.
        depth: number of hidden layers. Default 4.
        num_classes: None (default), or K for a class-conditional generator taking
            `[z, labels]`: the one-hot label is concatenated to z and to the input of
            every hidden layer (a conditional MLP, Mirza and Osindero 2014), so that the
            class reaches every layer.
        name: the model's name.

    Returns:
        A functional `keras.Model` from z [batch, latent_dim] (and labels [batch]) to
        images [batch, H, W, C] in [-1, 1].

    Raises:
        ValueError: on a bad image shape, a `latent_dim`, `width` or `depth` that is not
            an integer >= 1, or a `num_classes` other than None or an integer >= 2.

    Example:
    >>> mlp_generator((8, 8, 1), latent_dim=8, width=16).output_shape
    (None, 8, 8, 1)
    """
    # === Arguments ===
    size, channels, width, depth, num_classes = _check_mlp_args(
        image_shape, width, depth, num_classes
    )
    latent_dim = common.check_int("latent_dim", latent_dim, 1)

    # === Functional model ===
    z, labels = common.generator_inputs(latent_dim, num_classes)
    one_hot = None
    if labels is not None:
        one_hot = keras.layers.CategoryEncoding(
            num_classes, output_mode="one_hot", name=f"{name}_one_hot"
        )(labels)
    x = z
    for i in range(depth):
        if one_hot is not None:
            x = keras.layers.Concatenate(name=f"{name}_concat{i}")([x, one_hot])
        x = keras.layers.Dense(
            width,
            activation="relu",
            kernel_initializer="he_uniform",
            name=f"{name}_dense{i}",
        )(x)
    x = keras.layers.Dense(size * size * channels, name=f"{name}_dense_out")(x)
    x = keras.layers.Reshape((size, size, channels), name=f"{name}_reshape")(x)
    images = common.tanh_output(x, f"{name}_tanh")
    return keras.Model(z if labels is None else [z, labels], images, name=name)


def mlp_critic(image_shape, width=512, depth=3, num_classes=None, name="critic"):
    """A fully connected critic: the flattened image through `depth` ReLU layers to a score.

    The critic-side counterpart of `mlp_generator`, as in the paper's toy critics
    (gan_toy.py) applied to pixels. Without convolutions its double backward is cheap,
    which makes it the fast choice for small images on a CPU (the `mlp` architecture).

    Args:
        image_shape: (H, W, C), H == W a power of two >= 8.
        width: units of each hidden layer. Default 512.
        depth: number of hidden layers. Default 3.
        num_classes: None (default), or K for an AC-GAN critic returning
            `[score, class_logits]` from the same last hidden layer.
        name: the model's name.

    Returns:
        A functional `keras.Model` from images [batch, H, W, C] to scores [batch, 1]
        (and class logits [batch, K]).

    Raises:
        ValueError: on a bad image shape, a `width` or `depth` that is not an integer
            >= 1, or a `num_classes` other than None or an integer >= 2.

    Example:
    >>> mlp_critic((8, 8, 1), width=16).output_shape
    (None, 1)
    """
    size, channels, width, depth, num_classes = _check_mlp_args(
        image_shape, width, depth, num_classes
    )
    images = keras.Input((size, size, channels), name="images")
    x = keras.layers.Flatten(name=f"{name}_flatten")(images)
    for i in range(depth):
        x = keras.layers.Dense(
            width, activation="relu", kernel_initializer="he_uniform", name=f"{name}_dense{i}"
        )(x)
    score = keras.layers.Dense(1, dtype="float32", name=f"{name}_score")(x)
    if num_classes is None:
        return keras.Model(images, score, name=name)
    logits = keras.layers.Dense(num_classes, dtype="float32", name=f"{name}_class_logits")(x)
    return keras.Model(images, [score, logits], name=name)
