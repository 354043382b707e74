"""Regenerate docs/strategies.md: each strategy tuned, then compared over 5 seeds at budgets that converge.

    nice python benchmarks/strategies.py            # about 1.5 to 2 hours on two CPU cores
    python benchmarks/strategies.py --fresh         # ignore earlier searches and sweeps under runs/strategies/
    python benchmarks/strategies.py --partial       # write the page from the runs finished so far, train nothing
    python benchmarks/strategies.py --smoke         # tiny budgets under runs/strategies-smoke/, page not written

Per task, first `upspec tune` (Optuna in this process, its SQLite study in the tune folder): each strategy's
learning rate from a grid of four (0.5 decades apart), ASHA pruning at epochs 1, 3, 9, scored on the validation
loss; then `upspec sweep --tuned` at each strategy's best rate, seeds 0-4, every run trained until its validation
loss stops improving (`train.until`, patience 3 epochs) or it reaches the task's step cap. Super-resolution x2 on
`photos` with ESPCN over a fixed bicubic skip (benchmarks/espcn_residual_sweep.yaml: specs/espcn_residual.yaml
with the skip pinned, so only the learned sub-pixel entry is swapped; MATLAB bicubic degradation), segmentation
on `shapes` (specs/unet.yaml), denoising on `digits` (specs/digits_denoise.yaml). The five strategies are the
ones the literature's claims are about (Odena, Aitken, Shi, Wojna, Sugawara). Everything stays under
runs/strategies/; an interrupted regeneration resumes the searches and sweeps where they stopped.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
import time
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMOKE = "--smoke" in sys.argv[1:]
SEEDS = 2 if SMOKE else 5
#: the strategies the literature's claims are about: Odena 2016 (transpose, nearest), Aitken 2017 and Shi 2016
#: (pixel_shuffle), Wojna 2019 (bilinear_additive), Sugawara 2019 (transpose_zoh)
STRATEGIES = "transpose,transpose_zoh,nearest,bilinear_additive,pixel_shuffle"
#: the learning rates searched: a grid of four, half a decade apart, around every spec's Adam 1e-3
RATES = "[3.0e-4, 1.0e-3, 3.0e-3, 1.0e-2]"
TRIALS = 2 if SMOKE else 4


def _until(max_steps: int) -> dict:
    return {"monitor": "val_loss", "patience": 1 if SMOKE else 3, "min_delta": 0.0, "max_steps": max_steps}


def _trial(epochs: int, steps: int, batch: int) -> dict:
    return {"epochs": 2 if SMOKE else epochs, "steps_per_epoch": 3 if SMOKE else steps, "batch_size": batch}


def _sweep(steps: int, batch: int, cap: int) -> dict:
    return {"steps_per_epoch": 3 if SMOKE else steps, "batch_size": batch, "until": _until(9 if SMOKE else cap)}


#: (key, title, spec, a trial's budget in the search, the comparison's budget)
TASKS = [
    ("sr", "Super-resolution x2 on `photos` (ESPCN over a bicubic skip; the sub-pixel entry swapped)",
     "benchmarks/espcn_residual_sweep.yaml", _trial(9, 50, 16), _sweep(100, 16, 3000)),
    ("seg", "Segmentation on `shapes` (U-Net, two upsample entries)", "specs/unet.yaml",
     _trial(9, 20, 8), _sweep(40, 8, 1200)),
    ("denoise", "Denoising on `digits` (two upsample entries)", "specs/digits_denoise.yaml",
     _trial(9, 20, 16), _sweep(50, 16, 1500)),
]
OUT = ROOT / "runs" / ("strategies-smoke" if SMOKE else "strategies")


def _paired(rows: list[dict], metric: str, a: str, b: str):
    """``a`` minus ``b`` on the primary ``metric`` over the seeds both ran, with its interval (None: no seeds)."""
    from upspec.analysis.intervals import interval
    from upspec.compare.statistics import metric_of

    by_seed = {(r["strategy"], int(r.get("seed", 0))): metric_of(r, metric) for r in rows}
    seeds = sorted(s for (n, s), v in by_seed.items() if n == a and v is not None and by_seed.get((b, s)) is not None)
    return interval([by_seed[a, s] - by_seed[b, s] for s in seeds]) if seeds else None


def conclusive(rows: list[dict], metric: str) -> tuple[list[str], int]:
    """Every pair of strategies whose paired difference on ``metric`` excludes 0, in words; and the pair count."""
    names = sorted({r["strategy"] for r in rows})
    found, pairs = [], 0
    for a, b in combinations(names, 2):
        d = _paired(rows, metric, a, b)
        if d is None or d.low is None:
            continue
        pairs += 1
        if not d.contains_zero():
            hi, lo = (a, b) if d.mean > 0 else (b, a)
            d = d if d.mean > 0 else _paired(rows, metric, hi, lo)
            found.append(f"`{hi}` above `{lo}`: {d.format(3, signed=True)}")
    return found, pairs


def _median_cb(rows: list[dict], key: str) -> dict[str, float]:
    values: dict[str, list[float]] = {}
    for row in rows:
        if row.get(key) is not None:
            values.setdefault(row["strategy"], []).append(float(row[key]))
    return {k: sorted(v)[len(v) // 2] for k, v in values.items()}


def claims(key: str, rows: list[dict], stats, metric: str) -> dict[str, str]:
    """Per paper, what this task's sweep says about its claim (a verdict first: reproduced / not reproduced /
    contradicted), from the numbers."""
    out = {}
    init, trained = _median_cb(rows, "cb_init"), _median_cb(rows, "cb_trained")
    unit = " dB" if metric == "psnr" else ""
    if "transpose" in init and "nearest" in init:
        ok = init["transpose"] > 1e-3 and init["nearest"] < 1e-5
        out["Odena et al. 2016"] = (f"{'reproduced' if ok else 'not reproduced'} (transpose convolution starts with "
                                    f"a checkerboard, resize-convolution does not): CB at init {init['transpose']:.3g} "
                                    f"for `transpose`, {init['nearest']:.2g} for `nearest`; after training "
                                    f"{trained.get('transpose', float('nan')):.3g} and {trained.get('nearest', float('nan')):.2g}")
    if "pixel_shuffle" in init:
        ok = init["pixel_shuffle"] < 1e-5
        out["Aitken et al. 2017"] = (f"{'reproduced' if ok else 'not reproduced'} (sub-pixel convolution with ICNR "
                                     f"starts free of checkerboard): CB at init {init['pixel_shuffle']:.2g} for "
                                     f"`pixel_shuffle`; after training {trained.get('pixel_shuffle', float('nan')):.3g}")
    if key == "sr":
        d = _paired(rows, metric, "pixel_shuffle", "transpose")
        if d is not None and d.low is not None:
            word = ("reproduced" if d.low > 0 else "contradicted: sub-pixel convolution is worse" if d.high < 0
                    else "not reproduced: neither is better")
            out["Shi et al. 2016"] = (f"{word} (sub-pixel convolution beats a deconvolution layer): `pixel_shuffle` "
                                      f"minus `transpose` on the same seed {d.format(3, signed=True)}{unit} {metric.upper()}")
    row = next((s for s in stats.strategies if s.strategy == "bilinear_additive"), None)
    if row is not None:
        if stats.reference == "bilinear_additive":
            out["Wojna et al. 2019"] = "reproduced (bilinear additive at or near the top): it has the best mean"
        else:
            d = row.difference.get(metric)
            word = "reproduced" if row.tie else "not reproduced"
            out["Wojna et al. 2019"] = (f"{word} (bilinear additive at or near the top): `bilinear_additive` minus the "
                                        f"best (`{stats.reference}`) {d.format(3, signed=True) if d else '?'}{unit}"
                                        + (" (a tie)" if row.tie else " (below it)"))
    if "transpose_zoh" in init:
        free = init["transpose_zoh"] < 1e-5 and trained.get("transpose_zoh", 1.0) < 1e-5
        d = _paired(rows, metric, "transpose_zoh", "transpose")
        cost = (f"; `transpose_zoh` minus `transpose` {d.format(3, signed=True)}{unit} "
                + ("(no loss)" if d.low is not None and d.high is not None and d.high >= 0 else "(a loss)")
                if d is not None and d.low is not None else "")
        out["Sugawara et al. 2019"] = (f"{'reproduced' if free else 'not reproduced'} (a zero-order hold after the "
                                       f"transpose convolution keeps it free of checkerboard, at init and after "
                                       f"training, without losing accuracy): CB {init['transpose_zoh']:.2g} at init, "
                                       f"{trained.get('transpose_zoh', float('nan')):.2g} trained{cost}")
    return out


def convergence(rows: list[dict], budget: dict) -> str:
    """How many runs stopped on their validation plateau, and how many at the step cap (not converged)."""
    until, per_epoch = budget["until"], budget["steps_per_epoch"]
    cap = -(-until["max_steps"] // per_epoch) * per_epoch
    capped = sorted({f"`{r['strategy']}`" for r in rows if int(r.get("steps") or 0) >= cap})
    hit = sum(1 for r in rows if int(r.get("steps") or 0) >= cap)
    steps = [int(r.get("steps") or 0) for r in rows if int(r.get("steps") or 0) < cap] or [cap]
    return (f"**Convergence.** {len(rows) - hit} of {len(rows)} runs stopped on their validation plateau (after "
            f"{min(steps):,} to {max(steps):,} steps)" + (f"; {hit} reached the cap of {cap:,} steps and may not have "
            f"converged ({', '.join(capped)})" if hit else "; none reached the cap of " + f"{cap:,} steps") + ".\n\n")


def section_end(key: str, rows: list[dict], stats, metric: str, budget: dict) -> str:
    """A section's closing lines: convergence, the conclusive differences and the papers' claims on this task."""
    found, pairs = conclusive(rows, metric)
    text = convergence(rows, budget) if budget.get("until") else ""
    text += (f"**Conclusive differences** ({metric}, paired 95% intervals over seeds that exclude 0): "
             f"{len(found)} of {pairs} pairs" + (": " + "; ".join(found) + "." if found else
                                                 ": every pair is a tie; on this task and budget the five cannot be "
                                                 "told apart.")
             + ("" if not found or len(found) == pairs else " Every other pair is a tie.") + "\n\n")
    for paper, verdict in claims(key, rows, stats, metric).items():
        text += f"- **{paper}**: {verdict}.\n"
    return text


def findings(results: dict[str, tuple]) -> str:
    """The page's summary: per paper, its verdict on each task; then the conclusive pairs per task."""
    labels = {"sr": "super-resolution", "seg": "segmentation", "denoise": "denoising"}
    by_paper: dict[str, list[str]] = {}
    counts = []
    for key, (rows, stats, metric) in results.items():
        for paper, verdict in claims(key, rows, stats, metric).items():
            by_paper.setdefault(paper, []).append(f"{labels[key]}: {verdict}")
        found, pairs = conclusive(rows, metric)
        counts.append(f"{labels[key]} {len(found)} of {pairs} pairs (best mean `{stats.reference}`)")
    lines = [f"**{paper}**: " + "; ".join(verdicts) + "." for paper, verdicts in by_paper.items()]
    lines.append(f"Conclusive differences (paired intervals over {SEEDS} seeds that exclude 0): " + "; ".join(counts)
                 + ". Each section lists them.")
    sr = results.get("sr")
    if sr:
        rows, stats, metric = sr
        losing = [s.strategy for s in stats.strategies if s.gain.get(metric) and s.gain[metric].mean < 0]
        lines.append(f"Against bicubic interpolation: {len(stats.strategies) - len(losing)} of "
                     f"{len(stats.strategies)} learned strategies have a positive mean PSNR gain"
                     + (f"; below bicubic: {', '.join(f'`{n}`' for n in losing)}." if losing else "."))
    return "\n".join(f"- {line}" for line in lines)


def generation_section(page: str) -> str:
    """The generation section that benchmarks/gan_strategies.py wrote into the page: kept on regeneration."""
    from gan_strategies import BEGIN
    from gan_strategies import END

    start = page.find(BEGIN)
    end = page.find(END, start)
    return page[start:end + len(END)] + "\n" if start >= 0 and end >= 0 else ""


def guided_section(page: str) -> str:
    """The guided section that benchmarks/guided_tables.py wrote into the page: kept on regeneration."""
    from guided_tables import BEGIN
    from guided_tables import END

    start = page.find(BEGIN)
    end = page.find(END, start)
    return page[start:end + len(END)] + "\n" if start >= 0 and end >= 0 else ""


def tune_section(folder: Path) -> str:
    """The search's method sentence, table and cost, from the tune folder's results.md."""
    text = (folder / "results.md").read_text()
    lines = text.splitlines()[2:]
    cut = next((i for i, line in enumerate(lines) if line.startswith("Cost of the search")), len(lines) - 1)
    return "\n".join(lines[:cut + 1]).replace("| strategy | best", "| strategy | best", 1) + "\n"


def tuned_command(spec: str, budget: dict) -> str:
    flags = " ".join(f"--{k.replace('_per_epoch', '').replace('_', '-')} {v}" for k, v in budget.items())
    return (f"upspec tune {spec} --strategies {STRATEGIES} --trials {TRIALS} --sampler grid --pruner asha "
            f"--search 'train.learning_rate={{choice: {RATES}}}' {flags}")


def sweep_command(spec: str, budget: dict, tune_dir: str) -> str:
    until = budget["until"]
    rule = ",".join(f"train.until.{k}={v}" for k, v in until.items())
    return (f"upspec sweep {spec} --tuned {tune_dir} --seeds {SEEDS} --steps {budget['steps_per_epoch']} "
            f"--batch-size {budget['batch_size']} " + " ".join(f"--set {part}" for part in rule.split(",")))


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from upspec.compare.comparison import markdown_table
    from upspec.compare.statistics import budget_line
    from upspec.compare.statistics import compare
    from upspec.compare.statistics import markdown
    from upspec.compare.sweep import run_sweep
    from upspec.modelspec.load import load_spec
    from upspec.tune.tune import run_tune

    fresh = "--fresh" in sys.argv[1:]
    partial = "--partial" in sys.argv[1:]
    if fresh and OUT.exists():
        import shutil

        shutil.rmtree(OUT)
    started = time.perf_counter()
    cpu_started = os.times()
    sections, results = [], {}
    announce = lambda line: print(line, flush=True)  # noqa: E731
    for key, title, spec, trial, budget in TASKS:
        tune_dir = OUT / f"tune-{key}"
        root = OUT / "sweeps"
        earlier = sorted((root / load_spec(ROOT / spec).name).glob("sweep-*/sweep.json"))
        missing = ""
        if partial:
            rows, missing = finished_rows(earlier[-1].parent if earlier else None)
            if not rows:
                sections.append(f"## {title}\n\nNot run in time for this page ({missing}).\n")
                continue
            result = type("Partial", (), {"rows": rows})()
        else:
            announce(f"== {key}: tuning the learning rate of {STRATEGIES}")
            run_tune(ROOT / spec, strategies=STRATEGIES, trials=TRIALS, seeds=1, epochs=trial["epochs"],
                     steps_per_epoch=trial["steps_per_epoch"], batch_size=trial["batch_size"],
                     search=[f"train.learning_rate={{choice: {RATES}}}"], sampler="grid", pruner="asha",
                     out=str(tune_dir), announce=announce)
            announce(f"== {key}: comparing at the tuned rates, {SEEDS} seeds, until the validation plateau")
            if earlier:  # an interrupted (or finished) sweep: keep what it has, finish the rest
                result = run_sweep(None, resume=str(earlier[-1].parent), announce=announce)
            else:
                result = run_sweep(ROOT / spec, strategies=STRATEGIES, root=str(root), seeds=SEEDS,
                                   train_overrides=budget, tuned=str(tune_dir), announce=announce)
        stats = compare(result.rows)
        metric = stats.primary
        results[key] = (result.rows, stats, metric)
        seeds = sorted({int(r.get("seed", 0)) for r in result.rows})
        if missing:
            missing = f"**Partial:** {missing}; the intervals use the seeds that finished.\n\n"
        rel = tune_dir.relative_to(ROOT)
        sections.append(
            f"## {title}\n\n**Tuning.** `{tuned_command(spec, trial)} --out {rel}`\n\n{tune_section(tune_dir)}\n"
            f"**Comparison.** `{sweep_command(spec, budget, str(rel))}`\n\n{missing}"
            f"{budget_line(budget, seeds, [r.get('seconds', 0) for r in result.rows])}\n\n"
            f"{markdown(stats)}\n{section_end(key, result.rows, stats, metric, budget)}\n"
            f"<details><summary>steps run, costs and checkerboard (means over seeds)</summary>\n\n"
            f"{markdown_table(_means(result.rows))}\n\n</details>\n")
    wall = time.perf_counter() - started
    cpu = sum(os.times()[:4]) - sum(cpu_started[:4])
    stamp = datetime.date.today().isoformat()
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    intro = (ROOT / "benchmarks" / "strategies_intro.md").read_text()
    spent = accumulated_time(wall, cpu, partial)
    wall_text = f"{spent['wall'] / 60:.0f} min"
    cpu_text = f"{spent['cpu'] / 60:.0f} min of CPU time" + (
        f" (both summed over the {spent['processes']} processes that worked on it: an interrupted or finished "
        "regeneration resumes)" if spent["processes"] > 1 else "")
    if partial and not spent["processes"]:  # only read the runs: report the runs' own summed time
        summed = sum(float(r.get("seconds") or 0) for rows, _, _ in results.values() for r in rows)
        wall_text, cpu_text = f"{summed / 60:.0f} min (summed over the finished runs)", "CPU time not measured"
    text = (intro.format(date=stamp, machine=machine, wall=wall_text, cpu=cpu_text)
            + "\n## What it finds\n\n" + findings(results) + "\n\n" + "\n".join(sections))
    if SMOKE:
        (OUT / "strategies.md").write_text(text)
        print(f"smoke: wrote {OUT / 'strategies.md'}")
        return
    page = ROOT / "docs" / "strategies.md"
    kept = (generation_section(page.read_text()) + guided_section(page.read_text())) if page.exists() else ""
    page.write_text(text + ("\n" + kept if kept else ""))
    print(f"wrote docs/strategies.md in {wall / 60:.1f} min wall, {cpu / 60:.1f} min CPU")


def accumulated_time(wall: float, cpu: float, partial: bool) -> dict:
    """The regeneration's wall and CPU seconds summed over the processes that worked on it (an interrupted
    regeneration resumes in another process), kept in OUT/regeneration.json; a --partial process adds nothing."""
    import json

    path = OUT / "regeneration.json"
    spent = json.loads(path.read_text()) if path.exists() else {"wall": 0.0, "cpu": 0.0, "processes": 0}
    if not partial:
        spent = {"wall": spent["wall"] + wall, "cpu": spent["cpu"] + cpu, "processes": spent["processes"] + 1}
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(spent) + "\n")
    return spent


def finished_rows(folder: Path | None) -> tuple[list[dict], str]:
    """The rows of a sweep's finished jobs, and a note on what is missing."""
    if folder is None:
        return [], "no sweep folder"
    from upspec.compare.jobs import JobState
    from upspec.compare.jobs import job_state
    from upspec.compare.jobs import read_row
    from upspec.compare.sweep import SweepPlan
    from upspec.compare.sweep import plan_jobs

    jobs = plan_jobs(folder, SweepPlan.read(folder))
    done = [job for job in jobs if job_state(job.run_dir) is JobState.DONE]
    rows = [read_row(job.run_dir) for job in done]
    missing = [job.name for job in jobs if job not in done]
    return rows, (f"{len(done)} of {len(jobs)} runs finished; not run: {', '.join(missing)}" if missing else "")


def _means(rows: list[dict]) -> list[dict]:
    """One row per strategy, numbers averaged over seeds (for the cost / CB table)."""
    try:
        from upspec.compare.comparison import strategy_means
    except ImportError:  # before the per-seed sweep: one row per strategy already
        return rows
    return strategy_means(rows)


if __name__ == "__main__":
    main()
