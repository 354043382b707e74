"""Registering every plugin's custom Keras objects, so plain ``keras.saving.load_model`` works.

``import upspec`` must stay cheap (no Keras, no TensorFlow), yet a user who
writes ``import upspec; import keras; keras.saving.load_model(path)`` expects
upspec's layers, initialisers and metrics to be known. So:

- if Keras is already imported when upspec is, the objects are registered at once;
- otherwise a one-shot import hook waits for ``keras`` to be imported and
  registers them right after Keras has finished importing.

What gets registered: upspec's own layers and metrics (the modules of
:mod:`upspec.layers` and :mod:`upspec.metrics`), the modules every strategy
names in ``Strategy.keras_objects``, every ``upspec_layers()`` class, and every
``upspec_metrics()`` function or class (those modules decorate their objects
with ``@keras.saving.register_keras_serializable``). A plugin that fails to
import is skipped: it must not stop loading models that do not use it.
:func:`register_keras_objects` can also be called explicitly, any time.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import TYPE_CHECKING
from typing import Any

from .layers import MODULES as LAYER_MODULES
from .metrics import MODULES as METRIC_MODULES

if TYPE_CHECKING:
    from .registry.registry import Registry

_KERAS = "keras"
_registering = False
_done_for: object | None = None


def register_keras_objects(registry: Registry | None = None) -> None:
    """Import every module that registers a plugin's Keras objects (idempotent per registry)."""
    global _registering, _done_for
    if _registering:
        return
    from .registry.layer_signatures import resolve
    from .registry.registry import get_registry

    _registering = True
    try:
        registry = registry or get_registry()
        if _done_for is registry:
            return
        for module in (*LAYER_MODULES, *METRIC_MODULES):
            _quietly(importlib.import_module, module)
        for provided in registry.strategies.values():
            for module in getattr(provided.value, "keras_objects", ()) or ():
                _quietly(importlib.import_module, module)
        for provided in registry.layers.values():
            target = provided.value
            if not (isinstance(target, str) and target.startswith("keras.layers:")):
                _quietly(resolve, target)
        registry.call("upspec_metrics")  # the hooks import (and so register) their metric functions
        _done_for = registry
    finally:
        _registering = False


def _quietly(function: Any, *args: Any) -> None:
    try:
        function(*args)
    except Exception:  # a broken plugin must not stop loading models that do not use it
        pass


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the real loader of ``keras`` so registration runs after it."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != _KERAS:
            return None
        _remove_hook()
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_register(module: Any) -> None:
            exec_module(module)
            _quietly(register_keras_objects)

        spec.loader.exec_module = exec_then_register  # type: ignore[method-assign]
        return spec


def _remove_hook() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _AfterKerasImport)]


def install() -> None:
    """Register now if Keras is loaded, else once it is (called by ``import upspec``)."""
    keras = sys.modules.get(_KERAS)
    if keras is not None and hasattr(keras, "saving"):
        _quietly(register_keras_objects)
    elif not any(isinstance(finder, _AfterKerasImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())
