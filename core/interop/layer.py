"""``Upsample``: any registered strategy as one Keras layer, for ``Sequential`` and subclassed models.

The layer builds the strategy's own layers inside itself (a small functional model, built on the first
input shape, with the same layers the spec path builds), so its weights, summary and saved form are those
of the strategy. ``get_config`` holds the strategy's name and parameters; ``keras.saving.load_model``
rebuilds it after ``import upspec``.
"""

from __future__ import annotations

from typing import Any

import keras


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _is_pair(shape: Any) -> bool:
    """Whether ``shape`` is the shapes of ``[x, guide]`` rather than one tensor's shape."""
    return isinstance(shape, (list, tuple)) and len(shape) == 2 and all(isinstance(s, (list, tuple)) for s in shape)


@keras.saving.register_keras_serializable(package="upspec")
class Upsample(keras.layers.Layer):
    """Upsample with a registered strategy: ``Upsample(strategy="bilinear", factor=2, filters=32)``.

    ``strategy`` is a strategy's name (built-in or a plugin's); the other keyword arguments are its
    parameters, validated at once as a spec entry's are (:class:`upspec.SpecError` naming the parameter).
    Layer arguments (``name``, ``trainable``, ``dtype``) are Keras's. The strategy's layers are named after
    this layer (``name``, ``name_...``), as a spec entry's are after its id. A guided strategy (``fade``,
    ``sapa``, ``jbu``) is called on ``[x, guide]``; an optional guide may be left out (call it on ``x``).
    """

    def __init__(self, strategy: str = "nearest", name: str | None = None, **kwargs: Any) -> None:
        layer_kwargs = {k: kwargs.pop(k) for k in ("trainable", "dtype", "autocast") if k in kwargs}
        super().__init__(name=name, **layer_kwargs)
        from .upsample import find_strategy
        from .upsample import validate_params
        from ..registry.registry import get_registry

        registry = get_registry()
        where = f"upspec.layers.Upsample(strategy={strategy!r})"
        found = find_strategy(strategy, registry, where)
        self.strategy = found.name
        self.params = _jsonable(dict(kwargs))
        self._validated = validate_params(found, dict(kwargs), registry, where)
        self.inner: keras.Model | None = None

    def build(self, input_shape: Any) -> None:
        from .upsample import build_strategy
        from ..registry.registry import get_registry

        registry = get_registry()
        where = f"upspec.layers.Upsample(strategy={self.strategy!r}, name={self.name!r})"
        guided = _is_pair(input_shape)
        x_shape = input_shape[0] if guided else input_shape
        x = keras.Input(shape=tuple(x_shape[1:]), name=f"{self.name}_input")
        guide = keras.Input(shape=tuple(input_shape[1][1:]), name=f"{self.name}_guide") if guided else None
        y = build_strategy(x, registry.strategy(self.strategy), self._validated, name=self.name, where=where,
                           registry=registry, guide=guide)
        self.inner = keras.Model([x, guide] if guided else x, y, name=f"{self.name}_layers")

    def call(self, inputs: Any, training: Any = None) -> Any:
        assert self.inner is not None
        return self.inner(inputs, training=training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if _is_pair(input_shape):
            input_shape = input_shape[0]
        factor = self._validated["factor"]
        rank = len(input_shape) - 2
        factors = tuple(factor) if isinstance(factor, (list, tuple)) else (factor,) * rank
        filters = self._validated.get("filters", input_shape[-1])
        spatial = [None if s is None else s * f for s, f in zip(input_shape[1:-1], factors)]
        return (input_shape[0], *spatial, input_shape[-1] if filters is None else filters)

    @property
    def layers(self) -> list[Any]:
        """The strategy's layers (after the first call)."""
        return [] if self.inner is None else list(self.inner.layers[1:])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "strategy": self.strategy, **self.params}
