"""Mixed precision: networks in bfloat16 or float16, the penalty in float32, no NaN."""

import keras
import numpy as np
import pytest

import keras_wgan
from keras_wgan import architectures


@pytest.fixture
def policy(request):
    keras.config.set_dtype_policy(request.param)
    yield request.param
    keras.config.set_dtype_policy("float32")


# The ResNets hold the fused resampling layers (ConvMeanPool, UpsampleConv); that case is
# slow, the mlp one runs by default.
@pytest.mark.parametrize(
    "arch, width", [("mlp", 16), pytest.param("cifar10-resnet", 4, marks=pytest.mark.slow)]
)
@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"], indirect=True)
def test_mixed_precision_trains_with_a_float32_penalty(policy, arch, width):
    keras.utils.set_random_seed(0)
    generator, critic = architectures.build(arch, (8, 8, 1), latent_dim=8, width=width)
    assert generator.dtype_policy.compute_dtype == policy.split("_")[1]
    gan = keras_wgan.WGAN(generator, critic, n_critic=2, seed=0)
    gan.compile()
    scaled = isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (policy == "mixed_float16")  # float16 needs loss scaling
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer) == scaled
    real = np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    logs = gan.critic_update(real[:8])
    assert logs["gradient_penalty"].dtype == "float32" and logs["critic_loss"].dtype == "float32"
    history = gan.fit(np.concatenate([real] * 4), batch_size=8, epochs=2, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())
    assert all(np.isfinite(w).all() for w in gan.get_weights())
    assert gan.generator_step() == 8
