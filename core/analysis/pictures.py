"""PNGs of the checkerboard measurements: an entry's output on a constant input, and its spectrum."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .checkerboard import interior
from .checkerboard import spectrum
from ..figures import pyplot
from ..figures import save_figure


def constant_response_png(output: np.ndarray, title: str, path: Path, factor: tuple[int, ...] = ()) -> Path:
    """``output``: ``(1, H, W, C)`` (or 1-D / 3-D, shown as a 2-D slice): the channel mean and its spectrum."""
    plt = pyplot()
    image = np.asarray(output, dtype="float64")[0]
    while image.ndim > 3:  # 3-D volumes: the middle slice
        image = image[image.shape[0] // 2]
    if image.ndim == 2:  # 1-D signals: a strip
        image = np.repeat(image[None], 8, axis=0)
    plane = image.mean(axis=-1, keepdims=True)
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    axes[0].imshow(plane[..., 0], cmap="gray")
    axes[0].set_title("output on a constant input")
    core = interior(plane[None], factor[-2:])[0] if len(factor) >= 2 and plane.shape[0] > 8 else plane
    axes[1].imshow(spectrum(core), cmap="magma")
    axes[1].set_title("log power spectrum (interior)")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
