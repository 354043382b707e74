"""Checkerboard measurements of a spec's upsample entries, on built Keras models."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np

from .checkerboard import overlap_ratio
from .checkerboard import phase_variance
from ..graph.graph import build_graph
from ..graph.shapes import per_axis
from ..registry.registry import Registry
from ..registry.registry import get_registry
from ..modelspec.model import Spec

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
        if node.entry is None or node.kind != "upsample":
            continue
        source = tuple(shapes[node.inputs[0]] or ())
        found.append((node, per_axis(node.entry.params["factor"], len(source) - 1, "factor"), source))
    return found


def entry_model(node: Any, factor: tuple[int, ...], source: tuple, registry: Registry, trained: Any = None) -> Any:
    """The entry on its own: its strategy built on an input of the entry's input shape, with the trained
    model's weights copied in by layer name when ``trained`` is given (fresh initialisation otherwise).
    Measuring the entry alone keeps the border effects of the layers before it out of the numbers."""
    import keras

    params = {**node.entry.params, "factor": factor}
    x = keras.Input(tuple(d or 32 for d in source))
    model = keras.Model(x, registry.strategy(node.entry.upsample).build(x, name=node.id, **params))
    if trained is not None:
        for layer in model.layers[1:]:
            layer.set_weights(trained.get_layer(layer.name).get_weights())
    return model


def constant_response(model: Any, value: float = CONSTANT) -> np.ndarray:
    """The output for a constant input, batch of one."""
    return np.asarray(model(np.full((1, *model.input_shape[1:]), value, "float32")))


def entry_cb(model: Any, entries: list[tuple[Any, tuple[int, ...], tuple]], registry: Registry | None = None,
             value: float = CONSTANT) -> list[float]:
    """CB of each entry of a trained ``model``, fed a constant on its own."""
    registry = registry or get_registry()
    return [phase_variance(constant_response(entry_model(node, factor, source, registry, model), value), factor)
            for node, factor, source in entries]


def initial_response(node: Any, factor: tuple[int, ...], source: tuple, registry: Registry, seed: int) -> np.ndarray:
    """The entry's output for a constant input, freshly initialised with ``seed``."""
    import keras

    keras.utils.set_random_seed(seed)
    return constant_response(entry_model(node, factor, source, registry))


def initial_responses(node: Any, factor: tuple[int, ...], source: tuple, registry: Registry,
                      seeds: tuple[int, ...], value: float = CONSTANT) -> list[np.ndarray]:
    """:func:`initial_response` for every seed at once: one model with one copy of the entry per seed, each
    built right after seeding (so initialised exactly as on its own), fed the constant in one call."""
    import keras

    params = {**node.entry.params, "factor": factor}
    unique = list(dict.fromkeys(seeds))
    try:
        x = keras.Input(tuple(d or 32 for d in source))
        outputs = []
        for seed in unique:
            keras.utils.set_random_seed(seed)
            outputs.append(registry.strategy(node.entry.upsample).build(x, name=f"{node.id}_seed{seed}", **params))
        model = keras.Model(x, outputs)
        responses = model(np.full((1, *model.input_shape[1:]), value, "float32"))
        found = [np.asarray(r) for r in (responses if isinstance(responses, (list, tuple)) else [responses])]
    except ValueError:  # a strategy whose layer names ignore ``name`` clashes with itself: one model per seed
        found = [initial_response(node, factor, source, registry, seed) for seed in unique]
    by_seed = dict(zip(unique, found))
    return [by_seed[seed] for seed in seeds]


def cb_at_init(spec: Spec, seeds: tuple[int, ...] = SEEDS, registry: Registry | None = None) -> dict[str, list[float]]:
    """CB per entry for fresh initialisations, one value per seed."""
    registry = registry or get_registry()
    return {node.id: [phase_variance(response, factor)
                      for response in initial_responses(node, factor, source, registry, tuple(seeds))]
            for node, factor, source in upsample_entries(spec, registry)}


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
    trained = entry_cb(model, entries, registry) if model is not None else [None] * len(entries)
    reports = []
    for (node, factor, _), cb in zip(entries, trained):
        strategy = registry.strategy(node.entry.upsample)
        reports.append(EntryReport(node.id, node.entry.upsample, factor, init[node.id], cb,
                                   entry_overlap(strategy, node.entry.params, factor)))
    return reports
