"""The runner's verbs: the main job (:func:`run`), :func:`resume` and :func:`evaluate_run`.

Each loads the spec, asks :func:`~upspec.runner.lanes.lane_for` for its lane and lets the lane do the work;
nothing here depends on the kind of model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from typing import Callable
from typing import Sequence

from ..errors import UpspecError
from ..files import clean_temporaries
from ..registry.registry import Registry
from ..registry.registry import get_registry
from ..modelspec.load import load_spec
from .artefacts.export import FORMATS
from .artefacts.export import ExportReport
from .artefacts.export import export_run
from .artefacts.lock import hold_lock
from .artefacts.lock import with_held_locks
from .artefacts.onnx_export import CheckInputs
from .artefacts.onnx_export import run_check_inputs
from .artefacts.rundir import RunOptions
from .artefacts.rundir import RunResult
from .artefacts.rundir import run_files
from .artefacts.inputs import recover_checkpoint
from .artefacts.inputs import require_run_folder
from .lanes import lane_for
from .training.checkpoint import CHECKPOINT
from .training.checkpoint import run_stage
from .training.framework import settle_framework

__all__ = ["RunOptions", "RunResult", "evaluate_run", "resume", "run"]


@with_held_locks
def run(source: Any, *, strategy: str | None = None, overrides: Any = None, out: str | None = None,
        root: str = "runs", train_overrides: dict[str, Any] | None = None, verbose: int = 1,
        announce: Callable[[str], None] = lambda line: None, registry: Registry | None = None) -> RunResult:
    """Train, evaluate and report ``source`` (anything ``load_spec`` takes) in a new run folder."""
    settle_framework()
    registry = registry or get_registry()
    spec = load_spec(source, strategy=strategy, overrides=overrides, registry=registry)
    options = RunOptions(registry, root=root, out=out, train_overrides=dict(train_overrides or {}), verbose=verbose,
                         announce=announce)
    return lane_for(spec, registry).run(spec, options)


@with_held_locks
def resume(run_dir: str | Path, *, verbose: int = 1, announce: Callable[[str], None] = lambda line: None,
           registry: Registry | None = None) -> RunResult:
    """Continue an interrupted run from its last checkpoint (optimizer state and epoch count included)."""
    run_dir = Path(run_dir)
    if not (run_dir / "spec.yaml").exists():
        raise UpspecError(f"{run_dir} is not a run folder (no spec.yaml)")
    hold_lock(run_dir, "run folder")  # a second process resuming it is refused, naming this one
    if run_stage(run_dir, run_dir / CHECKPOINT) == "finished":
        raise UpspecError(f"{run_dir} is already finished (model.keras and report.md exist)")
    clean_temporaries(run_dir, run_dir / "checkpoints")  # what killed writes left behind
    recover_checkpoint(run_dir, announce)
    settle_framework()
    registry = registry or get_registry()
    spec = load_spec(run_dir / "spec.yaml", registry=registry)
    return lane_for(spec, registry).resume(spec, run_dir, RunOptions(registry, verbose=verbose, announce=announce))


def evaluate_run(run_dir: Any, registry: Any = None) -> dict[str, Any]:
    """Evaluate a finished run's saved model on its spec's test data, in this process."""
    run_dir = require_run_folder(run_dir)
    registry = registry or get_registry()
    spec = load_spec(run_dir / "spec.yaml", registry=registry)
    return lane_for(spec, registry).evaluate(run_dir, spec, registry)


def export(source: Any, out: Any = None, *, formats: Sequence[str] = FORMATS, registry: Registry | None = None,
           **options: Any) -> ExportReport:
    """:func:`~upspec.runner.artefacts.export.export_run`, with the ONNX file checked on the run's own test
    inputs when the model comes from a run folder (its ``spec.yaml`` beside it)."""
    registry = registry or get_registry()
    check = onnx_check_inputs(source, registry) if "onnx" in formats else None
    return export_run(source, out, formats=formats, registry=registry, check_inputs=check, **options)


def onnx_check_inputs(source: Any, registry: Registry) -> CheckInputs | None:
    """The first test inputs of the data of the run ``source`` belongs to; None without a run (random inputs
    then), and random inputs saying why when its data cannot be loaded."""
    model_path, spec_path = run_files(str(source))
    if model_path is None or not model_path.is_file() or not spec_path.is_file():
        return None
    try:
        spec = load_spec(spec_path, registry=registry)
        lane = lane_for(spec, registry)
        if hasattr(lane, "export_inputs"):
            inputs = lane.export_inputs(spec, registry)
        else:  # a plugin's lane written before the protocol had export_inputs: its test inputs
            inputs = run_check_inputs(lane.evaluation_data(spec, registry))
    except (UpspecError, OSError) as exc:
        return CheckInputs([], f"random inputs (the run's data could not be loaded: {str(exc).splitlines()[0]})")
    return inputs or CheckInputs([], "random inputs (the run's data has no test inputs)")
