"""Pictures of samples: 2-D points, over the critic's value surface for the toy runs (the
paper's Figure 1), and grids of images."""

import numpy as np

from keras_wgan.utils.files import write_atomically
from keras_wgan.utils.validation import check_int


def points_extent(*point_sets, margin=0.1):
    """(xmin, xmax, ymin, ymax) of a square box around points' first two coordinates.

    The box holds every finite point of every set (None sets are skipped), with `margin`
    of its side added on each side; for `plot_points(..., extent=...)` where the data are
    not the toy data's [-3, 3] square. Without any finite point it is [-1, 1] squared.

    Example:
    >>> points_extent([[0.0, 0.0], [2.0, 1.0]], margin=0.0)
    (0.0, 2.0, -0.5, 1.5)
    """
    points = np.concatenate([as_plane(p) for p in point_sets if p is not None])
    points = points[np.isfinite(points).all(axis=1)]
    if not len(points):
        return (-1.0, 1.0, -1.0, 1.0)
    low, high = points.min(axis=0), points.max(axis=0)
    center, half = (low + high) / 2.0, max(float((high - low).max()) / 2.0, 1e-6)
    half *= 1.0 + 2.0 * margin
    return (
        float(center[0] - half),
        float(center[0] + half),
        float(center[1] - half),
        float(center[1] + half),
    )


def as_plane(points):
    """Points [n, d] as [n, 2] float64 for a scatter plot: the first two coordinates;
    1-D points ([n] or [n, 1]) get a second coordinate of 0."""
    points = np.asarray(points, dtype="float64")
    points = points.reshape(len(points), -1)
    if points.shape[1] == 1:
        points = np.concatenate([points, np.zeros_like(points)], axis=1)
    return points[:, :2]


def _limits(extent):
    if np.ndim(extent) == 0:
        return -float(extent), float(extent), -float(extent), float(extent)
    return tuple(float(v) for v in extent)


def _pyplot():
    """matplotlib's pyplot on the Agg backend (files only, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _points_figure(real, fake, critic, extent, title, ax=None):
    """(figure or None, ax) with the points drawn; a new figure when `ax` is None."""
    plt = _pyplot()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 5))
    x0, x1, y0, y1 = _limits(extent)
    if critic is not None:
        xx, yy = np.meshgrid(
            np.linspace(x0, x1, 128, dtype="float32"), np.linspace(y0, y1, 128, dtype="float32")
        )
        points = np.stack([xx.ravel(), yy.ravel()], axis=1)
        values = np.asarray(critic(points)).reshape(xx.shape)
        ax.contour(xx, yy, values, levels=20, cmap="viridis", linewidths=0.8)
    if real is not None:
        real = as_plane(real)
        ax.scatter(real[:, 0], real[:, 1], s=4, c="orange", marker="+", label="real")
    if fake is not None:
        fake = as_plane(fake)
        ax.scatter(fake[:, 0], fake[:, 1], s=4, c="green", marker="+", label="generated")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    if fig is not None:
        ax.legend(loc="upper right", fontsize=7, markerscale=3)
        fig.tight_layout()
    return fig, ax


def plot_points(path, real, fake=None, critic=None, extent=3.0, title=None, ax=None):
    """Scatters real (orange) and generated (green) 2-D points over the critic's contours.

    Args:
        path: PNG file to write (atomically: `write_atomically`), or None to only draw
            on `ax`.
        real: real points, shape [n, 2], or None. Points of more dimensions are drawn by
            their first two, 1-D points on the line y = 0 (`as_plane`).
        fake: generated points, shape [m, 2], or None.
        critic: a callable on [k, 2] float32 points returning scores, or None.
        extent: the plot spans [-extent, extent] on both axes; or a box (xmin, xmax, ymin,
            ymax), such as `points_extent(real, fake)`.
        title: the axes' title.
        ax: a matplotlib Axes to draw on; a new figure when None.
    """
    fig, _ = _points_figure(real, fake, critic, extent, title, ax=ax)
    if fig is not None:
        if path:
            write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=110))
        _pyplot().close(fig)


def points_picture(real, fake=None, extent=3.0, title=None, dpi=80):
    """`plot_points`' figure as a uint8 RGB array [height, width, 3] (for TensorBoard).

    Example:
    >>> points_picture(None, [[0.0, 0.0], [1.0, 1.0]], dpi=20).shape
    (100, 100, 3)
    """
    fig, _ = _points_figure(real, fake, None, extent, title)
    try:
        fig.set_dpi(dpi)
        fig.canvas.draw()
        return np.array(fig.canvas.buffer_rgba())[..., :3]
    finally:
        _pyplot().close(fig)


def to_uint8(images):
    """Maps images in [-1, 1] to uint8 in 0..255 (the export's `images_uint8`)."""
    images = np.asarray(images, dtype="float32")
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype("uint8")


def image_grid(images, rows, pad=1):
    """Tiles images [N, H, W, C] in [-1, 1] into one uint8 array of `rows` rows.

    Args:
        images: N images, channels-last, with C in {1, 3}.
        rows: number of rows; columns are ceil(N / rows).
        pad: pixels of white space between tiles.

    Returns:
        A uint8 array [rows * (H + pad) - pad, cols * (W + pad) - pad, C].
    """
    images = to_uint8(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"Expected images of shape [N, H, W, 1 or 3]; received shape {images.shape}."
        )
    n, h, w, c = images.shape
    cols = -(-n // rows)
    grid = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, c), 255, dtype="uint8")
    for i in range(n):
        r, col = divmod(i, cols)
        grid[r * (h + pad) : r * (h + pad) + h, col * (w + pad) : col * (w + pad) + w] = images[i]
    return grid


def save_image_grid(path, images, rows, scale=1):
    """Writes `image_grid(images, rows)` as a PNG, enlarged `scale` times (nearest).

    The file is written atomically (`write_atomically`): a failed write keeps the old one.

    Args:
        path: the PNG file.
        images: N images [N, H, W, C] in [-1, 1], C in {1, 3}.
        rows: number of rows; columns are ceil(N / rows).
        scale: each pixel becomes a `scale` x `scale` square, the 1-pixel gaps too; an
            integer >= 1.

    Returns:
        The picture's (width, height) in pixels.

    Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "grid.png")
    >>> save_image_grid(path, np.zeros((4, 8, 8, 1)), rows=2, scale=8)
    (136, 136)
    """
    from PIL import Image

    scale = check_int("scale", scale, 1)
    grid = image_grid(images, rows)
    if grid.shape[-1] == 1:
        grid = grid[..., 0]
    picture = Image.fromarray(grid)
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    write_atomically(path, lambda tmp: picture.save(tmp))
    return picture.size
