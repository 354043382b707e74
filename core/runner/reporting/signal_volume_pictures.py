"""Pictures of 1-D and 3-D test samples: a plot of each signal, orthogonal slices of each volume.

The same columns as the 2-D sample grid: the input (nearest-upscaled for
super-resolution), the cubic baseline (super-resolution), the model, the target.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...figures import pyplot
from ...figures import save_figure
from ..data.signals_volumes import RankTaskShapes
from ..data.signals_volumes import baseline_name
from ..data.signals_volumes import cubic_upsample
from .image_grid import image_grid


def rank_input_columns(shapes: RankTaskShapes, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The input (nearest-upscaled for super-resolution) and, for super-resolution, the cubic baseline."""
    if shapes.task != "super_resolution":
        return [("noisy input" if shapes.task == "denoise" else "input", x)]
    nearest = x
    for axis, f in enumerate(shapes.factor, start=1):
        nearest = np.repeat(nearest, f, axis=axis)
    return [("input", nearest), (f"{baseline_name(shapes.rank)} baseline", cubic_upsample(x, shapes.factor))]


def picture(shapes: Any, cols: list[tuple[str, np.ndarray]], path: Path) -> Path:
    """Columns of test samples as the rank suits: an image grid (2-D), signal plots (1-D), slices (3-D)."""
    rank = len(shapes.x) - 1
    if rank == 1:
        return signal_plot(shapes, cols, path)
    if rank == 3:
        return volume_slices(cols, path)
    return image_grid(cols, path)


def signal_plot(shapes: RankTaskShapes, cols: list[tuple[str, np.ndarray]], path: Path) -> Path:
    """One panel per signal (channel 0), every column a line on the output's sample grid."""
    plt = pyplot()
    rows = len(cols[0][1])
    fig, axes = plt.subplots(rows, 1, figsize=(9, 2.2 * rows), squeeze=False)
    styles = {"target": dict(color="black", linewidth=2.2, alpha=0.45), "input": dict(color="tab:blue", linewidth=1),
              "model": dict(color="tab:red", linewidth=1.2)}
    for row in range(rows):
        ax = axes[row][0]
        for title, values in cols:
            style = styles.get(title, dict(linewidth=1.1, linestyle="--" if "baseline" in title else "-"))
            ax.plot(np.arange(values.shape[1]), values[row, :, 0], label=title, **style)
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("sample")
        if row == 0:
            channels = cols[-1][1].shape[-1]
            ax.set_title(f"test signals, channel 1 of {channels}" if channels > 1 else "test signals")
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path, bbox_inches="tight")


def orthogonal_slices(volume: np.ndarray) -> np.ndarray:
    """The three central slices of ``(D, H, W, C)`` (first channel) side by side, one blank column apart."""
    d, h, w = volume.shape[:3]
    slices = [volume[d // 2, :, :, 0], volume[:, h // 2, :, 0], volume[:, :, w // 2, 0]]
    height = max(s.shape[0] for s in slices)
    padded = [np.pad(s, ((0, height - s.shape[0]), (0, 1)), constant_values=1.0) for s in slices]
    return np.concatenate(padded, axis=1)[:, :-1, None]


def volume_slices(cols: list[tuple[str, np.ndarray]], path: Path) -> Path:
    """The 2-D grid of the images runner, each cell the orthogonal central slices of one volume."""
    flat = [(f"{title} (z | y | x)" if i == 0 else title, np.stack([orthogonal_slices(v) for v in volumes]))
            for i, (title, volumes) in enumerate(cols)]
    return image_grid(flat, path)


def rank_sample_picture(model: Any, shapes: RankTaskShapes, test: tuple[np.ndarray, np.ndarray], path: Path,
                        count: int = 4) -> Path:
    x, y = test[0][:count], test[1][:count]
    prediction = np.clip(np.asarray(model.predict(x, verbose=0)), 0, 1)
    return picture(shapes, [*rank_input_columns(shapes, x), ("model", prediction), ("target", y)], path)
