"""Does pruning pay? ``upspec tune`` over a grid of learning rates, once with every trial trained to the end
(the full grid) and once with successive-halving (ASHA) pruning on the validation loss after each epoch, per
strategy: the best learning rate each finds, and the training steps each spends.

The claim (issue #23): the pruned search finds the same best learning rate per strategy, within one grid
step, as the full grid, at no more than a third of its training steps.

    python benchmarks/tune_pruning.py                       # the recorded budget (about 5 minutes on 2 cores)
    python benchmarks/tune_pruning.py --epochs 9 --steps 20 --grid 9 --strategies nearest,transpose
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine  # noqa: E402
from common import quiet_tensorflow  # noqa: E402
from common import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def search(spec: str, strategies: str, grid: list[float], args: argparse.Namespace, pruner: str,
           folder: Path) -> tuple[dict, float]:
    from upspec.tune import run_tune

    choice = "train.learning_rate={choice: [" + ", ".join(repr(rate) for rate in grid) + "]}"
    start = time.perf_counter()
    result = run_tune(spec, strategies=strategies, trials=len(grid), seeds=1, epochs=args.epochs,
                      steps_per_epoch=args.steps, batch_size=args.batch_size, search=[choice], sampler="grid",
                      pruner=pruner, out=str(folder), overrides=["data.validation_patches=32"])
    return result.result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default=str(ROOT / "specs" / "seed_transpose.yaml"))
    parser.add_argument("--strategies", default="nearest,transpose")
    parser.add_argument("--grid", type=int, default=9, help="learning rates, log-spaced over 1e-4..1e-2")
    parser.add_argument("--epochs", type=int, default=27)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--no-write", action="store_true", help="print the table, leave benchmarks/README.md")
    args = parser.parse_args()
    quiet_tensorflow()
    grid = [float(f"{10 ** (-4 + 2 * i / (args.grid - 1)):.3g}") for i in range(args.grid)]
    step = 2 / (args.grid - 1)  # one grid step, in decades
    with tempfile.TemporaryDirectory(prefix="upspec-tune-pruning-") as scratch:
        full, full_s = search(args.spec, args.strategies, grid, args, "none", Path(scratch) / "full")
        pruned, pruned_s = search(args.spec, args.strategies, grid, args, "asha", Path(scratch) / "pruned")
    lines = ["| strategy | best rate, full grid | best rate, pruned | apart (grid steps) | steps, full grid | "
             "steps, pruned | pruned / full | trials pruned |", "|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for name in args.strategies.split(","):
        a, b = full["strategies"][name], pruned["strategies"][name]
        rate_a, rate_b = a["params"]["train.learning_rate"], b["params"]["train.learning_rate"]
        apart = abs(grid.index(rate_a) - grid.index(rate_b))  # in grid steps (the grid's rates are rounded)
        share = b["steps"] / a["steps"]
        verdicts.append(apart <= 1 and share <= 1 / 3)
        lines.append(f"| {name} | {rate_a:g} | {rate_b:g} | {apart:.0f} | {a['steps']:,} | {b['steps']:,} | "
                     f"{share:.2f} | {b['trials']['pruned']} of {args.grid} |")
    rungs = [3 ** k for k in range(8) if 3 ** k < args.epochs]
    total_full = sum(s["steps"] for s in full["strategies"].values())
    total_pruned = sum(s["steps"] for s in pruned["strategies"].values())
    body = f"""`python benchmarks/tune_pruning.py` ({Path(args.spec).name}, strategies {args.strategies.replace(',', ', ')};
a grid of {args.grid} learning rates log-spaced over 1e-4..1e-2 ({', '.join(f'{r:g}' for r in grid)}; one grid
step = {step:.2f} decades), each trial {args.epochs} epochs x {args.steps} steps of batch {args.batch_size}, scored by its
final validation loss; the full grid trains every trial to the end, the pruned search (`--sampler grid --pruner
asha`) stops a trial at epochs {', '.join(map(str, rungs))} when it is not in the best third of the trials that
reached that epoch).

{machine()}

""" + "\n".join(lines) + f"""

All strategies: {total_pruned:,} of {total_full:,} training steps ({total_pruned / total_full:.2f}); wall time
{pruned_s / 60:.1f} min pruned against {full_s / 60:.1f} min for the full grid (trial start-up included).
Claim (same best rate within one grid step, at most a third of the steps): holds for **{sum(verdicts)} of
{len(verdicts)}** strategies.
"""
    print(body)
    if not args.no_write:
        write_section("tune_pruning", "Pruned search against the full grid (upspec tune)", body)


if __name__ == "__main__":
    main()
