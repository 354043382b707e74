"""Test-set numbers for 1-D signals and 3-D volumes: per-sample PSNR and SSIM, and the cubic baseline.

PSNR over the whole signal or volume with a peak of 1 (the data lie in
[0, 1]); SSIM with Wang et al.'s Gaussian window (sigma 1.5, 11 samples per
axis, K1 = 0.01, K2 = 0.03), in the signal's or volume's own rank, where every
axis has at least 11 samples (else it is left out and the result says so).
Both are computed per sample and averaged, as for images.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.signals_volumes import RankTaskShapes
from ..data.signals_volumes import baseline_name
from ..data.signals_volumes import cubic_upsample
from .collapse import collapse_warning

SSIM_WINDOW = 11


def psnr(target: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """Per-sample PSNR in dB (peak 1); ``inf`` for a perfect prediction."""
    axes = tuple(range(1, target.ndim))
    mse = np.mean((target.astype("float64") - prediction.astype("float64")) ** 2, axis=axes)
    with np.errstate(divide="ignore"):
        return 10 * np.log10(1.0 / mse)


def ssim(target: np.ndarray, prediction: np.ndarray) -> np.ndarray | None:
    """Per-sample SSIM in the data's own rank, or ``None`` where an axis is shorter than the window."""
    from skimage.metrics import structural_similarity

    if min(target.shape[1:-1]) < SSIM_WINDOW:
        return None
    return np.array([structural_similarity(t, p, data_range=1.0, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                           use_sample_covariance=False)
                     for t, p in zip(target.astype("float64"), prediction.astype("float64"))])


def sample_scores(target: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    prediction = np.clip(prediction, 0.0, 1.0)
    scores = {"psnr": float(np.mean(psnr(target, prediction)))}
    structural = ssim(target, prediction)
    if structural is not None:
        scores["ssim"] = float(np.mean(structural))
    return scores


def evaluate_rank(model: Any, shapes: RankTaskShapes, test: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
    x, y = test
    prediction = np.asarray(model.predict(x, verbose=0))
    result: dict[str, Any] = {"task": shapes.task, "test_images": int(len(x)), "rank": shapes.rank}
    warnings = [w for w in [collapse_warning(prediction)] if w]
    if min(y.shape[1:-1]) < SSIM_WINDOW:
        warnings.append(f"SSIM is left out: it needs at least {SSIM_WINDOW} samples per axis, the targets have "
                        f"{tuple(y.shape[1:-1])}")
    if warnings:
        result["warnings"] = warnings
    result["model"] = sample_scores(y, prediction)
    if shapes.task == "super_resolution":
        result[baseline_name(shapes.rank)] = sample_scores(y, cubic_upsample(x, shapes.factor))
    elif shapes.task == "denoise":
        result["noisy_input"] = sample_scores(y, x)
    return result
