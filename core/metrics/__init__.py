"""Metrics that upspec's core and its plugins share.

``upspec.metrics.image``: per-image ``psnr`` and ``ssim`` (``keras.ops``, every backend), registered as
``upspec>psnr`` / ``upspec>ssim`` so compiled models that use them reload. ``upspec.metrics.equivariance``:
EQ-T (StyleGAN3's translation equivariance, dB) of any NumPy function; ``upspec.metrics.boundary``: boundary
IoU (Cheng et al. 2021) of label maps; both pure NumPy. Importing this package imports
no Keras; the names here resolve on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from ..lazy import lazy_getattr

if TYPE_CHECKING:
    from .boundary import boundary_iou
    from .equivariance import equivariance_translation
    from .image import psnr
    from .image import ssim

#: the modules that register Keras objects, imported by :mod:`upspec.keras_objects` once Keras is
MODULES = ("upspec.metrics.image",)
#: public name -> module that defines it
_LAZY = {"psnr": "upspec.metrics.image", "ssim": "upspec.metrics.image",
         "equivariance_translation": "upspec.metrics.equivariance", "boundary_iou": "upspec.metrics.boundary"}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


__all__ = ["boundary_iou", "equivariance_translation", "psnr", "ssim"]
