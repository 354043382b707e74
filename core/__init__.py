"""upspec: YAML model specs, pluggable upsampling strategies, compiled Keras models.

Importing this package does not import TensorFlow or Keras; only building,
training and loading models do.
"""

from __future__ import annotations

from upspec.build.builder import build_model
from upspec.errors import NotFoundError
from upspec.errors import PluginError
from upspec.errors import SpecError
from upspec.hookspecs import hookimpl
from upspec.hookspecs import hookspec
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
]
