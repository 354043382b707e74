"""The same sweep with ``--executor local`` and ``--executor ray`` (a local Ray cluster): wall time, and
whether every (strategy, seed) got the same test metrics.

    python benchmarks/sweep_executors.py [--strategies nearest,transpose] [--seeds 2] [--steps 20] [--cpus N]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "specs" / "seed_transpose.yaml")
    parser.add_argument("--strategies", default="nearest,transpose")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--cpus", type=int, default=os.cpu_count(), help="CPUs of the local Ray cluster")
    args = parser.parse_args()

    import ray

    from upspec.compare.executors import LocalExecutor
    from upspec.compare.executors import RayExecutor
    from upspec.compare.sweep import run_sweep

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in ("local", "ray"):
            started = time.perf_counter()
            if name == "ray":
                ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
            executor = LocalExecutor() if name == "local" else RayExecutor(cpus=1)
            result = run_sweep(args.spec, strategies=args.strategies, seeds=args.seeds, executor=executor,
                               train_overrides={"epochs": args.epochs, "steps_per_epoch": args.steps},
                               out=str(Path(folder) / name))
            if name == "ray":
                ray.shutdown()
            results[name] = (time.perf_counter() - started, result.rows)
    same = all(a["metrics"] == b["metrics"] for a, b in zip(results["local"][1], results["ray"][1], strict=True))
    jobs = len(results["local"][1])
    print(f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} CPU cores, Python "
          f"{platform.python_version()}, Ray {ray.__version__}; {args.spec.name}, {args.strategies}, "
          f"{args.seeds} seeds ({jobs} jobs), {args.epochs} epochs of {args.steps} steps\n")
    print("| executor | wall time (s) | same metrics as local |")
    print("|---|---|---|")
    print(f"| local | {results['local'][0]:.0f} | - |")
    print(f"| ray, local cluster of {args.cpus} CPUs, 1 CPU per job | {results['ray'][0]:.0f} | "
          f"{'yes, all ' + str(jobs) if same else 'NO'} |")


if __name__ == "__main__":
    main()
