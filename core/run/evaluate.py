"""Test-set numbers: per-image PSNR / SSIM averaged, the bicubic baseline, mean IoU."""

from __future__ import annotations

from typing import Any

import numpy as np

from upspec.run.data import TaskShapes
from upspec.run.data import upsample_bicubic


def image_scores(target: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    """Mean over images of per-image PSNR and SSIM (the ``psnr`` / ``ssim`` metrics: ``keras.ops``, equal to
    ``tf.image``'s), values in [0, 1]."""
    import keras

    from upspec.plugins.image_metric_functions import psnr
    from upspec.plugins.image_metric_functions import ssim

    prediction = np.clip(prediction, 0.0, 1.0).astype("float32")
    target = target.astype("float32")
    return {name: float(np.mean(keras.ops.convert_to_numpy(fn(target, prediction))))
            for name, fn in (("psnr", psnr), ("ssim", ssim))}


def mean_iou(target: np.ndarray, prediction: np.ndarray) -> float:
    """Mean over classes present of intersection over union (threshold 0.5 for one channel)."""
    if target.shape[-1] == 1:
        truth, guess = target[..., 0] > 0.5, prediction[..., 0] > 0.5
        ious = [np.sum(truth & guess) / max(1, np.sum(truth | guess))]
    else:
        truth, guess = target.argmax(-1), prediction.argmax(-1)
        ious = [np.sum((truth == c) & (guess == c)) / np.sum((truth == c) | (guess == c))
                for c in range(target.shape[-1]) if np.any((truth == c) | (guess == c))]
    return float(np.mean(ious))


def collapse_warning(prediction: np.ndarray) -> str | None:
    """A message when the model predicts (almost) one value everywhere: training collapsed."""
    spread = float(np.std(prediction))
    if spread >= 1e-4:
        return None
    return (f"the model predicts almost the same value everywhere (mean {float(np.mean(prediction)):.4f}, "
            f"standard deviation {spread:.1e}): training collapsed, often dead ReLUs under a saturating output; "
            "try a lower learning rate, another loss (binary_crossentropy for a sigmoid output) or more steps")


def evaluate(model: Any, shapes: TaskShapes, test: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
    if len(shapes.x) != 3:  # 1-D signals and 3-D volumes
        from upspec.run.rank_metrics import evaluate_rank

        return evaluate_rank(model, shapes, test)  # type: ignore[arg-type]
    x, y = test
    prediction = np.asarray(model.predict(x, verbose=0))
    result: dict[str, Any] = {"task": shapes.task, "test_images": int(len(x))}
    warning = collapse_warning(prediction)
    if warning:
        result["warnings"] = [warning]
    if shapes.task == "segmentation":
        result["model"] = {"mean_iou": mean_iou(y, prediction)}
        return result
    result["model"] = image_scores(y, prediction)
    if shapes.task == "super_resolution":
        result["bicubic"] = image_scores(y, upsample_bicubic(x, shapes.y[:2]))
    elif shapes.task == "denoise":
        result["noisy_input"] = image_scores(y, x)
    return result
