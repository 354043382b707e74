"""Checkerboard-artifact measurements for upsample entries.

- phase variance (CB): feed a constant input; ``M[c, p]`` is the mean of the output over the positions
  congruent to the phase ``p`` modulo the factor (borders cropped); CB = sqrt(mean over c of the variance
  of ``M[c, :]``) / RMS(output). Zero means no periodic pattern.
- overlap ratio (Odena et al. 2016): with an all-ones kernel and input, the largest over the smallest
  interior output.
- aliasing energy: the fraction of an image's spectral power (mean removed) at the frequencies
  ``(a * H / s_h, b * W / s_w)`` other than ``(0, 0)``, where a checkerboard of period ``s`` puts it.

All functions take NumPy arrays shaped ``(batch, *spatial, channels)`` and work for 1-, 2- and 3-D.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np


def interior(output: np.ndarray, factor: Sequence[int], margin: int | None = None) -> np.ndarray:
    """Crop every spatial axis by ``margin`` (default a quarter of its size), rounded so that the kept
    region starts at phase 0 and holds whole periods."""
    slices = [slice(None)]
    for size, f in zip(output.shape[1:-1], factor):
        m = size // 4 if margin is None else margin
        start = -(-m // f) * f
        stop = start + ((size - 2 * start) // f) * f
        if stop <= start:
            raise ValueError(f"an output of size {size} has no interior period of {f} after a margin of {m}")
        slices.append(slice(start, stop))
    return output[tuple(slices) + (slice(None),)]


def phase_means(output: np.ndarray, factor: Sequence[int]) -> np.ndarray:
    """``M[c, phase]``: the mean over batch and positions of each phase, ``(channels, prod(factor))``."""
    rank = len(factor)
    means = []
    for phase in itertools.product(*(range(f) for f in factor)):
        index = (slice(None),) + tuple(slice(p, None, f) for p, f in zip(phase, factor)) + (slice(None),)
        means.append(output[index].mean(axis=tuple(range(rank + 1))))
    return np.stack(means, axis=1)


def phase_variance(output: np.ndarray, factor: Sequence[int], margin: int | None = None) -> float:
    """CB of an output computed from a constant input (see the module docstring)."""
    core = interior(np.asarray(output, dtype="float64"), factor, margin)
    rms = float(np.sqrt(np.mean(core**2)))
    if rms == 0.0:
        return 0.0
    means = phase_means(core, factor)
    return float(np.sqrt(np.mean(means.var(axis=1))) / rms)


def overlap_ratio(counts: np.ndarray, factor: Sequence[int], margin: int | None = None) -> float:
    """Largest over smallest interior value of an output computed with all-ones weights and input."""
    core = interior(np.asarray(counts, dtype="float64"), factor, margin)
    smallest = float(core.min())
    return float("inf") if smallest == 0.0 else float(core.max()) / smallest


def aliasing_energy(images: np.ndarray, factor: Sequence[int]) -> float:
    """Fraction of the spectral power (mean removed, averaged over images and channels) at the
    checkerboard frequencies ``(a * N / s)`` per axis, other than zero."""
    images = np.asarray(images, dtype="float64")
    rank = images.ndim - 2
    axes = tuple(range(1, rank + 1))
    centred = images - images.mean(axis=axes, keepdims=True)
    power = np.abs(np.fft.fftn(centred, axes=axes)) ** 2
    total = power.sum()
    if total == 0.0:
        return 0.0
    mask = np.ones(images.shape[1:-1], dtype=bool)
    grids = np.meshgrid(*(np.arange(n) for n in images.shape[1:-1]), indexing="ij")
    for grid, n, f in zip(grids, images.shape[1:-1], factor):
        mask &= (grid * f) % n == 0  # frequency k is a multiple of n / f
    mask[(0,) * rank] = False
    return float(power[:, mask].sum() / total) if rank else 0.0


def spectrum(image: np.ndarray) -> np.ndarray:
    """Log power spectrum of a 2-D image's first channel, zero frequency in the centre (for plots)."""
    centred = image[..., 0] - image[..., 0].mean()
    return np.log10(1e-12 + np.abs(np.fft.fftshift(np.fft.fft2(centred))) ** 2)
