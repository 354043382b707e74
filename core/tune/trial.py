"""One trial of a search: train a spec at one set of sampled settings, report the validation metric after
every epoch, and return its history.

A trial trains as the runner's main job does (the same lane, data, seeds and training loop, so a setting
found here means the same in ``upspec sweep --tuned``) but stops at the history: it never looks at the test
set, which stays for the comparison. Whatever searches (Optuna here, Ray Tune on a cluster) passes
``report``, called with ``(epoch, value)`` after each epoch; it may raise to prune the trial.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Sequence

from ..errors import UpspecError
from ..graph.graph import build_graph
from ..modelspec.load import load_spec
from ..modelspec.sections import data_settings
from ..modelspec.sections import train_settings
from ..registry.registry import Registry
from ..runner.artefacts.rundir import write_spec
from ..runner.data.shapes import ModelShapes
from ..runner.data.shared import dataset_for
from ..runner.lanes import lane_for
from ..runner.lanes.supervised import SupervisedLane
from ..runner.lanes.supervised import model_scope
from ..runner.training.distribute import distribution
from ..runner.training.fit import FitPlan
from ..runner.training.fit import TrainingDiverged
from ..runner.training.fit import fit
from ..runner.training.framework import seed_everything

Report = Callable[[int, float], None]


@dataclass
class TrialRun:
    """What one (settings, seed) training gave: the monitored value per epoch, its steps and seconds."""

    values: list[float]
    steps: int
    seconds: float
    diverged: bool = False

    @property
    def final(self) -> float:
        return self.values[-1] if self.values else float("nan")


@dataclass(frozen=True)
class TrialSpec:
    """Everything one training of a trial needs, picklable (a Ray worker gets it as it is)."""

    source: Any
    strategy: str
    #: the sweep-wide ``--set`` overrides, then the sampled values as ``--set`` texts
    overrides: tuple[str, ...]
    train: dict[str, Any]
    monitor: str


def supervised_lane(spec: Any, registry: Registry) -> SupervisedLane:
    """The lane that trains ``spec``'s trials; an error for a spec of another kind (a GAN has no validation
    metric to search on)."""
    lane = lane_for(spec, registry)
    if not isinstance(lane, SupervisedLane):
        raise UpspecError(f"upspec tune trains supervised specs; {spec.name!r} is a {spec.kind} spec")
    return lane


def train_trial(trial: TrialSpec, seed: int, run_dir: Path, report: Report, registry: Registry) -> TrialRun:
    """Train ``trial`` with ``seed`` in ``run_dir`` (history and checkpoints), calling ``report`` per epoch."""
    import keras

    spec = load_spec(trial.source, strategy=trial.strategy, overrides=list(trial.overrides), registry=registry)
    lane = supervised_lane(spec, registry)
    settings = train_settings(spec, **{**trial.train, "seed": seed})
    if settings.distribute != "none":
        raise UpspecError("upspec tune runs each trial on one device: set train.distribute to none "
                          "(--executor ray spreads the trials instead)")
    data = data_settings(spec)
    seed_everything(settings.seed)
    with model_scope(settings, distribution(settings)):
        model = lane.build(spec, registry)
    shapes = ModelShapes.of_graph(build_graph(spec, registry))
    dataset = dataset_for(data, settings, shapes, lambda: lane.prepare(spec, shapes, data, settings, registry))
    run_dir.mkdir(parents=True, exist_ok=True)
    write_spec(run_dir, spec.resolved(train=settings, data=data))
    values: list[float] = []

    class Reporter(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            value = (logs or {}).get(trial.monitor)
            if value is None:
                raise UpspecError(f"the training logs have no {trial.monitor!r} to search on; they have: "
                                  f"{', '.join(sorted(logs or {}))} (--metric picks one)")
            values.append(float(value))
            report(epoch + 1, float(value))

    started = time.perf_counter()
    diverged = False
    try:
        fit(FitPlan(model, dataset, run_dir, settings, spec, registry, verbose=0, extra_callbacks=[Reporter()]))
    except TrainingDiverged:
        diverged = True
    finally:
        shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)  # the history is what a search keeps
    return TrialRun(values, len(values) * settings.steps_per_epoch, time.perf_counter() - started, diverged)


def mean_final(runs: Sequence[TrialRun]) -> float:
    """A trial's value: the monitored value after the last epoch, averaged over its seeds."""
    finals = [run.final for run in runs]
    return sum(finals) / len(finals)
