"""How much of a sweep is spent training: the sweep's wall time split into ``fit`` and everything else.

    python benchmarks/sweep_share.py [--spec specs/seed_transpose.yaml] [--strategies transpose,nearest,bilinear,pixel_shuffle]

Runs ``upspec.compare.sweep.run_sweep`` in this process at the spec's default budget (no overrides) into a
temporary folder, with timers around its phases (the timers cost microseconds). *Training* is the time
inside ``upspec.run.train.fit`` (``model.fit`` with the run's callbacks: checkpoints, history, TensorBoard);
everything else (loading and cutting data, building, saving, evaluating, pictures, reports, measuring costs
and checkerboard, the comparison) is the non-training share. The process's first TensorFlow import is
outside the measurement (it is the same for any sweep).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine  # noqa: E402
from common import quiet_tensorflow  # noqa: E402
from common import write_section  # noqa: E402

#: (module or class, attribute, phase): functions timed, by the name each is looked up under at its call site
PHASES = [
    ("upspec.run.runner", "fit", "training (`fit`)"),
    ("upspec.compare.sweep", "choose_strategies", "pre-sweep check (graphs per strategy)"),
    ("upspec.compare.sweep", "_check_data", "pre-sweep check (data fits the model)"),
    ("upspec.run.runner", "build_model", "build model"),
    ("upspec.run.runner", "dataset_for", "load and cut data"),
    ("upspec.run.runner", "save_model", "save model"),
    ("upspec.run.predict.Predictor", "__init__", "whole-image predictor (a free-size copy of the model)"),
    ("upspec.run.predict.Predictor", "run", "predict the whole test images"),
    ("upspec.run.runner", "evaluate", "score the test images (PSNR/SSIM)"),
    ("upspec.run.runner", "record_inference", "time inference"),
    ("upspec.run.runner", "write_test_summaries", "TensorBoard test scalars and HParams"),
    ("upspec.run.runner", "save_sample_predictions", "save sample outputs"),
    ("upspec.run.runner", "learning_curves", "learning-curve plot"),
    ("upspec.run.runner", "sample_grid", "sample grid"),
    ("upspec.run.runner", "write_report", "report.md"),
    ("upspec.compare.jobs", "measure_run", "costs and checkerboard per strategy"),
    ("upspec.compare.comparison", "write_comparison", "comparison (tables, grid, curves)"),
]


def _resolve(path: str) -> Any:
    """A module, or a class inside one (``package.module.Class``)."""
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError:
        module, _, name = path.rpartition(".")
        return getattr(importlib.import_module(module), name)


@contextlib.contextmanager
def timers(totals: dict[str, float]) -> Iterator[None]:
    originals = []
    for path, attribute, phase in PHASES:
        module = _resolve(path)
        if not hasattr(module, attribute):
            continue
        original = getattr(module, attribute)

        def timed(*args: Any, _original: Any = original, _phase: str = phase, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                totals[_phase] += time.perf_counter() - start

        setattr(module, attribute, timed)
        originals.append((module, attribute, original))
    try:
        yield
    finally:
        for module, attribute, original in originals:
            setattr(module, attribute, original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="specs/seed_transpose.yaml")
    parser.add_argument("--strategies", default="transpose,nearest,bilinear,pixel_shuffle")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    quiet_tensorflow()
    import tensorflow  # noqa: F401 - the one-off import stays outside the measurement

    from upspec.compare.sweep import run_sweep
    from upspec.modelspec.sections import train_settings
    from upspec.modelspec.load import load_spec

    settings = train_settings(load_spec(args.spec))
    totals: dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory(prefix="upspec-sweep-share-") as folder, timers(totals):
        start, cpu = time.perf_counter(), time.process_time()
        result = run_sweep(args.spec, strategies=args.strategies, out=str(Path(folder) / "sweep"))
        total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    training = totals["training (`fit`)"]
    lines = ["| phase | seconds | share of the sweep |", "|---|---|---|"]
    for _, _, phase in PHASES:
        if phase in totals:
            lines.append(f"| {phase} | {totals[phase]:.2f} | {100 * totals[phase] / total:.1f}% |")
    other = total - sum(totals.values())
    lines.append(f"| anything else (spec loading, folders, rows) | {other:.2f} | {100 * other / total:.1f}% |")
    lines.append(f"| **whole sweep** | **{total:.2f}** (CPU {total_cpu:.2f}) | 100% |")
    body = f"""`python benchmarks/sweep_share.py` ({args.spec}, strategies {args.strategies.replace(',', ', ')}: {len(result.rows)}
runs at the default budget, {settings.epochs} epochs x {settings.steps_per_epoch} steps of batch {settings.batch_size}; one sweep in one process).

{machine()}

""" + "\n".join(lines) + f"""

Training share: **{100 * training / total:.1f}%**; non-training share: **{100 * (1 - training / total):.1f}%**.
"""
    print(body)
    if not args.no_write:
        write_section("sweep_share", "A sweep's share of time spent training", body)


if __name__ == "__main__":
    main()
