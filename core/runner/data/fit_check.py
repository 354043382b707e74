"""What ``upspec validate`` checks of a spec's data without training: whether the task can compare the model's
output with its data (reported at the output entry's ``filters:``, the line that must change) and the data
source's own check of its files (every unreadable or too small image at once, at ``path:``)."""

from __future__ import annotations

from typing import Any

from ...errors import Diagnostic
from ...errors import NotFoundError
from ...errors import SpecError
from .shapes import ModelShapes
from .sources import DataError
from .sources import sources


def output_entry_diagnostic(spec: Any, output: str, message: str, hint: str = "") -> Diagnostic:
    """``message`` at the ``filters:`` of the entry that makes the model's output ``output`` (or at the entry)."""
    for index, entry in enumerate(spec.layers):
        if entry.id == output or (entry.id is None and index == len(spec.layers) - 1 and output not in
                                  {e.id for e in spec.layers}):
            document = spec.document
            written = document.data["layers"][index] if document is not None else {}
            path: tuple = ("layers", index, "filters") if isinstance(written, dict) and "filters" in written \
                else ("layers", index)
            return spec.diagnostic(path, message, hint)
    return spec.diagnostic(("layers",), message, hint)


def _output_name(graph: Any) -> str:
    return graph.outputs[0] if graph.outputs else ""


def task_fit_diagnostics(spec: Any, graph: Any) -> list[Diagnostic]:
    """The task's check of a 2-D model's input and output shapes, at the output entry."""
    from .images import task_shapes

    shapes = ModelShapes.of_graph(graph)
    try:
        task_shapes(spec.data.task, shapes.x, shapes.y)
    except DataError as exc:
        channels = isinstance(shapes.y, tuple) and shapes.y and isinstance(shapes.y[-1], int)
        hint = (f"set the output entry's filters to {shapes.x[-1]}, the input's channels"
                if channels and "channel" in str(exc) else "")
        return [output_entry_diagnostic(spec, _output_name(graph), f"the data cannot feed this model: {exc}", hint)]
    except NotFoundError:
        return []  # an unknown task: reported at data.task when the spec is loaded
    return []


def data_fit_diagnostics(spec: Any, graph: Any, registry: Any) -> list[Diagnostic]:
    """Every problem of a supervised 2-D spec's data that shows without training; ``[]`` for other kinds."""
    if spec.kind != "supervised" or ModelShapes.of_graph(graph).rank != 2 or spec.data.task == "generation":
        return []
    found = task_fit_diagnostics(spec, graph)
    source = sources(registry).get(spec.data.source)
    if source is None:
        return found
    shapes = ModelShapes.of_graph(graph)
    size = tuple(shapes.y[:2]) if len(shapes.y) == 3 and None not in shapes.y[:2] else (0, 0)
    options = spec.data.options
    document = spec.document
    written = document.data.get("data", {}).get("options", {}) if document is not None else {}
    where: tuple = ("data", "options", "path") if isinstance(written, dict) and "path" in written else ("data",)
    for problem in source.check(size=size, **options):
        found.append(spec.diagnostic(where, f"the data cannot feed this model: {problem}",
                                     "see `upspec help data` for data sources, tasks and paths"))
    return found


def raise_task_misfit(spec: Any, graph: Any) -> None:
    """The runner's check before it loads any data: the same error as ``validate``'s, at the same line."""
    found = task_fit_diagnostics(spec, graph)
    if found:
        raise SpecError(found)
