"""Pictures of toy runs: samples over the critic's value surface (the paper's Figure 1)."""

import numpy as np


def plot_points(path, real, fake=None, critic=None, extent=3.0, title=None, ax=None):
    """Scatters real (orange) and generated (green) 2-D points over the critic's contours.

    Args:
        path: PNG file to write, or None to only draw on `ax`.
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
            fig.savefig(path, dpi=110)
        plt.close(fig)
