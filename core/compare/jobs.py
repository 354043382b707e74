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

if TYPE_CHECKING:
    from ..registry.registry import Registry

ROW = "row.json"
CB_SEEDS = (0, 1, 2)


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

    @property
    def key(self) -> tuple[str, int]:
        return self.strategy, self.seed

    @property
    def name(self) -> str:
        return f"{self.strategy} seed {self.seed}"


def job_state(run_dir: str | Path) -> JobState:
    """The state of a job, from the files in its run folder (the one place that reads them)."""
    from ..gan.train import has_gan_checkpoint
    from ..run.train import CHECKPOINT
    from ..run.train import STATE
    from ..run.train import resume_state

    run_dir = Path(run_dir)
    if (run_dir / ROW).exists():
        return JobState.DONE
    if (run_dir / "model.keras").exists() and (run_dir / "metrics.json").exists():
        return JobState.EVALUATED
    if (run_dir / "model.keras").exists():
        return JobState.TRAINED
    if (run_dir / STATE).exists() and ((run_dir / CHECKPOINT).exists() or has_gan_checkpoint(run_dir)):
        return JobState.TRAINED if resume_state(run_dir) >= _planned_epochs(run_dir) else JobState.TRAINING
    return JobState.PENDING


def _planned_epochs(run_dir: Path) -> int:
    spec = yaml.safe_load((run_dir / "spec.yaml").read_text()) or {}
    return int((spec.get("train") or {}).get("epochs", 0)) or 1 << 30


def run_job(job: SweepJob) -> dict[str, Any]:
    """Bring ``job`` to DONE from whatever state its folder is in, and return its row."""
    from ..registry.registry import get_registry
    from ..run.runner import resume
    from ..run.runner import run

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
    row = {"strategy": job.strategy, "seed": job.seed, "run": f"{run_dir.parent.name}/{run_dir.name}",
           **measure_run(run_dir, get_registry(), trained), "metrics": metrics,
           "seconds": round(time.perf_counter() - started, 1)}
    write_text(run_dir / ROW, json.dumps(row, indent=2, default=float) + "\n")
    return row


def read_row(run_dir: str | Path) -> dict[str, Any]:
    return json.loads((Path(run_dir) / ROW).read_text())


def _clear_unstarted(run_dir: Path) -> None:
    """A run folder with no finished epoch holds nothing worth keeping (a spec copy, an empty log)."""
    if run_dir.exists():
        shutil.rmtree(run_dir)


def measure_run(run_dir: Path, registry: Registry, trained: Any = None) -> dict[str, Any]:
    """The costs and CB of a finished run (``trained``, or else its saved model); the step and inference times
    the run recorded while training and evaluating (``timing.json``), measured here only for a run without."""
    from ..run.models import load_model
    from ..run.timing import read_timing
    from ..modelspec.load import load_spec

    spec = load_spec(run_dir / "spec.yaml", registry=registry)
    if trained is None:
        trained = load_model(run_dir / "model.keras", registry)
    if spec.kind == "gan":  # a GAN: its generator, fed latents
        from ..gan.sweep import measure_gan

        return measure_gan(trained, spec, registry)
    timing = read_timing(run_dir)
    if {"train_step_ms", "inference_ms"} <= timing.keys():
        return {**_measure(trained, spec, registry), "train_step_ms": timing["train_step_ms"],
                "inference_ms": timing["inference_ms"]}
    x, y = evaluation_data_for(spec, trained, registry).test
    return _measure(trained, spec, registry, x, y)


_EVALUATION_DATA: dict[str, Any] = {}


def evaluation_data_for(spec: Any, model: Any, registry: Registry) -> Any:
    """``evaluation_data`` cut once per process for each data section, seed and model shape: every strategy of a
    sweep is measured on the same test patches."""
    from ..run.task_data import evaluation_data

    key = json.dumps([spec.data.model_dump(exclude_unset=True), spec.train.seed, list(model.input_shape), list(model.output_shape)],
                     sort_keys=True, default=str)
    if key not in _EVALUATION_DATA:
        _EVALUATION_DATA.clear()  # one at a time: a sweep has one spec
        _EVALUATION_DATA[key] = evaluation_data(spec, model, registry)
    return _EVALUATION_DATA[key]


def _measure(trained: Any, spec: Any, registry: Registry, dataset_x: Any = None, dataset_y: Any = None) -> dict[str, Any]:
    """Parameters, MACs and CB; with test data, the step and inference times too (a fresh model trained on
    one batch: for runs that did not record them)."""
    import numpy as np

    from ..analysis.cost import inference_ms
    from ..analysis.cost import multiply_accumulates
    from ..analysis.cost import train_step_ms
    from ..analysis.measure import cb_at_init
    from ..analysis.measure import entry_cb
    from ..analysis.measure import upsample_entries
    from ..builder.builder import build_model

    entries = upsample_entries(spec, registry)
    init = cb_at_init(spec, CB_SEEDS, registry)
    measured = {
        "parameters": int(trained.count_params()),
        "macs": multiply_accumulates(trained),
        "cb_init": float(np.median([np.median(v) for v in init.values()])) if init else None,
        "cb_trained": float(np.median(entry_cb(trained, entries, registry))) if entries else None,
    }
    if dataset_x is not None:
        fresh = build_model(spec, registry=registry)
        batch = min(len(dataset_x), spec.train.batch_size)
        measured.update(train_step_ms=train_step_ms(fresh, dataset_x[:batch], dataset_y[:batch]),
                        inference_ms=inference_ms(trained, dataset_x[:batch]))
    return measured
