"""Run a sweep: one job per (strategy, seed), each in its own run folder, resumable.

The sweep folder holds ``sweep.json`` (what to run) and ``<strategy>/seed-<n>/`` per job. The driver plans
the jobs, asks each folder for its :class:`~upspec.compare.jobs.JobState`, hands the unfinished jobs to an
executor (this process, or Ray) and writes the comparison from the rows that come back. Every strategy
gets the same seeds, and a seed fixes the initial weights and the data order, so seed ``s`` sees the same
batches in the same order whatever the strategy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import Sequence

from ..errors import SpecError
from ..errors import UpspecError
from ..files import write_text
from ..graph.graph import build_graph
from ..registry.registry import get_registry
from ..registry.registry import local_plugins
from ..modelspec.sections import train_settings
from ..runner.artefacts.lock import hold_lock
from ..runner.artefacts.lock import with_held_locks
from ..runner.artefacts.rundir import new_run_dir
from ..runner.data.shared import shared_data
from ..runner.lanes import Lane
from ..runner.lanes import lane_for
from ..runner.training.fit import TrainingDiverged
from ..runner.training.framework import settle_framework
from ..modelspec.load import load_spec
from ..modelspec.overrides import override_strings
from ..wording import plural
from .comparison import write_comparison
from .settings_note import settings_section
from .settings_note import shared_rate
from .settings_note import tuned_settings
from .settings_note import tuned_strategies
from .executors import LocalExecutor
from .jobs import JobState
from .jobs import SweepJob
from .jobs import job_state
from .jobs import read_row

if TYPE_CHECKING:
    from ..registry.registry import Registry

STATE = "sweep.json"


@dataclass
class SweepResult:
    folder: Path
    #: one per (strategy, seed), strategies in sweep order, seeds ascending within each
    rows: list[dict[str, Any]]
    skipped: dict[str, str]


@dataclass
class SweepPlan:
    """What ``sweep.json`` records: enough to finish the sweep from its folder alone."""

    source: Any
    overrides: list[str]
    train: dict[str, Any]
    strategies: list[str]
    seeds: list[int]
    skipped: dict[str, str]
    #: per strategy the ``--set`` texts of its tuned settings (``--tuned``), and how they were found
    tuned: dict[str, list[str]] = field(default_factory=dict)
    tuning: str = ""

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2) + "\n"

    @classmethod
    def read(cls, folder: Path) -> SweepPlan:
        if not (folder / STATE).exists():
            raise UpspecError(f"{folder} is not a sweep folder (no {STATE})")
        state = json.loads((folder / STATE).read_text())
        if "seeds" not in state:
            raise UpspecError(f"{folder} was written by an earlier upspec (one folder per strategy, no seeds); "
                              "start a new sweep")
        return cls(state["source"], state["overrides"], state["train"], state["strategies"], state["seeds"],
                   state["skipped"], state.get("tuned", {}), state.get("tuning", ""))


def choose_strategies(source: Any, wanted: str, overrides: list[str], registry: Registry) -> tuple[list[str], dict[str, str]]:
    """The strategies to run (``all`` or a comma list), and the ones skipped with the reason."""
    names = sorted(registry.strategies) if wanted == "all" else [n.strip() for n in wanted.split(",") if n.strip()]
    if not names:
        raise UpspecError("--strategies is empty; give names separated by commas, or 'all'")
    chosen, skipped = [], {}
    for name in names:
        try:
            build_graph(load_spec(source, strategy=name, overrides=overrides, registry=registry), registry)
            chosen.append(name)
        except SpecError as error:
            if wanted != "all":
                raise
            skipped[name] = error.diagnostics[0].message
    return chosen, skipped


def choose_seeds(spec: Any, seeds: int | None, seed_list: Sequence[int] | None, train: dict[str, Any]) -> list[int]:
    """``seed_list`` as given, or ``0..seeds-1``, or else the spec's one ``train.seed``."""
    if seeds is not None and seed_list:
        raise UpspecError("give --seeds N or --seed-list a,b, not both")
    if seed_list:
        if len(set(seed_list)) != len(seed_list):
            raise UpspecError(f"--seed-list repeats a seed: {list(seed_list)}")
        return [int(s) for s in seed_list]
    if seeds is not None:
        if seeds < 1:
            raise UpspecError(f"--seeds must be at least 1, not {seeds}")
        return list(range(seeds))
    return [train_settings(spec, **train).seed]


def plan_jobs(folder: Path, plan: SweepPlan, verbose: int = 0) -> list[SweepJob]:
    """One job per (strategy, seed), in the order the comparison lists them."""
    plugins = tuple(str(Path(p).resolve()) if Path(p).is_file() else p for p in local_plugins())
    return [SweepJob(strategy=name, seed=seed, run_dir=str((folder / name / f"seed-{seed}").resolve()),
                     source=plan.source, overrides=(*plan.overrides, *plan.tuned.get(name, [])),
                     train=dict(plan.train), plugins=plugins, verbose=verbose,
                     note=_note(plan.tuned.get(name), plan.tuning))
            for name in plan.strategies for seed in plan.seeds]


@with_held_locks
def run_sweep(source: Any, *, strategies: str = "all", overrides: Any = None,
              train_overrides: dict[str, Any] | None = None, seeds: int | None = None,
              seed_list: Sequence[int] | None = None, out: str | None = None, resume: str | None = None,
              root: str = "runs", verbose: int = 0, executor: Any = None, tuned: str | None = None,
              announce: Callable[[str], None] = lambda line: None, registry: Registry | None = None) -> SweepResult:
    """Train ``source`` once per strategy and seed and write the comparison; ``executor`` (from
    :func:`~upspec.compare.executors.make_executor`) runs the jobs, this process by default. ``registry``:
    the caller's (the process-wide one by default); jobs on other processes build their own from the
    plan's plugins."""
    settle_framework()
    registry = registry or get_registry()
    if resume:
        if seeds is not None or seed_list or tuned:
            raise UpspecError("--resume finishes the sweep as it was planned; give the seeds or --tuned to a new "
                              "sweep")
        folder = Path(resume)
        plan = SweepPlan.read(folder)
        hold_lock(folder, "sweep folder")
    else:
        if tuned and strategies == "all":  # the strategies the search tuned
            strategies = ",".join(tuned_strategies(tuned))
        folder, plan, described = _start(source, strategies, override_strings(overrides), train_overrides or {}, seeds,
                                         seed_list, out, root, registry, tuned)
        for line in described:
            announce(line)
    announce(f"sweep folder: {folder}")
    for name, reason in plan.skipped.items():
        announce(f"skipped {name}: {reason}")

    lane = lane_for(load_spec(plan.source, strategy=plan.strategies[0], overrides=plan.overrides, registry=registry),
                    registry)
    jobs = plan_jobs(folder, plan, verbose)
    diverged: list[dict[str, Any]] = []
    rows = _run_jobs(folder, jobs, executor, _labeller(jobs, many_seeds=len(plan.seeds) > 1), announce, lane,
                     diverged)
    ordered = [rows[job.key] for job in jobs if job.key in rows]
    shared = "" if plan.tuned else shared_rate(plan.source, plan.overrides, plan.train, plan.strategies[0], registry)
    section = settings_section(plan.tuned, plan.tuning, shared)
    for line in write_comparison(folder, ordered, plan.skipped, registry, lane=lane, diverged=diverged,
                                 settings=section):
        announce(line)
    return SweepResult(folder, ordered, plan.skipped)


def _run_jobs(folder: Path, jobs: list[SweepJob], executor: Any, label: Callable[[SweepJob], str],
              announce: Callable[[str], None], lane: Lane,
              diverged: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """Every job's row: read back for the finished ones, from the executor for the others; a job whose loss
    became NaN goes to ``diverged`` (listed by the comparison), not to the failures."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    todo = []
    for job in jobs:
        if job_state(job.run_dir) is JobState.DONE:
            rows[job.key] = read_row(job.run_dir)
            announce(f"{label(job)}: {JobState.DONE.action}")
        else:
            todo.append(job)

    def started(job: SweepJob) -> None:
        announce(f"{label(job)}: {job_state(job.run_dir).action}")

    failed: list[tuple[SweepJob, BaseException]] = []
    finished = 0
    with shared_data():  # jobs in this process load and cut the data once
        for job, row, error in (executor or LocalExecutor()).run(todo, started):
            if isinstance(error, TrainingDiverged):
                diverged.append({"strategy": job.strategy, "seed": job.seed, "run": f"{job.strategy}/seed-{job.seed}",
                                 **error.record})
                announce(f"{label(job)}: diverged: {error}")
                continue
            if error is not None:
                failed.append((job, error))
                announce(f"{label(job)}: failed: {_describe(error)}")
                continue
            assert row is not None  # a job without an error has its row
            rows[job.key] = row
            announce(f"{label(job)}: done in {row['seconds']:.0f} s: {_headline(lane, row['metrics'])}")
            finished += 1
            left = len(todo) - finished - len(failed)
            if finished == 1 and left > 0 and row.get("seconds"):
                announce(f"estimate: {plural(left, 'more job')}, about {max(1, round(left * row['seconds'] / 60))} min at "
                         f"this job's {row['seconds']:.0f} s each")
    if failed:
        _raise_failures(folder, failed)
    return rows


def plan_sweep(source: Any, *, strategies: str = "all", overrides: Any = None, train: dict[str, Any] | None = None,
               seeds: int | None = None, seed_list: Sequence[int] | None = None,
               registry: Registry | None = None, tuned_dir: str | None = None) -> tuple[Any, SweepPlan]:
    """Check everything that can be checked before training; the spec and the plan (nothing written)."""
    registry = registry or get_registry()
    overrides = override_strings(overrides)
    names, skipped = choose_strategies(source, strategies, overrides, registry)
    if not names:
        raise UpspecError(f"no strategy can build this graph: {skipped}")
    tuned, tuning = tuned_settings(tuned_dir, source, names) if tuned_dir else ({}, "")
    spec = load_spec(source, overrides=overrides, registry=registry)
    train = {k: v for k, v in (train or {}).items() if v is not None}
    chosen_seeds = choose_seeds(spec, seeds, seed_list, train)
    _check_data(load_spec(source, strategy=names[0], overrides=overrides, registry=registry), registry)
    plan = SweepPlan(str(Path(source).resolve()) if isinstance(source, (str, Path)) else source, overrides, train,
                     names, chosen_seeds, skipped, tuned, tuning)
    return spec, plan


def plan_lines(spec: Any, plan: SweepPlan) -> list[str]:
    """What a sweep will do, before it does it: runs, their budget, the strategies skipped."""
    train = train_settings(spec, **plan.train)
    runs = len(plan.strategies) * len(plan.seeds)
    steps = train.epoch_cap * train.steps_per_epoch
    each = f"each {plural(train.epochs, 'epoch')} x {plural(train.steps_per_epoch, 'step')}"
    if train.until is not None:  # train.epochs is ignored: each run stops on its plateau or at the cap
        each = (f"each until {train.until.monitor} stops improving for {plural(train.until.patience, 'epoch')}, "
                f"at most {plural(train.epoch_cap, 'epoch')} x {plural(train.steps_per_epoch, 'step')}")
    lines = [f"plan: {plural(len(plan.strategies), 'strategy', 'strategies')} x {plural(len(plan.seeds), 'seed')} = "
             f"{plural(runs, 'run')} ({', '.join(plan.strategies)}), {each}, batch "
             f"{train.batch_size}: {'at most ' if train.until is not None else ''}{runs * steps:,} training steps "
             "in all; an estimate of the time follows the first job (--dry-run: this plan only; --strategies a,b "
             "and --seeds N make it smaller)"]
    lines += [f"skipped {name}: {reason}" for name, reason in plan.skipped.items()]
    return lines


def _start(source: Any, strategies: str, overrides: list[str], train: dict[str, Any], seeds: int | None,
           seed_list: Sequence[int] | None, out: str | None, root: str,
           registry: Registry, tuned_dir: str | None = None) -> tuple[Path, SweepPlan, list[str]]:
    """Check everything that can be checked before training, then create the sweep folder and its plan."""
    spec, plan = plan_sweep(source, strategies=strategies, overrides=overrides, train=train, seeds=seeds,
                            seed_list=seed_list, registry=registry, tuned_dir=tuned_dir)
    folder = new_run_dir(spec, root=root, out=out, prefix="sweep-", kind="sweep folder")
    write_text(folder / STATE, plan.to_json())
    return folder, plan, plan_lines(spec, plan)[:1]


def _note(tuned: list[str] | None, tuning: str) -> str:
    """The line a run's report gets on the settings it ran with."""
    if tuned is None:
        return "learning rate shared by every strategy of the sweep and untuned (no `--tuned`)"
    return f"tuned: {', '.join(f'`{o}`' for o in tuned)}, found by {tuning}"


def _labeller(jobs: list[SweepJob], many_seeds: bool) -> Callable[[SweepJob], str]:
    index = {job.key: i for i, job in enumerate(jobs, 1)}
    return lambda job: f"[{index[job.key]}/{len(jobs)}] {job.name if many_seeds else job.strategy}"


def _describe(error: BaseException) -> str:
    return str(error) if isinstance(error, UpspecError) else f"{type(error).__name__}: {error}"


def _raise_failures(folder: Path, failed: list[tuple[SweepJob, BaseException]]) -> None:
    if len(failed) == 1:
        ((job, error),) = failed
        if isinstance(error, (UpspecError, KeyboardInterrupt)):
            raise error
    lines = "".join(f"\n  {job.name}: {_describe(error)}" for job, error in failed)
    raise UpspecError(f"{len(failed)} job(s) of the sweep failed (the finished ones are kept; "
                      f"`upspec sweep --resume {folder}` tries the others again):{lines}")


def _check_data(spec: Any, registry: Registry) -> None:
    """Fail before creating the sweep folder when the spec's data cannot feed the model."""
    lane_for(spec, registry).check_data(spec, registry)


def _headline(lane: Lane, metrics: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in lane.headline(metrics).items())
