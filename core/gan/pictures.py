"""Pictures of a GAN run: sample grids (Pillow, fast enough for every epoch) and the spectrum plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from typing import Sequence

import numpy as np

from ..charts import Panel
from ..charts import Series
from ..charts import line_chart
from ..figures import FIGURE_PNG
from ..files import atomic_path


def tile(images: np.ndarray, columns: int, scale: int = 1, gap: int = 2) -> np.ndarray:
    """``(N, H, W, C)`` in [0, 1] -> one uint8 picture, ``columns`` per row, grey or RGB, ``gap`` px apart."""
    images = np.clip(np.asarray(images, "float32"), 0, 1)
    images = images[..., :1] if images.shape[-1] not in (1, 3) else images
    n, h, w, c = images.shape
    rows = -(-n // columns)
    h, w = h * scale, w * scale
    canvas = np.full((rows * (h + gap) + gap, columns * (w + gap) + gap, c), 0.5, "float32")
    for i, image in enumerate(images):
        r, k = divmod(i, columns)
        big = np.repeat(np.repeat(image, scale, 0), scale, 1)
        canvas[gap + r * (h + gap): gap + r * (h + gap) + h, gap + k * (w + gap): gap + k * (w + gap) + w] = big
    pixels = (canvas * 255).round().astype("uint8")
    return pixels[..., 0] if c == 1 else pixels


def save_png(pixels: np.ndarray, path: Path, *, overwrite: bool = True) -> Path:
    from PIL import Image

    with atomic_path(path, overwrite=overwrite) as tmp:
        Image.fromarray(pixels).save(tmp, **FIGURE_PNG)
    return path


def scale_for(size: int) -> int:
    """An integer zoom that makes small images visible (about 64 px)."""
    return max(1, 64 // max(1, size))


def grid_over_epochs(paths: list[Path], path: Path) -> Path | None:
    """One row per epoch: each saved epoch's first grid row (``.npy``: 8 samples, or one per class of a
    conditional generator), as wide as the first."""
    rows = [np.load(p) for p in paths if p.exists()]
    if not rows:
        return None
    columns = len(rows[0])
    rows = [r[:columns] for r in rows]
    stacked = np.concatenate(rows)
    return save_png(tile(stacked, columns, scale_for(stacked.shape[1])), path)


def spectrum_plot(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path, marks: Sequence[float] = (),
                  title: str = "") -> Path:
    """Log radial power against frequency, one line per ``name: (frequency, power)``; ``marks`` are the
    upsampling frequencies (cycles per pixel), drawn as dotted lines."""
    series = [Series(name, frequency[1:], power[1:] / power[1:].sum()) for name, (frequency, power) in curves.items()]
    return line_chart([Panel(title or "azimuthally averaged power spectrum", series,
                             xlabel="frequency (cycles per pixel; dotted: upsampling frequencies)",
                             ylabel="normalised power", log=True, integer_x=False, marks=marks)],
                      path, panel_size=(520, 340))


def curves_png(rows: list[dict[str, Any]], path: Path) -> Path:
    """D and G losses (one panel) and D's scores on real and fake images (another), per epoch."""
    epochs = [int(float(r["epoch"])) for r in rows]

    def series(key: str, label: str) -> Series:
        return Series(label, epochs, [float(r[key]) for r in rows])

    return line_chart([Panel("losses", [series("d_loss", "discriminator"), series("g_loss", "generator")]),
                       Panel("discriminator scores", [series("d_real", "D on real"), series("d_fake", "D on generated")])],
                      path)
