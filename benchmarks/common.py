"""Shared by the benchmarks: paired, interleaved timing and writing tables into benchmarks/README.md.

Timings on a shared machine drift; measuring the candidates in turn (A, B, A, B, ...) and comparing each
pair keeps the ratio honest even when the absolute times move. Every script reports min and median of
each side, the median of the per-pair ratios, and CPU time where it helps.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "benchmarks" / "README.md"


def quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import logging
    import warnings

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


def framework_as_upspec_runs_it() -> None:
    """Quiet TensorFlow and freeze the heap its import leaves, as ``upspec run`` does (``settle_framework``): no
    0.3 s full garbage collection of that heap lands in one candidate's timing."""
    quiet_tensorflow()
    from upspec.runner.training.framework import settle_framework

    settle_framework()


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """One line: date, CPU, cores available, load, Python and (if imported) TensorFlow/Keras versions."""
    versions = [f"Python {platform.python_version()}"]
    for module in ("tensorflow", "keras"):
        if module in sys.modules:
            versions.append(f"{module} {sys.modules[module].__version__}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"{date}; {cpu_name()}, {cores} cores, load average {load} (1/5/15 min); {', '.join(versions)}"


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process and its finished children, result)."""
    wall, cpu = time.perf_counter(), time.process_time() + children_cpu()
    result = fn()
    return time.perf_counter() - wall, time.process_time() + children_cpu() - cpu, result


def interleaved(candidates: dict[str, Callable[[], Any]], rounds: int, warmup: int = 1,
                setup: Callable[[str], Any] | None = None) -> dict[str, dict[str, list[float]]]:
    """Run each candidate once per round, in turn (the order reversed every other round), ``rounds`` times
    after ``warmup`` rounds.

    A candidate is a function of no arguments, or, with ``setup``, a function of what ``setup(name)`` returned
    (setup is not timed). Returns ``{name: {"wall": [...], "cpu": [...]}}``.
    """
    results: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in candidates}
    for round_ in range(warmup + rounds):
        order = list(candidates.items())
        for name, fn in (order if round_ % 2 == 0 else order[::-1]):  # A B, B A, ...: no side always goes first
            arg = setup(name) if setup else None
            wall, cpu, _ = timed((lambda: fn(arg)) if setup else fn)
            if round_ >= warmup:
                results[name]["wall"].append(wall)
                results[name]["cpu"].append(cpu)
    return results


def ratios(results: dict[str, dict[str, list[float]]], name: str, baseline: str, key: str = "wall") -> list[float]:
    return [a / b for a, b in zip(results[name][key], results[baseline][key])]


def summary_table(results: dict[str, dict[str, list[float]]], baseline: str, unit: str = "s",
                  scale: float = 1.0, cpu: bool = True, labels: dict[str, str] | None = None) -> str:
    """Rows: min / median wall, median CPU, and the median of the paired ratios against ``baseline``."""
    labels = labels or {}
    head = f"| | min ({unit}) | median ({unit}) |" + (f" median CPU ({unit}) |" if cpu else "") + \
        f" paired ratio to {labels.get(baseline, baseline)}: median (min-max) |" + \
        (" paired CPU-time ratio: median |" if cpu else "")
    lines = [head, "|---|---|---|" + ("---|" if cpu else "") + "---|" + ("---|" if cpu else "")]
    for name, times in results.items():
        wall = times["wall"]
        cells = [f"{min(wall) * scale:.3f}", f"{statistics.median(wall) * scale:.3f}"]
        if cpu:
            cells.append(f"{statistics.median(times['cpu']) * scale:.3f}")
        r = ratios(results, name, baseline)
        cells.append(f"{statistics.median(r):.3f}x ({min(r):.2f}-{max(r):.2f})")
        if cpu:
            cells.append(f"{statistics.median(ratios(results, name, baseline, 'cpu')):.3f}x")
        lines.append(f"| {labels.get(name, name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_section(key: str, title: str, body: str) -> None:
    """Replace (or append) the section between ``<!-- begin KEY -->`` and ``<!-- end KEY -->`` in the README."""
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    block = f"<!-- begin {key} -->\n## {title}\n\n{body.strip()}\n<!-- end {key} -->"
    pattern = re.compile(rf"<!-- begin {re.escape(key)} -->.*?<!-- end {re.escape(key)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    README.write_text(text)
    print(f"wrote the section {title!r} into {README.relative_to(ROOT)}")


def run_command(argv: list[str], env: dict[str, str] | None = None) -> Callable[[], None]:
    """A candidate that runs ``argv`` in a fresh process (its output discarded; a failure raises)."""
    def go() -> None:
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**os.environ, **(env or {})}, cwd=ROOT)
    return go


def children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
