"""MATLAB's ``imresize`` (default ``'bicubic'`` method) in NumPy.

This is the degradation the super-resolution literature means by "bicubic": Set5/Set14/B100/Urban100/DIV2K
low-resolution inputs are made with MATLAB's ``imresize(hr, 1/s, 'bicubic')`` and the bicubic baseline is
``imresize(lr, s, 'bicubic')``. PIL's and OpenCV's bicubic resizes approximate it but do not equal it.

The algorithm, as MATLAB's ``imresize.m`` (``contributions`` / ``resizeAlongDim``) does it, one axis at a time:

* kernel: Keys' cubic convolution with ``a = -0.5`` (support ``|x| < 2``, width 4);
* antialiasing (on by default, as in MATLAB): when shrinking (``scale < 1``) the kernel is widened by
  ``1 / scale`` and scaled by ``scale``: ``h(x) = scale * cubic(scale * x)``, width ``4 / scale``;
* coordinates (1-based): output pixel ``x`` maps to input ``u = x / scale + 0.5 * (1 - 1 / scale)``;
  the taps are ``left + 0 .. P - 1`` with ``left = floor(u - width / 2)`` and ``P = ceil(width) + 2``;
* weights are normalised to sum to 1 for every output pixel; columns of taps whose weight is zero for every
  output pixel are dropped (this changes nothing numerically here, where they are folded into a matrix);
* borders: out-of-range taps are mirrored with the edge pixel repeated ("symmetric" padding), by MATLAB's
  ``aux = [1:n, n:-1:1]; indices = aux(mod(indices - 1, 2 * n) + 1)``, which also works when a tap falls more
  than ``n`` pixels outside (tiny images). This is what MATLAB R2017b does (checked against its outputs); some
  older copies of ``imresize.m`` clamp indices instead (replicating the edge), kept as ``border="replicate"``;
* order: the axis with the smaller scale is resized first (MATLAB's ``[~, order] = sort(scale)``; on a tie,
  rows first);
* output size ``ceil(scale * in)`` when a scale is given; scale ``out / in`` per axis when a size is given.

Every axis is a dense ``(out, in)`` matrix (the weights scattered at their mirrored indices), applied with
``tensordot``; the matrices are cached per ``(in, out, scale)``, so resizing many crops of one size is cheap.
Computation is in float64; the result has the input's floating dtype.

Rounding: MATLAB computes each pass in double and, for a ``uint8`` image, rounds (half away from zero) and
saturates to ``[0, 255]`` after *each* of the two passes (``imresizemex`` returns the class of its input).
For float input MATLAB does neither: values can overshoot ``[0, 1]`` (the cubic kernel has negative lobes).
This module does the same: float input is returned unrounded and unclipped; ``uint8`` input is handled as
MATLAB does and returns ``uint8``; ``uint8_like=True`` applies that per-pass rounding to a float image in
``[0, 1]`` (rounds to multiples of 1/255, clips to ``[0, 1]``), i.e. ``imresize(im2uint8(x)) / 255``.
"""

from __future__ import annotations

import functools
import math
from typing import Literal
from typing import Optional
from typing import Sequence
from typing import Tuple
from typing import Union

import numpy as np

__all__ = ["cubic", "contributions", "resize_matrix", "imresize", "output_size", "KERNEL_WIDTH"]

KERNEL_WIDTH = 4.0
"""Width of the unwidened bicubic kernel (support ``[-2, 2]``)."""

Border = Literal["symmetric", "replicate"]
Scale = Union[float, Tuple[float, float]]


def cubic(x: np.ndarray, a: float = -0.5) -> np.ndarray:
    """Keys' cubic convolution kernel; ``a = -0.5`` is MATLAB's (and the only value ``imresize`` uses).

    ``(a+2)|x|^3 - (a+3)|x|^2 + 1`` for ``|x| <= 1``, ``a|x|^3 - 5a|x|^2 + 8a|x| - 4a`` for ``1 < |x| <= 2``,
    else 0. With ``a = -0.5``: ``1.5|x|^3 - 2.5|x|^2 + 1`` and ``-0.5|x|^3 + 2.5|x|^2 - 4|x| + 2``.
    """
    absx = np.abs(np.asarray(x, dtype=np.float64))
    absx2 = absx * absx
    absx3 = absx2 * absx
    inner = ((a + 2.0) * absx3 - (a + 3.0) * absx2 + 1.0) * (absx <= 1.0)
    outer = (a * absx3 - 5.0 * a * absx2 + 8.0 * a * absx - 4.0 * a) * ((absx > 1.0) & (absx <= 2.0))
    return inner + outer


def contributions(in_length: int, out_length: int, scale: float, antialiasing: bool = True,
                  border: Border = "symmetric") -> Tuple[np.ndarray, np.ndarray]:
    """MATLAB's ``contributions``: ``(weights, indices)``, both ``(out_length, taps)``.

    Row ``k`` holds the weights and the **0-based** input indices (already mirrored into ``[0, in_length)``)
    that make output pixel ``k``; each row of weights sums to 1; all-zero tap columns are removed.
    """
    if in_length < 1 or out_length < 1:
        raise ValueError(f"lengths must be positive, got in={in_length}, out={out_length}")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    kernel_width = KERNEL_WIDTH
    shrink = scale < 1 and antialiasing
    if shrink:
        kernel_width = kernel_width / scale
    x = np.arange(1, out_length + 1, dtype=np.float64)  # 1-based output coordinates, as MATLAB
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - kernel_width / 2.0)
    taps = int(math.ceil(kernel_width)) + 2
    indices = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]  # 1-based
    distance = u[:, None] - indices
    weights = scale * cubic(scale * distance) if shrink else cubic(distance)
    weights = weights / weights.sum(axis=1, keepdims=True)
    indices = indices.astype(np.int64)
    if border == "symmetric":
        aux = np.concatenate([np.arange(1, in_length + 1), np.arange(in_length, 0, -1)])
        indices = aux[np.mod(indices - 1, aux.size)]
    elif border == "replicate":
        indices = np.clip(indices, 1, in_length)
    else:
        raise ValueError(f"border must be 'symmetric' or 'replicate', got {border!r}")
    keep = np.any(weights != 0, axis=0)
    return weights[:, keep], indices[:, keep] - 1


@functools.lru_cache(maxsize=64)
def resize_matrix(in_length: int, out_length: int, scale: float, antialiasing: bool = True,
                  border: Border = "symmetric") -> np.ndarray:
    """The ``(out_length, in_length)`` float64 matrix of one axis' resize: ``out = M @ in`` along that axis.

    Taps that mirror onto the same input pixel are summed. The returned array is read-only (it is cached).
    """
    weights, indices = contributions(in_length, out_length, scale, antialiasing, border)
    matrix = np.zeros((out_length, in_length), dtype=np.float64)
    rows = np.broadcast_to(np.arange(out_length)[:, None], indices.shape)
    np.add.at(matrix, (rows, indices), weights)
    matrix.setflags(write=False)
    return matrix


def output_size(in_shape: Sequence[int], scale: Optional[Scale] = None,
                output_shape: Optional[Sequence[Optional[int]]] = None) -> Tuple[Tuple[int, int], Tuple[float, float]]:
    """MATLAB's ``fixupSizeAndScale``: ``((out_h, out_w), (scale_h, scale_w))`` from an ``(h, w)`` input.

    ``scale`` (a number or a pair) gives ``ceil(scale * in)``; ``output_shape`` gives ``scale = out / in``. One
    entry of ``output_shape`` may be ``None`` (MATLAB's ``NaN``): it keeps the aspect ratio and both axes then
    use the scale of the given one. If both are given, ``output_shape`` sets the size and ``scale`` the kernel.
    """
    h, w = int(in_shape[0]), int(in_shape[1])
    if scale is None and output_shape is None:
        raise ValueError("give scale or output_shape")
    scales: Optional[Tuple[float, float]] = None
    if scale is not None:
        pair = [float(s) for s in np.atleast_1d(np.asarray(scale, dtype=np.float64))]
        if len(pair) == 1:
            pair = pair * 2
        if len(pair) != 2 or not all(s > 0 for s in pair):
            raise ValueError(f"scale must be a positive number or pair, got {scale!r}")
        scales = (pair[0], pair[1])
    if output_shape is None:
        assert scales is not None
        return (math.ceil(scales[0] * h), math.ceil(scales[1] * w)), scales
    if len(output_shape) != 2:
        raise ValueError(f"output_shape must be (height, width), got {output_shape!r}")
    oh, ow = output_shape
    if oh is None and ow is None:
        raise ValueError("output_shape cannot be (None, None)")
    if oh is None:
        assert ow is not None
        size, derived = (math.ceil(ow * h / w), int(ow)), (ow / w, ow / w)
    elif ow is None:
        size, derived = (int(oh), math.ceil(oh * w / h)), (oh / h, oh / h)
    else:
        size, derived = (int(oh), int(ow)), (oh / h, ow / w)
    if min(size) < 1:
        raise ValueError(f"output_shape must be positive, got {output_shape!r}")
    return size, scales if scales is not None else (float(derived[0]), float(derived[1]))


def _round_uint8(values: np.ndarray, unit: float) -> np.ndarray:
    """Round half away from zero (MATLAB's ``round``) on a grid of ``1/unit`` and saturate to [0, 255/unit]."""
    levels = np.clip(np.floor(values * unit + 0.5), 0.0, 255.0)
    return levels / unit


def imresize(image: np.ndarray, scale: Optional[Scale] = None,
             output_shape: Optional[Sequence[Optional[int]]] = None, *, antialiasing: bool = True,
             uint8_like: bool = False, border: Border = "symmetric", batch: Optional[bool] = None) -> np.ndarray:
    """MATLAB's ``imresize(image, scale)`` / ``imresize(image, [h w])`` with the default bicubic method.

    Args:
        image: ``(H, W)``, ``(H, W, C)``, or a batch ``(N, H, W, C)`` (4-D input is always a batch; 3-D input
            is one image unless ``batch=True``). Float (any range) or ``uint8``.
        scale: a factor, or ``(scale_h, scale_w)``; the output is ``ceil(scale * in)``.
        output_shape: ``(height, width)`` instead of a scale (one entry may be ``None``, see ``output_size``).
        antialiasing: MATLAB's ``'Antialiasing'`` (default true): widen the kernel when shrinking.
        uint8_like: for a float image in [0, 1], reproduce MATLAB on ``uint8`` pixels: round to multiples of
            1/255 and clip to [0, 1] after each pass. Ignored for ``uint8`` input, which is always treated so.
        border: ``"symmetric"`` (MATLAB R2017b's, the default) or ``"replicate"`` (older ``imresize.m`` copies).
        batch: treat axis 0 of a 3-D input as a batch of ``(H, W)`` images.

    Returns:
        The resized array, same dtype as a float input (float64 for other non-uint8 input), ``uint8`` for
        ``uint8`` input. Float results are neither rounded nor clipped unless ``uint8_like``.
    """
    array = np.asarray(image)
    if array.dtype == np.bool_ or array.ndim not in (2, 3, 4):
        raise ValueError(f"expected a (H, W), (H, W, C) or (N, H, W, C) numeric array, got {array.dtype} "
                         f"{array.shape}")
    is_uint8 = array.dtype == np.uint8
    out_dtype = array.dtype if np.issubdtype(array.dtype, np.floating) else np.dtype(np.float64)
    if is_uint8:
        out_dtype = np.dtype(np.uint8)
    if array.ndim == 4 or (array.ndim == 3 and batch):
        h_axis = 1
    else:
        h_axis = 0
    in_h, in_w = array.shape[h_axis], array.shape[h_axis + 1]
    (out_h, out_w), (scale_h, scale_w) = output_size((in_h, in_w), scale, output_shape)
    result = array.astype(np.float64, copy=False)
    unit = 1.0 if is_uint8 else 255.0
    quantise = is_uint8 or uint8_like
    # MATLAB: [~, order] = sort(scale), stable -> rows first on a tie.
    order = (0, 1) if scale_h <= scale_w else (1, 0)
    for axis_offset in order:
        axis = h_axis + axis_offset
        in_len, out_len, s = (in_h, out_h, scale_h) if axis_offset == 0 else (in_w, out_w, scale_w)
        matrix = resize_matrix(in_len, out_len, s, antialiasing, border)
        result = np.moveaxis(np.tensordot(matrix, result, axes=([1], [axis])), 0, axis)
        if quantise:
            result = _round_uint8(result, unit)
    return np.ascontiguousarray(result).astype(out_dtype, copy=False)
