"""Resizing image arrays with ``keras.ops``, so the runner's data work on every Keras backend."""

from __future__ import annotations

from typing import Any
from typing import Sequence

import numpy as np


def resize(images: np.ndarray, size: Sequence[int], method: str = "bilinear") -> np.ndarray:
    """``(N, H, W, C)`` or ``(H, W, C)`` float arrays resized to ``size`` (no antialiasing: ``tf.image.resize``'s
    default, which the TensorFlow backend calls), as float32 NumPy."""
    import keras

    resized: Any = keras.ops.image.resize(np.asarray(images, "float32"), tuple(int(s) for s in size),
                                          interpolation=method, antialias=False)
    return np.asarray(keras.ops.convert_to_numpy(resized), dtype="float32")
