"""The shapes the data side needs from a model: its input and output, batch axis left out.

They come from the checked graph's static shapes (:meth:`ModelShapes.of_graph`), so the data is cut, and
checked against the model, before (or without) any Keras model is built; a saved model gives them too
(:meth:`ModelShapes.of_model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelShapes:
    """A single-input, single-output model's input ``x`` and output ``y`` shapes, without the batch axis."""

    x: tuple[Any, ...]
    y: tuple[Any, ...]

    @property
    def rank(self) -> int:
        """The number of spatial axes: 1 for signals, 2 for images, 3 for volumes."""
        return len(self.x) - 1

    @classmethod
    def of_graph(cls, graph: Any) -> ModelShapes:
        """The static shapes of a checked graph's input and output."""
        inputs = [(None, *node.shape) for node in graph.inputs]
        outputs = [(None, *graph.nodes[name].shape) for name in graph.outputs]
        return cls(_unbatched(inputs), _unbatched(outputs))

    @classmethod
    def of_model(cls, model: Any) -> ModelShapes:
        """The shapes of a built or loaded Keras model."""
        return cls(tuple(model.input_shape[1:]), tuple(model.output_shape[1:]))


def _unbatched(shapes: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """One tensor's shape without its batch axis; several tensors' as Keras's ``input_shape[1:]`` reads them
    (a shape no task takes, so the tasks refuse such a model with their message)."""
    return tuple(shapes[0][1:]) if len(shapes) == 1 else tuple(shapes[1:])


def ranks_of(source: Any) -> str:
    """The ranks a data source declares, for messages: ``"1-D and 3-D"``."""
    return " and ".join(f"{r}-D" for r in getattr(source, "ranks", (2,)))
