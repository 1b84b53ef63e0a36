"""Pictures of toy runs: samples over the critic's value surface (the paper's Figure 1)."""

import numpy as np

from keras_wgan.utils.files import write_atomically


def plot_points(path, real, fake=None, critic=None, extent=3.0, title=None, ax=None):
    """Scatters real (orange) and generated (green) 2-D points over the critic's contours.

    Args:
        path: PNG file to write (atomically: `write_atomically`), or None to only draw
            on `ax`.
        real: real points, shape [n, 2].
        fake: generated points, shape [m, 2], or None.
        critic: a callable on [k, 2] float32 points returning scores, or None.
        extent: the plot spans [-extent, extent] on both axes.
        title: the axes' title.
        ax: a matplotlib Axes to draw on; a new figure when None.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(5, 5))
    if critic is not None:
        grid = np.linspace(-extent, extent, 128, dtype="float32")
        xx, yy = np.meshgrid(grid, grid)
        points = np.stack([xx.ravel(), yy.ravel()], axis=1)
        values = np.asarray(critic(points)).reshape(xx.shape)
        ax.contour(xx, yy, values, levels=20, cmap="viridis", linewidths=0.8)
    ax.scatter(real[:, 0], real[:, 1], s=4, c="orange", marker="+", label="real")
    if fake is not None:
        ax.scatter(fake[:, 0], fake[:, 1], s=4, c="green", marker="+", label="generated")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    if own:
        ax.legend(loc="upper right", fontsize=7, markerscale=3)
        fig.tight_layout()
        if path:
            write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=110))
        plt.close(fig)


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
    """
    from PIL import Image

    grid = image_grid(images, rows)
    if grid.shape[-1] == 1:
        grid = grid[..., 0]
    picture = Image.fromarray(grid)
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    write_atomically(path, lambda tmp: picture.save(tmp))
