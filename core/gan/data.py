"""Real images for a GAN: the training pool, and held-out images to judge the samples against.

A source whose images already have the generator's size (``digits``) gives them whole, with their labels;
any other source is cut into patches of that size (``photos``: seeded crops spread evenly over the training
photos, each with the index of its photo; fixed crops of the test photos), as the other tasks do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..runner.data.sources import Images
from ..runner.data.sources import get_source
from ..runner.data.images import patches
from ..runner.data.images import to_channels


@dataclass
class RealImages:
    """``train`` and ``held_out``: ``(N, H, W, C)`` float32 in [0, 1]; labels when the source has them."""

    train: np.ndarray
    held_out: np.ndarray
    train_labels: np.ndarray | None = None
    held_out_labels: np.ndarray | None = None
    source: str = ""
    #: for patches of a few large images: the index of the image each training patch was cut from
    train_sources: np.ndarray | None = None

    @property
    def labelled(self) -> bool:
        return self.train_labels is not None


def _whole(data: Images, shape: tuple[int, int, int]) -> bool:
    return bool(data.images) and all(tuple(np.shape(i)[:2]) == shape[:2] for i in data.images)


def _split(data: Images, shape: tuple[int, int, int], count: int, seed: int | None) -> tuple[np.ndarray, np.ndarray | None]:
    if _whole(data, shape):
        images = np.stack([to_channels(i, shape[2]) for i in data.images]).astype("float32")
        labels = np.asarray(data.labels, "int64") if data.labels is not None else None
        if seed is None:  # held out: the first ``count``, fixed
            return images[:count], (labels[:count] if labels is not None else None)
        return images, labels
    cut, _ = patches(data, shape[:2], count, seed, shape[2])
    return cut, None


MAX_SOURCE_IMAGES = 64  # more training images than this: no "which image" labels


def _source_patches(data: Images, shape: tuple[int, int, int], count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` seeded crops spread evenly over the images, with the index of the image of each."""
    n = len(data.images)
    cuts, sources = [], []
    for index, image in enumerate(data.images):
        share = count // n + (1 if index < count % n else 0)
        if share:
            cut, _ = patches(Images([image]), shape[:2], share, seed * 1009 + index, shape[2])
            cuts.append(cut)
            sources += [index] * share
    order = np.random.default_rng(seed).permutation(count)
    return np.concatenate(cuts)[order], np.asarray(sources, "int64")[order]


def real_images(source_name: str, options: dict[str, Any], shape: tuple[int, int, int], registry: Any, *,
                train_count: int, held_out_count: int, seed: int = 0) -> RealImages:
    """The source's ``train`` split as the training pool (whole images, or ``train_count`` seeded crops) and
    its ``test`` split as the held-out set (at most ``held_out_count`` images or fixed crops)."""
    source = get_source(source_name, registry)
    train_data = source.load("train", size=shape[:2], seed=seed, **options)
    test_data = source.load("test", size=shape[:2], seed=seed, **options)
    held_out, held_out_labels = _split(test_data, shape, held_out_count, None)
    if not _whole(train_data, shape) and 2 <= len(train_data.images) <= MAX_SOURCE_IMAGES:
        train, sources = _source_patches(train_data, shape, train_count, seed)
        return RealImages(train, held_out, None, None, source_name, sources)
    train, train_labels = _split(train_data, shape, train_count, seed)
    if train_labels is None or held_out_labels is None:
        train_labels = held_out_labels = None
    return RealImages(train, held_out, train_labels, held_out_labels, source_name)
