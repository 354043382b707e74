"""The checks of an upsample entry's ``guide:``: what it names (an input or an earlier entry) and its shape (the
entry's output rank and spatial size), each a positioned error at the ``guide:`` key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import available
from .shapes import Inferred
from .shapes import ShapeProblem
from .shapes import fmt

if TYPE_CHECKING:
    from .graph import Node


def guide_reference_problem(node: Node, nodes: dict[str, Node]) -> tuple[str, str] | None:
    """``(message, hint)`` when ``node``'s guide is not an input or an earlier entry (a later one could only be a
    detour or a cycle); None when it is."""
    assert node.guide is not None and node.index is not None
    guide = nodes.get(node.guide)
    if guide is None:
        return (f"{node.label} takes guide {node.guide!r}, which is not defined",
                available([n for n, other in nodes.items() if other.index is None or other.index < node.index],
                          node.guide))
    if guide is node:
        return f"{node.label} names itself as its guide", "a guide is an earlier entry or an input"
    if guide.index is not None and guide.index > node.index:
        return (f"{node.label} takes guide {node.guide!r}, which comes later ({guide.label}, layers[{guide.index}])",
                "a guide is an input or an earlier entry: an encoder skip, the input image")
    return None


def check_guide_shape(node: Node, guide: Node, parent: Node, inferred: Inferred) -> None:
    """The guide has the entry's output rank and spatial size (its channels are the strategy's business)."""
    out, shape = inferred.shape, guide.shape
    if out is None or shape is None:
        return
    who = "input" if guide.entry is None else "entry"
    if len(shape) != len(out):
        raise ShapeProblem(f"its guide, {who} {guide.id!r}, has shape {fmt(shape)} ({len(shape) - 1}-D) but the "
                           f"output {fmt(out)} is {len(out) - 1}-D; a guide has the output's rank", "guide",
                           "guide an entry with the output's rank and spatial size")
    if any(g is not None and o is not None and g != o for g, o in zip(shape[:-1], out[:-1])):
        size = lambda s: " x ".join("?" if d is None else str(d) for d in s[:-1])  # noqa: E731
        raise ShapeProblem(f"its guide, {who} {guide.id!r}, is {size(shape)} (shape {fmt(shape)}) but the output "
                           f"is {size(out)} (input {fmt(parent.shape)} upsampled to {fmt(out)}); a guide has the "
                           "entry's output size", "guide",
                           "guide the entry at the output's resolution (the encoder skip of the same level), "
                           "or resize it first" + ("; " + "; ".join(inferred.notes) if inferred.notes else ""))
