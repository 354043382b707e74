"""Bringing your own Keras model: strategies in Keras code, Keras models into specs, swapping upsampling.

- :func:`upspec.upsample` (``upsample.py``): one strategy's layers on a Keras tensor, validated as a spec entry is;
- :func:`upspec.spec_from_model` (``from_keras.py``): a functional or ``Sequential`` model as a spec;
- :func:`upspec.swap` (``swap.py``): another strategy in place of a model's upsampling, the other weights kept.

Importing this package imports no Keras; the functions do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from ..lazy import lazy_getattr

if TYPE_CHECKING:
    from .from_keras import ImportedModel
    from .from_keras import UnsupportedModelError
    from .from_keras import spec_from_model
    from .swap import SwapResult
    from .swap import swap
    from .upsample import upsample

_LAZY = {
    "upsample": "upspec.interop.upsample",
    "spec_from_model": "upspec.interop.from_keras",
    "ImportedModel": "upspec.interop.from_keras",
    "UnsupportedModelError": "upspec.interop.from_keras",
    "swap": "upspec.interop.swap",
    "SwapResult": "upspec.interop.swap",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


__all__ = ["ImportedModel", "SwapResult", "UnsupportedModelError", "spec_from_model", "swap", "upsample"]
