"""upspec: YAML model specs, pluggable upsampling strategies, compiled Keras models.

Importing this package does not import TensorFlow or Keras; only building,
training and loading models do. It does make every plugin's custom Keras
objects known to Keras as soon as Keras is imported (see
:mod:`upspec.keras_objects`), so ``keras.saving.load_model`` reads any model
upspec saved.
"""

from __future__ import annotations

from upspec.build.builder import build_model
from upspec.errors import NotFoundError
from upspec.errors import PluginError
from upspec.errors import SpecError
from upspec.hookspecs import hookimpl
from upspec.hookspecs import hookspec
from upspec.keras_objects import install as _install_keras_objects
from upspec.keras_objects import register_keras_objects
from upspec.registry.strategy import Strategy
from upspec.spec.load import load_spec
from upspec.version import __version__

__all__ = [
    "NotFoundError",
    "PluginError",
    "SpecError",
    "Strategy",
    "__version__",
    "build_model",
    "hookimpl",
    "hookspec",
    "load_spec",
    "register_keras_objects",
]

_install_keras_objects()
