"""A copy of a one-input model whose spatial dimensions are free: what predict runs on whole images of any
size and what every export format writes when the graph allows it."""

from __future__ import annotations

from typing import Any


def size_agnostic(model: Any) -> Any | None:
    """A copy of a one-input model (same weights) whose spatial dimensions are free (``model`` itself when they
    already are), or None when its graph does not allow it (checked on an input twice the model's size: the
    output must be twice as large)."""
    import keras
    import numpy as np

    shape, out_shape = list(model.input_shape), list(model.output_shape)
    if len(shape) < 3 or not isinstance(model.output_shape, tuple) or len(out_shape) != len(shape):
        return None
    if all(d is None for d in shape[1:-1]):
        return model
    try:
        config = model.get_config()
        for layer in config["layers"]:
            if layer["class_name"] == "InputLayer":
                batch_shape = list(layer["config"]["batch_shape"])
                layer["config"]["batch_shape"] = [batch_shape[0], *[None] * (len(batch_shape) - 2), batch_shape[-1]]
        copy = keras.Model.from_config(config)
        copy.set_weights(model.get_weights())
        probe = np.zeros((1, *[2 * d for d in shape[1:-1]], shape[-1]), "float32")
        out = np.asarray(copy(probe, training=False))
    except Exception:  # noqa: BLE001 - any failure means: keep the fixed size (predict then tiles)
        return None
    return copy if list(out.shape[1:-1]) == [2 * d for d in out_shape[1:-1]] else None
