"""The constructor parameters of layer classes, without importing Keras.

Validating ``layer: Conv2D`` arguments needs the class's ``__init__``
signature, and importing Keras costs seconds. The signatures of Keras's own
layers are therefore stored in ``keras_layers.json``, generated from the
installed Keras (``python -m upspec.registry.layer_signatures``). When the
installed Keras is another version than the table's, its layer modules are
parsed without importing them (``keras_source.py``, cached per version),
and only a class the parser cannot follow is inspected live.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("keras_layers.json")
REQUIRED = "<required>"

#: arguments every Keras layer accepts through ``Layer.__init__``
BASE_PARAMETERS = {"trainable": True, "dtype": None, "autocast": True, "activity_regularizer": None}

#: layers a spec may not use: they run arbitrary code, wrap other layers or
#: are not standalone layers
FORBIDDEN_LAYERS = frozenset({
    "Lambda", "Layer", "InputLayer", "Wrapper", "TFSMLayer", "TorchModuleWrapper",
    "JaxLayer", "FlaxLayer", "Bidirectional", "TimeDistributed", "RNN", "StackedRNNCells",
    "Pipeline", "SpectralNormalization", "GRUCell", "LSTMCell", "SimpleRNNCell",
})


@dataclass(frozen=True)
class LayerSignature:
    name: str
    parameters: dict[str, Any]  # name -> default, or REQUIRED

    @property
    def required(self) -> list[str]:
        return [n for n, d in self.parameters.items() if d == REQUIRED]

    def default(self, parameter: str) -> Any:
        value = self.parameters.get(parameter)
        return None if value == REQUIRED else value


def _jsonable(value: Any) -> Any:
    if value is inspect.Parameter.empty:
        return REQUIRED
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def signature_of(cls: type) -> LayerSignature:
    """Inspect a layer class's constructor."""
    params: dict[str, Any] = {}
    for p in inspect.signature(getattr(cls, "__init__")).parameters.values():
        if p.name in ("self", "name") or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        params[p.name] = _jsonable(p.default)
    for base_name, default in BASE_PARAMETERS.items():
        params.setdefault(base_name, default)
    return LayerSignature(cls.__name__, params)


def keras_layer_names_live() -> list[str]:
    import keras

    names = []
    for name in dir(keras.layers):
        obj = getattr(keras.layers, name)
        if isinstance(obj, type) and issubclass(obj, keras.layers.Layer) and name not in FORBIDDEN_LAYERS:
            names.append(name)
    return sorted(names)


def generate_table() -> dict[str, Any]:
    import keras

    layers = {name: signature_of(getattr(keras.layers, name)).parameters for name in keras_layer_names_live()}
    return {"keras_version": keras.__version__, "layers": layers}


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, Any] | None:
    import importlib.metadata  # here, not at start-up: --version and --help never need it

    try:
        installed = importlib.metadata.version("keras")
        table = json.loads(TABLE.read_text())
    except (importlib.metadata.PackageNotFoundError, OSError, ValueError):
        return None
    if table.get("keras_version") == installed:
        return table
    from .keras_source import cached_table  # another Keras: its source, parsed once, no import

    return cached_table(installed)


def keras_layer_names() -> list[str]:
    """The names of the ``keras.layers`` classes a spec may use (``FORBIDDEN_LAYERS`` left out), sorted.

    Read from the stored table when it matches the installed Keras, so listing them does not import Keras.
    """
    table = _table()
    return sorted(table["layers"]) if table else keras_layer_names_live()


@functools.lru_cache(maxsize=None)
def keras_layer_signature(name: str) -> LayerSignature:
    table = _table()
    if table and name in table["layers"]:
        return LayerSignature(name, table["layers"][name])
    import keras

    return signature_of(getattr(keras.layers, name))


def resolve(target: Any) -> type:
    """A layer class from a class or a ``"module:Class"`` path."""
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)
    return target


def main() -> None:
    TABLE.write_text(json.dumps(generate_table(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {TABLE}")


if __name__ == "__main__":
    main()
