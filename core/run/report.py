"""Pictures and the report of a run: learning curves, a sample grid, report.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from upspec.figures import pyplot
from upspec.figures import save_figure
from upspec.files import write_text
from upspec.run.data import TaskShapes
from upspec.run.data import upsample_bicubic


def learning_curves(rows: list[dict[str, Any]], path: Path) -> Path:
    plt = pyplot()
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
    return save_figure(fig, path)


def input_columns(shapes: TaskShapes, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The input (nearest-upscaled for super-resolution) and, for super-resolution, bicubic."""
    if shapes.task != "super_resolution":
        return [("input", x)]
    return [("input", np.repeat(np.repeat(x, shapes.factor[0], 1), shapes.factor[1], 2)),
            ("bicubic baseline", upsample_bicubic(x, shapes.y[:2]))]


def image_grid(columns: list[tuple[str, np.ndarray]], path: Path) -> Path:
    """One row per image, one titled column per ``(title, images)``; grey or the first three channels."""
    plt = pyplot()
    rows = len(columns[0][1])
    fig, axes = plt.subplots(rows, len(columns), figsize=(2.2 * len(columns), 2.2 * rows), squeeze=False)
    for row in range(rows):
        for col, (title, images) in enumerate(columns):
            image = images[row]
            image = image[..., 0] if image.shape[-1] == 1 else image[..., :3]
            axes[row][col].imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            axes[row][col].set_xticks([])
            axes[row][col].set_yticks([])
            if row == 0:
                axes[row][col].set_title(title)
    fig.tight_layout()
    return save_figure(fig, path)


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
