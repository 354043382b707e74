"""The search on a cluster: Ray Tune with its Optuna searcher and ASHA scheduler, the same trials, the same
results table (:mod:`upspec.tune.results`).

One Tuner per strategy, its experiment under ``TUNE_DIR/ray/<strategy>``: a search interrupted there is
restored (``Tuner.restore``) by the same command. Each trial is a Ray task reserving ``cpus`` / ``gpus``; it
trains its seeds one after another (:func:`upspec.tune.trial.train_trial`) and reports the validation metric
after each epoch of its first seed, which ASHA (grace period 1 epoch, reduction factor 3) uses to stop the
trials that fall behind; with several seeds the mean over them is reported once more at the end.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any
from typing import Callable

from ..errors import UpspecError
from ..modelspec.load import load_spec
from ..modelspec.sections import train_settings
from ..registry.registry import Registry
from ..registry.registry import local_plugins
from .optuna_search import distributions
from .plan import TunePlan
from .search_space import as_overrides
from .trial import TrialSpec

RAY_EXTRA = "pip install 'upspec[ray,tune]'"


def import_ray_tune() -> Any:
    try:
        from ray import tune
        from ray.tune.search.optuna import OptunaSearch  # noqa: F401  # needs optuna too
    except ImportError:
        raise UpspecError(f"--executor ray needs Ray Tune and Optuna, which are not installed: {RAY_EXTRA}") from None
    return tune


def trainable(config: dict[str, Any], *, plan: dict[str, Any], strategy: str, folder: str,
              plugins: tuple[str, ...], final_epoch: int) -> None:
    """One trial in a Ray worker: train each seed, report ``{epoch, METRIC, steps}`` after each epoch of the
    first seed (and the mean over seeds at ``final_epoch`` when there are several)."""
    from ray import tune

    from ..registry.registry import get_registry
    from ..registry.registry import use_local_plugins
    from ..runner.training.framework import settle_framework
    from .trial import mean_final
    from .trial import train_trial

    if local_plugins() != tuple(plugins):
        use_local_plugins(plugins)
    settle_framework()
    registry = get_registry()
    metric, seeds = plan["metric"], int(plan["seeds"])
    spec = TrialSpec(plan["source"], strategy, (*plan["overrides"], *as_overrides(config)), dict(plan["train"]),
                     metric)
    context = tune.get_context()
    name = f"trial-{context.get_trial_id()}"
    runs = []
    for seed in range(seeds):
        run_dir = Path(folder) / strategy / name / f"seed-{seed}"

        def report(epoch: int, value: float, first: bool = seed == 0) -> None:
            if first:
                tune.report({"epoch": epoch, metric: value if math.isfinite(value) else float("inf")})

        runs.append(train_trial(spec, seed, run_dir, report, registry))
        if runs[-1].diverged:
            tune.report({"epoch": final_epoch, metric: float("inf"), "diverged": True,
                         "steps": sum(r.steps for r in runs)})
            return
    if seeds > 1:
        tune.report({"epoch": final_epoch, metric: mean_final(runs), "steps": sum(r.steps for r in runs)})


def run_ray(plan: TunePlan, folder: Path, registry: Registry, announce: Callable[[str], None], *,
            address: str | None = None, cpus: float = 1, gpus: float = 0) -> dict[str, list[dict[str, Any]]]:
    """Every strategy's search with Ray Tune; returns its trials, backend-neutral."""
    import ray

    tune = import_ray_tune()
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.optuna import OptunaSearch

    if plan.sampler != "tpe":
        raise UpspecError("--executor ray searches with Optuna's TPE (--sampler tpe)")
    owned = not ray.is_initialized()
    if owned:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                 runtime_env={"env_vars": {"TF_CPP_MIN_LOG_LEVEL": "3"}})
    announce(f"ray: {'joined ' + address if address else 'a local cluster'}; each trial reserves {cpus:g} CPU(s) "
             f"and {gpus:g} GPU(s)")
    mode = "min" if plan.direction == "min" else "max"
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        for strategy in plan.strategies:
            settings = train_settings(load_spec(plan.source, strategy=strategy, overrides=plan.overrides,
                                                registry=registry), **plan.train)
            final_epoch = settings.epoch_cap + (1 if plan.seeds > 1 else 0)
            function = tune.with_resources(
                tune.with_parameters(trainable, plan=_plain(plan), strategy=strategy, folder=str(folder.resolve()),
                                     plugins=tuple(local_plugins()), final_epoch=final_epoch),
                {"cpu": cpus, "gpu": gpus})
            path = (folder / "ray" / strategy).resolve()
            if tune.Tuner.can_restore(str(path)):
                announce(f"{strategy}: restoring the Ray Tune experiment in {path}")
                tuner = tune.Tuner.restore(str(path), trainable=function, resume_errored=True)
            else:
                searcher = OptunaSearch(space=distributions(plan.space), metric=plan.metric, mode=mode,
                                        seed=plan.sampler_seed)
                scheduler = ASHAScheduler(time_attr="epoch", metric=plan.metric, mode=mode, max_t=final_epoch,
                                          grace_period=1, reduction_factor=3)
                config = tune.TuneConfig(search_alg=searcher, scheduler=scheduler if plan.pruner == "asha" else None,
                                         num_samples=plan.trials, max_concurrent_trials=None)
                tuner = tune.Tuner(function, tune_config=config,
                                   run_config=tune.RunConfig(name=strategy, storage_path=str(path.parent), verbose=0))
            grid = tuner.fit()
            found[strategy] = [_row(i, result, plan.metric, final_epoch, settings.steps_per_epoch)
                               for i, result in enumerate(grid)]
            for row in found[strategy]:
                announce(f"{strategy} trial {row['number']}: {row['params']}: {row['state']}, {plan.metric} "
                         f"{row['value']}")
    finally:
        if owned:
            ray.shutdown()
    return found


def _plain(plan: TunePlan) -> dict[str, Any]:
    return {"source": plan.source, "overrides": list(plan.overrides), "train": dict(plan.train),
            "metric": plan.metric, "seeds": plan.seeds}


def _row(number: int, result: Any, metric: str, final_epoch: int, steps_per_epoch: int) -> dict[str, Any]:
    """A Ray result as a trial row: complete when it reached its last epoch, pruned when ASHA stopped it."""
    metrics = result.metrics or {}
    epoch = int(metrics.get("epoch", 0))
    value = metrics.get(metric)
    diverged = bool(metrics.get("diverged"))
    state = "fail" if result.error else ("complete" if epoch >= final_epoch and not diverged else "pruned")
    config = {k: v for k, v in (result.config or {}).items()}
    return {"number": number, "state": state, "params": config,
            "value": float(value) if value is not None and state == "complete" else None,
            "steps": int(metrics.get("steps", epoch * steps_per_epoch)),
            "seconds": float(metrics.get("time_total_s", 0.0)), "epochs": min(epoch, final_epoch),
            "retry_of": None, "diverged": diverged}
