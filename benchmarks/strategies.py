"""Regenerate docs/strategies.md: `upspec sweep --seeds 3` over the installed strategies on three tasks.

    nice python benchmarks/strategies.py            # about 40 minutes on two (shared) CPU cores
    python benchmarks/strategies.py --fresh         # ignore earlier sweeps under runs/strategies/
    python benchmarks/strategies.py --partial       # write the page from the runs finished so far, train nothing

Super-resolution x2 on `photos` with ESPCN over a fixed bicubic skip (benchmarks/espcn_residual_sweep.yaml:
specs/espcn_residual.yaml with the skip pinned, so only the learned sub-pixel entry is swapped), segmentation on `shapes` (specs/unet.yaml), denoising on
`digits` (specs/digits_denoise.yaml); three seeds per strategy, the same seeds (initial weights, data order)
for every strategy. Budgets are small, set in TASKS, and stated on the page. The sweep folders stay under
runs/strategies/; an interrupted regeneration resumes them.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = 3
#: the built-in strategies but DySample, and not the example plugin's CARAFE: both take several times as long
#: per run here, which the page's time budget does not allow
SR_STRATEGIES = ("bicubic", "bilinear", "bilinear_additive", "lanczos", "nearest", "pixel_shuffle", "transpose",
                 "transpose_zoh")
#: the strategies the literature's claims are about (Odena, Aitken, Shi, Wojna)
FEW = "transpose,nearest,bilinear_additive,pixel_shuffle"
#: (title, spec, strategies, training budget)
TASKS = [
    ("Super-resolution x2 on `photos` (ESPCN over a bicubic skip; the sub-pixel entry swapped)",
     "benchmarks/espcn_residual_sweep.yaml", ",".join(SR_STRATEGIES), {"epochs": 4, "steps_per_epoch": 50, "batch_size": 16}),
    ("Segmentation on `shapes` (U-Net, two upsample entries)", "specs/unet.yaml",
     FEW, {"epochs": 3, "steps_per_epoch": 40, "batch_size": 8}),
    ("Denoising on `digits` (two upsample entries)", "specs/digits_denoise.yaml",
     FEW, {"epochs": 3, "steps_per_epoch": 40, "batch_size": 16}),
]


def _verdict(stats, name: str, metric: str, reference: str) -> str:
    """How ``name`` stands against the best strategy, in words."""
    row = next((s for s in stats.strategies if s.strategy == name), None)
    if row is None:
        return f"`{name}` was not run"
    if name == reference:
        return f"`{name}` has the best mean {metric}"
    d = row.difference.get(metric)
    if d is None:
        return f"`{name}`: no paired seeds"
    word = "tied with" if row.tie else "below" if row.worse else "not separable from"
    return f"`{name}` is {word} the best (`{reference}`): {d.format(3, signed=True)}"


def findings(results: dict[str, tuple]) -> str:
    """What the sweeps say about Odena 2016, Aitken 2017, Shi 2016 and Wojna 2019, from the numbers."""
    lines = []
    sr = results.get("sr")
    cb = {}
    for _key, (rows, _stats, _metric) in results.items():
        for row in rows:
            if row.get("cb_init") is not None:
                cb.setdefault(row["strategy"], []).append(row["cb_init"])
    med = {k: sorted(v)[len(v) // 2] for k, v in cb.items()}
    if "transpose" in med and "nearest" in med:
        agree = med["transpose"] > 1e-3 and med["nearest"] < 1e-5
        lines.append(f"**Odena et al. 2016** (transpose convolution makes checkerboard patterns; resize-convolution "
                     f"does not): {'agrees' if agree else 'does not agree'}: CB at initialisation is "
                     f"{med['transpose']:.3g} for `transpose` and {med['nearest']:.2g} for `nearest`.")
    if "pixel_shuffle" in med:
        agree = med["pixel_shuffle"] < 1e-5
        lines.append(f"**Aitken et al. 2017** (sub-pixel convolution with ICNR initialisation starts free of "
                     f"checkerboard): {'agrees' if agree else 'does not agree'}: CB at initialisation "
                     f"{med['pixel_shuffle']:.2g} for `pixel_shuffle`"
                     + (f", against {med['transpose']:.3g} for `transpose`." if "transpose" in med else "."))
    if sr:
        rows, stats, metric = sr
        from upspec.analysis.intervals import interval

        by_seed = {(r["strategy"], int(r.get("seed", 0))): r["metrics"]["model"][metric] for r in rows}
        seeds = sorted({seed for name, seed in by_seed if name == "pixel_shuffle"} &
                       {seed for name, seed in by_seed if name == "transpose"})
        if seeds:
            d = interval([by_seed["pixel_shuffle", s] - by_seed["transpose", s] for s in seeds])
            word = ("agrees" if d.low is not None and d.low > 0 else
                    "does not agree here: sub-pixel convolution is worse" if d.high is not None and d.high < 0 else
                    "is not reproduced here: neither is better")
            lines.append(f"**Shi et al. 2016** (sub-pixel convolution beats a deconvolution layer for "
                         f"super-resolution, at lower cost): {word}; `pixel_shuffle` minus `transpose` on the same "
                         f"seed: {d.format(3, signed=True)} dB PSNR. The best mean is `{stats.reference}`.")
        losing = [s.strategy for s in stats.strategies if s.gain.get(metric) and s.gain[metric].mean < 0]
        lines.append(f"Against bicubic interpolation: {len(stats.strategies) - len(losing)} of "
                     f"{len(stats.strategies)} learned strategies have a positive mean PSNR gain"
                     + (f"; below bicubic: {', '.join(f'`{n}`' for n in losing)}." if losing else "."))
    wojna = [f"{label}: {_verdict(results[key][1], 'bilinear_additive', results[key][2], results[key][1].reference)}"
             for label, key in (("super-resolution", "sr"), ("segmentation", "seg"), ("denoising", "denoise"))
             if key in results]
    if wojna:
        top = all(("tied with" in w or "has the best" in w) for w in wojna)
        lines.append("**Wojna et al. 2019** (bilinear additive upsampling is at or near the top on every task): "
                     + ("agrees" if top else "agrees only in part") + ": " + "; ".join(wojna) + ".")
    lines.append("With three seeds and these short budgets most differences between learned upsamplers are ties: "
                 "the seed-to-seed spread is as large as the differences. Read a tie as \"this budget cannot tell "
                 "them apart\", not as \"they are equal\".")
    return "\n\n".join(f"- {line}" if not line.startswith("With") else line for line in lines)


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


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from upspec.compare.comparison import markdown_table
    from upspec.compare.statistics import budget_line
    from upspec.compare.statistics import compare
    from upspec.compare.statistics import markdown
    from upspec.compare.sweep import run_sweep
    from upspec.modelspec.load import load_spec

    fresh = "--fresh" in sys.argv[1:]
    partial = "--partial" in sys.argv[1:]
    started = time.perf_counter()
    cpu_started = os.times()
    sections, results = [], {}
    for key, (title, spec, strategies, budget) in zip(("sr", "seg", "denoise"), TASKS):
        root = ROOT / "runs" / "strategies"
        earlier = sorted((root / load_spec(ROOT / spec).name).glob("sweep-*/sweep.json"))
        announce = lambda line: print(line, flush=True)  # noqa: E731
        missing = ""
        if partial:
            rows, missing = finished_rows(earlier[-1].parent if earlier else None)
            if not rows:
                sections.append(f"## {title}\n\nNot run in time for this page ({missing}).\n")
                continue
            result = type("Partial", (), {"rows": rows})()
        elif earlier and not fresh:  # an interrupted (or finished) sweep: keep what it has, finish the rest
            result = run_sweep(None, resume=str(earlier[-1].parent), announce=announce)
        else:
            result = run_sweep(ROOT / spec, strategies=strategies, root=str(root), seeds=SEEDS,
                               train_overrides=budget, announce=announce)
        stats = compare(result.rows)
        metric = stats.primary
        results[key] = (result.rows, stats, metric)
        seeds = sorted({int(r.get("seed", 0)) for r in result.rows})
        flags = " ".join(f"--{k.replace('_per_epoch', '').replace('_', '-')} {v}" for k, v in budget.items())
        command = f"upspec sweep {spec} --strategies {strategies} --seeds {SEEDS} {flags}"
        if missing:
            missing = f"**Partial:** {missing}; the intervals use the seeds that finished.\n\n"
        sections.append(f"## {title}\n\n`{command}`\n\n{missing}{budget_line(budget, seeds, [r.get('seconds', 0) for r in result.rows])}\n\n"
                        f"{markdown(stats)}\n<details><summary>costs and checkerboard (means over seeds)</summary>\n\n"
                        f"{markdown_table(_means(result.rows))}\n\n</details>\n")
    wall = time.perf_counter() - started
    cpu = sum(os.times()[:4]) - sum(cpu_started[:4])
    stamp = datetime.date.today().isoformat()
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    intro = (ROOT / "benchmarks" / "strategies_intro.md").read_text()
    wall_text, cpu_text = f"{wall / 60:.0f} min", f"{cpu / 60:.0f} min"
    if partial:  # this process only read the runs: report the runs' own summed time
        summed = sum(float(r.get("seconds") or 0) for rows, _, _ in results.values() for r in rows)
        wall_text, cpu_text = f"{summed / 60:.0f} min (summed over the finished runs)", "not measured"
    text = (intro.format(date=stamp, machine=machine, wall=wall_text, cpu=cpu_text)
            + "\n## What it finds\n\n" + findings(results) + "\n\n" + "\n".join(sections))
    page = ROOT / "docs" / "strategies.md"
    kept = (generation_section(page.read_text()) + guided_section(page.read_text())) if page.exists() else ""
    page.write_text(text + ("\n" + kept if kept else ""))
    print(f"wrote docs/strategies.md in {wall / 60:.1f} min wall, {cpu / 60:.1f} min CPU")


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
