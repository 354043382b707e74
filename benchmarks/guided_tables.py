"""Regenerate the guided and alias-free sections of docs/strategies.md (issue #22) with one command.

    python benchmarks/guided_tables.py                         # --budget small: a rehearsal on a CPU
    KERAS_BACKEND=jax python benchmarks/guided_tables.py --budget full --seeds 3    # on a GPU
    python benchmarks/guided_tables.py --tasks gan --fresh     # one comparison again, from scratch
    python benchmarks/guided_tables.py --partial               # the page from the runs finished so far

Three `upspec sweep`s, each over every strategy with the same seeds:

- segmentation with `specs/unet_guided.yaml` (each decoder upsample guided by its encoder skip) over
  `transpose, bilinear, pixel_shuffle, dysample, carafe, fade, sapa, jbu`, on `shapes` (generated) and on
  `coins` (scikit-image's real photo, masks from its segmentation tutorial's watershed): mean IoU and
  boundary IoU with 95% intervals, paired differences and ties, and CB / EQ-T / cost per strategy;
- generation with `specs/dcgan_digits_unconditional.yaml` over `alias_free, transpose, nearest`: EQ-T (integer and
  sub-pixel, at init and trained), FD and the spectral peak ratio, with intervals.

The text between the markers below in docs/strategies.md is replaced (appended when missing); the rest of
the page is left as it is. It states the machine, date, Keras backend, budget and seeds, and what the papers
claim against what these numbers show. Sweep folders: runs/guided/<budget>/<task>/ (an interrupted one is
resumed; --fresh starts over). On any backend the runner feeds ``tf.data``: TensorFlow must be importable
(its CPU build is enough beside JAX on a GPU). ``carafe`` comes from the example plugin (pip install -e examples/upspec-carafe);
without it the sweep lists it as skipped.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- guided section: written by benchmarks/guided_tables.py; keep when regenerating -->"
END = "<!-- end of the guided section -->"
SEGMENTATION = ("transpose", "bilinear", "pixel_shuffle", "dysample", "carafe", "fade", "sapa", "jbu")
GUIDED = ("fade", "sapa", "jbu")
GENERATION = ("alias_free", "transpose", "nearest")
#: budget -> (segmentation train settings, segmentation data overrides, GAN train settings, default seeds)
BUDGETS: dict[str, tuple[dict[str, int], list[str], dict[str, int], int]] = {
    "small": ({"epochs": 1, "steps_per_epoch": 3, "batch_size": 4},
              ["data.validation_patches=8", "data.test_patches=8", "data.test_images=8"],
              {"epochs": 1, "steps_per_epoch": 20}, 2),
    "full": ({"epochs": 8, "steps_per_epoch": 100, "batch_size": 8}, [], {"epochs": 10, "steps_per_epoch": 100}, 3),
}
#: task -> (title, spec, strategies, extra overrides per budget)
TASKS: dict[str, tuple[str, str, tuple[str, ...], dict[str, list[str]]]] = {
    "shapes": ("Guided segmentation on `shapes` (generated shapes on textured noise)", "specs/unet_guided.yaml",
               SEGMENTATION, {"small": ["data.options.count=16"], "full": []}),
    "coins": ("Guided segmentation on `coins` (a real photo, masks by watershed)", "specs/unet_guided.yaml",
              SEGMENTATION, {"small": ["data.source=coins"], "full": ["data.source=coins"]}),
    "gan": ("Alias-free generation: the DCGAN digits generator", "specs/dcgan_digits_unconditional.yaml", GENERATION,
            {"small": [], "full": []}),
}


def device() -> str:
    """The Keras backend and the device it computes on, in words."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        devices = jax.devices()
        return f"Keras {keras.__version__} on JAX {jax.__version__}, {len(devices)} x {devices[0].device_kind}"
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return f"Keras {keras.__version__} on TensorFlow {tf.__version__}, " + (f"{len(gpus)} GPU(s)" if gpus else "CPU")
    return f"Keras {keras.__version__} on {backend}"


def machine() -> str:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from common import cpu_name

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpu_name()}, {cores} CPU cores (load average {load}), Python {platform.python_version()}"


def sweep(task: str, budget: str, seeds: int, root: Path, fresh: bool) -> list[dict[str, Any]]:
    """The task's sweep, resumed when its folder holds an interrupted one of the same plan."""
    from upspec.compare.sweep import run_sweep

    _, spec, strategies, extra = TASKS[task]
    train, data, gan_train, _ = BUDGETS[budget]
    overrides = list(extra[budget]) + ([] if task == "gan" else data)
    settings = gan_train if task == "gan" else train
    folder = root / budget / task
    announce = lambda line: print(f"[{task}] {line}", flush=True)  # noqa: E731
    if (folder / "sweep.json").exists() and not fresh:
        import json

        plan = json.loads((folder / "sweep.json").read_text())
        if (plan.get("seeds") == list(range(seeds)) and plan.get("overrides") == overrides
                and all(plan.get("train", {}).get(k) == v for k, v in settings.items())):
            return run_sweep(None, resume=str(folder), announce=announce).rows
    if folder.exists():
        shutil.rmtree(folder)
    return run_sweep(ROOT / spec, strategies=",".join(strategies), overrides=overrides, seeds=seeds,
                     train_overrides=settings, out=str(folder), announce=announce).rows


def finished(task: str, budget: str, root: Path) -> tuple[list[dict[str, Any]], str]:
    """The rows of the task's finished jobs (training nothing), and a note on what is missing."""
    from upspec.compare.jobs import JobState
    from upspec.compare.jobs import job_state
    from upspec.compare.jobs import read_row
    from upspec.compare.sweep import SweepPlan
    from upspec.compare.sweep import plan_jobs

    folder = root / budget / task
    if not (folder / "sweep.json").exists():
        return [], "not started"
    jobs = plan_jobs(folder, SweepPlan.read(folder))
    done = [job for job in jobs if job_state(job.run_dir) is JobState.DONE]
    missing = [job.name for job in jobs if job not in done]
    return [read_row(job.run_dir) for job in done], (
        f"{len(done)} of {len(jobs)} runs finished; not run: {', '.join(missing)}" if missing else "")


def _groups(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["strategy"], []).append(row)
    return groups


def _number(value: Any) -> float | None:
    return None if value is None else float(value)  # "inf" (exact EQ-T) included


def _mean(values: list[Any], digits: int = 1) -> str:
    """Mean [95% t-interval] of numbers that may be "inf" (EQ-T) or missing."""
    from upspec.analysis.intervals import interval

    numbers = [v for v in (_number(x) for x in values) if v is not None]
    if not numbers:
        return "-"
    if any(np.isinf(numbers)):
        return "inf" if all(np.isinf(numbers)) else f"inf in {sum(np.isinf(numbers))} of {len(numbers)} seeds"
    return interval(numbers).format(digits)


def _paired(rows: list[dict[str, Any]], key: str, a: str, b: str) -> Any:
    """The interval of ``a - b`` on ``metrics.model[key]`` over their common seeds (None without any)."""
    from upspec.analysis.intervals import interval

    by = {(r["strategy"], int(r.get("seed", 0))): r["metrics"]["model"].get(key) for r in rows}
    seeds = sorted({s for n, s in by if n == a} & {s for n, s in by if n == b})
    values = [by[a, s] - by[b, s] for s in seeds if by[a, s] is not None and by[b, s] is not None]
    return interval(values) if values else None


def _word(d: Any) -> str:
    if d is None:
        return "not run"
    if d.low is None:
        return f"{d.format(4, signed=True)} (one seed: no interval)"
    return ("higher" if d.low > 0 else "lower" if d.high < 0 else "not separable") + f": {d.format(4, signed=True)}"


def segmentation_findings(rows: list[dict[str, Any]]) -> str:
    """Each guided strategy against the best unguided one (by mean boundary IoU), paired per seed."""
    groups = _groups(rows)
    unguided = [s for s in groups if s not in GUIDED]
    guided = [s for s in GUIDED if s in groups]
    if not unguided or not guided:
        return "- Guided against unguided: not both run."
    best = max(unguided, key=lambda s: float(np.mean([r["metrics"]["model"]["boundary_iou"] for r in groups[s]])))
    lines = [f"- Best unguided strategy by mean boundary IoU: `{best}`. Each guided strategy minus it, same seed:"]
    reproduced = []
    for name in guided:
        b = _paired(rows, "boundary_iou", name, best)
        m = _paired(rows, "mean_iou", name, best)
        lines.append(f"  - `{name}`: boundary IoU {_word(b)}; mean IoU {_word(m)}.")
        if b is not None and b.low is not None and b.low > 0:
            reproduced.append(name)
    lines.append("- The claim that guidance gives sharper boundaries (FADE, SAPA, FeatUp's JBU) is "
                 + (f"**reproduced here** for {', '.join(f'`{n}`' for n in reproduced)} (boundary IoU interval above "
                    f"the best unguided strategy's)." if reproduced else
                    "**not reproduced at this budget**: no guided strategy's boundary IoU is above the best unguided "
                    "strategy's with a paired interval that excludes 0."))
    return "\n".join(lines)


def segmentation_section(task: str, rows: list[dict[str, Any]], command: str, missing: str = "") -> str:
    from upspec.compare.comparison import MEASUREMENTS
    from upspec.compare.comparison import markdown_table
    from upspec.compare.comparison import strategy_means
    from upspec.compare.statistics import compare
    from upspec.compare.statistics import markdown

    title = TASKS[task][0]
    convention = rows[0]["metrics"].get("convention", "") if rows else ""
    band = rows[0]["metrics"].get("boundary_band_px") if rows else None
    if not rows:
        return f"### {title}\n\n`{command}`\n\nNot run in time for this page ({missing}).\n"
    partial = f"**Partial:** {missing}.\n\n" if missing else ""
    return (f"### {title}\n\n`{command}`\n\n{partial}{markdown(compare(rows))}\n{segmentation_findings(rows)}\n\n"
            f"Convention: {convention} (d = {band} pixels here).\n\n"
            f"<details><summary>costs, CB and EQ-T (means over seeds)</summary>\n\n"
            f"{markdown_table(strategy_means(rows))}\n\n{MEASUREMENTS}\n\n</details>\n")


#: the generator's numbers in the generation table: (key in the row, title, digits)
GAN_COLUMNS = (("eqt_init", "EQ-T at init (dB)", 1), ("eqt_trained", "EQ-T trained (dB)", 1),
               ("eqt_frac_init", "EQ-T sub-pixel at init (dB)", 1), ("eqt_frac_trained", "EQ-T sub-pixel trained (dB)", 1))
GAN_METRICS = (("fd", "FD (lower is better)", 1), ("peak_ratio", "peak ratio", 2),
               ("spectral_distance", "spectral distance", 3))


def generation_section(rows: list[dict[str, Any]], command: str, missing: str = "") -> str:
    if not rows:
        return f"### {TASKS['gan'][0]}\n\n`{command}`\n\nNot run in time for this page ({missing}).\n"
    groups = _groups(rows)
    header = ["generator upsampling", "seeds", *(t for _, t, _ in GAN_COLUMNS), *(t for _, t, _ in GAN_METRICS),
              "peak ratio at init"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, group in groups.items():
        cells = [f"`{name}`", str(len(group))]
        cells += [_mean([r.get(key) for r in group], digits) for key, _, digits in GAN_COLUMNS]
        cells += [_mean([r["metrics"]["generator"].get(key) for r in group], digits) for key, _, digits in GAN_METRICS]
        cells.append(_mean([r["metrics"].get("untrained_generator", {}).get("peak_ratio") for r in group], 2))
        lines.append("| " + " | ".join(cells) + " |")
    real = rows[0]["metrics"].get("held_out_real", {}) if rows else {}
    if real:
        lines.append("| held-out real digits | - | - | - | - | - | "
                     + " | ".join(f"{real.get(key, float('nan')):.{digits}f}" for key, _, digits in GAN_METRICS) + " | - |")
    partial = f"**Partial:** {missing}.\n\n" if missing else ""
    return (f"### {TASKS['gan'][0]}\n\n`{command}`\n\n{partial}" + "\n".join(lines) + "\n\n" + generation_findings(rows) + "\n\n"
            "EQ-T: StyleGAN3's translation equivariance of each upsample entry of the generator alone (the lower of "
            "its two entries; integer and sub-pixel shifts; inf = exact); FD: Fréchet distance of a digits "
            "classifier's features; peak ratio: power at the upsampling frequencies over their neighbours' (about 1 "
            "without periodic artefacts); see docs/generation.md for every number.\n")


def generation_findings(rows: list[dict[str, Any]]) -> str:
    """StyleGAN3's claim (a low-passed upsampler is translation equivariant, sub-pixel too) in numbers."""
    groups = _groups(rows)
    if "alias_free" not in groups:
        return "- `alias_free` was not run."

    def median(name: str, key: str) -> float:
        values = [_number(r.get(key)) for r in groups[name]]
        return float(np.median([v for v in values if v is not None])) if any(v is not None for v in values) else float("nan")

    lines = []
    for key, words in (("eqt_frac_init", "sub-pixel EQ-T at initialisation"), ("eqt_frac_trained", "sub-pixel EQ-T after training")):
        mine = median("alias_free", key)
        others = {n: median(n, key) for n in groups if n != "alias_free"}
        above = all(mine > v for v in others.values())
        lines.append(f"- {words}: `alias_free` {mine:.1f} dB against "
                     + ", ".join(f"`{n}` {v:.1f}" for n, v in others.items())
                     + (" dB: **higher than every other**, as StyleGAN3 (Karras et al. 2021) claims." if above else
                        " dB: **not higher than every other** here."))
    lines.append("- Integer-shift EQ-T is exact (inf) for any upsampler made of convolutions and resizes on an "
                 "unbounded image; a finite value there (`alias_free`'s long low-pass on the 7 x 7 entry) comes from "
                 "the probe's borders, which the 8-pixel margin does not fully leave out on outputs this small.")
    fd = {n: float(np.mean([r["metrics"]["generator"]["fd"] for r in g])) for n, g in groups.items()}
    lines.append("- Sample quality (FD) and the spectral peaks are reported, not claimed: StyleGAN3's claim is about "
                 f"equivariance, not FD (mean FD: {', '.join(f'`{n}` {v:.1f}' for n, v in fd.items())}).")
    return "\n".join(lines)


def update_block(path: Path, text: str) -> None:
    """Replace the delimited guided section of ``path`` (append it when missing); the rest stays."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{BEGIN}\n{text.rstrip()}\n{END}\n"
    if BEGIN in current and END in current:
        head, _, rest = current.partition(BEGIN)
        _, _, tail = rest.partition(END)
        current = head + block + tail.lstrip("\n")
    else:
        current = current.rstrip("\n") + "\n\n" + block
    path.write_text(current, encoding="utf-8")


def command_line(task: str, budget: str, seeds: int) -> str:
    _, spec, strategies, extra = TASKS[task]
    train, data, gan_train, _ = BUDGETS[budget]
    settings = gan_train if task == "gan" else train
    flags = " ".join(f"--set {o}" for o in extra[budget] + ([] if task == "gan" else data))
    sizes = " ".join(f"--{k.replace('_per_epoch', '').replace('_', '-')} {v}" for k, v in settings.items())
    return f"upspec sweep {spec} --strategies {','.join(strategies)} --seeds {seeds} {sizes} {flags}".rstrip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=sorted(BUDGETS), default="small")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per strategy (small: 2, full: 3)")
    parser.add_argument("--tasks", default="shapes,coins,gan", help="comma-separated: shapes, coins, gan")
    parser.add_argument("--root", default=str(ROOT / "runs" / "guided"))
    parser.add_argument("--doc", default=str(ROOT / "docs" / "strategies.md"))
    parser.add_argument("--fresh", action="store_true", help="start the sweeps over")
    parser.add_argument("--partial", action="store_true",
                        help="train nothing: write the page from the runs of each sweep finished so far")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    seeds = args.seeds or BUDGETS[args.budget][3]
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        parser.error(f"unknown task(s) {unknown}; choose from {sorted(TASKS)}")
    started = time.perf_counter()
    missing: dict[str, str] = {}
    if args.partial:
        results = {}
        for task in tasks:
            results[task], missing[task] = finished(task, args.budget, Path(args.root))
    else:
        results = {task: sweep(task, args.budget, seeds, Path(args.root), args.fresh) for task in tasks}
    minutes = (time.perf_counter() - started) / 60
    summed = sum(float(r.get("seconds") or 0) for rows in results.values() for r in rows) / 60
    took = (f"This page was written from the finished runs (`--partial`, training nothing); they took {summed:.0f} "
            "min summed." if args.partial else
            f"This page took {minutes:.0f} min of wall time ({summed:.0f} min summed over the runs).")
    train, _, gan_train, _ = BUDGETS[args.budget]
    small = args.budget == "small"
    text = [f"## Guided and alias-free upsampling (issue #22)\n",
            f"Generated by `python benchmarks/guided_tables.py --budget {args.budget} --seeds {seeds}` on "
            f"{datetime.date.today().isoformat()}: {machine()}; {device()}. Budget `{args.budget}`: segmentation "
            f"{train['epochs']} epochs x {train['steps_per_epoch']} steps of batch {train['batch_size']}, generation "
            f"{gan_train['epochs']} epochs x {gan_train['steps_per_epoch']} steps of batch 64; "
            f"{'seed 0' if seeds == 1 else f'seeds 0..{seeds - 1}'} per strategy (the same for every strategy). "
            f"{took}\n",
            ("**This budget is far too small to confirm or refute the papers' claims**: a few steps from "
             f"initialisation, {seeds} seed{'s' if seeds > 1 else ''}, small test sets. It shows the tables, the "
             "metrics and the method; read every accuracy difference as unresolved. The EQ-T at initialisation is a "
             "property of the upsampler, not of training, and is meaningful at any budget. Rerun with `--budget "
             "full` (on a GPU: `KERAS_BACKEND=jax python benchmarks/guided_tables.py --budget full --seeds 3`, with "
             "TensorFlow installed beside JAX: the runner feeds `tf.data`) for numbers that can.\n" if small else
             "Budgets are still short next to the papers' (hundreds of thousands of steps on ADE20K / FFHQ); a "
             "tie below means \"this budget cannot tell them apart\".\n"),
            "Boundary IoU (Cheng et al., CVPR 2021) is the IoU of the pixels near each mask's contour; it is what "
            "guided upsamplers claim to improve, while mean IoU over whole regions barely sees edges. EQ-T "
            "(StyleGAN3) measures how exactly an upsampler commutes with a translation of its input.\n"]
    for task in ("shapes", "coins"):
        if task in results:
            text.append(segmentation_section(task, results[task], command_line(task, args.budget, seeds),
                                             missing.get(task, "")))
    if "gan" in results:
        text.append(generation_section(results["gan"], command_line("gan", args.budget, seeds), missing.get("gan", "")))
    doc = Path(args.doc)
    update_block(doc, "\n".join(text))
    print(f"sweep folders: {', '.join(str(Path(args.root) / args.budget / t) for t in tasks)}")
    print(f"wrote the guided section of {doc} ({minutes:.1f} min wall)")


if __name__ == "__main__":
    main()
