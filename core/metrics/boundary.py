"""Boundary IoU (Cheng et al., CVPR 2021; bowenc0221/boundary-iou-api), NumPy only (no OpenCV).

IoU measured only on the pixels within ``d`` of each mask's contour (``d``: 2 % of the image diagonal), so
it rewards sharp, well placed edges, which mean IoU over whole regions barely sees: what guided upsampling
is for.
"""

from __future__ import annotations

import numpy as np



def mask_to_boundary(mask: np.ndarray, dilation_ratio: float = 0.02) -> np.ndarray:
    """bowenc0221/boundary-iou-api ``mask_to_boundary`` without OpenCV.

    ``d = max(1, round(dilation_ratio * image diagonal))``; the mask is padded by one zero pixel and
    eroded ``d`` times with a 3x3 square (= once with a ``(2d+1)^2`` square, outside the image
    counting as background); boundary = mask minus its erosion: mask pixels within ``d`` of the
    background or the image border.
    """
    mask = np.asarray(mask).astype(bool)
    h, w = mask.shape
    d = max(1, int(round(dilation_ratio * np.sqrt(h ** 2 + w ** 2))))
    padded = np.pad(mask, d, constant_values=False)
    eroded = np.ones_like(mask)
    for dy in range(-d, d + 1):
        for dx in range(-d, d + 1):
            eroded &= padded[d + dy:d + dy + h, d + dx:d + dx + w]
    return mask & ~eroded


def boundary_iou_binary(gt: np.ndarray, dt: np.ndarray, dilation_ratio: float = 0.02) -> float:
    """The reference ``boundary_iou`` for two binary masks (NaN when both boundaries are empty)."""
    g, p = mask_to_boundary(gt, dilation_ratio), mask_to_boundary(dt, dilation_ratio)
    union = (g | p).sum()
    return float((g & p).sum() / union) if union else float("nan")


def boundary_iou(gt: np.ndarray, pred: np.ndarray, num_classes: int, dilation_ratio: float = 0.02,
                 ignore_index: int | None = None) -> tuple[float, np.ndarray]:
    """Semantic-segmentation Boundary IoU: per class, boundary intersections and unions summed over
    the images (label maps ``(N, H, W)`` or ``(H, W)``), their ratio, then the mean over the classes
    whose union is not empty (the mIoU convention). Returns ``(mean, per_class)``, NaN for absent
    classes. ``ignore_index`` pixels are removed from both boundaries after they are computed.
    """
    gt, pred = np.asarray(gt), np.asarray(pred)
    if gt.shape != pred.shape:
        raise ValueError(f"gt {gt.shape} and pred {pred.shape} differ")
    if gt.ndim == 2:
        gt, pred = gt[None], pred[None]
    inter = np.zeros(num_classes)
    union = np.zeros(num_classes)
    for g_img, p_img in zip(gt, pred):
        keep = np.ones(g_img.shape, bool) if ignore_index is None else g_img != ignore_index
        for c in range(num_classes):
            gb = mask_to_boundary(g_img == c, dilation_ratio) & keep
            pb = mask_to_boundary(p_img == c, dilation_ratio) & keep
            inter[c] += (gb & pb).sum()
            union[c] += (gb | pb).sum()
    per_class = np.where(union > 0, inter / np.maximum(union, 1), np.nan)
    present = union > 0
    return (float(per_class[present].mean()) if present.any() else float("nan")), per_class


__all__ = ["boundary_iou", "boundary_iou_binary", "mask_to_boundary"]
