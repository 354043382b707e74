"""Test-set numbers of a 2-D model on whole held-out images, computed as the literature does.

Super-resolution (BasicSR's ``test_y_channel`` and ``crop_border`` conventions): the model's output is
rounded to 8 bits, converted to the luminance Y of ITU-R BT.601 (``16 + 65.481 R + 128.553 G + 24.966 B``
on [0, 255], for 3-channel images; a 1-channel image is its own luminance), ``scale`` pixels are shaved off
each border, then PSNR and SSIM (Gaussian window 11, sigma 1.5) are computed per image and averaged. The
bicubic baseline (bicubic upscaling of the same inputs with the degradation's kernel: MATLAB's ``imresize`` for
``matlab``, PIL's otherwise) is scored the same way on the same images.
Denoising and autoencoding: PSNR / SSIM on all channels, whole images, no shave; the baseline is the noisy
input. Segmentation: mean intersection over union, and boundary IoU (Cheng et al., CVPR 2021) beside it.
"""

from __future__ import annotations

from typing import Any
from typing import Sequence

import numpy as np

from ..data.images import TaskShapes
from ..data.images import upsample_bicubic
from ..data.degrade import quantize
from .collapse import collapse_warning
from .predict import Predictor

Y_WEIGHTS = np.array([65.481, 128.553, 24.966], "float32") / 255.0


def y_channel(image: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luminance in [0, 1] (16 / 255 to 235 / 255) of an RGB image; a grey image as it is."""
    if image.shape[-1] == 1:
        return image
    return (image[..., :3] @ Y_WEIGHTS + 16.0 / 255.0)[..., None].astype("float32")


def shave(image: np.ndarray, border: Sequence[int]) -> np.ndarray:
    bh, bw = border
    h, w = image.shape[:2]
    return image[bh: h - bh, bw: w - bw]


def psnr(target: np.ndarray, prediction: np.ndarray) -> float:
    mse = float(np.mean((target.astype("float64") - prediction.astype("float64")) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


def ssim(target: np.ndarray, prediction: np.ndarray) -> float:
    """SSIM of one image (Wang et al. 2004: Gaussian window 11, sigma 1.5, valid borders), any Keras backend."""
    import keras

    from ...metrics.image import ssim as batch_ssim

    return float(keras.ops.convert_to_numpy(batch_ssim(target[None].astype("float32"), prediction[None].astype("float32")))[0])


def pair_scores(target: np.ndarray, prediction: np.ndarray, border: Sequence[int] = (0, 0),
                luminance: bool = False) -> dict[str, float]:
    """PSNR / SSIM of one image, output rounded to 8 bits; on Y with ``border`` shaved when ``luminance``."""
    prediction = quantize(prediction)
    if luminance:
        target, prediction = y_channel(target), y_channel(prediction)
    target, prediction = shave(target, border), shave(prediction, border)
    return {"psnr": psnr(target, prediction), "ssim": ssim(target, prediction)}


def image_scores(target: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    """Mean over images of per-image PSNR and SSIM (the ``psnr`` / ``ssim`` metrics: ``keras.ops``, equal to
    ``tf.image``'s), values in [0, 1]."""
    import keras

    from ...metrics.image import psnr
    from ...metrics.image import ssim

    prediction = np.clip(prediction, 0.0, 1.0).astype("float32")
    target = target.astype("float32")
    return {name: float(np.mean(keras.ops.convert_to_numpy(fn(target, prediction))))
            for name, fn in (("psnr", psnr), ("ssim", ssim))}


def mean_iou(target: np.ndarray, prediction: np.ndarray) -> float:
    """Mean over classes present of intersection over union (threshold 0.5 for one channel)."""
    if target.shape[-1] == 1:
        truth, guess = target[..., 0] > 0.5, prediction[..., 0] > 0.5
        ious = [float(np.sum(truth & guess)) / max(1, int(np.sum(truth | guess)))]
    else:
        truth, guess = target.argmax(-1), prediction.argmax(-1)
        ious = [np.sum((truth == c) & (guess == c)) / np.sum((truth == c) | (guess == c))
                for c in range(target.shape[-1]) if np.any((truth == c) | (guess == c))]
    return float(np.mean(ious))


#: boundary IoU's band: pixels within 2 % of the image diagonal of a mask's contour (Cheng et al.'s default)
BOUNDARY_DILATION = 0.02


def label_maps(target: np.ndarray, prediction: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Class maps of a segmentation target and output as :func:`mean_iou` reads them, and the class count:
    one channel thresholded at 0.5 (foreground 1), several channels by argmax."""
    if target.shape[-1] == 1:
        return (target[..., 0] > 0.5).astype("int32"), (prediction[..., 0] > 0.5).astype("int32"), 2
    return target.argmax(-1), prediction.argmax(-1), target.shape[-1]


def boundary_iou(target: np.ndarray, prediction: np.ndarray, dilation_ratio: float = BOUNDARY_DILATION) -> float:
    """Boundary IoU of one image (``(H, W, C)``), the classes as :func:`mean_iou` counts them: the foreground
    alone for one channel, else the mean over the classes whose boundaries are not both empty. An image
    where no class has a boundary (nothing in truth or output) scores 1: there is no edge to miss."""
    from ...metrics.boundary import boundary_iou as class_boundary_iou
    from ...metrics.boundary import boundary_iou_binary

    truth, guess, classes = label_maps(target, prediction)
    if target.shape[-1] == 1:
        value = boundary_iou_binary(truth, guess, dilation_ratio)
    else:
        value = class_boundary_iou(truth, guess, classes, dilation_ratio)[0]
    return 1.0 if np.isnan(value) else float(value)


def boundary_band(shape: Sequence[int], dilation_ratio: float = BOUNDARY_DILATION) -> int:
    """The band's width in pixels for an image of ``shape`` (``(H, W, ...)``)."""
    return max(1, int(round(dilation_ratio * float(np.hypot(shape[0], shape[1])))))


def convention(shapes: TaskShapes, degradation: str | None = None, blur_sigma: float | None = None) -> str:
    """The evaluation convention in one sentence, for reports."""
    if shapes.task == "super_resolution":
        from ..data.degrade import DEFAULT_BLUR_SIGMA
        from ..data.degrade import baseline_name
        from ..data.degrade import describe

        scale = shapes.factor
        channel = ("the BT.601 luminance Y (16-235, BasicSR's rgb2ycbcr)" if shapes.y[-1] == 3 else
                   "the model's single channel (full-range BT.601 luma of the photos, 0-255: PSNR 1.32 dB lower "
                   "than on 16-235 Y, the same gain)")
        return (f"whole held-out images; input made by {describe(degradation or 'bicubic', scale, blur_sigma or DEFAULT_BLUR_SIGMA)}; "
                f"output rounded to 8 bits; PSNR / SSIM on {channel} with {max(scale)} border pixels shaved "
                f"(BasicSR test_y_channel / crop_border), per image then averaged; bicubic = {baseline_name(degradation)} "
                "of the same inputs, scored the same way")
    if shapes.task == "segmentation":
        return ("whole held-out images; mean intersection over union over the classes present (pixels of all "
                "test images pooled); boundary IoU (Cheng et al. 2021) per image then averaged: IoU of the pixels "
                f"within d = {BOUNDARY_DILATION:.0%} of the image diagonal of each class's contour (the image "
                "border counts as contour), over the same classes as mean IoU (the foreground for one channel)")
    baseline = "; noisy input scored the same way" if shapes.task == "denoise" else ""
    return f"whole held-out images; PSNR / SSIM on all channels, no border shaved, per image then averaged{baseline}"


def _mean(scores: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.mean([s[key] for s in scores])) for key in scores[0]}


def baseline_scores(image: Any, name: str, border: Sequence[int], degradation: str | None = "bicubic") -> dict[str, float]:
    """The baseline's scores on one test image (``bicubic``: bicubic upscaling of the input with the kernel of
    its ``degradation``, on Y with the border shaved; ``noisy_input``: the input itself), kept on the image: the
    same for every model."""
    key = f"{name}:{tuple(border)}"
    if key not in image.baseline:
        if name == "bicubic":
            guess = upsample_bicubic(image.x[None], image.y.shape[:2], degradation)[0]
            image.baseline[key] = pair_scores(image.y, guess, border, True)
        else:
            image.baseline[key] = pair_scores(image.y, image.x)
    return dict(image.baseline[key])


def evaluate(model: Any, data: Any, predictions: list[np.ndarray] | None = None) -> dict[str, Any]:
    """The test metrics of ``model`` on ``data.test_images`` (a ``TaskData``), through the same whole-image
    path as ``upspec predict``; ``predictions``: already computed outputs for those images."""
    shapes: TaskShapes = data.shapes
    images = data.test_images
    if predictions is None:
        predictor = Predictor(model)
        predictions = [predictor.run(image.x) for image in images]
    settings = data.settings
    result: dict[str, Any] = {"task": shapes.task, "test_images": len(images),
                              "convention": convention(shapes, getattr(settings, "degradation", None),
                                                       getattr(settings, "blur_sigma", None))}
    if shapes.task == "super_resolution":
        result["degradation"] = getattr(settings, "degradation", "bicubic")
    warning = collapse_warning(np.concatenate([p.ravel() for p in predictions]))
    if warning:
        result["warnings"] = [warning]
    if shapes.task == "segmentation":
        truth = np.concatenate([i.y.reshape(-1, i.y.shape[-1]) for i in images])[:, None]
        guess = np.concatenate([p.reshape(-1, p.shape[-1]) for p in predictions])[:, None]
        rows = [{"name": i.name, "model": {"mean_iou": mean_iou(i.y, p), "boundary_iou": boundary_iou(i.y, p)}}
                for i, p in zip(images, predictions)]
        result["model"] = {"mean_iou": mean_iou(truth, guess),
                           "boundary_iou": float(np.mean([r["model"]["boundary_iou"] for r in rows]))}
        bands = sorted({boundary_band(i.y.shape) for i in images})
        result["boundary_band_px"] = bands[0] if len(bands) == 1 else bands
        result["images"] = rows
        return result
    sr = shapes.task == "super_resolution"
    border = shapes.factor if sr else (0, 0)
    baseline_name = {"super_resolution": "bicubic", "denoise": "noisy_input"}.get(shapes.task)
    rows = []
    for image, prediction in zip(images, predictions):
        row: dict[str, Any] = {"name": image.name, "model": pair_scores(image.y, prediction, border, sr)}
        if baseline_name:
            row[baseline_name] = baseline_scores(image, baseline_name, border, getattr(settings, "degradation", "bicubic"))
        rows.append(row)
    result["model"] = _mean([r["model"] for r in rows])
    if baseline_name:
        result[baseline_name] = _mean([r[baseline_name] for r in rows])
        result["gain"] = {k: result["model"][k] - result[baseline_name][k] for k in ("psnr", "ssim")}
    result["images"] = rows
    return result
