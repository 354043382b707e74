"""The runner's lanes: one per kind of model, all behind one protocol (:class:`.protocol.Lane`).

:func:`lane_for` is the one place that decides a spec's kind; the runner's verbs and ``compare/`` ask it
and never test the kind themselves.
"""

from __future__ import annotations

from typing import Any
from typing import Callable

from ...gan.lane import GanLane
from ...graph.graph import build_graph
from ..data.dataset import TaskData
from ..data.shapes import ModelShapes
from .images import ImageLane
from .protocol import Lane
from .signals_volumes import SignalVolumeLane

#: the ranks of the signals-and-volumes lane (1-D signals, 3-D volumes); every other model is an image model
SIGNAL_VOLUME_RANKS = (1, 3)


def prepare_data(spec: Any, model: Any, data: Any, train: Any, registry: Any) -> TaskData:
    """The data of a supervised ``spec`` cut for ``model`` (a Keras model, or its :class:`ModelShapes`) with
    these data and training settings, by the lane of its rank."""
    shapes = model if isinstance(model, ModelShapes) else ModelShapes.of_model(model)
    lane = SignalVolumeLane() if shapes.rank in SIGNAL_VOLUME_RANKS else ImageLane()
    return lane.prepare(spec, shapes, data, train, registry)


def evaluation_data(spec: Any, registry: Any) -> Any:
    """The spec's test data with a minimal training pool, by its lane (shapes from its checked graph)."""
    return lane_for(spec, registry).evaluation_data(spec, registry)


def _supervised_lane(spec: Any, registry: Any, graph: Any) -> Lane:
    rank = ModelShapes.of_graph(graph if graph is not None else build_graph(spec, registry)).rank
    return SignalVolumeLane() if rank in SIGNAL_VOLUME_RANKS else ImageLane()


#: the lane of each spec kind (``upspec.modelspec.kinds``): a function of (spec, registry, graph or None); a plugin
#: that registers a kind adds its lane here
LANES: dict[str, Callable[[Any, Any, Any], Lane]] = {
    "supervised": _supervised_lane,
    "gan": lambda spec, registry, graph: GanLane(),
}


def lane_for(spec: Any, registry: Any, graph: Any = None) -> Lane:
    """The lane of ``spec``'s kind (chosen when it was loaded): the GAN lane for a GAN, else the supervised
    lane of its model's rank (from the checked ``graph``, built here when not given)."""
    if spec.kind not in LANES:
        raise LookupError(f"no runner lane for spec kind {spec.kind!r}; lanes: {', '.join(LANES)}")
    return LANES[spec.kind](spec, registry, graph)


__all__ = ["GanLane", "ImageLane", "LANES", "Lane", "SignalVolumeLane", "evaluation_data", "lane_for", "prepare_data"]
