"""Data sources for 1-D and 3-D models: generated signals and volumes, and a real MRI volume.

Each returns arrays of the patch's spatial size with ``channels`` channels,
float32 in [0, 1]:

- ``signals`` (1-D): each channel a sum of sinusoids, a chirp, or a piecewise
  constant signal (steps) on a slow sinusoid, with random parameters;
- ``volumes`` (3-D): ellipsoids and boxes of random size, position and
  intensity on a smooth background;
- ``mri`` (3-D): the real fMRI EPI volumes that ship inside nibabel's wheel
  (``nibabel/tests/data/example4d.nii.gz``: 2 time points of 128 x 96 x 24
  voxels of 2 x 2 x 2.2 mm), scaled by their maximum, split by position
  (train: the first half along the first axis; validation / test: the other
  half, at time points 0 / 1), cut into random patches.

Nothing downloads. Generated splits use disjoint seeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from upspec import DataError
from upspec import DataSource
from upspec import Images
from upspec import hookimpl

if TYPE_CHECKING:
    import numpy as np

SPLIT_OFFSET = {"train": 0, "validation": 1_000_003, "test": 2_000_003}
SIGNAL_KINDS = ("sinusoids", "chirp", "steps")


def _to_unit(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scale to a random sub-range of [0.05, 0.95] (so that clipping at [0, 1] never bites)."""
    low, high = float(values.min()), float(values.max())
    span = high - low if high > low else 1.0
    bottom = rng.uniform(0.05, 0.3)
    top = rng.uniform(0.7, 0.95)
    return (bottom + (values - low) / span * (top - bottom)).astype("float32")


def generate_signal(length: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """One channel of ``length`` samples: t runs over [0, 1)."""
    import numpy as np

    t = np.arange(length) / length
    if kind == "sinusoids":
        count = int(rng.integers(1, 4))
        cycles = rng.uniform(1, length / 8, count)  # at most a quarter of the Nyquist rate of the signal
        values = sum(rng.uniform(0.3, 1) * np.sin(2 * np.pi * c * t + rng.uniform(0, 2 * np.pi)) for c in cycles)
    elif kind == "chirp":
        start, stop = rng.uniform(1, 4), rng.uniform(length / 16, length / 6)
        values = np.sin(2 * np.pi * (start * t + (stop - start) / 2 * t ** 2) + rng.uniform(0, 2 * np.pi))
    elif kind == "steps":
        edges = np.sort(rng.uniform(0, 1, int(rng.integers(2, 7))))
        levels = rng.uniform(-1, 1, len(edges) + 1)
        values = levels[np.searchsorted(edges, t)] + 0.2 * np.sin(2 * np.pi * rng.uniform(1, 3) * t)
    else:
        raise DataError(f"unknown signal kind {kind!r}; the kinds are {', '.join(SIGNAL_KINDS)}")
    return _to_unit(np.asarray(values, dtype="float64"), rng)


def generate_volume(size: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Ellipsoids and boxes on a smooth background, ``size`` voxels, values in [0, 1]."""
    import numpy as np

    grid = np.stack(np.meshgrid(*(np.arange(n) / max(n - 1, 1) for n in size), indexing="ij"), axis=-1)
    tilt = rng.uniform(-0.15, 0.15, 3)
    volume = 0.2 + grid @ tilt + 0.05 * np.sin(2 * np.pi * grid[..., 0] * rng.uniform(0.5, 2))
    for _ in range(int(rng.integers(2, 6))):
        centre = rng.uniform(0.15, 0.85, 3)
        radii = rng.uniform(0.08, 0.35, 3)
        if rng.random() < 0.6:
            inside = (((grid - centre) / radii) ** 2).sum(axis=-1) <= 1
        else:
            inside = np.all(np.abs(grid - centre) <= radii, axis=-1)
        volume = np.where(inside, rng.uniform(0.35, 0.95), volume)
    return np.clip(volume, 0, 1).astype("float32")


class Signals(DataSource):
    """Generated 1-D signals: sums of sinusoids, chirps and steps (``options: {kinds: [...], count: N}``)."""

    name = "signals"
    ranks = (1,)

    def load(self, split: str, *, size: tuple[int, ...], seed: int, channels: int = 1, count: int = 64,
             kinds: Any = SIGNAL_KINDS, **options: Any) -> Images:
        import numpy as np

        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        for kind in kinds:
            if kind not in SIGNAL_KINDS:
                raise DataError(f"unknown signal kind {kind!r} in data.options.kinds; the kinds are {', '.join(SIGNAL_KINDS)}")
        rng = np.random.default_rng(seed + SPLIT_OFFSET[split])
        signals = []
        for _ in range(count):
            signals.append(np.stack([generate_signal(size[0], kinds[int(rng.integers(len(kinds)))], rng)
                                     for _ in range(channels)], axis=-1))
        return Images(signals)


class Volumes(DataSource):
    """Generated 3-D volumes: ellipsoids and boxes on a smooth background (``options: {count: N}``)."""

    name = "volumes"
    ranks = (3,)

    def load(self, split: str, *, size: tuple[int, ...], seed: int, channels: int = 1, count: int = 32,
             **options: Any) -> Images:
        import numpy as np

        rng = np.random.default_rng(seed + SPLIT_OFFSET[split])
        return Images([np.stack([generate_volume(tuple(size), rng) for _ in range(channels)], axis=-1)
                       for _ in range(count)])


def mri_volumes() -> np.ndarray:
    """nibabel's example fMRI run: ``(2, 128, 96, 24)``, scaled to [0, 1] by its maximum."""
    import numpy as np

    try:
        import nibabel
        from nibabel.testing import data_path
    except ImportError:  # pragma: no cover - nibabel is a dependency
        raise DataError("data source 'mri' reads the volume that ships with nibabel; install nibabel") from None
    image: Any = nibabel.load(f"{data_path}/example4d.nii.gz")
    data = np.asarray(image.get_fdata(), dtype="float32")
    return np.moveaxis(data / data.max(), -1, 0)


class Mri(DataSource):
    """Real fMRI EPI volumes from nibabel's wheel, split by position (see the module's documentation)."""

    name = "mri"
    ranks = (3,)

    def load(self, split: str, *, size: tuple[int, ...], seed: int, channels: int = 1, count: int = 32,
             **options: Any) -> Images:
        import numpy as np

        volumes = mri_volumes()
        half = volumes.shape[1] // 2
        region = {"train": volumes[:, :half], "validation": volumes[:1, half:], "test": volumes[1:, half:]}[split]
        if any(s > n for s, n in zip(size, region.shape[1:])):
            raise DataError(f"data source 'mri' has volumes of {'x'.join(map(str, region.shape[1:]))} voxels per "
                            f"split; the model needs patches of {'x'.join(map(str, size))}: use a smaller input")
        rng = np.random.default_rng(seed + SPLIT_OFFSET[split])
        patches = []
        for _ in range(count):
            volume = region[int(rng.integers(len(region)))]
            start = [int(rng.integers(0, n - s + 1)) for n, s in zip(volume.shape, size)]
            patch = volume[tuple(slice(a, a + s) for a, s in zip(start, size))]
            patches.append(np.repeat(patch[..., None], channels, axis=-1))
        return Images(patches)


@hookimpl
def upspec_datasets() -> list[DataSource]:
    return [Signals(), Volumes(), Mri()]
