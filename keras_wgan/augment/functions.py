"""Differentiable augmentation of what the critic sees (DiffAugment), and its adaptive
strength (ADA).

Zhao, Liu, Lin, Zhu, Han, "Differentiable Augmentation for Data-Efficient GAN Training",
NeurIPS 2020, https://arxiv.org/abs/2006.10738: every image the critic sees, real or
generated, in its own update and in the generator's, goes through the same family of random
transformations T, differentiable in the image, so that the generator's gradient flows
through T. The critic then cannot memorise a small training set as easily, and the
generator still learns the untransformed distribution (the transformations are applied to
both sides). The three policies of DiffAugment, on NHWC images in [-1, 1]:

- `color`: brightness + U[-0.5, 0.5), saturation * U[0, 2), contrast * U[0.5, 1.5);
- `translation`: a shift by up to 1/8 of the height and width, the vacated pixels zero;
- `cutout`: a square of half the height and width zeroed at a random position.

Karras, Aittala, Hellsten, Laine, Lehtinen, Aila, "Training Generative Adversarial Networks
with Limited Data", NeurIPS 2020, https://arxiv.org/abs/2006.06676 (ADA): each policy is
applied to each example with probability p, and p follows an overfitting heuristic r_t
towards a target (`ada_adjust`).

The randomness is split from the transformation: `parameters` maps U[0, 1) draws (which
the trainers take from the model's seed generator, outside the differentiated loss) to
per-example parameters, and `apply` transforms a batch with given parameters. Everything
is written with `keras.ops`, so the TensorFlow and the JAX trainer run the same code.
"""

import numpy as np
from keras import ops

from keras_wgan.utils.validation import invalid

#: The DiffAugment policies, in the order `apply` applies them (DiffAugment's own).
POLICIES = ("color", "translation", "cutout")

#: The largest shift of `translation`, as a fraction of the height and width (DiffAugment).
TRANSLATION_RATIO = 0.125

#: The side of `cutout`'s square, as a fraction of the height and width (DiffAugment).
CUTOUT_RATIO = 0.5

#: ADA adjusts p once every this many generator steps (Karras et al. 2020: 4 minibatches).
ADA_INTERVAL = 4

#: The U[0, 1) columns each policy's parameters take: the Bernoulli mask's, then its own.
_COLUMNS = {"color": 4, "translation": 3, "cutout": 3}


def check_policies(augment, name="augment"):
    """The policies of an `augment` argument, in `POLICIES` order.

    Args:
        augment: None, a comma-separated string ("translation,cutout") or a list of
            policy names.

    Returns:
        A tuple of policy names; () for None.

    Raises:
        ValueError: an unknown, repeated or empty policy name.

    Example:
    >>> check_policies("cutout, translation")
    ('translation', 'cutout')
    >>> check_policies(None)
    ()
    """
    if augment is None:
        return ()
    if isinstance(augment, str):
        names = [name.strip() for name in augment.split(",")]
    elif isinstance(augment, (list, tuple)) and all(isinstance(n, str) for n in augment):
        names = [name.strip() for name in augment]
    else:
        names = None
    expected = (
        f"None, or a comma-separated string or list of distinct policies among {list(POLICIES)}"
    )
    if not names or len(set(names)) != len(names) or not set(names) <= set(POLICIES):
        raise invalid(name, augment, expected)
    return tuple(policy for policy in POLICIES if policy in names)


def check_probability(name, value, one=True):
    """`value` as a float if it is a number in [0, 1] (in [0, 1) when `one` is False:
    1 excluded); else raises `invalid`.

    Example:
    >>> check_probability("augment_probability", 1)
    1.0
    """
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )
    if not (number and 0.0 <= value and (value <= 1.0 if one else value < 1.0)):
        raise invalid(name, value, "a number in [0, 1]" if one else "a number in [0, 1)")
    return float(value)


def num_uniforms(policies):
    """The number of U[0, 1) draws per example that `parameters` maps (4 for `color`, 3
    each for `translation` and `cutout`).

    Example:
    >>> num_uniforms(("translation", "cutout"))
    6
    """
    return sum(_COLUMNS[policy] for policy in policies)


def translation_limits(height, width):
    """The largest shift in each axis: round(size / 8), as DiffAugment."""
    return int(height * TRANSLATION_RATIO + 0.5), int(width * TRANSLATION_RATIO + 0.5)


def cutout_size(height, width):
    """The side of the cutout square in each axis: round(size / 2), as DiffAugment."""
    return int(height * CUTOUT_RATIO + 0.5), int(width * CUTOUT_RATIO + 0.5)


def _integers(u, count):
    """floor(u * count) for u in U[0, 1): an integer in {0, ..., count - 1}, int32."""
    return ops.cast(ops.minimum(ops.floor(u * count), count - 1), "int32")


def parameters(uniforms, policies, image_size, probability=1.0):
    """Per-example parameters of the policies from U[0, 1) draws.

    The draws are the only randomness: a trainer takes them from its seed generator,
    outside the differentiated loss, and `apply` is then a deterministic function of the
    images.

    Args:
        uniforms: U[0, 1) draws of shape [batch, num_uniforms(policies)].
        policies: policy names in `POLICIES` order (`check_policies`).
        image_size: (height, width) of the images.
        probability: p, a number or scalar tensor in [0, 1]: each policy is applied to
            each example with probability p (its own Bernoulli draw). Default 1.

    Returns:
        A dict {policy: dict of [batch] tensors}: "mask" (bool, whether the policy applies
        to the example) and, for `color`, "brightness" (U[-0.5, 0.5)), "saturation"
        (U[0, 2)), "contrast" (U[0.5, 1.5)); for `translation`, "shift" ([batch, 2] int32,
        rows then columns, each uniform in [-round(size / 8), round(size / 8)]); for
        `cutout`, "corner" ([batch, 2] int32, the square's first row and column, the
        square's centre uniform over the image as in DiffAugment, so it may hang over an
        edge).
    """
    uniforms = ops.cast(uniforms, "float32")
    probability = ops.cast(probability, "float32")
    height, width = image_size
    out, column = {}, 0
    for policy in policies:
        u = [uniforms[:, column + i] for i in range(_COLUMNS[policy])]
        column += _COLUMNS[policy]
        params = {"mask": ops.less(u[0], probability)}
        if policy == "color":
            params.update(brightness=u[1] - 0.5, saturation=2.0 * u[2], contrast=u[3] + 0.5)
        elif policy == "translation":
            limits = translation_limits(height, width)
            params["shift"] = ops.stack(
                [_integers(u[1 + i], 2 * s + 1) - s for i, s in enumerate(limits)], axis=1
            )
        else:
            size = cutout_size(height, width)
            # DiffAugment's centre: uniform in [0, size + 1 - side % 2), the square from
            # centre - side // 2.
            params["corner"] = ops.stack(
                [
                    _integers(u[1 + i], n + 1 - s % 2) - s // 2
                    for i, (n, s) in enumerate(zip((height, width), size))
                ],
                axis=1,
            )
        out[policy] = params
    return out


def _per_example(values, images):
    """[batch] values as [batch, 1, 1, 1] in the images' dtype."""
    return ops.reshape(ops.cast(values, images.dtype), (-1, 1, 1, 1))


def color(images, brightness, saturation, contrast):
    """DiffAugment's colour transformation, per example.

    x + b; then (x - mean_c x) * s + mean_c x (mean over the channels); then
    (x - mean x) * c + mean x (mean over the whole image), as DiffAugment applies them.

    Args:
        images: [batch, height, width, channels].
        brightness, saturation, contrast: [batch] values b, s, c.

    Returns:
        The transformed images, same shape and dtype.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[[0.0, 1.0]]]], "float32")  # one pixel of two channels
    >>> np.asarray(color(x, [0.5], [2.0], [1.0]))[0, 0, 0].tolist()
    [0.0, 2.0]
    """
    x = images + _per_example(brightness, images)
    mean = ops.mean(x, axis=-1, keepdims=True)
    x = (x - mean) * _per_example(saturation, images) + mean
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return (x - mean) * _per_example(contrast, images) + mean


def _shift_matrix(shift, size, dtype):
    """One-hot [batch, size, size] matrices S with S[b, i, k] = 1 where k = i - shift[b]."""
    index = ops.arange(size, dtype="int32")
    source = ops.expand_dims(index, 0) - ops.expand_dims(ops.cast(shift, "int32"), 1)
    return ops.cast(ops.equal(ops.expand_dims(source, 2), ops.reshape(index, (1, 1, size))), dtype)


def translation(images, shift):
    """Shifts each image by whole pixels, filling the vacated pixels with zeros.

    Output pixel (i, j) of example b is input pixel (i - shift[b, 0], j - shift[b, 1]),
    or 0 outside the image: a positive shift moves the content down and right. Computed as
    products with one-hot matrices (exact, batched, differentiable: the gradient is the
    opposite shift).

    Args:
        images: [batch, height, width, channels].
        shift: [batch, 2] integers, rows then columns.

    Returns:
        The shifted images, same shape and dtype.

    Example:
    >>> import numpy as np
    >>> x = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
    >>> np.asarray(translation(x, [[0, 1]]))[0, 0, :, 0].tolist()
    [0.0, 0.0, 1.0, 2.0]
    """
    height, width = images.shape[1], images.shape[2]
    shift = ops.convert_to_tensor(shift)
    rows = _shift_matrix(shift[:, 0], height, images.dtype)
    cols = _shift_matrix(shift[:, 1], width, images.dtype)
    x = ops.einsum("bik,bkwc->biwc", rows, images)
    return ops.einsum("bjl,bilc->bijc", cols, x)


def cutout(images, corner, size=None):
    """Zeroes a rectangle of each image, from its corner, clipped to the image.

    Args:
        images: [batch, height, width, channels].
        corner: [batch, 2] integers, the rectangle's first row and column (may be
            negative, or run past the far edge).
        size: (rows, columns) of the rectangle; by default `cutout_size` of the images.

    Returns:
        The images with the rectangle set to 0, same shape and dtype.

    Example:
    >>> import numpy as np
    >>> x = np.ones((1, 1, 4, 1), "float32")
    >>> np.asarray(cutout(x, [[0, 3]], size=(1, 2)))[0, 0, :, 0].tolist()
    [1.0, 1.0, 1.0, 0.0]
    """
    height, width = images.shape[1], images.shape[2]
    size = cutout_size(height, width) if size is None else size
    corner = ops.cast(ops.convert_to_tensor(corner), "int32")
    inside = []
    for axis, n in enumerate((height, width)):
        index = ops.expand_dims(ops.arange(n, dtype="int32"), 0)
        start = ops.expand_dims(corner[:, axis], 1)
        inside.append(ops.logical_and(index >= start, index < start + size[axis]))
    square = ops.logical_and(ops.expand_dims(inside[0], 2), ops.expand_dims(inside[1], 1))
    return ops.where(ops.expand_dims(square, 3), ops.zeros_like(images), images)


def apply(images, params):
    """Transforms a batch with given per-example parameters (from `parameters`).

    Each policy of `params`, in `POLICIES` order, transforms the examples whose mask is
    set and leaves the others exactly as they are: with every mask off (p = 0) the
    result is the input itself.

    Args:
        images: [batch, height, width, channels].
        params: the dict `parameters` returns (or one made by hand), or None.

    Returns:
        The augmented images, same shape and dtype; `images` for None or {}.
    """
    if not params:
        return images
    x = images
    for policy in POLICIES:
        if policy not in params:
            continue
        p = params[policy]
        if policy == "color":
            new = color(x, p["brightness"], p["saturation"], p["contrast"])
        elif policy == "translation":
            new = translation(x, p["shift"])
        else:
            new = cutout(x, p["corner"])
        x = ops.where(ops.reshape(p["mask"], (-1, 1, 1, 1)), new, x)
    return x


# --- adaptive strength (ADA) ------------------------------------------------------------


def overfitting_sign(real_scores, fake_scores):
    """The critic's centred overfitting heuristic on one batch: E[sign(D(x) - mean D(G(z)))].

    ADA's r_t = E[sign(D(x))] reads a discriminator whose zero separates real from fake.
    A WGAN critic has no fixed zero (its loss is unchanged by adding a constant to D), so
    the real scores are centred on the batch's mean generated score: r_t is the share of
    real examples scored above the average generated one minus the share below, about 0
    when the critic cannot tell them apart (for score distributions whose median is near
    their mean) and 1 when it separates every real example from the generated ones.

    Args:
        real_scores: the critic's scores of the (augmented) real batch.
        fake_scores: its scores of the (augmented) generated batch.

    Returns:
        A float32 scalar in [-1, 1].

    Example:
    >>> float(overfitting_sign([3.0, 2.0, 0.0], [1.0, 1.0]))  # (1 + 1 - 1) / 3
    0.3333333432674408
    """
    real = ops.reshape(ops.cast(real_scores, "float32"), (-1,))
    fake = ops.mean(ops.cast(fake_scores, "float32"))
    return ops.mean(ops.sign(real - fake))


def ada_adjust(probability, rt, target, images, kimg):
    """ADA's update of p: p + sign(r_t - target) * images / (kimg * 1000), clipped to [0, 1].

    Karras et al. 2020, section 3: p rises while the critic overfits (r_t above the
    target) and falls otherwise, at a speed that lets it go from 0 to 1 over `kimg`
    thousand real images.

    Args:
        probability: p.
        rt: r_t over the images seen since the last adjustment.
        target: the target of r_t (ADA: 0.6).
        images: the real images the critic saw since the last adjustment.
        kimg: thousands of images for p to move from 0 to 1.

    Returns:
        The new p, a float32 scalar.

    Example:
    >>> float(ada_adjust(0.5, 0.9, 0.6, 1000, 20)), float(ada_adjust(0.01, 0.1, 0.6, 1000, 20))
    (0.550000011920929, 0.0)
    """
    step = ops.sign(ops.cast(rt, "float32") - target) * (ops.cast(images, "float32") / (kimg * 1e3))
    return ops.clip(ops.cast(probability, "float32") + step, 0.0, 1.0)


def ada_accumulate(state, rt, batch_size):
    """Folds one critic batch's r_t into ADA's state (p, sum of r_t * images, images).

    Returns:
        The new state, three float32 scalars.
    """
    probability, total, count = state
    batch_size = ops.cast(batch_size, "float32")
    return probability, total + ops.cast(rt, "float32") * batch_size, count + batch_size


def ada_step(state, step, target, kimg, interval=ADA_INTERVAL):
    """ADA's state after generator step `step`: every `interval` steps, p moves by
    `ada_adjust` on the r_t accumulated since the last adjustment, which starts again.

    Args:
        state: (p, sum of r_t * images, images), float32 scalars.
        step: the generator step just made (1 for the first), an integer scalar.
        target, kimg: as for `ada_adjust`.
        interval: generator steps between adjustments.

    Returns:
        The new state.
    """
    probability, total, count = state
    due = ops.logical_and(
        ops.equal(ops.mod(ops.cast(step, "int32"), interval), 0), ops.greater(count, 0.0)
    )
    rt = total / ops.maximum(count, 1.0)
    adjusted = ada_adjust(probability, rt, target, count, kimg)
    zero = ops.zeros_like(total)
    return (
        ops.where(due, adjusted, probability),
        ops.where(due, zero, total),
        ops.where(due, zero, count),
    )
