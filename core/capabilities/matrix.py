"""The capability matrix: for every installed strategy (third-party ones included), one row per option that
changes the graph, and per column whether it works, measured here: the TensorFlow / JAX / PyTorch backends
(build and one training step), determinism on each, XLA, SavedModel, TFLite and ONNX (matching Keras, with
the largest error). ``upspec capabilities`` writes ``docs/capabilities.md``; ``upspec plugins
--capabilities NAME`` prints one strategy's rows.

Each backend runs in a process of its own (Keras picks its backend once per process); a backend that is not
installed says so in its cells, never a guess.
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Sequence

from ..registry.strategy import keeps_channels

#: Keras backend -> the module that must be importable for it
BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
#: the options that change the graph, each with the value a row sets
GRAPH_OPTIONS: dict[str, Any] = {"align_corners": True, "groups": 2, "alignment": "pytorch", "blur": True}
#: the input of each rank's rows: spatial size and 4 channels (so ``groups: 2`` divides them)
INPUTS = {1: [8, 4], 2: [8, 8, 4], 3: [4, 4, 4, 4]}
COLUMNS = [("tensorflow", "build"), ("jax", "build"), ("torch", "build"), ("tensorflow", "xla"),
           ("tensorflow", "saved_model"), ("tensorflow", "tflite"), ("tensorflow", "onnx"),
           ("tensorflow", "determinism"), ("jax", "determinism"), ("torch", "determinism")]
TITLES = {("tensorflow", "build"): "TensorFlow", ("jax", "build"): "JAX", ("torch", "build"): "PyTorch",
          ("tensorflow", "xla"): "XLA jit_compile", ("tensorflow", "saved_model"): "SavedModel",
          ("tensorflow", "tflite"): "TFLite", ("tensorflow", "onnx"): "ONNX",
          ("tensorflow", "determinism"): "deterministic (TF)", ("jax", "determinism"): "deterministic (JAX)",
          ("torch", "determinism"): "deterministic (PyTorch)"}


@dataclass
class Row:
    strategy: str
    option: str
    spec: dict[str, Any]
    cells: dict[str, str] = field(default_factory=dict)  # "backend.column" -> cell


def _spec(strategy: str, rank: int, **params: Any) -> dict[str, Any]:
    entry = {"id": "up", "upsample": strategy, "factor": 2, "filters": 4, "kernel_size": 3, **params}
    return {"name": f"capability-{strategy}", "inputs": {"x": INPUTS[rank]}, "layers": [entry],
            "compile": {"optimizer": "adam", "loss": "mean_squared_error"}}


def capability_rows(registry: Any, strategies: Sequence[str] | None = None) -> list[Row]:
    """The rows of each strategy: its defaults in 2-D (or its first rank), each graph option, ``filters: null``
    where it resizes only, and the other ranks it supports."""
    rows = []
    for name in strategies or sorted(registry.strategies):
        strategy = registry.strategy(name)
        parameters = registry.parameters(name)
        ranks = tuple(strategy.ranks)
        base = 2 if 2 in ranks else ranks[0]
        rows.append(Row(name, f"defaults ({base}-D)", _spec(name, base)))
        for option, value in GRAPH_OPTIONS.items():
            if option in parameters:
                rows.append(Row(name, f"{option}: {json.dumps(value)}", _spec(name, base, **{option: value})))
        if "guide" in parameters:
            rows.append(Row(name, "guide", _spec(name, base), {"*": "not checked: a guide needs a guide entry"}))
        if keeps_channels(strategy):
            rows.append(Row(name, "filters: null", _spec(name, base, filters=None)))
        for rank in ranks:
            if rank != base:
                rows.append(Row(name, f"rank {rank}", _spec(name, rank)))
    return rows


def installed(backend: str) -> bool:
    return importlib.util.find_spec(BACKENDS[backend]) is not None


def measure_backend(rows: list[Row], backend: str, in_process: bool = False) -> None:
    """Fill ``rows``' cells of ``backend``: in this process (it must run that backend), or in a new one."""
    todo = [row for row in rows if "*" not in row.cells]
    if not installed(backend):
        for row in todo:
            row.cells.update({f"{backend}.{c}": "not installed" for b, c in COLUMNS if b == backend})
        return
    if in_process:
        from .checks import measure

        results = measure([row.spec for row in todo], backend)
    else:
        results = _measure_elsewhere([row.spec for row in todo], backend)
    for row, cells in zip(todo, results):
        row.cells.update({f"{backend}.{column}": cell for column, cell in cells.items()})


def _measure_elsewhere(specs: list[dict[str, Any]], backend: str) -> list[dict[str, str]]:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "upspec.capabilities", "--worker", backend], input=json.dumps(specs),
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return [{column: f"fails: {reason}" for b, column in COLUMNS if b == backend} for _ in specs]
    return json.loads(done.stdout.strip().splitlines()[-1])


def capability_matrix(registry: Any, strategies: Sequence[str] | None = None,
                      backends: Sequence[str] = tuple(BACKENDS), in_process: bool = False) -> list[Row]:
    """Every row measured on ``backends`` (the other backends' cells say "not checked")."""
    import keras

    rows = capability_rows(registry, strategies)
    for backend in BACKENDS:
        if backend not in backends:
            for row in rows:
                row.cells.update({f"{backend}.{c}": "not checked" for b, c in COLUMNS if b == backend})
            continue
        measure_backend(rows, backend, in_process=in_process and backend == keras.backend.backend())
    return rows


def cell_of(row: Row, backend: str, column: str) -> str:
    return row.cells.get("*") or row.cells.get(f"{backend}.{column}", "not checked")


def _markdown_cell(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    if text.startswith("fails"):
        return "✗ " + text
    if text in ("not installed", "not checked") or text.startswith("not checked"):
        return text
    return "✓ " + text


def machine_line() -> str:
    versions = []
    for module in ("keras", "tensorflow", "jax", "torch", "onnxruntime", "tf2onnx"):
        if importlib.util.find_spec(module) is not None:
            try:
                from importlib.metadata import version

                versions.append(f"{module} {version(module)}")
            except Exception:  # noqa: BLE001 - a version we cannot read is left out
                continue
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
            + ", ".join(versions))


def markdown(rows: Sequence[Row], *, command: str = "upspec capabilities") -> str:
    header = ["strategy", "option"] + [TITLES[c] for c in COLUMNS]
    lines = [f"# Capability matrix\n",
             f"Generated by `{command}` on {_dt.date.today().isoformat()}, on {machine_line()}.\n",
             "Every installed strategy (third-party ones included), one row per option that changes the graph, "
             "on a tiny model (input 8 x 8 x 4 in 2-D, factor 2, 4 filters). Backends: build and one training "
             "step. XLA: a training step with `jit_compile=True`, and its output against Keras's. SavedModel, "
             "TFLite (builtin ops only) and ONNX (opset 17, run by ONNX Runtime): the exported model's output "
             f"against Keras's (matches: max error within 1e-4 x max(1, |output|)). Deterministic: two runs of "
             "one training step with the same seed give the same weights. A backend that is not installed says "
             "so; nothing here is a guess.\n",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [f"`{row.strategy}`", row.option] + [_markdown_cell(cell_of(row, b, c)) for b, c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def text_rows(rows: Sequence[Row]) -> str:
    """One block per row, for the terminal (``upspec plugins --capabilities``)."""
    out = []
    for row in rows:
        out.append(f"{row.strategy} [{row.option}]")
        out += [f"  {TITLES[(b, c)]}: {cell_of(row, b, c)}" for b, c in COLUMNS]
    return "\n".join(out)
