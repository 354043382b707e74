"""Validating and building specs of 10 to 3,000 entries: time per entry, and no RecursionError.

    python benchmarks/spec_scale.py [--sizes 10,100,1000,3000] [--build-sizes 10,100,1000,3000] [--rounds 3]

The spec is a chain: one ``upsample`` entry, then ``Dense(4)`` layers over the channels, each taking the
previous entry's output (a long chain is the deepest graph a spec can have: the worst case for recursion in
Keras's functional model construction). ``validate`` is ``load_spec`` + ``build_graph`` (what
``upspec validate`` does, without TensorFlow); ``build`` is ``build_model`` (assembled and compiled).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine  # noqa: E402
from common import quiet_tensorflow  # noqa: E402
from common import write_section  # noqa: E402


def chain_spec(entries: int) -> str:
    lines = ["name: chain", "inputs:", "  image: [8, 8, 1]", "layers:",
             "  - {id: up, upsample: nearest, factor: 2, filters: 4, kernel_size: 3}"]
    lines += [f"  - {{id: d{i}, layer: Dense, units: 4}}" for i in range(1, entries)]
    lines += ["compile:", "  optimizer: adam", "  loss: mean_squared_error", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,300,1000,3000")
    parser.add_argument("--build-sizes", default="10,100,1000,3000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    quiet_tensorflow()
    import gc

    import yaml

    from upspec.graph.graph import build_graph
    from upspec.registry.registry import get_registry
    from upspec.modelspec.load import load_spec

    registry = get_registry()
    folder = Path("/tmp") / "upspec-spec-scale"
    folder.mkdir(exist_ok=True)
    loader = "C (libyaml)" if getattr(yaml, "__with_libyaml__", False) else "pure Python"
    rows = ["| entries | validate: median (ms) | per entry (ms) | build: median (s) | per entry (ms) |",
            "|---|---|---|---|---|"]
    build_sizes = {int(n) for n in args.build_sizes.split(",") if n}
    for size in [int(n) for n in args.sizes.split(",")]:
        path = folder / f"chain_{size}.yaml"
        path.write_text(chain_spec(size))
        validate = []
        for _ in range(args.rounds):
            gc.collect()
            start = time.perf_counter()
            build_graph(load_spec(path, registry=registry), registry)
            validate.append(time.perf_counter() - start)
        build_cell = "-", "-"
        if size in build_sizes:
            import keras

            from upspec.builder.builder import build_model

            builds = []
            for _ in range(1 if size >= 1000 else args.rounds):
                keras.backend.clear_session()
                gc.collect()
                start = time.perf_counter()
                try:
                    model = build_model(path, registry=registry)
                except RecursionError as exc:
                    build_cell = ("RecursionError", str(exc)[:40])
                    break
                builds.append(time.perf_counter() - start)
                assert len(model.layers) == size + 1 + 1, len(model.layers)  # input, conv of `up`, the Dense
            if builds:
                b = statistics.median(builds)
                build_cell = f"{b:.2f}", f"{b / size * 1000:.2f}"
        v = statistics.median(validate)
        rows.append(f"| {size:,} | {v * 1000:.1f} | {v / size * 1000:.3f} | {build_cell[0]} | {build_cell[1]} |")
        print(rows[-1], flush=True)
    body = f"""`python benchmarks/spec_scale.py`: a chain of `Dense` entries after one `upsample` entry
(validate: median of {args.rounds}; build: median of {args.rounds}, one run at 1,000 entries and more). YAML loader: {loader}.

{machine()}

""" + "\n".join(rows) + "\n"
    print(body)
    if not args.no_write:
        write_section("spec_scale", "Specs of 10 to 3,000 entries: validate and build", body)


if __name__ == "__main__":
    main()
