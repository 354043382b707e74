"""Pictures and the report of a run: learning curves, a sample grid, report.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from upspec.files import atomic_path
from upspec.files import write_text
from upspec.run.data import TaskShapes
from upspec.run.data import upsample_bicubic


def _figure() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def learning_curves(rows: list[dict[str, Any]], path: Path) -> Path:
    plt = _figure()
    keys = [k for k in (rows[0] if rows else {}) if k not in ("epoch", "learning_rate") and not k.startswith("val_")]
    fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(4 * max(1, len(keys)), 3), squeeze=False)
    epochs = [int(float(r["epoch"])) for r in rows]
    for ax, key in zip(axes[0], keys):
        ax.plot(epochs, [float(r[key]) for r in rows], "o-", label="train")
        if rows and f"val_{key}" in rows[0]:
            ax.plot(epochs, [float(r[f"val_{key}"]) for r in rows], "o-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=80)
    plt.close(fig)
    return path


def input_columns(shapes: TaskShapes, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The input (nearest-upscaled for super-resolution) and, for super-resolution, bicubic."""
    if shapes.task != "super_resolution":
        return [("input", x)]
    return [("input", np.repeat(np.repeat(x, shapes.factor[0], 1), shapes.factor[1], 2)),
            ("bicubic baseline", upsample_bicubic(x, shapes.y[:2]))]


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


def image_grid(columns: list[tuple[str, Any]], path: Path, labels: list[list[str]] | None = None) -> Path:
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
        picture.save(tmp, format="PNG")
    return path


def sample_grid(model: Any, shapes: TaskShapes, test: tuple[np.ndarray, np.ndarray], path: Path, count: int = 4) -> Path:
    """Rows of test samples: input (nearest-upscaled) / bicubic / model / target."""
    if len(shapes.x) != 3:  # 1-D signals and 3-D volumes: a plot, orthogonal slices
        from upspec.run.rank_pictures import rank_sample_picture

        return rank_sample_picture(model, shapes, test, path, count)  # type: ignore[arg-type]
    x, y = test[0][:count], test[1][:count]
    prediction = np.clip(np.asarray(model.predict(x, verbose=0)), 0, 1)
    return image_grid([*input_columns(shapes, x), ("model", prediction), ("target", y)], path)


def _table(metrics: dict[str, Any]) -> str:
    rows = [(name, scores) for name, scores in metrics.items() if isinstance(scores, dict)]
    keys = list(dict.fromkeys(k for _, scores in rows for k in scores))
    lines = ["| | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for name, scores in rows:
        lines.append(f"| {name} | " + " | ".join(f"{scores[k]:.4f}" if k in scores else "" for k in keys) + " |")
    return "\n".join(lines)


def write_report(run_dir: Path, spec_name: str, metrics: dict[str, Any], settings: dict[str, Any]) -> Path:
    text = f"""# Run of `{spec_name}`

Task: {metrics['task']} on {settings['source']} ({metrics['test_images']} test patches).
Training: {settings['epochs']} epochs x {settings['steps_per_epoch']} steps, batch {settings['batch_size']}, seed {settings['seed']}.

## Test set

{_table(metrics)}

PSNR (dB) and SSIM are computed per image and averaged.
{"".join(f"{chr(10)}**Warning:** {w}{chr(10)}" for w in metrics.get("warnings", []))}
## Files

- [resolved spec](spec.yaml), [model](model.keras), [history](history.csv), [metrics](metrics.json)
- TensorBoard logs: `tensorboard --logdir {run_dir / 'tensorboard'}`

![learning curves](learning_curves.png)

![test samples](samples.png)
"""
    return write_text(run_dir / "report.md", text)
