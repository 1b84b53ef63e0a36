"""Generator iterations per second of WGAN-GP training in plain PyTorch: the peer of bench.py.

    python benchmarks/torch_peer.py --width 32 --batch-size 16 --n-critic 5 --steps 20

The project's own PyTorch implementation of the workload `benchmarks/bench.py` times, written
from the paper (Gulrajani et al. 2017, section 5.3 and its CIFAR-10 ResNet), with nothing
from `keras_wgan`:

- generator: Linear(128 -> 4*4*W), reshaped to W x 4 x 4; one residual up-block per
  doubling to the image size (three for 32x32): batch norm, ReLU, 2x nearest upsampling,
  conv 3x3, batch norm, ReLU, conv 3x3, plus an upsampled 1x1 convolution as the shortcut;
  then batch norm, ReLU, conv 3x3 to 3 channels and tanh;
- critic, without normalisation: the optimised first block (conv 3x3, ReLU, conv 3x3,
  2x2 mean pool, plus mean pool and conv 1x1 as the shortcut), residual blocks that
  downsample by 2x2 mean pooling down to 8x8 (one for 32x32; none for 8x8 images, which
  the first block already takes to 4x4), two residual blocks that keep the shape, then
  ReLU, a global mean pool and Linear(W, 1). These are the shapes of
  `keras_wgan.architectures.build("cifar10-resnet", ...)` at every image size;
- every generator iteration: `--n-critic` critic updates, each on its own batch of real
  images and a fresh generated batch, with the loss D(fake) - D(real) + 10 * the gradient
  penalty E[(||grad D(x-hat)|| - 1)^2] at x-hat = alpha x + (1 - alpha) G(z), alpha ~ U[0, 1]
  per example, taken with `torch.autograd.grad(create_graph=True)`; then one generator
  update on a batch of the same size with the loss -D(G(z)); Adam(2e-4, betas (0, 0.9),
  eps 1e-7 as Keras's) on both networks.

As in bench.py the real images are one fixed random array (uniform in [-1, 1], from the
same `numpy.random.default_rng(seed)` draw) split into the n_critic batches of every
iteration, so no input pipeline is measured; the networks run in training mode (batch
norm on batch statistics). The critic is called on the real, generated and interpolated
batches separately, as in the paper's code (bench.py concatenates real and generated data
into one call by default; `--separate-critic-calls` there does as this script does). During
the generator update the critic's parameters do not require gradients, so only the
generator's are computed, as the Keras step does. Initialisation is PyTorch's default: it
does not change the time of an iteration.

`--warmup` untimed iterations run first, then `--steps` timed ones (on CUDA the device is
synchronised before the clock is read, and cuDNN picks its fastest convolutions,
`torch.backends.cudnn.benchmark`). The output ends with a line `gen_iters_per_s=<number>`;
the line before it gives the losses' means over the whole run and whether any was NaN or
infinite.
"""

import argparse
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812  (PyTorch's own convention)
from torch import nn

LATENT_DIM = 128
GP_WEIGHT = 10.0
NORM_EPSILON = 1e-12  # under the square root of the gradient norm, as keras_wgan's


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python benchmarks/torch_peer.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-critic", type=int, default=5)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20, help="timed generator iterations")
    parser.add_argument("--warmup", type=int, default=3, help="untimed iterations first")
    parser.add_argument(
        "--channels-last",
        action="store_true",
        help="NHWC memory format for the images, networks and activations",
    )
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("width", "batch_size", "n_critic", "image_size", "steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")
    size = args.image_size
    if size < 8 or size & (size - 1):
        parser.error("--image-size must be a power of two >= 8")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: PyTorch sees no CUDA device")
    return args


def batch_norm(channels):
    # Keras's BatchNormalization(epsilon=1e-5) of the Keras generator: momentum 0.99 there
    # is 0.01 here (PyTorch weighs the new batch's statistics).
    return nn.BatchNorm2d(channels, eps=1e-5, momentum=0.01)


def conv(in_channels, out_channels, kernel_size):
    return nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)


def upsample(x):
    return F.interpolate(x, scale_factor=2, mode="nearest")


def mean_pool(x):
    return F.avg_pool2d(x, 2)


class UpBlock(nn.Module):
    """The generator's residual block that doubles the resolution."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.norm1 = batch_norm(in_channels)
        self.conv1 = conv(in_channels, out_channels, 3)
        self.norm2 = batch_norm(out_channels)
        self.conv2 = conv(out_channels, out_channels, 3)
        self.shortcut = conv(in_channels, out_channels, 1)

    def forward(self, x):
        h = self.conv1(upsample(F.relu(self.norm1(x))))
        h = self.conv2(F.relu(self.norm2(h)))
        return self.shortcut(upsample(x)) + h


class DownBlock(nn.Module):
    """The critic's residual block that halves the resolution (no normalisation)."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = conv(in_channels, in_channels, 3)
        self.conv2 = conv(in_channels, out_channels, 3)
        self.shortcut = conv(in_channels, out_channels, 1)

    def forward(self, x):
        h = self.conv1(F.relu(x))
        h = mean_pool(self.conv2(F.relu(h)))
        return self.shortcut(mean_pool(x)) + h


class Block(nn.Module):
    """The critic's residual block that keeps the shape: identity shortcut."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = conv(channels, channels, 3)
        self.conv2 = conv(channels, channels, 3)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class FirstBlock(nn.Module):
    """The critic's optimised first block: on the image, no activation before conv1."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = conv(in_channels, out_channels, 3)
        self.conv2 = conv(out_channels, out_channels, 3)
        self.shortcut = conv(in_channels, out_channels, 1)

    def forward(self, x):
        h = mean_pool(self.conv2(F.relu(self.conv1(x))))
        return self.shortcut(mean_pool(x)) + h


class Generator(nn.Module):
    def __init__(self, width, image_size):
        super().__init__()
        self.width = width
        doublings = int(math.log2(image_size // 4))
        self.linear = nn.Linear(LATENT_DIM, 4 * 4 * width)
        self.blocks = nn.Sequential(*(UpBlock(width, width) for _ in range(doublings)))
        self.norm = batch_norm(width)
        self.out = conv(width, 3, 3)

    def forward(self, z, memory_format=torch.contiguous_format):
        x = self.linear(z).view(-1, self.width, 4, 4).contiguous(memory_format=memory_format)
        x = F.relu(self.norm(self.blocks(x)))
        return torch.tanh(self.out(x))


class Critic(nn.Module):
    def __init__(self, width, image_size):
        super().__init__()
        doublings = int(math.log2(image_size // 4))
        # The first block halves; the others take the features to 8x8 (4x4 from 8x8 images).
        downs = max(1, doublings - 1) - 1
        self.blocks = nn.Sequential(
            FirstBlock(3, width),
            *(DownBlock(width, width) for _ in range(downs)),
            Block(width),
            Block(width),
        )
        self.linear = nn.Linear(width, 1)

    def forward(self, x):
        features = F.relu(self.blocks(x)).mean(dim=(2, 3))
        return self.linear(features)


def adam(parameters):
    return torch.optim.Adam(parameters, lr=2e-4, betas=(0.0, 0.9), eps=1e-7)


class Trainer:
    """One generator iteration of WGAN-GP per call: n_critic critic updates, then one
    generator update; sums the losses on the device (read once, at the end)."""

    def __init__(self, args, device):
        self.args, self.device = args, device
        self.memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
        self.generator = Generator(args.width, args.image_size).to(
            device, memory_format=self.memory_format
        )
        self.critic = Critic(args.width, args.image_size).to(
            device, memory_format=self.memory_format
        )
        self.g_optimizer = adam(self.generator.parameters())
        self.d_optimizer = adam(self.critic.parameters())
        self.generator.train()
        self.critic.train()
        shape = (args.batch_size * args.n_critic, args.image_size, args.image_size, 3)
        real = np.random.default_rng(args.seed).uniform(-1, 1, shape).astype("float32")
        real = torch.from_numpy(real).permute(0, 3, 1, 2)  # NHWC (as bench.py's) -> NCHW
        real = real.to(device).contiguous(memory_format=self.memory_format)
        self.real_batches = torch.split(real, args.batch_size)
        self.sums = torch.zeros(5, device=device)
        self.iterations = 0

    def sample(self):
        z = torch.randn(self.args.batch_size, LATENT_DIM, device=self.device)
        return self.generator(z, self.memory_format)

    def critic_update(self, real):
        with torch.no_grad():
            fake = self.sample()
        alpha = torch.rand(real.shape[0], 1, 1, 1, device=self.device)
        x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        real_score = self.critic(real).mean()
        fake_score = self.critic(fake).mean()
        (grads,) = torch.autograd.grad(self.critic(x_hat).sum(), x_hat, create_graph=True)
        norms = torch.sqrt(grads.square().sum(dim=(1, 2, 3)) + NORM_EPSILON)
        penalty = (norms - 1).square().mean()
        loss = fake_score - real_score + GP_WEIGHT * penalty
        self.d_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.d_optimizer.step()
        return torch.stack([loss, real_score - fake_score, penalty, norms.mean()]).detach()

    def generator_update(self):
        self.critic.requires_grad_(False)
        loss = -self.critic(self.sample()).mean()
        self.g_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.g_optimizer.step()
        self.critic.requires_grad_(True)
        return loss.detach()

    def __call__(self):
        critic_logs = sum(self.critic_update(real) for real in self.real_batches)
        g_loss = self.generator_update()
        self.sums += torch.cat([critic_logs / len(self.real_batches), g_loss.view(1)])
        self.iterations += 1

    def means(self):
        names = (
            "critic_loss",
            "wasserstein_estimate",
            "gradient_penalty",
            "grad_norm",
            "generator_loss",
        )
        values = (self.sums / max(1, self.iterations)).tolist()
        return dict(sorted(zip(names, values)))


def run(args):
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    def synchronize():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    step = Trainer(args, device)
    warmup_start = time.perf_counter()
    for _ in range(args.warmup):
        step()
    synchronize()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    synchronize()
    seconds = time.perf_counter() - start
    rate = args.steps / seconds
    print(
        f"torch {torch.__version__} device={args.device} width={args.width} "
        f"batch={args.batch_size} n_critic={args.n_critic} image_size={args.image_size} "
        f"channels_last={args.channels_last} threads={torch.get_num_threads()}: "
        f"{args.steps} timed iterations in {seconds:.2f} s "
        f"({1000 * seconds / args.steps:.1f} ms/iter, {rate * args.batch_size:.1f} images/s "
        f"generated; warm-up {start - warmup_start:.1f} s)"
    )
    means = step.means()
    finite = all(map(math.isfinite, means.values()))
    print(
        f"means over all {step.iterations} iterations: "
        + " ".join(f"{name}={value:.4f}" for name, value in means.items())
        + ("; no NaN or Inf" if finite else "; NaN or Inf in the run")
    )
    print(f"gen_iters_per_s={rate:.3f}")
    return rate


def main(argv=None):
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
