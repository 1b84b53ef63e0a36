"""The architectures against the paper's code (igul222/improved_wgan_training).

Two points of gan_64x64.py and tflib: the critic's normalisation follows the method
(`Normalize`: layer norm for WGAN-GP, batch norm for the baselines), and tflib's
initialisation counts the stride in its fans (tflib/ops/conv2d.py, deconv2d.py, linear.py).
"""

import math

import keras
import numpy as np
import pytest

import keras_wgan
from keras_wgan import architectures, datasets, losses
from keras_wgan.architectures.initializers import TflibUniform
from keras_wgan.architectures.residual_blocks import bottleneck_block

PENALTY_LOSSES = [name for name in losses.LOSSES if losses.get(name).penalized]
BASELINE_LOSSES = [name for name in losses.LOSSES if not losses.get(name).penalized]
DCGAN_FAMILY = ("dcgan", "dcgan-no-bn-const", "mlp-generator", "gated", "tanh")


# --- tflib's formulas, written out here independently of the package ---------------------


def tflib_conv_stdev(input_dim, output_dim, filter_size, stride=1, he_init=True):
    """tflib/ops/conv2d.py `Conv2D`."""
    fan_in = input_dim * filter_size**2
    fan_out = output_dim * filter_size**2 / stride**2
    return math.sqrt((4.0 if he_init else 2.0) / (fan_in + fan_out))


def tflib_deconv_stdev(input_dim, output_dim, filter_size, he_init=True):
    """tflib/ops/deconv2d.py `Deconv2D` (stride 2)."""
    fan_in = input_dim * filter_size**2 / 2**2
    fan_out = output_dim * filter_size**2
    return math.sqrt((4.0 if he_init else 2.0) / (fan_in + fan_out))


def tflib_linear_stdev(input_dim, output_dim):
    """tflib/ops/linear.py `Linear`, `initialization=None` (Glorot)."""
    return math.sqrt(2.0 / (input_dim + output_dim))


def keras_fan_avg_stdev(shape, scale):
    """What `VarianceScaling(scale, "fan_avg", "uniform")` gives (no stride in the fans)."""
    receptive = math.prod(shape[:-2])
    return math.sqrt(scale / ((shape[-2] + shape[-1]) * receptive / 2.0))


def kernel_std(layer):
    return float(np.std(keras.ops.convert_to_numpy(layer.kernel)))


def assert_tflib_std(layer, expected, old_keras=None, rtol=0.03):
    """The kernel's sample stdev is tflib's; and, if given, far from Keras's fan_avg."""
    actual = kernel_std(layer)
    assert actual == pytest.approx(expected, rel=rtol), (layer.name, actual, expected)
    if old_keras is not None:
        # The check can tell: Keras's stride-blind fans are >= 20% off at stride 2.
        assert abs(old_keras / expected - 1) > 0.2, (layer.name, old_keras, expected)
        assert actual != pytest.approx(old_keras, rel=rtol), (layer.name, actual, old_keras)


def critic_norms(critic):
    kinds = (
        keras.layers.BatchNormalization,
        keras.layers.GroupNormalization,
        keras.layers.LayerNormalization,
    )
    return sorted(
        {type(layer).__name__ for layer in critic._flatten_layers() if isinstance(layer, kinds)}
    )


# --- 1. the critic's normalisation follows the method -----------------------------------


@pytest.mark.parametrize("name", DCGAN_FAMILY)
@pytest.mark.parametrize("loss", ["wgan-gp", "dcgan"])
def test_dcgan_family_critic_norm_follows_the_loss(name, loss):
    _, critic = architectures.build(name, (16, 16, 1), latent_dim=8, width=8, loss=loss)
    if loss == "wgan-gp":
        assert critic_norms(critic) == ["GroupNormalization"]
        assert all(
            layer.groups == 1
            for layer in critic._flatten_layers()
            if isinstance(layer, keras.layers.GroupNormalization)
        )  # layer norm
    else:
        assert critic_norms(critic) == ["BatchNormalization"]


def test_dcgan_critic_batch_norm_for_every_baseline_layer_norm_for_every_penalty():
    for loss in PENALTY_LOSSES + BASELINE_LOSSES:
        _, critic = architectures.build("dcgan", (16, 16, 1), width=8, loss=loss)
        expected = "GroupNormalization" if loss in PENALTY_LOSSES else "BatchNormalization"
        assert critic_norms(critic) == [expected], loss
    _, critic = architectures.build("dcgan", (16, 16, 1), width=8, loss="dcgan")
    bn = [layer for layer in critic.layers if isinstance(layer, keras.layers.BatchNormalization)]
    # gan_64x64.py: BN2, BN3 (BN4 at 64x64) after every convolution but the first;
    # tflib/ops/batchnorm.py's fused batch norm has epsilon 1e-5.
    assert len(bn) == 1 and bn[0].epsilon == pytest.approx(1e-5)


@pytest.mark.parametrize("loss", sorted(losses.LOSSES))
def test_no_norm_and_mlp_critics_have_no_norm_for_every_loss(loss):
    for name in ("no-norm", "mlp"):
        _, critic = architectures.build(name, (8, 8, 1), latent_dim=8, width=8, loss=loss)
        assert critic_norms(critic) == [], (name, loss)


@pytest.mark.parametrize("loss", ["wgan-gp", "lsgan"])
def test_resnet_critic_norms(loss):
    # gan_cifar_resnet.py: NORMALIZATION_D = False; gan_64x64.py GoodDiscriminator's
    # ResidualBlocks call `Normalize`, so it follows the loss.
    _, critic = architectures.build("cifar10-resnet", (8, 8, 1), width=8, loss=loss)
    assert critic_norms(critic) == []
    _, critic = architectures.build("resnet-64", (8, 8, 1), width=8, loss=loss)
    assert critic_norms(critic) == (
        ["GroupNormalization"] if loss == "wgan-gp" else ["BatchNormalization"]
    )


@pytest.mark.slow
def test_resnet_101_critic_norm_follows_the_loss():
    for loss, expected in (("wgan-gp", "GroupNormalization"), ("wgan-clip", "BatchNormalization")):
        _, critic = architectures.build("resnet-101", (8, 8, 1), width=4, loss=loss)
        assert critic_norms(critic) == [expected]


def test_build_checks_the_loss():
    with pytest.raises(ValueError, match="Invalid value for argument `loss`"):
        architectures.build("dcgan", (16, 16, 1), width=8, loss="wgan")
    with pytest.raises(ValueError, match="Invalid value for argument `loss`"):
        architectures.build("dcgan", (16, 16, 1), width=8, loss=["dcgan"])


def test_wgan_refuses_a_batch_norm_critic_under_a_penalty_and_trains_it_otherwise():
    keras.utils.set_random_seed(0)
    generator, critic = architectures.build(
        "dcgan", (16, 16, 1), latent_dim=8, width=8, loss="dcgan"
    )
    assert critic_norms(critic) == ["BatchNormalization"]
    for loss in PENALTY_LOSSES:
        with pytest.raises(ValueError, match="BatchNormalization"):
            keras_wgan.WGAN(generator, critic, loss=loss)
    gan = keras_wgan.WGAN(generator, critic, loss="dcgan", n_critic=1, seed=0)
    gan.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (32, 16, 16, 1)).astype("float32")
    history = gan.fit(
        datasets.critic_batches(x, 4, gan.n_critic), steps_per_epoch=1, epochs=1, verbose=0
    )
    assert int(gan.d_optimizer.iterations) == 1 and int(gan.g_optimizer.iterations) == 1
    assert all(np.isfinite(v[-1]) for v in history.history.values()), history.history


# --- 2. tflib's initialisation -----------------------------------------------------------


def test_tflib_uniform_fans_and_config():
    conv = TflibUniform(2.0, stride=2)
    assert conv.fans((5, 5, 64, 128)) == (64 * 25, 128 * 25 / 4)
    deconv = TflibUniform(1.0, stride=2, transposed=True)
    # Keras's Conv2DTranspose kernel is [kh, kw, out, in].
    layer = keras.layers.Conv2DTranspose(7, 5, strides=2)
    layer.build((None, 4, 4, 3))
    assert tuple(layer.kernel.shape) == (5, 5, 7, 3)
    assert deconv.fans((5, 5, 7, 3)) == (3 * 25 / 4, 7 * 25)
    assert TflibUniform(2.0).stddev((3, 3, 16, 32)) == pytest.approx(
        keras_fan_avg_stdev((3, 3, 16, 32), 2.0)
    )  # stride 1: Keras's fan_avg
    restored = keras.initializers.deserialize(
        keras.initializers.serialize(TflibUniform(1.0, stride=2, transposed=True, seed=3))
    )
    assert isinstance(restored, TflibUniform)
    assert restored.get_config() == {"seed": 3, "scale": 1.0, "stride": 2, "transposed": True}
    values = TflibUniform(2.0, stride=2, seed=1)((5, 5, 32, 64))
    limit = tflib_conv_stdev(32, 64, 5, stride=2) * math.sqrt(3)
    assert float(np.max(np.abs(values))) <= limit
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="`stride`"):
            TflibUniform(stride=bad)


def test_dcgan_networks_use_stdev_002():
    # gan_64x64.py DCGANGenerator / DCGANDiscriminator: set_weights_stdev(0.02) for the
    # convolutions, transposed convolutions and linear layers alike.
    keras.utils.set_random_seed(0)
    generator, critic = architectures.build("dcgan", (32, 32, 3), width=64)
    for model in (generator, critic):
        for layer in model.layers:
            if hasattr(layer, "kernel") and np.prod(layer.kernel.shape) >= 10000:
                assert kernel_std(layer) == pytest.approx(0.02, rel=0.03), layer.name


def test_no_bn_constant_filter_generator_init():
    # WGANPaper_CrippledDCGANGenerator sets no stdev: Linear is Glorot (initialization
    # None), every Deconv2D is he_init=True with tflib's stride-2 fans.
    keras.utils.set_random_seed(0)
    dim = 64
    generator, _ = architectures.build("dcgan-no-bn-const", (32, 32, 3), width=dim)
    dense = generator.get_layer("generator_dense")
    assert tuple(dense.kernel.shape) == (128, 4 * 4 * dim)
    assert_tflib_std(
        dense, tflib_linear_stdev(128, 4 * 4 * dim), old_keras=math.sqrt(2.0 / 128)
    )  # was He (fan_in)
    for size in (8, 16):
        layer = generator.get_layer(f"generator_deconv{size}")
        assert tuple(layer.kernel.shape) == (5, 5, dim, dim)
        assert_tflib_std(
            layer,
            tflib_deconv_stdev(dim, dim, 5),
            old_keras=keras_fan_avg_stdev((5, 5, dim, dim), 2.0),
        )
    out = generator.get_layer("generator_deconv32")  # dim -> 3, he_init=True too
    assert tuple(out.kernel.shape) == (5, 5, 3, dim)
    assert_tflib_std(
        out, tflib_deconv_stdev(dim, 3, 5), old_keras=keras_fan_avg_stdev((5, 5, 3, dim), 2.0)
    )


def test_gated_networks_init():
    # MultiplicativeDCGANGenerator / Discriminator set no stdev: Glorot linear layers,
    # He (transposed) convolutions with tflib's stride-2 fans.
    keras.utils.set_random_seed(0)
    dim = 32
    generator, critic = architectures.build("gated", (32, 32, 3), width=dim)
    dense = generator.get_layer("generator_dense")
    assert tuple(dense.kernel.shape) == (128, 4 * 4 * 4 * dim * 2)  # 32x32: 4 dim at 4x4
    assert_tflib_std(
        dense,
        tflib_linear_stdev(128, 4 * 4 * 4 * dim * 2),
        old_keras=keras_fan_avg_stdev((128, 4 * 4 * 4 * dim * 2), 2.0),
    )
    # Generator.2-style layer: 4 dim gated in, 2 dim * 2 out.
    deconv = generator.get_layer("generator_deconv8")
    assert tuple(deconv.kernel.shape) == (5, 5, 2 * dim * 2, 4 * dim)
    assert_tflib_std(
        deconv,
        tflib_deconv_stdev(4 * dim, 2 * dim * 2, 5),
        old_keras=keras_fan_avg_stdev((5, 5, 2 * dim * 2, 4 * dim), 2.0),
    )
    conv = critic.get_layer("critic_conv8")  # dim -> 2 dim * 2, stride 2
    assert tuple(conv.kernel.shape) == (5, 5, dim, 2 * dim * 2)
    assert_tflib_std(
        conv,
        tflib_conv_stdev(dim, 2 * dim * 2, 5, stride=2),
        old_keras=keras_fan_avg_stdev((5, 5, dim, 2 * dim * 2), 2.0),
    )
    score = critic.get_layer("critic_score")
    assert tuple(score.kernel.shape) == (4 * 4 * 4 * dim, 1)
    assert_tflib_std(score, tflib_linear_stdev(4 * 4 * 4 * dim, 1), rtol=0.05)


def test_bottleneck_block_resampling_init():
    # gan_64x64.py BottleneckResidualBlock: 'down' has a stride-2 3x3 Conv1B (he) and a
    # stride-2 1x1 shortcut (he_init=False); 'up' a Deconv2D 3x3 (he) and a 1x1
    # SubpixelConv2D shortcut to 4 * out channels (he_init=False).
    keras.utils.set_random_seed(0)
    n_in, n_out = 128, 256
    model_layers = {}
    for x, filters, resample in (((8, 8, n_in), n_out, "down"), ((4, 4, n_out), n_in, "up")):
        inputs = keras.Input(x)
        model = keras.Model(inputs, bottleneck_block(inputs, filters, resample, "layer", resample))
        model_layers[resample] = {layer.name: layer for layer in model.layers}
    down, up = model_layers["down"], model_layers["up"]
    assert_tflib_std(
        down["down_conv2"],
        tflib_conv_stdev(n_in // 2, n_out // 2, 3, stride=2),
        old_keras=keras_fan_avg_stdev((3, 3, n_in // 2, n_out // 2), 2.0),
    )
    assert_tflib_std(
        down["down_shortcut_conv"],
        tflib_conv_stdev(n_in, n_out, 1, stride=2, he_init=False),
        old_keras=keras_fan_avg_stdev((1, 1, n_in, n_out), 1.0),
    )
    # 'up' block from n_out to n_in channels: Conv1B is Deconv2D(n_out/2 -> n_in/2).
    assert_tflib_std(
        up["up_conv2"],
        tflib_deconv_stdev(n_out // 2, n_in // 2, 3),
        old_keras=keras_fan_avg_stdev((3, 3, n_in // 2, n_out // 2), 2.0),
    )
    # SubpixelConv2D: Conv2D(n_out -> 4 * n_in, filter 1, stride 1, Glorot).
    assert_tflib_std(
        up["up_shortcut_conv"],
        tflib_conv_stdev(n_out, 4 * n_in, 1, he_init=False),
        old_keras=keras_fan_avg_stdev((2, 2, n_in, n_out), 1.0),
    )


def test_resnet_resampling_convs_are_stride_1_so_keras_fans_are_tflibs():
    # ConvMeanPool, MeanPoolConv and UpsampleConv are stride-1 convolutions next to a
    # pooling or a pixel repeat: Keras's fan_avg is tflib's.
    keras.utils.set_random_seed(0)
    generator, critic = architectures.build("resnet-64", (16, 16, 3), width=64)
    for model in (generator, critic):
        for layer in model.layers:
            if isinstance(layer, keras.layers.Conv2D) and np.prod(layer.kernel.shape) >= 10000:
                assert tuple(layer.strides) == (1, 1), layer.name
                k, _, n_in, n_out = layer.kernel.shape
                he = (
                    "shortcut" not in layer.name
                    and "stem" not in layer.name
                    and "out_conv" not in layer.name
                )
                assert_tflib_std(layer, tflib_conv_stdev(n_in, n_out, k, he_init=he))


def test_robustness_cells_get_the_methods_normalisation():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "paper" / "robustness.py"
    spec = importlib.util.spec_from_file_location("robustness_fidelity", path)
    robustness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(robustness)
    for method, expected in (
        ("wgan-gp", "GroupNormalization"),
        ("dcgan", "BatchNormalization"),
        ("lsgan", "BatchNormalization"),
        ("wgan-clip", "BatchNormalization"),
    ):
        gan = robustness.build("dcgan", method, (16, 16, 1), 8, seed=0)
        assert critic_norms(gan.critic) == [expected], method


@pytest.mark.slow
def test_resnet_64_generator_output_convolution_is_he_initialised():
    """GoodGenerator's Generator.Output keeps tflib's default he_init=True (stride 1:
    stdev sqrt(4 / (fan_in + fan_out))); gan_cifar_resnet.py's output is Glorot."""
    import numpy as np

    from keras_wgan import architectures

    for name, gain in (("resnet-64", 4.0), ("cifar10-resnet", 2.0)):
        generator, _ = architectures.build(name, (16, 16, 3), latent_dim=8, width=64)
        kernel = np.asarray(generator.get_layer("generator_out_conv").kernel)
        kh, kw, cin, cout = kernel.shape
        expected = np.sqrt(gain / (cin * kh * kw + cout * kh * kw))
        assert kernel.std() == pytest.approx(expected, rel=0.06), name
