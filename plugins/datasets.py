"""Built-in data sources: real photos, generated shapes and digits, real coins with masks, user arrays and folders.

Nothing here downloads: the photos ship inside scikit-image's and
scikit-learn's wheels, the rest is generated or the user's own.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from upspec import DataError
from upspec import DataSource
from upspec import Images
from upspec import hookimpl

if TYPE_CHECKING:
    import numpy as np

# split by image, so that no photo feeds two splits
PHOTO_SPLITS = {
    "train": ("astronaut", "brick", "cell", "clock", "coffee", "grass", "gravel", "hubble_deep_field",
              "immunohistochemistry", "page", "retina", "text", "sklearn:china.jpg"),
    "validation": ("moon", "rocket"),
    "test": ("camera", "chelsea", "coins", "sklearn:flower.jpg"),
}


@functools.lru_cache(maxsize=None)
def _photo(name: str) -> np.ndarray:
    """One photo as float32 in [0, 1], decoded once per process (a sweep's strategies share it); read-only."""
    import numpy as np

    if name.startswith("sklearn:"):
        from sklearn.datasets import load_sample_image

        image = load_sample_image(name.partition(":")[2])
    else:
        import skimage.data

        image = getattr(skimage.data, name)()
    photo = np.asarray(image, dtype="float32") / 255.0
    photo.setflags(write=False)
    return photo


class Photos(DataSource):
    """Real photographs from scikit-image's and scikit-learn's wheels, split by image."""

    name = "photos"

    def load(self, split: str, *, size: tuple[int, int], seed: int, **options: Any) -> Images:
        names = PHOTO_SPLITS[split]
        return Images([_photo(n) for n in names], names=[n.partition(":")[2] or n for n in names])


class Shapes(DataSource):
    """Generated discs, rectangles, triangles and lines on textured noise, with class masks.

    Classes: 0 background, 1 disc, 2 rectangle, 3 triangle, 4 line.
    """

    name = "shapes"
    has_masks = True
    SPLIT_OFFSET = {"train": 0, "validation": 1_000_003, "test": 2_000_003}

    def load(self, split: str, *, size: tuple[int, int], seed: int, count: int = 64, **options: Any) -> Images:
        import numpy as np

        rng = np.random.default_rng(seed + self.SPLIT_OFFSET[split])
        h, w = size
        images, masks = [], []
        rows, cols = np.mgrid[0:h, 0:w]
        for _ in range(count):
            image = rng.uniform(0.0, 0.3) + 0.1 * rng.random((h, w)) + 0.05 * np.sin(cols / rng.uniform(2, 8))
            mask = np.zeros((h, w), "int32")
            image = np.repeat(image[..., None], 3, axis=-1)
            for _ in range(rng.integers(1, 5)):
                kind = int(rng.integers(1, 5))
                cy, cx = rng.uniform(0, h), rng.uniform(0, w)
                r = rng.uniform(0.1, 0.3) * min(h, w)
                if kind == 1:
                    inside = (rows - cy) ** 2 + (cols - cx) ** 2 < r ** 2
                elif kind == 2:
                    inside = (abs(rows - cy) < r) & (abs(cols - cx) < r * rng.uniform(0.5, 1.5))
                elif kind == 3:
                    inside = (rows > cy - r) & (rows < cy + r) & (abs(cols - cx) < (rows - cy + r) / 2)
                else:
                    angle = rng.uniform(0, np.pi)
                    inside = abs((rows - cy) * np.cos(angle) - (cols - cx) * np.sin(angle)) < max(1.0, r / 8)
                mask[inside] = kind
                image[inside] = rng.uniform(0.4, 1.0, 3)
            images.append(np.clip(image + rng.normal(0, 0.02, image.shape), 0, 1).astype("float32"))
            masks.append(mask)
        return Images(images, masks)


@functools.lru_cache(maxsize=None)
def coins_with_mask() -> tuple[np.ndarray, np.ndarray]:
    """scikit-image's ``coins`` photo (303 x 384, grey, float32 in [0, 1]) and its coin mask (int32, 1 = coin),
    made as scikit-image's own segmentation tutorial makes it: markers where the photo is darker than 30 / 255
    (background) or brighter than 150 / 255 (coin), watershed of the Sobel gradient from those markers, holes
    filled, specks under 64 pixels removed. Both read-only."""
    import numpy as np
    import skimage.data
    from scipy import ndimage
    from skimage.filters import sobel
    from skimage.segmentation import watershed

    photo = skimage.data.coins()
    markers = np.zeros(photo.shape, "int32")
    markers[photo < 30] = 1
    markers[photo > 150] = 2
    coins = ndimage.binary_fill_holes(watershed(sobel(photo), markers) == 2)
    labels, count = ndimage.label(coins)
    sizes = ndimage.sum(coins, labels, range(1, count + 1))
    mask = np.isin(labels, 1 + np.flatnonzero(sizes >= 64)).astype("int32")
    image = (photo.astype("float32") / 255.0)[..., None]
    image.setflags(write=False)
    mask.setflags(write=False)
    return image, mask


class Coins(DataSource):
    """A real photo with honest masks: scikit-image's ``coins`` (24 Greek coins on a dark ground), each pixel
    labelled coin (1) or background (0) by :func:`coins_with_mask` (watershed from intensity markers, not by
    hand). Split by region along the empty rows between the four rows of coins, so no coin feeds two splits:
    train the top two rows (151 x 384), validation the third (75 x 384), test the fourth cut in two at an
    empty column (77 x 208 and 77 x 176). Grey; a 3-channel model gets the grey copied to RGB."""

    name = "coins"
    has_masks = True
    #: (rows, columns) of each split's images, cut between coins
    WINDOWS = {"train": (((0, 151), (0, 384)),), "validation": (((151, 226), (0, 384)),),
               "test": (((226, 303), (0, 208)), ((226, 303), (208, 384)))}

    def load(self, split: str, *, size: tuple[int, int], seed: int, **options: Any) -> Images:
        image, mask = coins_with_mask()
        windows = self.WINDOWS[split]
        return Images([image[r0:r1, c0:c1] for (r0, r1), (c0, c1) in windows],
                      [mask[r0:r1, c0:c1] for (r0, r1), (c0, c1) in windows],
                      names=[f"coins-{split}-{i}" for i in range(len(windows))])


class Digits(DataSource):
    """MNIST-like 28x28 digits: scikit-learn's 8x8 digits, resized, with random affine jitter."""

    name = "digits"

    def load(self, split: str, *, size: tuple[int, int], seed: int, **options: Any) -> Images:
        import numpy as np
        from sklearn.datasets import load_digits

        from upspec import resize_images

        loaded = load_digits()
        digits = loaded.images.astype("float32") / 16.0
        order = np.random.default_rng(0).permutation(len(digits))
        part = {"train": order[:1400], "validation": order[1400:1600], "test": order[1600:]}[split]
        big = resize_images(digits[part][..., None], (20, 20), "bicubic").clip(0, 1)
        rng = np.random.default_rng(seed + {"train": 0, "validation": 1, "test": 2}[split])
        canvas = np.zeros((len(part), 28, 28, 1), "float32")
        for i, digit in enumerate(big):
            dy, dx = rng.integers(2, 7, size=2)
            canvas[i, dy:dy + 20, dx:dx + 20] = digit
        return Images(list(canvas), labels=[int(label) for label in loaded.target[part]])


class Mnist(DataSource):
    """The real MNIST through ``keras.datasets.mnist``: it downloads on first use, so offline (and with no
    cached copy) it fails at once with a message naming the offline alternatives."""

    name = "mnist"
    HOST = ("storage.googleapis.com", 443)

    def load(self, split: str, *, size: tuple[int, int], seed: int, **options: Any) -> Images:
        import os
        import socket

        cached = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"
        offline_hint = ("use source 'digits' (MNIST-like 28x28 digits made here, no download) or 'npz' with "
                        "your own copy (options: {path: mnist.npz})")
        if not cached.exists():
            try:
                socket.create_connection(self.HOST, timeout=5).close()
            except OSError as exc:
                raise DataError(f"source 'mnist' downloads MNIST from {self.HOST[0]} and cannot reach it "
                                f"({exc}); {offline_hint}") from None
        import keras

        try:
            (x_train, _), (x_test, _) = keras.datasets.mnist.load_data()
        except Exception as exc:  # noqa: BLE001 - any download failure gets the same advice
            raise DataError(f"source 'mnist' could not download MNIST ({exc}); {offline_hint}") from None
        images = {"train": x_train[:-5000], "validation": x_train[-5000:], "test": x_test}[split]
        return Images(list(images[..., None].astype("float32") / 255.0))


class Arrays(DataSource):
    """A user's ``.npz`` with an array ``x`` (images, N x H x W [x C], floats in [0, 1] or uint8)."""

    name = "npz"

    def load(self, split: str, *, size: tuple[int, int], seed: int, path: str = "", **options: Any) -> Images:
        from upspec import read_npz

        return Images(list(_split(read_npz(path, size), split)))

    def check(self, *, size: tuple[int, int], path: str = "", **options: Any) -> list[str]:
        from upspec import DataError
        from upspec import read_npz

        try:
            read_npz(path, size)
        except DataError as exc:
            return [str(exc)]
        return []


class Folder(DataSource):
    """A user's folder of image files (PNG, JPEG, ...), split by file."""

    name = "images"

    def load(self, split: str, *, size: tuple[int, int], seed: int, path: str = "", **options: Any) -> Images:
        from upspec import image_files
        from upspec import read_image

        files = _split(image_files(path), split)
        return Images([read_image(f, size) for f in files], names=[f.name for f in files])

    def check(self, *, size: tuple[int, int], path: str = "", **options: Any) -> list[str]:
        """Every unreadable or too small file, not only the first."""
        from upspec import DataError
        from upspec import image_files
        from upspec import read_image

        try:
            files = image_files(path)
        except DataError as exc:
            return [str(exc)]
        problems = []
        for file in files:
            try:
                read_image(file, size)
            except DataError as exc:
                problems.append(str(exc))
        return problems


def _split(items: Any, split: str) -> Any:
    """Deterministic 80 / 10 / 10 split by item, each split non-empty."""
    n = len(items)
    test = max(1, n // 10)
    validation = max(1, n // 10)
    bounds = {"train": (0, n - test - validation), "validation": (n - test - validation, n - test), "test": (n - test, n)}
    start, stop = bounds[split]
    return items[start:stop]


@hookimpl
def upspec_datasets() -> list[DataSource]:
    return [Photos(), Shapes(), Coins(), Digits(), Mnist(), Arrays(), Folder()]
