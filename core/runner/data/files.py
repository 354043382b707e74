"""Reading a user's data files (``npz`` arrays, a folder of images) without trusting them.

Nothing here unpickles (``allow_pickle=False``), and every way a file can fail
to feed a model is a :class:`DataError` naming the file and what is wrong:
not an archive, no array ``x``, Python objects, strings, the wrong rank, no
images, non-finite values, unreadable or truncated images, images smaller than
the patch the model needs. The runner turns it into a spec error at ``data:``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np

from .sources import DataError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
#: an image needs width x height x channels values; this keeps a forged header from allocating gigabytes
MAX_IMAGE_PIXELS = 64_000_000


def _exists(path: str, what: str) -> Path:
    if not path:
        raise DataError(f"{what} needs 'path:' in data.options")
    found = Path(path).expanduser()
    if not found.exists():
        raise DataError(f"{path}: no such file or folder")
    return found


def check_size(images: Sequence[np.ndarray], names: Sequence[str], size: Sequence[int] | None, where: str) -> None:
    """Every image at least ``size`` (height, width): smaller ones would be blown up, not learned from."""
    if not size:
        return
    for image, name in zip(images, names):
        if image.shape[0] < size[0] or image.shape[1] < size[1]:
            raise DataError(f"{where}: {name} is {image.shape[0]}x{image.shape[1]}, smaller than the "
                            f"{size[0]}x{size[1]} patches the model needs (give larger images or a smaller input)")


def read_npz(path: str, size: Sequence[int] | None = None) -> np.ndarray:
    """The images of array ``x``: float32 in [0, 1], shaped (N, H, W, C)."""
    file = _exists(path, "data source 'npz'")
    if file.is_dir():
        raise DataError(f"{path} is a folder; source 'npz' reads one .npz file (use source 'images' for a folder)")
    if not zipfile.is_zipfile(file):
        raise DataError(f"{path} is not an .npz archive (numpy.savez writes one); its first bytes are "
                        f"{file.open('rb').read(8)!r}")
    try:
        with np.load(file, allow_pickle=False) as arrays:
            if "x" not in arrays.files:
                raise DataError(f"{path} has no array 'x' (it has: {', '.join(arrays.files) or 'nothing'})")
            x = arrays["x"]
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(f"{path}: array 'x' holds Python objects (pickled data), which upspec never loads; "
                            "save plain numeric arrays") from None
        raise DataError(f"{path}: cannot read array 'x': {exc}") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path}: cannot read the archive: {exc}") from None
    if x.dtype.kind not in "uif":
        raise DataError(f"{path}: array 'x' has dtype {x.dtype}; images must be numbers (uint8 0-255 or floats 0-1)")
    if x.ndim not in (3, 4):
        raise DataError(f"{path}: array 'x' has shape {x.shape}; images are N x H x W or N x H x W x C")
    if x.ndim == 4 and x.shape[-1] not in (1, 3, 4):
        raise DataError(f"{path}: array 'x' has {x.shape[-1]} channels; upspec reads 1 (grey), 3 (RGB) or 4 (RGBA)")
    if len(x) < 3:
        raise DataError(f"{path}: array 'x' has {len(x)} image(s); at least 3 are needed (train, validation, test)")
    if 0 in x.shape:
        raise DataError(f"{path}: array 'x' has shape {x.shape}, which holds no pixels")
    x = x.astype("float32") / 255.0 if x.dtype == np.uint8 else x.astype("float32")
    if not np.isfinite(x).all():
        raise DataError(f"{path}: array 'x' contains NaN or infinite values")
    if x.min() < 0 or x.max() > 1:
        raise DataError(f"{path}: array 'x' has values from {x.min():g} to {x.max():g}; floats must be in [0, 1] "
                        "(or store uint8 0-255)")
    if x.ndim == 3:
        x = x[..., None]
    check_size([x[0]], ["each image"], size, path)
    return x


def image_files(path: str) -> list[Path]:
    folder = _exists(path, "data source 'images'")
    if not folder.is_dir():
        raise DataError(f"{path} is not a folder; source 'images' reads the image files in a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if len(files) < 3:
        raise DataError(f"data source 'images' needs a folder with at least 3 image files "
                        f"({', '.join(sorted(IMAGE_SUFFIXES))}); {path} has {len(files)}")
    return files


def read_image(file: Path, size: Sequence[int] | None = None) -> np.ndarray:
    """One image as float32 RGB in [0, 1]; a broken or too-small file is a DataError naming it."""
    from PIL import Image

    try:
        with Image.open(file) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise DataError(f"{file}: {image.width}x{image.height} pixels is more than upspec reads "
                                f"({MAX_IMAGE_PIXELS:,})")
            pixels = np.asarray(image.convert("RGB"), "float32") / 255.0
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - PIL raises many kinds for broken files
        raise DataError(f"{file}: not a readable image ({type(exc).__name__}: {exc})") from None
    check_size([pixels], [file.name], size, str(file.parent))
    return pixels
