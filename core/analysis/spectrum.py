"""Spectral fingerprints of images: the azimuthally averaged power spectrum and peaks at upsampling frequencies.

Up-convolutions leave periodic patterns whose power sits at the frequencies ``k * N / s`` of an ``s``-fold
upsampling (Odena et al. 2016; Durall et al. 2020; Frank et al. 2020). Images are ``(batch, H, W, C)``,
reduced to their channel mean; each image's mean is removed before the FFT.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def power_spectrum(images: np.ndarray) -> np.ndarray:
    """The mean 2-D power spectrum over images (channel mean, each image's mean removed), unshifted."""
    grey = np.asarray(images, "float64").mean(axis=-1)
    grey = grey - grey.mean(axis=(1, 2), keepdims=True)
    return (np.abs(np.fft.fft2(grey)) ** 2).mean(axis=0)


def radial_spectrum(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(frequency, power)``: the power spectrum averaged over rings of integer radius (in FFT bins of the
    shorter side), from 0 out to the corner; frequency in cycles per pixel."""
    power = power_spectrum(images)
    h, w = power.shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    n = min(h, w)
    radius = np.rint(np.sqrt(fy**2 + fx**2) * n).astype(int)
    sums = np.bincount(radius.ravel(), weights=power.ravel())
    counts = np.bincount(radius.ravel())
    keep = counts > 0
    return (np.arange(len(sums)) / n)[keep], sums[keep] / counts[keep]


def spectral_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference in decades between two sets' radial spectra, each normalised to sum 1,
    over the non-zero frequencies: 0 for the same spectral shape, 1 for a tenfold difference everywhere."""
    _, pa = radial_spectrum(a)
    _, pb = radial_spectrum(b)
    pa, pb = pa[1:] / pa[1:].sum(), pb[1:] / pb[1:].sum()
    return float(np.mean(np.abs(np.log10(pa + 1e-20) - np.log10(pb + 1e-20))))


def upsampling_frequencies(shape: Sequence[int], factor: Sequence[int]) -> list[tuple[int, int]]:
    """FFT bins ``(a * H / s_h, b * W / s_w)`` other than zero: where an ``s``-periodic pattern puts its power."""
    (h, w), (sh, sw) = shape, factor
    return [(a * h // sh, b * w // sw) for a in range(sh) for b in range(sw) if (a, b) != (0, 0)]


def peak_ratio(images: np.ndarray, factor: Sequence[int]) -> float:
    """How much the upsampling frequencies stand out: the geometric mean, over those frequencies, of their
    power divided by the mean power of their 8 neighbours (neighbours that are upsampling frequencies
    themselves excluded). About 1 for a smooth spectrum; a checkerboard pattern makes it large."""
    power = power_spectrum(images)
    h, w = power.shape
    peaks = upsampling_frequencies((h, w), factor)
    marked = set(peaks) | {(0, 0)}
    ratios = []
    for y, x in peaks:
        around = [power[(y + dy) % h, (x + dx) % w] for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                  if (dy, dx) != (0, 0) and ((y + dy) % h, (x + dx) % w) not in marked]
        if around:
            ratios.append((power[y, x] + 1e-20) / (np.mean(around) + 1e-20))
    return float(np.exp(np.mean(np.log(ratios)))) if ratios else 1.0
