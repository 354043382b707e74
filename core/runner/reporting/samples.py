"""The sample pictures of a 2-D run: whole test images through the model (and other models) beside the
input, the bicubic baseline and the target, each labelled with its scores; and the outputs a run keeps of
them, so a sweep's grid needs no model loaded again."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from ...files import atomic_path
from ..data.images import TaskShapes
from ..data.images import upsample_bicubic
from .image_grid import image_grid


def input_columns(shapes: TaskShapes, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The input (nearest-upscaled for super-resolution) and, for super-resolution, bicubic."""
    if shapes.task != "super_resolution":
        return [("input", x)]
    return [("input", np.repeat(np.repeat(x, shapes.factor[0], 1), shapes.factor[1], 2)),
            ("bicubic baseline", upsample_bicubic(x, (shapes.y[0], shapes.y[1])))]


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


SAMPLE_REFERENCES = "samples_reference.npz"


def _eight_bit(image: np.ndarray) -> np.ndarray:
    return (np.clip(np.nan_to_num(image), 0, 1) * 255 + 0.5).astype("uint8")


def save_sample_references(folder: Path, data: Any, count: int = SAMPLE_COUNT, crop: int = SAMPLE_CROP) -> Path:
    """The windows a sweep's viewer shows beside the models' (:func:`save_sample_predictions`): the input
    (nearest-upscaled), the bicubic baseline (super-resolution) and the ground truth of the first ``count``
    test images, 8-bit, with their names."""
    shapes = data.shapes
    arrays: dict[str, Any] = {}
    for i, image in enumerate(data.test_images[:count]):
        window, shown = sample_window(image, shapes, crop)
        arrays[f"input_{i}"] = _eight_bit(shown)
        if shapes.task == "super_resolution":
            arrays[f"bicubic_{i}"] = _eight_bit(upsample_bicubic(image.x[None], image.y.shape[:2])[0][window])
        arrays[f"target_{i}"] = _eight_bit(image.y[window])
        arrays[f"name_{i}"] = np.array(str(image.name))
        arrays[f"digest_{i}"] = _digest(image)  # a run's outputs are shown beside these only if made from them
    path = Path(folder) / SAMPLE_REFERENCES
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
    return path
