"""Time `validate`'s work (parse -> validate -> graph -> shapes -> estimates) on generated specs of 1,000 to 6,000
entries, to show it stays linear; and the hostile inputs' time and peak memory.

    python benchmarks/validate_large_spec.py

Prints a Markdown table (CPU seconds, best of 3, in this process; the registry is built once before).
"""

from __future__ import annotations

import platform
import resource
import time

from upspec.graph.graph import build_graph
from upspec.registry.registry import get_registry
from upspec.modelspec.load import validate_document
from upspec.modelspec.yaml_source import parse_yaml


def spec_text(entries: int) -> str:
    lines = ["name: big", "inputs:", "  x: [16, 16, 4]", "layers:"]
    for i in range(entries):
        lines.append(f"  - id: c{i}\n    layer: Conv2D\n    filters: 4\n    kernel_size: 3\n    padding: same")
    return "\n".join(lines) + "\n"


def best_of(n: int, text: str) -> tuple[float, float, float]:
    registry = get_registry()
    best = (float("inf"),) * 3
    for _ in range(n):
        start = time.process_time()
        doc = parse_yaml(text, "big.yaml")
        parsed = time.process_time()
        spec = validate_document(doc, registry)
        validated = time.process_time()
        build_graph(spec, registry)
        done = time.process_time()
        best = min(best, (parsed - start, validated - parsed, done - validated), key=sum)
    return best


def main() -> None:
    get_registry()
    print(f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, Python {platform.python_version()}, "
          f"libyaml {'yes' if hasattr(__import__('yaml'), 'CSafeLoader') else 'no'}\n")
    print("| entries | parse (s) | validate (s) | graph + shapes + estimates (s) | total (s) |")
    print("|---|---|---|---|---|")
    for entries in (1000, 3000, 6000):
        parse, validate, graph = best_of(3, spec_text(entries))
        print(f"| {entries:,} | {parse:.3f} | {validate:.3f} | {graph:.3f} | {parse + validate + graph:.3f} |")
    print(f"\npeak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
