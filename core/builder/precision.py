"""Keras dtype policies for ``train.precision``: mixed float16 / bfloat16, with float32 outputs."""

from __future__ import annotations

import contextlib
from typing import Iterator

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@contextlib.contextmanager
def dtype_policy(name: str | None) -> Iterator[None]:
    """Build layers under the Keras dtype policy ``name`` (None: leave the current one), then restore it."""
    if name is None:
        yield
        return
    import keras

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def is_mixed() -> bool:
    """Whether layers built now compute in a 16-bit type (the current Keras policy is mixed)."""
    import keras

    return keras.config.dtype_policy().name.startswith("mixed")
