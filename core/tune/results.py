"""A finished search's outputs, whichever backend ran it: per strategy the best settings as a spec overlay,
the table, the figure of the metric against the learning rate, the search's cost; and reading them back for
``upspec sweep --tuned``.

Files in the tune folder:

- ``tuned.json``: per strategy the best settings (``overrides``, ``--set`` texts), its value, the trials'
  counts and the search's cost, with the plan; ``finished: true`` once every strategy has its trials;
- ``best/<strategy>.yaml`` (an overlay: a base for ``extends: [SPEC, best/<strategy>.yaml]``) and
  ``best/<strategy>.set`` (one ``--set`` argument a line);
- ``results.md``, ``trials.csv`` and ``learning_rate.png``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import yaml

from ..charts import Panel
from ..charts import Series
from ..charts import line_chart
from ..errors import Diagnostic
from ..errors import SpecError
from ..files import write_text
from .plan import PLAN
from .plan import TunePlan
from .search_space import as_overrides

TUNED = "tuned.json"
LEARNING_RATE_PATHS = ("train.learning_rate", "compile.optimizer.learning_rate")


def best_trial(trials: list[dict[str, Any]], direction: str) -> dict[str, Any] | None:
    complete = [t for t in trials if t["state"] == "complete" and t["value"] is not None and math.isfinite(t["value"])]
    if not complete:
        return None
    return (min if direction == "min" else max)(complete, key=lambda t: t["value"])


def summary(plan: TunePlan, trials: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """``tuned.json``'s content."""
    strategies = {}
    for name in plan.strategies:
        rows = trials.get(name, [])
        best = best_trial(rows, plan.direction)
        counts = {state: sum(1 for t in rows if t["state"] == state) for state in ("complete", "pruned", "fail")}
        strategies[name] = {
            "overrides": as_overrides(best["params"]) if best else [],
            "params": best["params"] if best else {},
            "value": best["value"] if best else None,
            "trial": best["number"] if best else None,
            "trials": counts,
            "steps": sum(t["steps"] for t in rows),
            "seconds": round(sum(t["seconds"] for t in rows), 1),
        }
    wanted = plan.trials
    if plan.sampler == "grid":  # a grid has as many trials as combinations, at most
        wanted = min(wanted, math.prod(len(d.range.values) for d in plan.space.dimensions))
    finished = all(s["trials"]["complete"] + s["trials"]["pruned"] >= wanted and s["value"] is not None
                   for s in strategies.values())
    return {"kind": plan.kind, "finished": finished, "source": plan.source, "metric": plan.metric,
            "direction": plan.direction, "search": plan.search, "trials": plan.trials, "seeds": plan.seeds,
            "train": plan.train, "overrides": plan.overrides, "executor": plan.executor, "sampler": plan.sampler,
            "pruner": plan.pruner, "strategies": strategies}


def overlay(params: dict[str, Any]) -> dict[str, Any]:
    """Dotted paths as a nested spec fragment; ``layers.ID.KEY`` as ``layers: [{id: ID, KEY: value}]`` (what
    ``extends:`` merges by id)."""
    tree: dict[str, Any] = {}
    layers: dict[str, dict[str, Any]] = {}
    for path, value in params.items():
        parts = path.split(".")
        if parts[0] == "layers" and len(parts) >= 3:
            entry = layers.setdefault(parts[1], {"id": parts[1]})
            node = entry
            for part in parts[2:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
            continue
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    if layers:
        tree["layers"] = list(layers.values())
    return tree


def method(plan: TunePlan) -> str:
    """How the settings were found, in one sentence."""
    search = "; ".join(f"{path}: {next(iter(r))} {next(iter(r.values()))}" for path, r in plan.search.items())
    budget = ", ".join(f"{k} {v}" for k, v in plan.train.items()) or "the spec's train settings"
    sampler = "Optuna TPE" if plan.sampler == "tpe" else "Optuna's grid"
    pruner = "successive-halving (ASHA) pruning per epoch" if plan.pruner == "asha" else "no pruning"
    runner = "Ray Tune with its Optuna searcher and ASHA scheduler" if plan.executor == "ray" else f"{sampler}, {pruner}"
    return (f"`upspec tune`: {plan.trials} trials per strategy ({runner}), {plan.seeds} seed(s) per trial, "
            f"each scored by its final {plan.metric} on the validation set ({'lower' if plan.direction == 'min' else 'higher'}"
            f" is better; the test set unseen); searched {search}; budget per trial: {budget}")


def write_results(folder: Path, plan: TunePlan, trials: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Every output of a search from its trials; returns ``tuned.json``'s content."""
    result = summary(plan, trials)
    best_dir = folder / "best"
    for name, entry in result["strategies"].items():
        if entry["value"] is None:
            continue
        write_text(best_dir / f"{name}.yaml",
                   f"# the best settings of {name} found by upspec tune ({folder}); use as a base:\n"
                   f"#   extends: [YOUR_SPEC.yaml, best/{name}.yaml]   or   --set each line of best/{name}.set\n"
                   + yaml.safe_dump(overlay(entry["params"]), sort_keys=False))
        write_text(best_dir / f"{name}.set", "".join(line + "\n" for line in entry["overrides"]))
    write_text(folder / "trials.csv", _trials_csv(trials))
    write_text(folder / "results.md", _markdown(plan, result))
    _figure(folder / "learning_rate.png", plan, trials)
    write_text(folder / TUNED, json.dumps(result, indent=2, default=float) + "\n")
    return result


def _trials_csv(trials: dict[str, list[dict[str, Any]]]) -> str:
    buffer = io.StringIO()
    paths = list(dict.fromkeys(p for rows in trials.values() for t in rows for p in t["params"]))
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["strategy", "trial", "state", "value", "epochs", "steps", "seconds", *paths])
    for name, rows in trials.items():
        for t in rows:
            writer.writerow([name, t["number"], t["state"], t["value"], t["epochs"], t["steps"], t["seconds"],
                             *(t["params"].get(p) for p in paths)])
    return buffer.getvalue()


def _setting(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _markdown(plan: TunePlan, result: dict[str, Any]) -> str:
    lines = [f"# Tune: {', '.join(plan.strategies)}", "", method(plan) + ".", "",
             f"| strategy | best {plan.metric} | best settings | trials (complete / pruned / failed) | steps | minutes |",
             "|---|---|---|---|---|---|"]
    total_steps = total_seconds = 0.0
    for name, entry in result["strategies"].items():
        counts = entry["trials"]
        settings = ", ".join(f"`{k}={_setting(v)}`" for k, v in entry["params"].items()) or "-"
        value = f"{entry['value']:.5g}" if entry["value"] is not None else "-"
        lines.append(f"| {name} | {value} | {settings} | {counts['complete']} / {counts['pruned']} / {counts['fail']} "
                     f"| {entry['steps']:,} | {entry['seconds'] / 60:.1f} |")
        total_steps += entry["steps"]
        total_seconds += entry["seconds"]
    lines += ["", f"Cost of the search: {total_steps:,.0f} training steps, {total_seconds / 60:.1f} min of training "
              "(pruned trials stop early; their steps count).", "",
              "The best settings of each strategy are in `best/<strategy>.yaml` (a base for `extends:`) and "
              "`best/<strategy>.set` (`--set` lines); `upspec sweep SPEC --tuned THIS_FOLDER` compares the "
              "strategies at them. Every trial is in `trials.csv`; Optuna's study in `study.db` "
              "(`optuna-dashboard sqlite:///study.db`).", "", "![metric against learning rate](learning_rate.png)", ""]
    return "\n".join(lines)


def _figure(path: Path, plan: TunePlan, trials: dict[str, list[dict[str, Any]]]) -> None:
    """The validation metric of every finished trial against its learning rate (log scale), per strategy."""
    rate = next((p for p in LEARNING_RATE_PATHS if p in plan.search), next(iter(plan.search), None))
    series = []
    for name, rows in trials.items():
        points = sorted((float(t["params"][rate]), float(t["value"])) for t in rows
                        if t["state"] == "complete" and t["value"] is not None and rate in t["params"]
                        and isinstance(t["params"][rate], (int, float)) and t["params"][rate] > 0)
        if points:
            series.append(Series(name, [math.log10(x) for x, _ in points], [y for _, y in points]))
    title = f"{plan.metric} against {rate}" if rate else plan.metric
    line_chart([Panel(title, series, xlabel=f"log10 {rate}", ylabel=plan.metric, integer_x=False)], path)


def read_tuned(folder: Path, strategies: list[str]) -> dict[str, Any]:
    """``tuned.json`` of a finished search covering ``strategies``; a positioned error for a folder that is
    not a tune folder, an unfinished search, or one without some of the strategies."""
    where = f"--tuned {folder}"

    def refuse(message: str, hint: str) -> SpecError:
        return SpecError([Diagnostic(where, 1, len("--tuned ") + 1, message, hint)])

    if not (folder / PLAN).is_file():
        raise refuse(f"{folder} is not a tune folder (no {PLAN})", "give the folder `upspec tune` wrote (--out)")
    try:
        plan = TunePlan.read(folder)
    except Exception as error:  # noqa: BLE001 - reported as the folder's problem
        raise refuse(str(error), "give the folder `upspec tune` wrote (--out)") from None
    tuned_path = folder / TUNED
    data = json.loads(tuned_path.read_text()) if tuned_path.is_file() else {}
    if not data.get("finished"):
        raise refuse(f"the search in {folder} is unfinished (no results for every strategy yet)",
                     f"finish it first: run the same `upspec tune` command again (it resumes), plan: "
                     f"{', '.join(plan.strategies)}, {plan.trials} trials")
    missing = [name for name in strategies if name not in data["strategies"]]
    if missing:
        raise refuse(f"the search in {folder} did not tune {', '.join(missing)} (it tuned "
                     f"{', '.join(data['strategies'])})", "tune them too, or sweep only the tuned strategies")
    data["method"] = method(plan)
    return data
