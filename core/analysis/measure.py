"""Checkerboard measurements of a spec's upsample entries, on built Keras models."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np

from upspec.analysis.checkerboard import overlap_ratio
from upspec.analysis.checkerboard import phase_variance
from upspec.graph.graph import build_graph
from upspec.registry.registry import Registry
from upspec.registry.registry import get_registry
from upspec.spec.model import Spec

SEEDS = (0, 1, 2, 3, 4)
CONSTANT = 0.5


@dataclass
class EntryReport:
    """The measurements of one upsample entry."""

    id: str
    strategy: str
    factor: tuple[int, ...]
    cb_init: list[float] = field(default_factory=list)  # one per seed
    cb_trained: float | None = None
    overlap: float | None = None

    def summary(self) -> dict[str, Any]:
        values = np.asarray(self.cb_init)
        return {"entry": self.id, "strategy": self.strategy, "factor": list(self.factor),
                "cb_init_median": float(np.median(values)) if len(values) else None,
                "cb_init_min": float(values.min()) if len(values) else None,
                "cb_init_max": float(values.max()) if len(values) else None,
                "cb_init": [float(v) for v in values], "cb_trained": self.cb_trained, "overlap_ratio": self.overlap}


def upsample_entries(spec: Spec, registry: Registry | None = None) -> list[tuple[Any, tuple[int, ...], tuple]]:
    """``(node, factor, input shape)`` for every upsample entry, in graph order."""
    graph = build_graph(spec, registry or get_registry())
    shapes = {node.id: node.shape for node in graph.nodes.values()}
    found = []
    for node in graph.entries:
        if node.kind != "upsample":
            continue
        source = tuple(shapes[node.inputs[0]])
        factor = node.entry.params["factor"]
        rank = len(source) - 1
        found.append((node, tuple(factor) if isinstance(factor, list) else (factor,) * rank, source))
    return found


def constant_inputs(model: Any, value: float = CONSTANT) -> list[np.ndarray]:
    return [np.full((1, *(d or 32 for d in tensor.shape[1:])), value, "float32") for tensor in model.inputs]


def entry_cb(model: Any, entries: list[tuple[Any, tuple[int, ...], tuple]], value: float = CONSTANT) -> list[float]:
    """CB at each entry's output when the whole model is fed a constant."""
    import keras

    probe = keras.Model(model.inputs, [model.get_layer(node.id).output for node, _, _ in entries])
    outputs = probe(constant_inputs(model, value))
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [phase_variance(np.asarray(out), factor) for out, (_, factor, _) in zip(outputs, entries)]


def cb_at_init(spec: Spec, seeds: tuple[int, ...] = SEEDS, registry: Registry | None = None) -> dict[str, list[float]]:
    """CB per entry for freshly initialised models, one value per seed."""
    import keras

    from upspec.build.builder import build_model

    registry = registry or get_registry()
    entries = upsample_entries(spec, registry)
    values: dict[str, list[float]] = {node.id: [] for node, _, _ in entries}
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        model = build_model(spec, registry=registry, compile=False)
        for (node, _, _), cb in zip(entries, entry_cb(model, entries)):
            values[node.id].append(cb)
    return values


def entry_overlap(strategy: Any, params: dict[str, Any], factor: tuple[int, ...], size: int = 16) -> float:
    """Overlap ratio of one strategy: one channel in and out, every weight one, bias off, input all ones."""
    import keras

    params = {k: v for k, v in params.items() if k not in ("factor", "filters", "activation", "use_bias")}
    x = keras.Input((*(size,) * len(factor), 1))
    model = keras.Model(x, strategy.build(x, factor=factor, filters=1, activation=None, use_bias=False,
                                          name="probe", **params))
    for weight in model.weights:
        weight.assign(np.ones(weight.shape, "float32"))
    return overlap_ratio(np.asarray(model(np.ones((1, *(size,) * len(factor), 1), "float32"))), factor)


def measure(spec: Spec, *, model: Any = None, seeds: tuple[int, ...] = SEEDS,
            registry: Registry | None = None) -> list[EntryReport]:
    """Every measurement for every upsample entry; CB after training too when a trained ``model`` is given."""
    registry = registry or get_registry()
    entries = upsample_entries(spec, registry)
    init = cb_at_init(spec, seeds, registry)
    trained = entry_cb(model, entries) if model is not None else [None] * len(entries)
    reports = []
    for (node, factor, _), cb in zip(entries, trained):
        strategy = registry.strategy(node.entry.upsample)
        reports.append(EntryReport(node.id, node.entry.upsample, factor, init[node.id], cb,
                                   entry_overlap(strategy, node.entry.params, factor)))
    return reports
