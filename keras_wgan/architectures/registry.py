"""The architectures by name, as arguments of the DCGAN and ResNet builders."""

from keras_wgan import losses
from keras_wgan.architectures import common
from keras_wgan.architectures.dcgan import (
    dcgan_critic,
    dcgan_generator,
    mlp_critic,
    mlp_generator,
)
from keras_wgan.architectures.resnet import resnet_critic, resnet_generator
from keras_wgan.architectures.spectral import spectral_normalize

# The paper's default width of each architecture (DIM_G = DIM_D = 128 in
# gan_cifar_resnet.py, DIM = 64 in gan_64x64.py).
DEFAULT_WIDTHS = {
    "cifar10-resnet": 128,
    "resnet-64": 64,
    "dcgan": 64,
    "dcgan-no-bn-const": 64,
    "mlp-generator": 64,
    "no-norm": 64,
    "gated": 64,
    "tanh": 64,
    "resnet-101": 64,
    "mlp": 256,
}
ARCHITECTURES = tuple(DEFAULT_WIDTHS)
CONDITIONAL_ARCHITECTURES = ("cifar10-resnet", "resnet-64", "resnet-101", "mlp")

# The DCGAN family of Figure 2 (section 5.1): (generator arguments, critic arguments).
# A critic's "layer" here (and in the 64x64 ResNets) stands for gan_64x64.py's `Normalize`:
# layer norm for a gradient-penalty loss, batch norm for the others; `build` resolves it
# from its `loss` (`_critic_norm`). "none" (the no-normalisation variant) stays none.
_DCGAN_CRITIC = {"norm": "layer", "activation": "leaky_relu"}
DCGAN_VARIANTS = {
    "dcgan": ({"norm": "batch", "activation": "relu"}, _DCGAN_CRITIC),
    # WGANPaper_CrippledDCGANGenerator sets no weight stdev: tflib's defaults (Glorot
    # linear layer, He transposed convolutions with tflib's fans), not DCGAN's 0.02.
    "dcgan-no-bn-const": (
        {
            "norm": "none",
            "activation": "relu",
            "constant_filters": True,
            "kernel_initializer": common.TFLIB_INIT,
        },
        _DCGAN_CRITIC,
    ),
    "mlp-generator": (None, _DCGAN_CRITIC),  # None: `mlp_generator`, 512 units wide.
    "no-norm": (
        {"norm": "none", "activation": "relu"},
        {"norm": "none", "activation": "leaky_relu"},
    ),
    # MultiplicativeDCGANGenerator / Discriminator set no weight stdev either.
    "gated": (
        {"norm": "batch", "activation": "gated", "kernel_initializer": common.TFLIB_INIT},
        {"norm": "layer", "activation": "gated", "kernel_initializer": common.TFLIB_INIT},
    ),
    "tanh": (
        {"norm": "batch", "activation": "tanh"},
        {"norm": "layer", "activation": "tanh"},
    ),
}


def _cifar10_resnet(num_doublings, width):
    """gan_cifar_resnet.py: `width` channels everywhere, no normalisation in the critic.

    The generator has one upsampling block per doubling (three for 32x32). The paper's
    critic goes 32 -> 16 (optimised block) -> 8 (one downsampling block) and ends with two
    blocks at 8x8; for other sizes it downsamples the same way to 8x8 (to 4x4 for 8x8
    images, as the optimised block always halves), then the same two blocks.
    """
    num_down = max(1, num_doublings - 1)
    generator = {"widths": (width,) * (num_doublings + 1)}
    critic = {
        "widths": (width,) * (num_down + 1),
        "extra_blocks": (0,) * num_down + (2,),
        "stem": "optimized",
        "head": "mean_pool",
        "norm": "none",
    }
    return generator, critic


def _resnet_64(num_doublings, width):
    """gan_64x64.py `GoodGenerator` / `GoodDiscriminator`: channels double towards 4x4.

    At 64x64: 8w channels at 4x4 and 8x8, then 4w, 2w and w at 64x64 (the critic mirrors
    it after a 3x3 stem conv to w), layer norm in the critic, flatten-linear head. Other
    sizes keep w at full resolution, doubling per halving, capped at 8w.
    """
    size = 4 * 2**num_doublings
    widths = tuple(width * min(8, size // (4 * 2**i)) for i in range(num_doublings + 1))
    critic = {
        "widths": widths[::-1],
        "extra_blocks": 0,
        "stem": "conv",
        "head": "flatten",
        "norm": "layer",
    }
    # GoodGenerator's output convolution keeps tflib's default He initialisation.
    return {"widths": widths, "output_initializer": "he"}, critic


def _resnet_101(num_doublings, width):
    """gan_64x64.py `ResnetGenerator` / `ResnetDiscriminator`: 33 bottleneck blocks.

    At 64x64: 8w channels at 4x4 halving to w/2 at 64x64; 6 shape-keeping blocks at each
    resolution but 5 at 64x64, so with the 4 resampling blocks (3 convolutions each), the
    linear layer and the 1x1 output (or stem) convolution, each network is 101 layers
    deep. Other sizes keep w/2 channels at full resolution, doubling per halving up to
    8w, and spread the same 33 blocks over their resolutions (the spare ones at low
    resolution), so they stay 101 layers deep. The critic's blocks end with
    gan_64x64.py's `Normalize`: its "layer" becomes batch norm for a loss without a
    gradient penalty (`build`'s `loss`); the generator's is batch norm.
    """
    size = 4 * 2**num_doublings
    widths = tuple(width * min(16, size // (4 * 2**i)) // 2 for i in range(num_doublings + 1))
    num_extra, remainder = divmod(33 - num_doublings, num_doublings + 1)
    extra = tuple(num_extra + (i < remainder) for i in range(num_doublings + 1))
    # The paper divides the generator's pre-tanh output and the critic's score by 5.
    generator = {
        "widths": widths,
        "extra_blocks": extra,
        "block": "bottleneck",
        "output_scale": 0.2,
    }
    critic = {
        "widths": widths[::-1],
        "extra_blocks": extra[::-1],
        "block": "bottleneck",
        "stem": "conv",
        "head": "flatten",
        "norm": "layer",
        "output_scale": 0.2,
    }
    return generator, critic


RESNET_DESIGNS = {
    "cifar10-resnet": _cifar10_resnet,
    "resnet-64": _resnet_64,
    "resnet-101": _resnet_101,
}


def _critic_norm(norm, loss):
    """A critic's norm for `loss`, as gan_64x64.py's `Normalize` picks it.

    `Normalize` gives a discriminator layer norm when MODE == 'wgan-gp' and batch norm for
    the other methods (DCGAN, LSGAN, weight clipping): so "layer" stays layer norm for a
    gradient-penalty loss and becomes "batch" otherwise; "none" stays "none".
    """
    if norm == "layer" and not losses.get(loss).penalized:
        return "batch"
    return norm


def _check_loss(loss):
    try:
        losses.get(loss)
    except (TypeError, ValueError):  # an unknown name or an unhashable value
        raise ValueError(
            f"Invalid value for argument `loss`. Received: loss={loss!r}. "
            f"Expected one of {sorted(losses.LOSSES)}."
        ) from None
    return loss


def build(
    name,
    image_shape,
    latent_dim=128,
    width=None,
    num_classes=None,
    fused_resampling=True,
    loss="wgan-gp",
    spectral_norm=False,
):
    """Builds the generator and critic of a named architecture of the paper.

    Gulrajani et al. 2017: "cifar10-resnet" (section 5.3, the CIFAR-10 ResNet),
    "resnet-64" (the 64x64 ResNet of the LSUN and ImageNet samples), "dcgan", and the
    robustness set of Figure 2 (section 5.1): "dcgan-no-bn-const", "mlp-generator",
    "no-norm", "gated", "tanh", "resnet-101"; and "mlp", a fully connected generator and
    critic (not one of the paper's set: a fast baseline for small images on a CPU). Every
    one is an argument setting of `dcgan_generator` / `dcgan_critic` (or `mlp_generator`
    / `mlp_critic`) or `resnet_generator` /
    `resnet_critic`. The critic's normalisation follows `loss` as in gan_64x64.py's
    `Normalize`: for the DCGAN family, "resnet-64" and "resnet-101" it is layer norm under
    a gradient penalty ("wgan-gp", "wgan-gp-one-sided") and batch norm for the baselines
    ("dcgan", "minimax", "lsgan", "wgan-clip"); "no-norm", "cifar10-resnet"
    (gan_cifar_resnet.py's `NORMALIZATION_D = False`) and "mlp" have none for every loss.

    Args:
        name: one of `ARCHITECTURES`.
        image_shape: (H, W, C), H == W a power of two >= 8.
        latent_dim: size of z. Default 128.
        width: the architecture's base width. Default None: the paper's (128 for
            "cifar10-resnet", 64 otherwise). For "mlp-generator" it is the critic's;
            the generator stays 512 units wide.
        num_classes: None (default), or K for a class-conditional generator taking
            `[z, labels]` (conditional batch norm) and a critic returning
            `[score, class_logits]` (AC-GAN); the ResNets and "mlp" support it.
        fused_resampling: in the ResNets, each conv-then-mean-pool of the critic as one
            `ConvMeanPool` layer and each upsample-then-conv of the generator as one
            `UpsampleConv` layer (same functions and weights, fewer operations). Default
            True. Other architectures ignore it.
        loss: the name of the GAN loss the pair will be trained with (one of
            `keras_wgan.losses.LOSSES`), which picks the critic's normalisation as
            above. Default "wgan-gp".
        spectral_norm: spectrally normalise every Dense and convolution layer of the
            critic (`spectral_normalize`, Miyato et al. 2018). Default False.

    Returns:
        `(generator, critic)`: functional `keras.Model`s, the generator from
        z [batch, latent_dim] to images [batch, H, W, C] in [-1, 1], the critic from
        images to unbounded scores [batch, 1].

    Raises:
        ValueError: on an unknown name (the message lists the names), an image shape the
            designs cannot make (the message says which sizes work), `num_classes` for an
            architecture without a conditional form, or another argument out of range.

    Example:
    >>> generator, critic = build("dcgan", (16, 16, 3), latent_dim=8, width=8)
    >>> generator.output_shape, critic.output_shape
    ((None, 16, 16, 3), (None, 1))
    """
    if not isinstance(spectral_norm, bool):
        raise ValueError(
            "Invalid value for argument `spectral_norm`. "
            f"Received: spectral_norm={spectral_norm!r}. Expected True or False."
        )
    generator, critic = _build(
        name, image_shape, latent_dim, width, num_classes, fused_resampling, loss
    )
    return generator, spectral_normalize(critic) if spectral_norm else critic


def _build(name, image_shape, latent_dim, width, num_classes, fused_resampling, loss):
    """`build` without the spectral norm."""
    if name not in ARCHITECTURES:
        raise ValueError(
            f"Invalid value for argument `name`. Received: name={name!r}. Expected one "
            f"of: {', '.join(ARCHITECTURES)}."
        )
    _check_loss(loss)
    size, channels, num_doublings = common.check_image_shape(image_shape)
    image_shape = (size, size, channels)
    latent_dim = common.check_int("latent_dim", latent_dim, 1)
    width = DEFAULT_WIDTHS[name] if width is None else common.check_int("width", width, 1)
    num_classes = common.check_num_classes(num_classes)
    if num_classes is not None and name not in CONDITIONAL_ARCHITECTURES:
        raise ValueError(
            "Invalid value for argument `num_classes`. "
            f"Received: num_classes={num_classes!r} with name={name!r}. Expected None: only "
            f"{', '.join(CONDITIONAL_ARCHITECTURES)} have a class-conditional form."
        )

    if name in RESNET_DESIGNS:
        g_args, d_args = RESNET_DESIGNS[name](num_doublings, width)
        d_args = {**d_args, "norm": _critic_norm(d_args["norm"], loss)}
        generator = resnet_generator(
            image_shape,
            latent_dim,
            num_classes=num_classes,
            fused_resampling=fused_resampling,
            **g_args,
        )
        critic = resnet_critic(
            image_shape, num_classes=num_classes, fused_resampling=fused_resampling, **d_args
        )
        return generator, critic

    if name == "mlp":  # no convolutions: the fast CPU choice for small images
        return (
            mlp_generator(image_shape, latent_dim, width=width, num_classes=num_classes),
            mlp_critic(image_shape, width=width, num_classes=num_classes),
        )

    g_args, d_args = DCGAN_VARIANTS[name]
    if g_args is None:
        generator = mlp_generator(image_shape, latent_dim)
    else:
        generator = dcgan_generator(image_shape, latent_dim, width, **g_args)
    critic = dcgan_critic(
        image_shape, width, **{**d_args, "norm": _critic_norm(d_args["norm"], loss)}
    )
    return generator, critic
