"""Keras layers that upspec's core and its plugins share: one layer (or family) per module.

``upspec.layers.transpose`` (``ConvTranspose``), ``upspec.layers.pixel_shuffle`` (``PixelShuffle``,
``ICNR``, ``HoldBlur``), ``upspec.layers.dysample`` (``DySample``), ``upspec.layers.interpolation``
(``Interpolate``), ``upspec.layers.alias_free`` (``AliasFreeUpsample``), ``upspec.layers.bilateral``
(``JointBilateralUpsample``), ``upspec.layers.fade_sapa`` (``FadeUpsample``, ``SapaUpsample``) and
``upspec.interop.layer`` (``Upsample``: any registered strategy as one layer, above the registry, named here). Every class is
``@keras.saving.register_keras_serializable(package="upspec")``, so a saved model names it ``upspec>ClassName``
whichever module holds it.

Importing this package imports no Keras: the modules do, and the names here resolve on first use
(``upspec.layers.PixelShuffle``), so ``import upspec`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from ..lazy import lazy_getattr

if TYPE_CHECKING:
    from .alias_free import AliasFreeUpsample
    from .bilateral import JointBilateralUpsample
    from .fade_sapa import FadeUpsample
    from .fade_sapa import SapaUpsample
    from .dysample import DySample
    from .interpolation import Interpolate
    from .pixel_shuffle import ICNR
    from .pixel_shuffle import HoldBlur
    from .pixel_shuffle import PixelShuffle
    from .transpose import ConvTranspose
    from ..interop.layer import Upsample

#: the modules that register Keras objects, imported by :mod:`upspec.keras_objects` once Keras is
MODULES = (
    "upspec.layers.transpose",
    "upspec.layers.pixel_shuffle",
    "upspec.layers.dysample",
    "upspec.layers.interpolation",
    "upspec.interop.layer",
    "upspec.layers.alias_free",
    "upspec.layers.bilateral",
    "upspec.layers.fade_sapa",
)
#: public name -> module that defines it
_LAZY = {
    "ConvTranspose": "upspec.layers.transpose",
    "PixelShuffle": "upspec.layers.pixel_shuffle",
    "ICNR": "upspec.layers.pixel_shuffle",
    "HoldBlur": "upspec.layers.pixel_shuffle",
    "DySample": "upspec.layers.dysample",
    "Interpolate": "upspec.layers.interpolation",
    "Upsample": "upspec.interop.layer",
    "AliasFreeUpsample": "upspec.layers.alias_free",
    "JointBilateralUpsample": "upspec.layers.bilateral",
    "FadeUpsample": "upspec.layers.fade_sapa",
    "SapaUpsample": "upspec.layers.fade_sapa",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


__all__ = ["AliasFreeUpsample", "ConvTranspose", "DySample", "FadeUpsample", "HoldBlur", "ICNR", "Interpolate",
           "JointBilateralUpsample", "PixelShuffle", "SapaUpsample", "Upsample"]
