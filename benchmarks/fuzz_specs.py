"""Fuzz the spec pipeline: N mutated YAML texts and N mutated spec trees through load -> graph -> estimates.

    python benchmarks/fuzz_specs.py [N]      # default 5000 of each (10,000 specs)

Prints a Markdown table: examples run, failures (anything but SpecError),
the slowest example and the time per example. The suite runs the same
properties with 200 examples each (tests/test_fuzz_specs.py).
"""

from __future__ import annotations

import platform
import sys
import time

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings

from upspec.testing.fuzz import check_spec
from upspec.testing.fuzz import mutated_text
from upspec.testing.fuzz import mutated_tree


def run(kind: str, strategy, count: int) -> tuple[int, float, float]:
    slowest = 0.0
    calls = 0

    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def prop(value):
        nonlocal slowest, calls
        start = time.perf_counter()
        check_spec(value)
        slowest = max(slowest, time.perf_counter() - start)
        calls += 1

    start = time.perf_counter()
    prop()
    return calls, slowest, time.perf_counter() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    print(f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, Python {platform.python_version()}\n")
    print("| input | examples | failures | slowest example | total time |")
    print("|---|---|---|---|---|")
    for kind, strategy in (("mutated YAML text", mutated_text()), ("mutated spec tree", mutated_tree())):
        calls, slowest, total = run(kind, strategy, count)  # a failure raises, with hypothesis's shrunk example
        print(f"| {kind} | {calls} | 0 | {slowest * 1000:.0f} ms | {total:.0f} s |")


if __name__ == "__main__":
    main()
