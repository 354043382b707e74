"""Run a sweep: one run folder per strategy inside the sweep folder, resumable.

A strategy whose folder holds ``row.json`` is finished and never retrained;
one with a checkpoint is resumed from it; anything else starts afresh.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Callable

from upspec.errors import NotFoundError
from upspec.errors import SpecError
from upspec.gan.spec import is_gan
from upspec.errors import UpspecError
from upspec.files import write_text
from upspec.registry.registry import get_registry
from upspec.spec.load import load_spec

STATE = "sweep.json"
ROW = "row.json"
CB_SEEDS = (0, 1, 2)


@dataclass
class SweepResult:
    folder: Path
    rows: list[dict[str, Any]]
    skipped: dict[str, str]


def choose_strategies(source: Any, wanted: str, overrides: list[str], registry: Any) -> tuple[list[str], dict[str, str]]:
    """The strategies to run (``all`` or a comma list), and the ones skipped with the reason."""
    names = sorted(registry.strategies) if wanted == "all" else [n.strip() for n in wanted.split(",") if n.strip()]
    if not names:
        raise UpspecError("--strategies is empty; give names separated by commas, or 'all'")
    chosen, skipped = [], {}
    from upspec.graph.graph import build_graph

    for name in names:
        try:
            build_graph(load_spec(source, strategy=name, overrides=overrides, registry=registry), registry)
            chosen.append(name)
        except SpecError as error:
            if wanted != "all":
                raise
            skipped[name] = error.diagnostics[0].message
    return chosen, skipped


def _measure(trained: Any, spec: Any, registry: Any, dataset_x: Any, dataset_y: Any) -> dict[str, Any]:
    """The costs and CB of one finished strategy run (``trained``: its saved model)."""
    import numpy as np

    from upspec.analysis.cost import inference_ms
    from upspec.analysis.cost import multiply_accumulates
    from upspec.analysis.cost import train_step_ms
    from upspec.analysis.measure import cb_at_init
    from upspec.analysis.measure import entry_cb
    from upspec.analysis.measure import upsample_entries
    from upspec.build.builder import build_model

    entries = upsample_entries(spec, registry)
    init = cb_at_init(spec, CB_SEEDS, registry)
    fresh = build_model(spec, registry=registry)
    batch = min(len(dataset_x), int(spec.train.get("batch_size", 16)))
    return {
        "parameters": int(trained.count_params()),
        "macs": multiply_accumulates(trained),
        "train_step_ms": train_step_ms(fresh, dataset_x[:batch], dataset_y[:batch]),
        "inference_ms": inference_ms(trained, dataset_x[:batch]),
        "cb_init": float(np.median([np.median(v) for v in init.values()])) if init else None,
        "cb_trained": float(np.median(entry_cb(trained, entries, registry))) if entries else None,
    }


def run_sweep(source: Any, *, strategies: str = "all", overrides: list[str] | None = None,
              train_overrides: dict[str, Any] | None = None, out: str | None = None, resume: str | None = None,
              root: str = "runs", verbose: int = 0, announce: Callable[[str], None] = lambda line: None) -> SweepResult:
    from upspec.compare.comparison import write_comparison
    from upspec.run.rundir import new_run_dir
    from upspec.run.runner import resume as resume_run
    from upspec.run.runner import run
    from upspec.run.models import load_model
    from upspec.run.train import STATE as RUN_STATE
    from upspec.run.train import evaluation_data

    registry = get_registry()
    if resume:
        folder = Path(resume)
        if not (folder / STATE).exists():
            raise UpspecError(f"{folder} is not a sweep folder (no {STATE})")
        state = json.loads((folder / STATE).read_text())
        source, overrides, train_overrides = state["spec"], state["overrides"], state["train"]
        names, skipped = state["strategies"], state["skipped"]
    else:
        overrides = list(overrides or [])
        names, skipped = choose_strategies(source, strategies, overrides, registry)
        if not names:
            raise UpspecError(f"no strategy can build this graph: {skipped}")
        spec = load_spec(source, overrides=overrides, registry=registry)
        _check_data(load_spec(source, strategy=names[0], overrides=overrides, registry=registry), registry)
        folder = new_run_dir(spec, root=root, out=out, prefix="sweep-")
        state = {"spec": str(Path(source).resolve()) if isinstance(source, (str, Path)) else source,
                 "overrides": overrides, "train": {k: v for k, v in (train_overrides or {}).items() if v is not None},
                 "strategies": names, "skipped": skipped}
        write_text(folder / STATE, json.dumps(state, indent=2) + "\n")
    announce(f"sweep folder: {folder}")
    for name, reason in skipped.items():
        announce(f"skipped {name}: {reason}")

    rows = []
    data = None  # the test patches are the same for every strategy (same shapes, same seed): cut them once
    for index, name in enumerate(names, 1):
        run_dir = folder / name
        prefix = f"[{index}/{len(names)}] {name}"
        if (run_dir / ROW).exists():
            rows.append(json.loads((run_dir / ROW).read_text()))
            announce(f"{prefix}: finished earlier, kept")
            continue
        started = time.perf_counter()
        if (run_dir / "model.keras").exists() and (run_dir / "metrics.json").exists():
            metrics = json.loads((run_dir / "metrics.json").read_text())
            announce(f"{prefix}: trained earlier, measuring")
        elif (run_dir / RUN_STATE).exists():
            if (run_dir / "model.keras").exists():  # stopped while writing its report: finish it again
                (run_dir / "model.keras").unlink()
            announce(f"{prefix}: resuming from its last checkpoint")
            metrics = resume_run(run_dir, verbose=verbose).metrics
        else:
            if run_dir.exists():  # started but no epoch finished: nothing to keep
                shutil.rmtree(run_dir)
            announce(f"{prefix}: training")
            metrics = run(source, strategy=name, overrides=overrides, out=str(run_dir),
                          train_overrides=state["train"], verbose=verbose).metrics
        spec = load_spec(run_dir / "spec.yaml", registry=registry)
        trained = load_model(run_dir / "model.keras", registry)
        if is_gan(spec):
            from upspec.gan.sweep import measure_gan

            measured = measure_gan(trained, spec, registry)
        else:
            data = data or evaluation_data(spec, trained, registry)
            measured = _measure(trained, spec, registry, *data.test)
        row = {"strategy": name, **measured,
               "metrics": metrics, "seconds": round(time.perf_counter() - started, 1)}
        write_text(run_dir / ROW, json.dumps(row, indent=2, default=float) + "\n")
        rows.append(row)
        announce(f"{prefix}: done in {row['seconds']:.0f} s: {_headline(metrics)}")
    write_comparison(folder, rows, skipped, registry, data)
    return SweepResult(folder, rows, skipped)


def _check_data(spec: Any, registry: Any) -> None:
    """Fail before creating the sweep folder when the spec's data cannot feed the model."""
    from upspec.build.builder import build_model
    from upspec.run.train import evaluation_data

    if is_gan(spec):
        from upspec.gan.runner import gan_data_settings
        from upspec.run.data import get_source

        try:
            get_source(gan_data_settings(spec).source, registry)
        except NotFoundError as exc:
            raise SpecError([spec.diagnostic(("data",), f"{exc.message} ({exc.hint})")]) from None
        return
    evaluation_data(spec, build_model(spec, registry=registry, compile=False), registry)


def _headline(metrics: dict[str, Any]) -> str:
    model = metrics.get("model", {})
    return ", ".join(f"{k} {v:.4f}" for k, v in model.items())
