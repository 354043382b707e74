"""Every Keras layer class, by its class name, for ``layer:`` entries.

Layers that would let a spec run code (``Lambda``) or that wrap other layers
are left out; see ``upspec.keras_layer_names``.
"""

from __future__ import annotations

from upspec import hookimpl
from upspec import keras_layer_names


@hookimpl
def upspec_layers() -> dict[str, str]:
    return {name: f"keras.layers:{name}" for name in keras_layer_names()}
