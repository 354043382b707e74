"""Pictures tiled into a labelled grid: one titled column per model or baseline, one row per example."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from typing import Sequence

import numpy as np

from ...figures import FIGURE_PNG
from ...files import atomic_path

CELL = 128  #: sample-grid cells are at least this many pixels on their longer side (nearest upscaling)
GAP = 4
HEADER = 16
LABEL = 14  #: the line under each image when there are labels


def to_rgb8(image: np.ndarray) -> np.ndarray:
    """An ``(H, W, C)`` float image in [0, 1] as ``(H, W, 3)`` uint8: grey repeated, or the first three channels
    (two channels: the first)."""
    image = np.asarray(image, dtype="float32")
    if image.ndim == 2:
        image = image[..., None]
    image = image[..., :1] if image.shape[-1] < 3 else image[..., :3]
    pixels = (np.clip(np.nan_to_num(image), 0, 1) * 255 + 0.5).astype("uint8")
    return np.repeat(pixels, 3, axis=-1) if pixels.shape[-1] == 1 else pixels


def image_grid(columns: Sequence[tuple[str, Any]], path: Path, labels: list[list[str]] | None = None) -> Path:
    """One row per image, one titled column per ``(title, images)``; grey or the first three channels;
    ``labels[row][col]``: a line under each image (its PSNR, say).

    Tiled with NumPy (small images enlarged by an integer factor, nearest neighbour, so pixels stay visible;
    cells of different sizes top-left aligned) and written with Pillow: no figure library on the run's path.
    """
    from PIL import Image
    from PIL import ImageDraw

    cells = [[to_rgb8(image) for image in images] for _, images in columns]
    tallest = max(c.shape[0] for column in cells for c in column)
    widest = max(c.shape[1] for column in cells for c in column)
    scale = max(1, -(-CELL // max(tallest, widest)))
    cell_h, cell_w = tallest * scale, widest * scale
    label_h = LABEL if labels else 0
    rows = max(len(column) for column in cells)
    height = HEADER + rows * (cell_h + label_h + GAP) + GAP
    width = len(cells) * (cell_w + GAP) + GAP
    canvas = np.full((height, width, 3), 255, "uint8")
    for col, column in enumerate(cells):
        left = GAP + col * (cell_w + GAP)
        for row, pixels in enumerate(column):
            big = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
            top = HEADER + row * (cell_h + label_h + GAP)
            canvas[top:top + big.shape[0], left:left + big.shape[1]] = big
    picture = Image.fromarray(canvas)
    draw = ImageDraw.Draw(picture)
    chars = max(4, cell_w // 6)  # the default bitmap font is 6 pixels wide
    for col, (title, _) in enumerate(columns):
        left = GAP + col * (cell_w + GAP)
        draw.text((left, 2), title[:chars], fill=(0, 0, 0))
        for row, line in enumerate(labels or []):
            if col < len(line) and line[col]:
                draw.text((left, HEADER + row * (cell_h + label_h + GAP) + cell_h + 1), line[col][:chars], fill=(0, 0, 0))
    with atomic_path(path) as tmp:
        picture.save(tmp, **FIGURE_PNG)
    return path
