"""A finished supervised run's costs and checkerboard numbers, for a sweep's row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from typing import Callable

from ...analysis import cost
from ...analysis.measure import cb_at_init
from ...analysis.measure import entry_cb
from ...analysis.measure import eqt_measurements
from ...analysis.measure import upsample_entries
from ...builder.builder import build_model
from ...graph.graph import build_graph
from ..data.shapes import ModelShapes
from ..training.timing import read_timing

CB_SEEDS = (0, 1, 2)

_EVALUATION_DATA: dict[str, Any] = {}


def measure_supervised(trained: Any, spec: Any, run_dir: Path, registry: Any,
                       evaluation_data: Callable[[Any, Any], Any]) -> dict[str, Any]:
    """The costs, CB and EQ-T of a finished run (``trained``: its model); the step and inference times the run
    recorded while training and evaluating (``timing.json``), measured here only for a run without."""
    timing = read_timing(run_dir)
    if {"train_step_ms", "inference_ms"} <= timing.keys():
        return {**_measure(trained, spec, registry), "train_step_ms": timing["train_step_ms"],
                "inference_ms": timing["inference_ms"]}
    x, y = evaluation_data_for(spec, registry, evaluation_data).test
    return _measure(trained, spec, registry, x, y)


def evaluation_data_for(spec: Any, registry: Any, evaluation_data: Callable[[Any, Any], Any]) -> Any:
    """``evaluation_data(spec, registry)`` cut once per process for each data section and seed: every
    strategy of a sweep is measured on the same test patches (the strategies share their graph's shapes)."""
    shapes = ModelShapes.of_graph(build_graph(spec, registry))
    key = json.dumps([spec.data.model_dump(exclude_unset=True), spec.train.seed, str(shapes)], sort_keys=True, default=str)
    if key not in _EVALUATION_DATA:
        _EVALUATION_DATA.clear()  # one at a time: a sweep has one spec
        _EVALUATION_DATA[key] = evaluation_data(spec, registry)
    return _EVALUATION_DATA[key]


def _measure(trained: Any, spec: Any, registry: Any, dataset_x: Any = None, dataset_y: Any = None) -> dict[str, Any]:
    """Parameters, MACs, CB and EQ-T (2-D entries, at init and trained); with test data, the step and inference times too (a fresh model trained on
    one batch: for runs that did not record them)."""
    import numpy as np

    entries = upsample_entries(spec, registry)
    init = cb_at_init(spec, CB_SEEDS, registry)
    measured = {
        "parameters": int(trained.count_params()),
        "macs": cost.multiply_accumulates(trained),
        "cb_init": float(np.median([np.median(v) for v in init.values()])) if init else None,
        "cb_trained": float(np.median(entry_cb(trained, entries, registry))) if entries else None,
        **eqt_measurements(spec, registry, trained),
    }
    if dataset_x is not None:
        fresh = build_model(spec, registry=registry)
        batch = min(len(dataset_x), spec.train.batch_size)
        measured.update(train_step_ms=cost.train_step_ms(fresh, dataset_x[:batch], dataset_y[:batch]),
                        inference_ms=cost.inference_ms(trained, dataset_x[:batch]))
    return measured
