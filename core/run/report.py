"""Pictures and the report of a run: learning curves, a sample grid, report.md."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from typing import Sequence

import numpy as np

from ..charts import Panel
from ..charts import Series
from ..charts import line_chart
from ..figures import FIGURE_PNG
from ..files import atomic_path
from ..files import write_text
from .data import TaskShapes
from .data import upsample_bicubic


#: tasks whose targets are continuous: an ``accuracy`` metric (exact equality) says nothing there
REGRESSION_TASKS = ("super_resolution", "denoise", "autoencode")


def meaningless_metrics(rows: list[dict[str, Any]], task: str | None) -> list[str]:
    """Metrics in the history that do not fit the task (``accuracy`` on a regression task)."""
    if task not in REGRESSION_TASKS or not rows:
        return []
    return [k for k in rows[0] if k.endswith("accuracy") and not k.startswith("val_")]


def learning_curves(rows: list[dict[str, Any]], path: Path, task: str | None = None) -> Path:
    """One panel per training metric (validation beside it), x axis in whole epochs; metrics that do not fit
    the task (accuracy on regression, which a seed spec compiles to stay the seed's program) are left out."""
    skip = set(meaningless_metrics(rows, task))
    keys = [k for k in (rows[0] if rows else {})
            if k not in ("epoch", "learning_rate") and not k.startswith("val_") and k not in skip]
    epochs = [int(float(r["epoch"])) for r in rows]
    panels = []
    for key in keys:
        series = [Series("train", epochs, [float(r[key]) for r in rows])]
        if f"val_{key}" in rows[0]:
            series.append(Series("validation", epochs, [float(r[f"val_{key}"]) for r in rows]))
        panels.append(Panel(key, series, ylabel=key))
    return line_chart(panels or [Panel("no metrics", [])], path)


def input_columns(shapes: TaskShapes, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The input (nearest-upscaled for super-resolution) and, for super-resolution, bicubic."""
    if len(shapes.x) != 3:  # 1-D signals and 3-D volumes
        from .rank_pictures import rank_input_columns

        return rank_input_columns(shapes, x)  # type: ignore[arg-type]
    if shapes.task != "super_resolution":
        return [("input", x)]
    return [("input", np.repeat(np.repeat(x, shapes.factor[0], 1), shapes.factor[1], 2)),
            ("bicubic baseline", upsample_bicubic(x, (shapes.y[0], shapes.y[1])))]


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


def centre(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return image[top: top + size, left: left + size]


def _label(scores: dict[str, float] | None) -> str:
    if not scores:
        return ""
    if "psnr" in scores:
        return f"{scores['psnr']:.2f} dB / SSIM {scores['ssim']:.3f}"
    return ", ".join(f"{k} {v:.3f}" for k, v in scores.items())


SAMPLE_COUNT = 4  #: test images in a sample grid
SAMPLE_CROP = 96  #: output pixels shown of each (a centre crop)
SAMPLE_PREDICTIONS = "samples.npz"


def sample_window(image: Any, shapes: TaskShapes, crop: int = SAMPLE_CROP) -> tuple[tuple[slice, slice], np.ndarray]:
    """The centre window a sample grid shows of ``image``'s output, and the input shown beside it (for
    super-resolution the same window of the low-resolution input, nearest-upscaled)."""
    if shapes.task == "super_resolution":
        fh, fw = shapes.factor
        low = centre(image.x, crop // max(fh, fw))
        top, left = (image.x.shape[0] - low.shape[0]) // 2, (image.x.shape[1] - low.shape[1]) // 2
        window = (slice(top * fh, (top + low.shape[0]) * fh), slice(left * fw, (left + low.shape[1]) * fw))
        return window, np.repeat(np.repeat(low, fh, 0), fw, 1)
    top, left = max(0, (image.x.shape[0] - crop) // 2), max(0, (image.x.shape[1] - crop) // 2)
    window = (slice(top, top + crop), slice(left, left + crop))
    return window, image.x[window]


def _windowed(prediction: np.ndarray, image: Any, window: tuple[slice, slice]) -> np.ndarray:
    """``prediction`` inside ``window``: a whole output is cut, an already cut one (saved by a run) kept."""
    return prediction[window] if prediction.shape[:2] == image.y.shape[:2] else prediction


def _digest(image: Any) -> np.ndarray:
    return np.frombuffer(hashlib.blake2b(np.ascontiguousarray(image.x).tobytes(), digest_size=16).digest(), np.uint8)


def save_sample_predictions(run_dir: Path, data: Any, predictions: list[np.ndarray], count: int = SAMPLE_COUNT,
                            crop: int = SAMPLE_CROP) -> Path:
    """What the sample grid shows of the model's outputs on the first ``count`` test images (the centre windows,
    8-bit) and a digest of each input, in the run folder: a sweep's comparison grid reads them instead of
    loading every model again (a few tens of kilobytes)."""
    arrays = {}
    for i, (image, prediction) in enumerate(zip(data.test_images[:count], predictions)):
        window, _ = sample_window(image, data.shapes, crop)
        arrays[f"output_{i}"] = (np.clip(np.nan_to_num(prediction[window]), 0, 1) * 255 + 0.5).astype("uint8")
        arrays[f"input_{i}"] = _digest(image)
    path = Path(run_dir) / SAMPLE_PREDICTIONS
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
    return path


def load_sample_predictions(run_dir: Path, data: Any, count: int = SAMPLE_COUNT,
                            crop: int = SAMPLE_CROP) -> list[np.ndarray] | None:
    """What :func:`save_sample_predictions` wrote (floats in [0, 1]), when it was made from exactly ``data``'s
    first ``count`` test images (same inputs: a run of another seed may have other noise, say); None when the
    run has no such outputs, so the caller runs the model instead."""
    images = data.test_images[:count]
    try:
        with np.load(Path(run_dir) / SAMPLE_PREDICTIONS, allow_pickle=False) as saved:
            found = [(saved[f"output_{i}"], saved[f"input_{i}"]) for i in range(len(images))]
    except (OSError, ValueError, KeyError):
        return None
    outputs = []
    for image, (output, digest) in zip(images, found):
        window, _ = sample_window(image, data.shapes, crop)
        size = (window[0].stop - window[0].start, window[1].stop - window[1].start)
        cut = image.y[window].shape[:2]  # the window clipped to a small image
        if output.dtype != np.uint8 or output.shape[:2] not in (size, cut) or not np.array_equal(digest, _digest(image)):
            return None
        outputs.append(output.astype("float32") / 255.0)
    return outputs


def sample_grid(data: Any, predictions: list[np.ndarray], metrics: dict[str, Any], path: Path, count: int = SAMPLE_COUNT,
                crop: int = SAMPLE_CROP, extra: list[tuple[str, list[np.ndarray], list[dict[str, Any]]]] | None = None,
                first_title: str = "model") -> Path:
    """Rows of whole test images (a centre crop of ``crop`` output pixels): input (nearest-upscaled) /
    baseline / model(s) / target, each labelled with its PSNR and SSIM on the whole image. A model's
    predictions are whole outputs, or the windows :func:`save_sample_predictions` kept."""
    shapes = data.shapes
    images = data.test_images[:count]
    rows = metrics.get("images", [])[:count]
    models = [(first_title, predictions[:count], [r.get("model") for r in rows])] + [
        (title, preds[:count], [r.get("model") for r in scores[:count]]) for title, preds, scores in (extra or [])]
    sr = shapes.task == "super_resolution"
    columns: list[tuple[str, list]] = [("input", []), *([("bicubic", [])] if sr else [])]
    columns += [(title, []) for title, _, _ in models] + [("target", [])]
    labels = []
    for index, image in enumerate(images):
        window, shown = sample_window(image, shapes, crop)
        scores = rows[index] if index < len(rows) else {}
        cells = [(shown, _label(scores.get("noisy_input")))]
        if sr:
            bicubic = upsample_bicubic(image.x[None], image.y.shape[:2])[0]
            cells.append((bicubic[window], _label(scores.get("bicubic"))))
        for _, preds, model_scores in models:
            cells.append((np.clip(_windowed(preds[index], image, window), 0, 1),
                          _label(model_scores[index] if index < len(model_scores) else None)))
        cells.append((image.y[window], image.name))
        for (column, (picture, _)) in zip(columns, cells):
            column[1].append(picture)
        labels.append([label for _, label in cells])
    return image_grid([(title, _same_size(items)) for title, items in columns], path, labels)


def _same_size(items: list[np.ndarray]) -> list[np.ndarray]:
    """Pad crops of different sizes (small images) with zeros so a column stacks."""
    h = max(i.shape[0] for i in items)
    w = max(i.shape[1] for i in items)
    return [np.pad(i, ((0, h - i.shape[0]), (0, w - i.shape[1]), (0, 0))) for i in items]


def _table(metrics: dict[str, Any]) -> str:
    rows = [(name, scores) for name, scores in metrics.items() if isinstance(scores, dict)]
    keys = list(dict.fromkeys(k for _, scores in rows for k in scores))
    lines = ["| | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for name, scores in rows:
        lines.append(f"| {name} | " + " | ".join(f"{scores[k]:.4f}" if k in scores else "" for k in keys) + " |")
    return "\n".join(lines)


def _strategies(spec: Any) -> str:
    entries = [e for e in spec.layers if e.upsample]
    if not entries:
        return "none (no `upsample:` entry)"
    parts = []
    for entry in entries:
        params = entry.params if isinstance(entry.params, dict) else {}
        filters = params.get("filters", "-")
        fixed = ", fixed resize: no parameters" if "filters" in params and filters is None else ""
        parts.append(f"`{entry.id or '?'}`: **{entry.upsample}** (factor {params.get('factor', '?')}, "
                     f"filters {filters}{fixed})")
    return "; ".join(parts)


def upsampling_summary(spec: Any) -> str:
    """``id strategy`` for every upsample entry, fixed resizes marked: one line for the terminal."""
    parts = [f"{e.id or '?'} {e.upsample}" + (" (fixed resize)" if e.params.get("filters", 0) is None else "")
             for e in spec.layers if e.upsample]
    return ", ".join(parts) or "none"


def write_report(run_dir: Path, spec: Any, metrics: dict[str, Any], settings: dict[str, Any]) -> Path:
    """report.md: what was trained (strategies, data, degradation, budget), the test numbers and convention."""
    task = metrics["task"]
    lines = [f"# Run of `{spec.name}`", "",
             f"Upsampling: {_strategies(spec)}.", "",
             f"Task: {task} on `{settings['source']}`"
             + (f", degradation `{settings.get('degradation', 'bicubic')}`" if task == "super_resolution" else "") + ".",
             f"Training budget: {settings['epochs']} epochs x {settings['steps_per_epoch']} steps, batch "
             f"{settings['batch_size']} ({settings['epochs'] * settings['steps_per_epoch'] * settings['batch_size']:,} "
             f"patches seen), seed {settings['seed']}.", "",
             f"## Test set ({metrics['test_images']} {'whole images' if 'convention' in metrics else 'test patches'})",
             "", _table(metrics), ""]
    if "gain" in metrics:
        baseline = "bicubic" if task == "super_resolution" else "the noisy input"
        gain = metrics["gain"]["psnr"]
        verdict = "beats" if gain > 0 else "does not beat"
        lines.append(f"The model {verdict} {baseline}: {gain:+.2f} dB PSNR, {metrics['gain']['ssim']:+.4f} SSIM.")
        lines.append("")
    if "convention" in metrics:
        lines.append(f"Convention: {metrics['convention']}.")
    for name in settings.get("meaningless_metrics", []):
        lines += ["", f"`{name}` (compiled by the spec) measures exact equality, which a regression output never "
                      "reaches: it is kept in history.csv but left out of the learning curves."]
    images = metrics.get("images", [])
    if images:
        groups = [k for k in images[0] if k != "name"]
        keys = list(images[0][groups[0]])
        lines += ["", "| image | " + " | ".join(f"{g} {k}" for g in groups for k in keys) + " |",
                  "|---|" + "---|" * (len(groups) * len(keys))]
        for row in images:
            lines.append(f"| {row['name']} | " + " | ".join(f"{row[g][k]:.4f}" for g in groups for k in keys) + " |")
    for warning in metrics.get("warnings", []):
        lines += ["", f"**Warning:** {warning}"]
    lines += ["", "## Files", "",
              "- [resolved spec](spec.yaml), [model](model.keras), [history](history.csv), [metrics](metrics.json)",
              f"- TensorBoard logs: `tensorboard --logdir {run_dir / 'tensorboard'}`", "",
              "![learning curves](learning_curves.png)", "", "![test samples](samples.png)", ""]
    return write_text(run_dir / "report.md", "\n".join(lines))
