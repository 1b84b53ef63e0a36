"""The ResNet generator and critic of the paper, one builder each for all its variants."""

import keras

from keras_wgan.architectures import common
from keras_wgan.architectures.residual_blocks import BLOCKS, optimized_residual_block


def _check_stages(name, values, num_stages, minimum):
    """`values` as a tuple with one integer >= `minimum` per stage (an int is repeated)."""
    if common.is_int(values):
        values = (values,) * num_stages
    ok = isinstance(values, (tuple, list)) and len(values) == num_stages
    ok = ok and all(common.is_int(v) and v >= minimum for v in values)
    if not ok:
        raise ValueError(
            f"Invalid value for argument `{name}`. Received: {name}={values!r}. Expected "
            f"{num_stages} integers >= {minimum} (one per resolution), or one integer."
        )
    return tuple(int(v) for v in values)


def _check_scale(output_scale):
    ok = isinstance(output_scale, (int, float)) and not isinstance(output_scale, bool)
    if not ok or not 0 < output_scale < float("inf"):
        raise ValueError(
            "Invalid value for argument `output_scale`. "
            f"Received: output_scale={output_scale!r}. Expected a finite number > 0."
        )
    return float(output_scale)


def _check_widths(widths, num_stages, block):
    # A bottleneck block works at half its width, which must stay >= 1.
    return _check_stages("widths", widths, num_stages, 2 if block == "bottleneck" else 1)


def resnet_generator(
    image_shape,
    latent_dim=128,
    widths=None,
    extra_blocks=0,
    block="plain",
    output_scale=1.0,
    num_classes=None,
    fused_resampling=True,
    output_initializer="glorot",
    name="generator",
):
    """The ResNet generator of the paper's CIFAR-10, 64x64 and 101-layer experiments.

    Gulrajani et al. 2017, section 5.3 and appendix (`gan_cifar_resnet.py`, `gan_64x64.py`
    `GoodGenerator` and `ResnetGenerator`): a linear layer maps z to 4x4 features, then one
    upsampling residual block per doubling of the resolution, each stage optionally followed
    by `extra_blocks` residual blocks that keep the shape, all with batch norm. With
    `block="plain"` the output is batch norm, ReLU, conv 3x3 to the image channels and tanh;
    with `block="bottleneck"` it is the 101-layer network's conv 1x1 and tanh.

    Conditional (`num_classes=K`): the model takes `[z, labels]` and every batch norm inside
    the residual blocks is a `ConditionalBatchNormalization` (gamma[y], beta[y]); the final
    batch norm stays unconditional, as in the paper's code.

    Args:
        image_shape: (H, W, C), H == W a power of two >= 8.
        latent_dim: size of z. Default 128.
        widths: channels at each resolution 4, 8, ..., H (log2(H / 4) + 1 values).
            Default None: 128 at every resolution, the CIFAR-10 generator.
        extra_blocks: shape-keeping residual blocks at each resolution, one integer per
            resolution or one for all. Default 0.
        block: "plain" (norm, ReLU, conv 3x3, twice) or "bottleneck". Default "plain".
        output_scale: multiplies the last convolution's output before tanh. Default 1;
            the 101-layer generator uses 1/5 (`tf.tanh(output / 5.)`).
        num_classes: None (default) or K for a class-conditional generator.
        fused_resampling: with plain blocks, each upsampling and the convolution after
            it are one `UpsampleConv` layer (the same function and weights, 4/9 of the
            multiply-adds for 3x3, 1/4 for 1x1). Default True; False builds
            `UpSampling2D` then `Conv2D`.
        output_initializer: "glorot" (default; gan_cifar_resnet.py's and
            `ResnetGenerator`'s `he_init=False`) or "he" (`GoodGenerator`'s output
            convolution keeps tflib's default `he_init=True`) for the last convolution.
        name: the model's name.

    Returns:
        A functional `keras.Model` from z [batch, latent_dim] (and labels [batch] when
        conditional) to images [batch, H, W, C] in [-1, 1].

    Raises:
        ValueError: on a bad image shape, widths or block counts of the wrong length, or
            another argument out of range.

    Example:
    >>> resnet_generator((16, 16, 3), latent_dim=8, widths=(8, 8, 8)).output_shape
    (None, 16, 16, 3)
    """
    # === Arguments ===
    _, channels, num_doublings = common.check_image_shape(image_shape)
    latent_dim = common.check_int("latent_dim", latent_dim, 1)
    common.check_choice("block", block, tuple(BLOCKS))
    common.check_choice("output_initializer", output_initializer, ("glorot", "he"))
    if widths is None:
        widths = 128
    widths = _check_widths(widths, num_doublings + 1, block)
    extra_blocks = _check_stages("extra_blocks", extra_blocks, num_doublings + 1, 0)
    output_scale = _check_scale(output_scale)
    num_classes = common.check_num_classes(num_classes)
    residual = BLOCKS[block]
    # Bottleneck blocks upsample with a transposed convolution already.
    fusion = {"fused_resampling": bool(fused_resampling)} if block == "plain" else {}

    # === Functional model ===
    z, labels = common.generator_inputs(latent_dim, num_classes)
    x = keras.layers.Dense(4 * 4 * widths[0], name=f"{name}_dense")(z)
    x = keras.layers.Reshape((4, 4, widths[0]), name=f"{name}_reshape")(x)
    for stage, filters in enumerate(widths):
        size = 4 * 2**stage
        if stage > 0:
            x = residual(
                x, filters, "up", "batch", f"{name}_up{size}", labels, num_classes, **fusion
            )
        for i in range(extra_blocks[stage]):
            x = residual(x, filters, None, "batch", f"{name}_res{size}_{i}", labels, num_classes)
    if block == "plain":
        x = common.normalize(x, "batch", f"{name}_out_norm")
        x = keras.layers.ReLU(name=f"{name}_out_relu")(x)
        kernel_size = 3
    else:
        kernel_size = 1
    x = keras.layers.Conv2D(
        channels,
        kernel_size,
        padding="same",
        name=f"{name}_out_conv",
        kernel_initializer=common.initializer(
            common.HE_INIT if output_initializer == "he" else common.GLOROT_INIT
        ),
    )(x)
    if output_scale != 1.0:
        x = keras.layers.Rescaling(output_scale, name=f"{name}_out_scale")(x)
    images = common.tanh_output(x, f"{name}_tanh")
    inputs = z if labels is None else [z, labels]
    return keras.Model(inputs, images, name=name)


def resnet_critic(
    image_shape,
    widths=(128, 128, 128),
    extra_blocks=None,
    block="plain",
    stem="optimized",
    head="mean_pool",
    norm="none",
    output_scale=1.0,
    num_classes=None,
    fused_resampling=True,
    name="critic",
):
    """The ResNet critic of the paper's CIFAR-10, 64x64 and 101-layer experiments.

    Gulrajani et al. 2017, section 5.3 and appendix (`gan_cifar_resnet.py`, `gan_64x64.py`
    `GoodDiscriminator` and `ResnetDiscriminator`). Features at resolution H / 2**i have
    `widths[i]` channels; a stem makes the first ones from the image, then each later
    resolution starts with a downsampling residual block, and each resolution holds
    `extra_blocks[i]` shape-keeping blocks. A gradient-penalty critic gets layer norm or
    none, since the penalty is per example (section 4); batch norm is for the baselines
    without a penalty, as gan_64x64.py's `Normalize` gives them (`keras_wgan.WGAN`
    refuses a batch-norm critic under a gradient penalty).

    Stems: "optimized" is the CIFAR-10 critic's first block (conv 3x3 to `widths[0]`, ReLU,
    conv 3x3 to `widths[1]`, mean pool, with a pooled 1x1 shortcut), which is itself the
    first downsampling step; "conv" is one convolution to `widths[0]` (3x3 for plain
    blocks, 1x1 for bottleneck blocks, as in the paper). Heads: "mean_pool" is ReLU, global
    mean pool, linear (CIFAR-10); "flatten" is flatten, linear (64x64 networks).

    Conditional (`num_classes=K`): a second linear layer on the same features gives the
    AC-GAN class logits.

    Args:
        image_shape: (H, W, C), H == W a power of two >= 8.
        widths: channels at resolutions H, H/2, ..., one more value than the number of
            downsamplings. Default (128, 128, 128): the CIFAR-10 critic (32 -> 16 -> 8).
        extra_blocks: shape-keeping residual blocks at each of those resolutions, one
            integer each or one for all. Default None: the CIFAR-10 critic's two blocks at
            the lowest resolution and none elsewhere.
        block: "plain" or "bottleneck". Default "plain".
        stem: "optimized" (default) or "conv".
        head: "mean_pool" (default) or "flatten".
        norm: "none" (default), "layer" or "batch" inside the residual blocks.
        output_scale: multiplies the score. Default 1; the 101-layer critic uses 1/5.
        num_classes: None (default) or K, which adds the class-logits output.
        fused_resampling: with plain blocks, each conv-then-mean-pool is one `ConvMeanPool`
            layer (the same function and weights, 4/9 of the multiply-adds). Default
            True; False builds `Conv2D` then `AveragePooling2D`.
        name: the model's name.

    Returns:
        A functional `keras.Model` from images [batch, H, W, C] to an unbounded score
        [batch, 1], or to `[score, class_logits [batch, K]]` when conditional.

    Raises:
        ValueError: on a bad image shape, more downsamplings than the image allows, an
            "optimized" stem with blocks at full resolution, or another argument out
            of range.

    Example:
    >>> resnet_critic((16, 16, 3), widths=(8, 8, 8)).output_shape
    (None, 1)
    """
    # === Arguments ===
    size, channels, num_doublings = common.check_image_shape(image_shape)
    common.check_choice("block", block, tuple(BLOCKS))
    common.check_choice("stem", stem, ("optimized", "conv"))
    common.check_choice("head", head, ("mean_pool", "flatten"))
    norm = common.check_critic_norm(norm)
    output_scale = _check_scale(output_scale)
    num_classes = common.check_num_classes(num_classes)
    if not isinstance(widths, (tuple, list)) or not 2 <= len(widths) <= num_doublings + 2:
        raise ValueError(
            f"Invalid value for argument `widths`. Received: widths={widths!r}. Expected "
            f"2 to {num_doublings + 2} integers for {size}x{size} images: one per "
            "resolution, halving from the image size down to no less than 2x2."
        )
    widths = _check_widths(widths, len(widths), block)
    if extra_blocks is None:
        extra_blocks = (0,) * (len(widths) - 1) + (2,)
    extra_blocks = _check_stages("extra_blocks", extra_blocks, len(widths), 0)
    if stem == "optimized" and extra_blocks[0]:
        raise ValueError(
            "Invalid value for argument `extra_blocks`. "
            f"Received: extra_blocks={extra_blocks!r}. Expected extra_blocks[0] == 0 with "
            'stem="optimized": that stem downsamples at once.'
        )
    residual = BLOCKS[block]

    # Bottleneck blocks downsample with a strided convolution already.
    fusion = {"fused_resampling": bool(fused_resampling)} if block == "plain" else {}

    # === Functional model ===
    images = keras.Input((size, size, channels), name="images")
    if stem == "optimized":
        x = optimized_residual_block(
            images, widths[0], widths[1], f"{name}_stem", fused_resampling=fused_resampling
        )
    else:
        x = keras.layers.Conv2D(
            widths[0],
            3 if block == "plain" else 1,
            padding="same",
            name=f"{name}_stem",
            kernel_initializer=common.initializer(common.GLOROT_INIT),
        )(images)
    for stage, filters in enumerate(widths):
        res = size // 2**stage
        if stage > 0 and not (stem == "optimized" and stage == 1):
            x = residual(x, filters, "down", norm, f"{name}_down{res}", **fusion)
        for i in range(extra_blocks[stage]):
            x = residual(x, filters, None, norm, f"{name}_res{res}_{i}")
    if head == "mean_pool":
        x = keras.layers.ReLU(name=f"{name}_out_relu")(x)
        features = keras.layers.GlobalAveragePooling2D(name=f"{name}_pool")(x)
    else:
        features = keras.layers.Flatten(name=f"{name}_flatten")(x)
    # float32 heads: the score and logits stay float32 under a mixed-precision policy.
    score = keras.layers.Dense(1, dtype="float32", name=f"{name}_score")(features)
    if output_scale != 1.0:
        score = keras.layers.Rescaling(output_scale, dtype="float32", name=f"{name}_score_scale")(
            score
        )
    if num_classes is None:
        return keras.Model(images, score, name=name)
    logits = keras.layers.Dense(num_classes, dtype="float32", name=f"{name}_class_logits")(features)
    return keras.Model(images, [score, logits], name=name)
