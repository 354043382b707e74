"""One sweep job: train, evaluate and measure one (strategy, seed) in its own run folder.

A job is a plain function of picklable arguments (:func:`run_job` of a :class:`SweepJob`) that returns the
job's row, so any executor (this process, a Ray worker on another machine) can run it. What a job still has
to do is read from its run folder by :func:`job_state`, and nothing else; each state has one action.
"""

from __future__ import annotations

import enum
import json
import shutil
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import yaml

from ..files import write_text
from ..registry.registry import get_registry
from ..runner.artefacts.models import load_model
from ..runner.lanes import lane_for
from ..runner.run import resume
from ..runner.run import run
from ..runner.training.checkpoint import recorded_epochs
from ..runner.training.history import history_rows
from ..runner.training.until import plateau
from ..runner.training.until import steps_run
from ..modelspec.sections import Until
from ..modelspec.load import load_spec

if TYPE_CHECKING:
    from ..registry.registry import Registry

ROW = "row.json"


class JobState(enum.Enum):
    """Where a (strategy, seed) run stands, derived from its folder by :func:`job_state`."""

    PENDING = "training"  # nothing worth keeping: train from the start
    TRAINING = "resuming from its last checkpoint"  # some epochs finished
    TRAINED = "finishing its report"  # every epoch finished; stopped before or while writing the report
    EVALUATED = "trained earlier, measuring"  # model and test metrics written; costs and CB not yet
    DONE = "finished earlier, kept"  # row.json written

    @property
    def action(self) -> str:
        return self.value


@dataclass(frozen=True)
class SweepJob:
    """Everything a worker needs to run one (strategy, seed); paths are absolute so any process can use them."""

    strategy: str
    seed: int
    run_dir: str
    #: the spec: an absolute path, or its data as a dict
    source: Any
    overrides: tuple[str, ...] = ()
    #: ``train:`` settings from the command line (epochs, steps_per_epoch, batch_size), seed excluded
    train: dict[str, Any] = field(default_factory=dict)
    #: unpublished plugins (``--plugin``) a fresh worker process must load
    plugins: tuple[str, ...] = ()
    verbose: int = 0
    #: a line for the run's report: the settings it ran with and how they were found (``sweep --tuned``)
    note: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return self.strategy, self.seed

    @property
    def name(self) -> str:
        return f"{self.strategy} seed {self.seed}"


def job_state(run_dir: str | Path) -> JobState:
    """The state of a job, from the files in its run folder (the one place that reads them)."""
    run_dir = Path(run_dir)
    if (run_dir / ROW).exists():
        return JobState.DONE
    if (run_dir / "model.keras").exists() and (run_dir / "metrics.json").exists():
        return JobState.EVALUATED
    if (run_dir / "model.keras").exists():
        return JobState.TRAINED
    epochs = recorded_epochs(run_dir)  # every lane's checkpoint records its epochs in checkpoints/state.json
    if epochs is not None:
        return JobState.TRAINED if _trained(run_dir, epochs) else JobState.TRAINING
    return JobState.PENDING


def _trained(run_dir: Path, epochs: int) -> bool:
    """Whether the recorded ``epochs`` finish the run: its planned epochs, or ``train.until``'s stop."""
    train = (yaml.safe_load((run_dir / "spec.yaml").read_text()) or {}).get("train") or {}
    if train.get("until"):
        stop = plateau(Until.model_validate(train["until"]), history_rows(run_dir / "history.csv"),
                       int(train.get("steps_per_epoch") or 1))
        return stop.stopped
    return epochs >= (int(train.get("epochs", 0)) or 1 << 30)


def run_job(job: SweepJob) -> dict[str, Any]:
    """Bring ``job`` to DONE from whatever state its folder is in, and return its row."""
    run_dir = Path(job.run_dir)
    state = job_state(run_dir)
    if state is JobState.DONE:
        return read_row(run_dir)
    started = time.perf_counter()
    trained = None  # the model in memory, when this process trained it
    if state is JobState.PENDING:
        _clear_unstarted(run_dir)
        result = run(job.source, strategy=job.strategy, overrides=list(job.overrides), out=str(run_dir),
                     train_overrides={**job.train, "seed": job.seed}, verbose=job.verbose)
        metrics, trained = result.metrics, result.model
    elif state in (JobState.TRAINING, JobState.TRAINED):
        (run_dir / "model.keras").unlink(missing_ok=True)  # a report interrupted half-way is written again
        result = resume(run_dir, verbose=job.verbose)
        metrics, trained = result.metrics, result.model
    else:  # EVALUATED
        metrics = json.loads((run_dir / "metrics.json").read_text())
    _add_note(run_dir / "report.md", job.note)
    trained_for = steps_run(run_dir)
    row = {"strategy": job.strategy, "seed": job.seed, "run": f"{run_dir.parent.name}/{run_dir.name}",
           **measure_run(run_dir, get_registry(), trained), "steps": trained_for["steps"],
           "stopped": trained_for["stopped"], "metrics": metrics,
           "seconds": round(time.perf_counter() - started, 1)}
    write_text(run_dir / ROW, json.dumps(row, indent=2, default=float) + "\n")
    return row


def _add_note(report: Path, note: str) -> None:
    """The sweep's line on the run's settings, after the report's budget line (once)."""
    if not note or not report.is_file():
        return
    text = report.read_text()
    line = f"Settings: {note}."
    if line in text:
        return
    lines = text.split("\n")
    at = next((i + 1 for i, l in enumerate(lines) if l.startswith("Training budget:")), 1)
    write_text(report, "\n".join([*lines[:at], line, *lines[at:]]))


def read_row(run_dir: str | Path) -> dict[str, Any]:
    return json.loads((Path(run_dir) / ROW).read_text())


def _clear_unstarted(run_dir: Path) -> None:
    """A run folder with no finished epoch holds nothing worth keeping (a spec copy, an empty log)."""
    if run_dir.exists():
        shutil.rmtree(run_dir)


def measure_run(run_dir: Path, registry: Registry, trained: Any = None) -> dict[str, Any]:
    """The costs and CB of a finished run (``trained``, or else its saved model), as its lane measures them."""
    spec = load_spec(run_dir / "spec.yaml", registry=registry)
    if trained is None:
        trained = load_model(run_dir / "model.keras", registry)
    return lane_for(spec, registry).measure(trained, spec, run_dir, registry)
