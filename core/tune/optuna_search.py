"""The embedded search: Optuna in this process, one study per strategy in the tune folder's SQLite database.

Each trial samples the searched settings (TPE, or every combination of choices with ``sampler: grid``),
trains each of its seeds (:func:`upspec.tune.trial.train_trial`) and reports the validation metric after
every epoch of its first seed to the successive-halving (ASHA) pruner, which stops trials that fall behind
at epochs 1, 3, 9, ... The database is the state: a search killed at any moment resumes where it stopped
(its unfinished trial is marked failed and tried again with the same settings; finished trials are never run
again), and ``optuna-dashboard sqlite:///TUNE_DIR/study.db`` shows it while it runs.
"""

from __future__ import annotations

import itertools
import logging
import random
from pathlib import Path
from typing import Any
from typing import Callable

from ..errors import UpspecError
from ..modelspec.load import load_spec
from ..modelspec.sections import train_settings
from ..registry.registry import Registry
from ..runner.data.shared import shared_data
from .plan import STUDY
from .plan import TunePlan
from .plan import trial_folders
from .search_space import SearchSpace
from .search_space import as_overrides
from .trial import TrialRun
from .trial import TrialSpec
from .trial import mean_final
from .trial import train_trial

TUNE_EXTRA = "pip install 'upspec[tune]'"


def import_optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise UpspecError(f"upspec tune needs Optuna, which is not installed: {TUNE_EXTRA}") from None
    optuna.logging.set_verbosity(logging.WARNING)
    return optuna


def distributions(space: SearchSpace) -> dict[str, Any]:
    """Optuna's distribution for each searched path."""
    optuna = import_optuna()
    found: dict[str, Any] = {}
    for dimension in space.dimensions:
        values = dimension.range.values
        if dimension.kind == "choice":
            found[dimension.path] = optuna.distributions.CategoricalDistribution(values)
        elif dimension.kind == "int":
            found[dimension.path] = optuna.distributions.IntDistribution(values[0], values[1])
        else:
            found[dimension.path] = optuna.distributions.FloatDistribution(
                float(values[0]), float(values[1]), log=dimension.kind == "loguniform")
    return found


def storage_url(folder: Path) -> str:
    return f"sqlite:///{(folder / STUDY).resolve()}"


def sampler_for(plan: TunePlan, offset: int) -> Any:
    """TPE seeded by the plan and the trials already run (a resumed search does not replay its first
    proposals); for ``grid``, a random sampler that is never asked: the grid is queued (:func:`queue_grid`)."""
    optuna = import_optuna()
    if plan.sampler == "grid":
        return optuna.samplers.RandomSampler(seed=plan.sampler_seed + offset)
    return optuna.samplers.TPESampler(seed=plan.sampler_seed + offset)


def grid_of(space: SearchSpace, seed: int) -> list[dict[str, Any]]:
    """Every combination of the choices, in an order shuffled by ``seed`` (as Optuna's grid sampler does; a
    pruner judging early trials against few others would favour the grid's first corner otherwise)."""
    if any(d.kind != "choice" for d in space.dimensions):
        raise UpspecError("sampler grid searches choices only: give every searched path a {choice: [...]}")
    combinations = [dict(zip(space.paths, values))
                    for values in itertools.product(*(d.range.values for d in space.dimensions))]
    random.Random(seed).shuffle(combinations)
    return combinations


def queue_grid(study: Any, plan: TunePlan) -> None:
    """Queue the grid in a new study (Optuna's ``GridSampler`` stops the study from inside ``tell``, which
    an ask-and-tell loop cannot take); the queue is in the database, so a resumed search continues it."""
    if plan.sampler == "grid" and not study.trials:
        for params in grid_of(plan.space, plan.sampler_seed):
            study.enqueue_trial(params)


def pruner_for(plan: TunePlan) -> Any:
    optuna = import_optuna()
    if plan.pruner == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, min_early_stopping_rate=0)


def finished_trials(study: Any) -> int:
    optuna = import_optuna()
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,
                                                         optuna.trial.TrialState.PRUNED)))


def open_study(plan: TunePlan, folder: Path, strategy: str) -> Any:
    optuna = import_optuna()
    study = optuna.create_study(study_name=strategy, storage=storage_url(folder), load_if_exists=True,
                                direction="minimize" if plan.direction == "min" else "maximize",
                                pruner=pruner_for(plan))
    study.sampler = sampler_for(plan, len(study.trials))
    queue_grid(study, plan)
    return study


def recover(study: Any, announce: Callable[[str], None]) -> None:
    """Trials left running by a killed search: marked failed, their settings queued to run again."""
    optuna = import_optuna()
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number}, skip_if_exists=False)
        announce(f"{study.study_name}: trial {trial.number} was interrupted; its settings run again")


def run_optuna(plan: TunePlan, folder: Path, registry: Registry, announce: Callable[[str], None]) -> None:
    """Bring every strategy's study to ``plan.trials`` finished (complete or pruned) trials."""
    optuna = import_optuna()
    space = plan.space
    dists = distributions(space)
    with shared_data():  # the data is cut once for all trials of the same batch size
        for strategy in plan.strategies:
            study = open_study(plan, folder, strategy)
            recover(study, announce)
            settings = train_settings(load_spec(plan.source, strategy=strategy, overrides=plan.overrides,
                                                registry=registry), **plan.train)
            budget = min(plan.trials, len(grid_of(space, 0))) if plan.sampler == "grid" else plan.trials
            while finished_trials(study) < budget:
                trial = study.ask(dists)
                _run_trial(optuna, study, trial, plan, folder, strategy, settings.steps_per_epoch,
                           settings.epoch_cap, registry, announce)


def _run_trial(optuna: Any, study: Any, trial: Any, plan: TunePlan, folder: Path, strategy: str,
               steps_per_epoch: int, last_epoch: int, registry: Registry, announce: Callable[[str], None]) -> None:
    params = dict(trial.params)
    overrides = [*plan.overrides, *as_overrides(params)]
    spec = TrialSpec(plan.source, strategy, tuple(overrides), dict(plan.train), plan.metric)
    label = f"{strategy} trial {trial.number} ({finished_trials(study) + 1} of {plan.trials})"
    epochs = [0]
    runs: list[TrialRun] = []

    def report_first_seed(epoch: int, value: float) -> None:
        epochs[0] += 1
        trial.report(value, step=epoch)
        if epoch < last_epoch and trial.should_prune():  # a trial that trained to the end is kept
            raise optuna.TrialPruned(f"pruned after epoch {epoch}")

    def count(epoch: int, value: float) -> None:
        epochs[0] += 1

    settings = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
    try:
        for seed, run_dir in trial_folders(folder, strategy, trial.number, plan.seeds):
            runs.append(train_trial(spec, seed, run_dir, report_first_seed if seed == 0 else count, registry))
            if runs[-1].diverged:
                raise optuna.TrialPruned("the loss diverged (NaN)")
    except optuna.TrialPruned as pruned:
        _attrs(trial, epochs[0] * steps_per_epoch, runs, diverged=bool(runs and runs[-1].diverged))
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        announce(f"{label}: {settings}: {pruned}")
        return
    value = mean_final(runs)
    _attrs(trial, epochs[0] * steps_per_epoch, runs)
    study.tell(trial, value)
    announce(f"{label}: {settings}: {plan.metric} {value:.5g} after {epochs[0] * steps_per_epoch:,} steps")


def _attrs(trial: Any, steps: int, runs: list[TrialRun], diverged: bool = False) -> None:
    trial.set_user_attr("steps", steps)
    trial.set_user_attr("seconds", round(sum(run.seconds for run in runs), 2))
    trial.set_user_attr("seed_values", [run.final for run in runs])
    if diverged:
        trial.set_user_attr("diverged", True)


def optuna_trials(folder: Path, strategy: str) -> list[dict[str, Any]]:
    """Every trial of ``strategy``'s study, backend-neutral (:mod:`upspec.tune.results` reads these)."""
    optuna = import_optuna()
    study = optuna.load_study(study_name=strategy, storage=storage_url(folder))
    rows = []
    for trial in study.get_trials(deepcopy=False):
        rows.append({"number": trial.number, "state": trial.state.name.lower(), "params": dict(trial.params),
                     "value": trial.value, "steps": int(trial.user_attrs.get("steps", 0)),
                     "seconds": float(trial.user_attrs.get("seconds", 0.0)),
                     "epochs": len(trial.intermediate_values), "retry_of": trial.user_attrs.get("retry_of"),
                     "diverged": bool(trial.user_attrs.get("diverged", False))})
    return rows
