"""Achieved FLOP/s of the main job's training against a measured fp32 matmul peak, at several batch sizes,
with XLA (``jit_compile``) off and on, and one or several steps per execution (``steps_per_execution``).

    python benchmarks/flops.py [--spec specs/espcn_residual.yaml] [--batches 16,64,256] [--steps 30] [--rounds 3]

Peak: the best of several ``tf.linalg.matmul`` of two 2048 x 2048 fp32 matrices inside a ``tf.function``
(2 n^3 FLOPs each). Training: ``model.fit`` on the runner's ``tf.data`` pipeline (``training_pipeline``) for
``--steps`` steps after a warm-up fit; FLOPs per step = 3 x 2 x MACs per example x batch (forward pass, and
the backward pass counted as twice the forward, the usual convention). MACs come from TensorFlow's profiler
(``upspec.analysis.cost.multiply_accumulates``). Settings are measured in turn, each round in reverse order. A
setting that cannot run (XLA without a kernel for an op on this device) is reported with its error.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine  # noqa: E402
from common import framework_as_upspec_runs_it  # noqa: E402
from common import write_section  # noqa: E402


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    product = tf.function(lambda: tf.linalg.matmul(a, b))
    product().numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        product().numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="specs/espcn_residual.yaml")
    parser.add_argument("--batches", default="16,64,256")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    framework_as_upspec_runs_it()

    from upspec.analysis.cost import multiply_accumulates
    from upspec.builder.builder import build_model
    from upspec.registry.registry import get_registry
    from upspec.modelspec.sections import data_settings
    from upspec.modelspec.sections import train_settings
    from upspec.run.task_data import prepare_data
    from upspec.run.train import training_pipeline
    from upspec.modelspec.load import load_spec

    registry = get_registry()
    spec = load_spec(args.spec, registry=registry)
    batches = [int(b) for b in args.batches.split(",")]
    settings = train_settings(spec, batch_size=max(batches), steps_per_epoch=args.steps)
    probe = build_model(spec, registry=registry)
    macs = multiply_accumulates(probe)
    dataset = prepare_data(spec, probe, data_settings(spec), settings, registry)
    peak = matmul_peak()

    chunk = max(d for d in range(1, min(args.steps, 32) + 1) if args.steps % d == 0)
    setups = [(batch, jit, spe) for batch in batches for jit in (False, True) for spe in (1, chunk)]
    models, failures = {}, {}
    for batch, jit, spe in setups:
        model = build_model(spec, registry=registry)
        model.jit_compile, model.steps_per_execution = jit, spe
        pipeline = training_pipeline(*dataset.train, train_settings(spec, batch_size=batch, steps_per_epoch=args.steps))
        try:
            model.fit(pipeline, epochs=1, steps_per_epoch=spe, verbose=0)  # trace (and compile, with XLA)
        except Exception as error:  # noqa: BLE001 - reported in the table
            unsupported = re.search(r"on (XLA_\w+): (\w+)", str(error))
            failures[(batch, jit, spe)] = (f"{unsupported.group(1)} has no kernel for {unsupported.group(2)}" if unsupported
                                           else f"{type(error).__name__}: {str(error).strip()[:100]}")
            continue
        models[(batch, jit, spe)] = (model, pipeline)
    seconds: dict[tuple[int, bool, int], list[float]] = {key: [] for key in models}
    for round_ in range(args.rounds):
        for key in (list(models) if round_ % 2 == 0 else list(models)[::-1]):
            model, pipeline = models[key]
            start = time.perf_counter()
            model.fit(pipeline, epochs=1, steps_per_epoch=args.steps, verbose=0)
            seconds[key].append((time.perf_counter() - start) / args.steps)
    peak_peak = peak  # the matmul's best, in FLOP/s
    lines = ["| batch | jit_compile | steps per execution | step (ms, median) | examples/s | achieved GFLOP/s | "
             "% of matmul peak |", "|---|---|---|---|---|---|---|"]
    best = None
    for batch, jit, spe in setups:
        if (batch, jit, spe) in failures:
            lines.append(f"| {batch} | {'on' if jit else 'off'} | {spe} | fails: {failures[(batch, jit, spe)]} | | | |")
            continue
        step = statistics.median(seconds[(batch, jit, spe)])
        flops = 6 * macs * batch / step
        lines.append(f"| {batch} | {'on' if jit else 'off'} | {spe} | {step * 1000:.2f} | {batch / step:,.0f} | "
                     f"{flops / 1e9:.1f} | {100 * flops / peak_peak:.1f}% |")
        if best is None or batch / step > best[3]:
            best = (batch, jit, spe, batch / step)
    assert best is not None, "no setting could train"
    body = f"""`python benchmarks/flops.py` ({args.spec}: {macs:,} MACs per example; `model.fit` on the runner's
`tf.data` pipeline, {args.steps} steps per timing, median of {args.rounds} rounds in alternating order;
steps per execution: 1, as a hand-written `fit` runs, and {chunk}, as `upspec run` runs).

{machine()}

fp32 matmul peak (2048 x 2048, best of 10): **{peak_peak / 1e9:.0f} GFLOP/s**.

""" + "\n".join(lines) + f"""

Highest throughput: batch {best[0]} with jit_compile {'on' if best[1] else 'off'} and {best[2]} step(s) per execution
({best[3]:,.0f} examples/s).
"""
    print(body)
    if not args.no_write:
        write_section("flops", "Achieved FLOP/s against the matmul peak: batch size and jit_compile", body)


if __name__ == "__main__":
    main()
