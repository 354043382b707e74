"""``upspec tune``: search each strategy's settings before a comparison.

:func:`run_tune` checks everything it can before training (the spec with every strategy, the searched paths
and values, the data), creates or reopens the tune folder, runs the search (Optuna in this process, or Ray
Tune) and writes the results (:mod:`upspec.tune.results`). The same command on the same folder resumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Sequence

from ..errors import UpspecError
from ..graph.graph import build_graph
from ..modelspec.load import load_spec
from ..modelspec.sections import Until
from ..modelspec.sections import train_settings
from ..registry.registry import Registry
from ..registry.registry import get_registry
from ..runner.artefacts.rundir import new_run_dir
from ..runner.training.framework import settle_framework
from .optuna_search import import_optuna
from .optuna_search import optuna_trials
from .optuna_search import run_optuna
from .plan import FolderLock
from .plan import TunePlan
from .plan import open_folder
from .results import write_results
from .search_space import check_space
from .search_space import declared_space
from .search_space import parse_search_options
from .trial import supervised_lane

SAMPLERS = ("tpe", "grid")
PRUNERS = ("asha", "none")


@dataclass
class TuneResult:
    folder: Path
    #: ``tuned.json``'s content: per strategy the best settings, value, trial counts and cost
    result: dict[str, Any]


def _strategies(source: Any, wanted: str, overrides: list[str], registry: Registry) -> list[str]:
    names = sorted(registry.strategies) if wanted == "all" else [n.strip() for n in wanted.split(",") if n.strip()]
    if not names:
        raise UpspecError("--strategies is empty; give names separated by commas")
    for name in names:  # a strategy that cannot build the graph is an error here: a search is chosen by hand
        build_graph(load_spec(source, strategy=name, overrides=overrides, registry=registry), registry)
    return names


def make_plan(source: Any, *, strategies: str, trials: int, seeds: int, train: dict[str, Any], overrides: list[str],
              search: Sequence[str], metric: str, executor: str, sampler: str, pruner: str,
              registry: Registry) -> TunePlan:
    """The plan of a search, everything in it checked against the spec (``SpecError`` / ``UpspecError``)."""
    if trials < 1 or seeds < 1:
        raise UpspecError(f"--trials and --seeds must be at least 1, not {trials} and {seeds}")
    if sampler not in SAMPLERS or pruner not in PRUNERS:
        raise UpspecError(f"sampler is one of {', '.join(SAMPLERS)} and pruner one of {', '.join(PRUNERS)}")
    spec = load_spec(source, overrides=overrides, registry=registry)
    names = _strategies(source, strategies, overrides, registry)
    train = {k: v for k, v in train.items() if v is not None}
    train_settings(spec, **train)  # a bad --epochs / --steps is reported before anything else
    space = declared_space(spec, parse_search_options(search))
    check_space(space, source, names, overrides, registry)
    first = load_spec(source, strategy=names[0], overrides=overrides, registry=registry)
    supervised_lane(first, registry).check_data(first, registry)  # a GAN is refused here, before any folder
    return TunePlan(source=str(Path(source).resolve()) if isinstance(source, (str, Path)) else source,
                    strategies=names, trials=trials, seeds=seeds, train=train, overrides=list(overrides),
                    search=space.to_json(), metric=metric, direction=Until(monitor=metric).direction,
                    executor=executor, sampler=sampler, pruner=pruner)


def run_tune(source: Any, *, strategies: str, trials: int = 10, seeds: int = 1, epochs: int | None = None,
             steps_per_epoch: int | None = None, batch_size: int | None = None, overrides: Sequence[str] = (),
             search: Sequence[str] = (), metric: str = "val_loss", out: str | None = None, root: str = "runs",
             executor: str = "local", sampler: str = "tpe", pruner: str = "asha", address: str | None = None,
             cpus_per_trial: float | None = None, gpus_per_trial: float | None = None,
             announce: Callable[[str], None] = lambda line: None, registry: Registry | None = None) -> TuneResult:
    """Search the settings of each strategy of ``strategies`` (a comma list) on ``source``; ``out``: the tune
    folder (a finished or interrupted one continues). Returns the folder and ``tuned.json``'s content."""
    settle_framework()
    registry = registry or get_registry()
    if executor == "local":
        import_optuna()  # the missing extra is reported before any check trains or loads data
        if address or cpus_per_trial is not None or gpus_per_trial is not None:
            raise UpspecError("--address, --cpus-per-trial and --gpus-per-trial are for --executor ray")
    plan = make_plan(source, strategies=strategies, trials=trials, seeds=seeds,
                     train={"epochs": epochs, "steps_per_epoch": steps_per_epoch, "batch_size": batch_size},
                     overrides=list(overrides), search=search, metric=metric, executor=executor, sampler=sampler,
                     pruner=pruner, registry=registry)
    if out is not None:
        folder = Path(out)
    else:
        folder = new_run_dir(load_spec(source, overrides=list(overrides), registry=registry), root=root,
                             prefix="tune-")
    plan, resumed = open_folder(folder, plan)
    announce(f"tune folder: {folder}" + (" (continuing the search in it)" if resumed else ""))
    announce(f"searching {plan.space.describe()}; {plan.trials} trials per strategy, {plan.seeds} seed(s) each, "
             f"on {plan.metric}")
    with FolderLock(folder):
        if executor == "ray":
            from .ray_search import run_ray

            trials_by_strategy = run_ray(plan, folder, registry, announce, address=address,
                                         cpus=1 if cpus_per_trial is None else cpus_per_trial,
                                         gpus=gpus_per_trial or 0)
        else:
            run_optuna(plan, folder, registry, announce)
            trials_by_strategy = {name: optuna_trials(folder, name) for name in plan.strategies}
        result = write_results(folder, plan, trials_by_strategy)
    for name, entry in result["strategies"].items():
        best = ", ".join(entry["overrides"]) or "no finished trial"
        announce(f"{name}: best {plan.metric} {entry['value']:.5g} with {best}" if entry["value"] is not None
                 else f"{name}: {best}")
    announce(f"results: {folder / 'results.md'}")
    return TuneResult(folder, result)
