"""Reproduces Figure 1 of Gulrajani et al., "Improved Training of Wasserstein GANs" (2017).

(a) Value surfaces of WGAN critics trained to near-optimality on the three toy datasets,
    with weight clipping (top row) and with the gradient penalty (bottom row).
(b) Left: per-layer gradient norms of a deep (12 hidden layers) critic on the Swiss roll,
    for weight clipping with c in {0.1, 0.01, 0.001} and for the gradient penalty.
    Right: histograms of the critic's weights under weight clipping and under the penalty.

As in the paper, the "generator" is held fixed at the real distribution plus unit-variance
Gaussian noise, and only the critic is trained.

Run from the repository root, with the package installed (`pip install -e .`) or on the
path (3 to 4 minutes on 2 CPU cores):

    PYTHONPATH=. python examples/paper/toy_2d.py --out docs/figures

Writes `figure1a_value_surfaces.png` and `figure1b_gradient_norms.png` into `--out`.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_wgan  # noqa: E402
from keras_wgan import models, options, presets  # noqa: E402
from keras_wgan.datasets.toy import TOY_DATASETS, sample_toy  # noqa: E402
from keras_wgan.utils.plotting import plot_points  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # examples/
import _common  # noqa: E402

BATCH_SIZE = presets.PRESETS["toy"]["batch_size"]
POOL_SIZE = 100_000  # real points the critic batches are drawn from
PLOT_POINTS = 400  # real and "generated" points drawn in each panel
# Half-width of the plotted square. All real points lie inside [-2, 2]^2; the contour levels
# are spread over the critic's values in this square, so a tight square shows the surface
# near the data instead of the steep fall-off far out among the noisy "generated" points.
EXTENT = 2.0
DEEP_DEPTH = 12
CLIP_VALUES = (0.1, 0.01, 0.001)


# --- training --------------------------------------------------------------------------


def build_gan(critic, method, clip_value=None, seed=None):
    """A compiled WGAN around `critic` with the paper's settings for `method`.

    "clip": the "wgan-clip" preset (RMSprop 5e-5, c = 0.01 unless `clip_value` is given);
    "gp": the "toy" preset (lambda 0.1, Adam(1e-4, 0.5, 0.9)). The generator is a
    placeholder: the critic is trained against a fixed distribution, so it is never called.
    """
    preset = "wgan-clip" if method == "clip" else "toy"
    model_args = presets.get(preset)["model"]
    if method == "clip" and clip_value is not None:
        model_args["clip_value"] = clip_value
    generator = models.toy_generator(width=4, depth=1)
    flat, model_args, training = options.split(model_args)  # the preset's flat options
    gan = keras_wgan.WGAN(generator, critic, seed=seed, **model_args, **options.components(flat))
    gan.compile(*presets.optimizers(preset), **training)
    return gan


def train_critic(gan, real_pool, steps, batch_size, seed):
    """Trains only the critic, against "generated" data = real data + N(0, 1) noise.

    Each step draws a real batch from `real_pool` and fakes it by adding unit Gaussian
    noise to that same batch (the paper's fixed generator), then calls
    `gan.critic_update(real, fake)`; the steps run in one `tf.function` loop.

    Returns:
        The critic's Wasserstein estimate E[D(real)] - E[D(fake)] on a fresh batch of
        4 * batch_size after training.
    """
    pool = tf.constant(real_pool)
    rng = tf.random.Generator.from_seed(seed)

    def draw(n):
        real = tf.gather(pool, rng.uniform((n,), 0, len(real_pool), dtype=tf.int64))
        return real, real + rng.normal(tf.shape(real))

    @tf.function
    def run(n):
        for _ in tf.range(n):
            gan.critic_update(*draw(batch_size))
        real, fake = draw(4 * batch_size)
        return tf.reduce_mean(gan.critic(real)) - tf.reduce_mean(gan.critic(fake))

    return float(run(tf.constant(steps)))


def critic_scores(critic):
    """The critic as a NumPy function of [k, 2] points, as `plot_points` wants it."""
    return lambda points: critic(points, training=False).numpy()


# --- figure 1(a) -----------------------------------------------------------------------


def value_surfaces(out_path, steps, width, seed):
    """Trains one critic per (method, dataset) and draws the 2 x 3 grid of Figure 1(a)."""
    rng = np.random.default_rng(seed)
    rows = (("clip", "Weight clipping (c = 0.01)"), ("gp", "Gradient penalty (\u03bb = 0.1)"))
    fig, axes = _common.pyplot().subplots(2, 3, figsize=(10, 7))
    for col, name in enumerate(TOY_DATASETS):
        pool = sample_toy(name, POOL_SIZE, rng)
        real = sample_toy(name, PLOT_POINTS, rng)
        fake = real + rng.standard_normal(real.shape).astype("float32")
        for row, (method, _) in enumerate(rows):
            start = time.time()
            keras.utils.set_random_seed(seed)
            critic = models.toy_critic(width=width)
            gan = build_gan(critic, method, seed=seed)
            estimate = train_critic(gan, pool, steps, BATCH_SIZE, seed)
            print(
                f"(a) {name:12s} {method:4s} W-estimate {estimate:.4g} "
                f"({time.time() - start:.0f} s)",
                flush=True,
            )
            plot_points(
                None, real, fake, critic=critic_scores(critic), extent=EXTENT, ax=axes[row, col]
            )
        axes[0, col].set_title(name, fontsize=12)
    for row, (_, label) in enumerate(rows):
        axes[row, 0].set_ylabel(label, fontsize=11)
    handles, _ = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        ["real data", "fixed generator: real + N(0, 1)"],
        loc="lower center",
        ncol=2,
        markerscale=4,
        fontsize=10,
        frameon=False,
    )
    fig.suptitle(
        "Figure 1(a): critic value surfaces (contours), generator held fixed, "
        f"{steps} critic steps",
        fontsize=12,
    )
    _common.save_figure(fig, out_path, dpi=110, rect=(0, 0.05, 1, 0.96))


# --- figure 1(b) -----------------------------------------------------------------------


def layer_gradient_norms(critic, points):
    """Mean over `points` of ||dD(x) / dh_i||_2 for the input (i = 0) and each hidden layer.

    The critic's layers are called in order under one tape so that every intermediate
    activation h_i can be differentiated against. The critic scores each example on its
    own, so the gradient of the summed scores holds each example's gradient in its row.
    """
    points = tf.convert_to_tensor(points)
    with tf.GradientTape() as tape:
        tape.watch(points)
        activations = [points]
        h = points
        for layer in critic.layers:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            h = layer(h, training=False)
            activations.append(h)
        total = tf.reduce_sum(h)
    grads = tape.gradient(total, activations[:-1])  # the last one is the output itself
    # Norms in float64: squaring float32 gradients of 1e-20 and below would underflow.
    return np.array([np.linalg.norm(g.numpy().astype("float64"), axis=1).mean() for g in grads])


def critic_weights(critic):
    """All the critic's kernel weights as one flat array (biases left out)."""
    return np.concatenate(
        [v.numpy().ravel() for v in critic.trainable_variables if v.path.endswith("kernel")]
    )


def gradient_norms(out_path, steps, width, seed):
    """Trains deep critics on the Swiss roll and draws Figure 1(b)."""
    rng = np.random.default_rng(seed + 1)
    pool = sample_toy("swissroll", POOL_SIZE, rng)
    # Gradients are measured at points of both distributions, as the critic sees them.
    probe = sample_toy("swissroll", BATCH_SIZE, rng)
    probe = np.concatenate([probe, probe + rng.standard_normal(probe.shape).astype("float32")])
    runs = [(f"weight clipping, c = {c:g}", "clip", c) for c in CLIP_VALUES]
    runs.append(("gradient penalty, \u03bb = 0.1", "gp", None))
    norms, weights = {}, {}
    for label, method, clip_value in runs:
        start = time.time()
        keras.utils.set_random_seed(seed)  # the same initial weights for every method
        critic = models.mlp(2, 1, width=width, depth=DEEP_DEPTH, name="critic")
        gan = build_gan(critic, method, clip_value, seed=seed)
        train_critic(gan, pool, steps, BATCH_SIZE, seed)
        norms[label] = layer_gradient_norms(critic, probe)
        weights[label] = critic_weights(critic)
        with np.errstate(divide="ignore"):
            shown = np.round(np.log10(norms[label]), 1)
        print(f"(b) {label:28s} log10 norms {shown} ({time.time() - start:.0f} s)", flush=True)

    fig = _common.pyplot().figure(figsize=(12, 5))
    grid = fig.add_gridspec(2, 2, width_ratios=(1.25, 1))
    ax = fig.add_subplot(grid[:, 0])
    for (label, norm), marker in zip(norms.items(), "ovs^"):
        # The log axis would leave out a norm of exactly 0 (every ReLU inactive), if any.
        ax.plot(np.arange(len(norm)), norm, marker=marker, label=label)
    ax.set_yscale("log")
    ax.set_xlabel(f"critic layer (0 = input, {DEEP_DEPTH} = last hidden layer)")
    ax.set_ylabel("gradient norm  mean ||\u2202D(x) / \u2202h$_i$||  (log scale)")
    ax.set_title(f"Gradient norms of a {DEEP_DEPTH}-hidden-layer critic, Swiss roll", fontsize=11)
    ax.set_xticks(np.arange(DEEP_DEPTH + 1))
    ax.legend(fontsize=9)
    ax.grid(alpha=0.3, which="major")
    clip_label, gp_label = runs[1][0], runs[3][0]
    for row, label in enumerate((clip_label, gp_label)):
        hax = fig.add_subplot(grid[row, 1])
        hax.hist(weights[label], bins=100, color="C1" if row == 0 else "C3")
        hax.locator_params(axis="x", nbins=5)
        hax.set_title(f"Critic weights (all kernels): {label}", fontsize=10)
        hax.set_ylabel("count")
        if row == 1:
            hax.set_xlabel("weight value")
    fig.suptitle(
        f"Figure 1(b): deep critics, generator held fixed, {steps} critic steps, width {width}",
        fontsize=12,
    )
    _common.save_figure(fig, out_path, dpi=110)


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def parse_args(argv=None):
    parser = _common.parser(__doc__)
    _common.add(parser, out=("docs/figures", "folder for the PNGs"))
    parser.add_argument(
        "--critic-steps",
        type=_positive_int,
        default=1200,
        help="critic updates for every trained critic",
    )
    parser.add_argument(
        "--width",
        type=_positive_int,
        default=256,
        help="hidden units of the 3-layer critics of (a)",
    )
    parser.add_argument(
        "--deep-width",
        type=_positive_int,
        default=None,
        help="hidden units of the 12-layer critics of (b); default min(128, --width)",
    )
    _common.add(parser, seed=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    deep_width = args.deep_width or min(128, args.width)
    os.makedirs(args.out, exist_ok=True)
    start = time.time()
    value_surfaces(
        os.path.join(args.out, "figure1a_value_surfaces.png"),
        args.critic_steps,
        args.width,
        args.seed,
    )
    gradient_norms(
        os.path.join(args.out, "figure1b_gradient_norms.png"),
        args.critic_steps,
        deep_width,
        args.seed,
    )
    print(f"Wrote the figures to {args.out} in {time.time() - start:.0f} s.")


if __name__ == "__main__":
    main()
