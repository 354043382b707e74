"""What a plugin imports: the hook markers, the base classes it subclasses, what they return, the errors and
the helpers, gathered in one module beside :mod:`upspec.hookspecs`.

Plugin authors write ``from upspec import Strategy, hookimpl``: the package root re-exports every name
here (datasette's and pytest's pattern). The markers, the errors and :func:`register_keras_objects` are
cheap and imported at once; the other names live beside pydantic or NumPy code and resolve on first use
through :data:`LAZY`, so ``import upspec``, which every plugin does, imports neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import NotFoundError
from .errors import ParameterError
from .errors import PluginError
from .errors import SpecError
from .errors import UpspecError
from .hookspecs import hookimpl
from .hookspecs import hookspec
from .keras_objects import register_keras_objects
from .lazy import lazy_getattr

if TYPE_CHECKING:
    from .registry.layer_signatures import keras_layer_names
    from .registry.strategy import NonNegativeInt
    from .registry.strategy import PositiveInt
    from .registry.strategy import Strategy
    from .registry.strategy import convolution_class
    from .runner.data.files import image_files
    from .runner.data.files import read_image
    from .runner.data.files import read_npz
    from .runner.data.resize import resize as resize_images
    from .runner.data.sources import DataError
    from .runner.data.sources import DataSource
    from .runner.data.sources import Images
    from .modelspec.kinds import register_kind
    from .modelspec.model import Spec
    from .modelspec.model import SpecKind
    from .modelspec.sections import DataSettings
    from .modelspec.sections import TrainSettings

#: the names resolved on first use: name -> (module, attribute)
LAZY = {
    # strategies
    "Strategy": ("upspec.registry.strategy", "Strategy"),
    "PositiveInt": ("upspec.registry.strategy", "PositiveInt"),  # pydantic's types, without importing pydantic
    "NonNegativeInt": ("upspec.registry.strategy", "NonNegativeInt"),
    "convolution_class": ("upspec.registry.strategy", "convolution_class"),
    "keras_layer_names": ("upspec.registry.layer_signatures", "keras_layer_names"),
    # spec kinds
    "Spec": ("upspec.modelspec.model", "Spec"),
    "SpecKind": ("upspec.modelspec.model", "SpecKind"),
    "register_kind": ("upspec.modelspec.kinds", "register_kind"),
    "TrainSettings": ("upspec.modelspec.sections", "TrainSettings"),
    "DataSettings": ("upspec.modelspec.sections", "DataSettings"),
    # data sources
    "DataSource": ("upspec.runner.data.sources", "DataSource"),
    "Images": ("upspec.runner.data.sources", "Images"),
    "DataError": ("upspec.runner.data.sources", "DataError"),
    "resize_images": ("upspec.runner.data.resize", "resize"),
    "image_files": ("upspec.runner.data.files", "image_files"),
    "read_image": ("upspec.runner.data.files", "read_image"),
    "read_npz": ("upspec.runner.data.files", "read_npz"),
}


__getattr__ = lazy_getattr(__name__, LAZY, globals())


__all__ = [
    "DataError",
    "DataSettings",
    "DataSource",
    "Images",
    "NonNegativeInt",
    "NotFoundError",
    "ParameterError",
    "PluginError",
    "PositiveInt",
    "Spec",
    "SpecError",
    "SpecKind",
    "Strategy",
    "TrainSettings",
    "UpspecError",
    "convolution_class",
    "hookimpl",
    "hookspec",
    "image_files",
    "keras_layer_names",
    "read_image",
    "read_npz",
    "register_keras_objects",
    "register_kind",
    "resize_images",
]
