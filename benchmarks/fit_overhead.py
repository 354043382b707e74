"""``upspec run``'s training (``upspec.run.train.fit``: checkpoints, history, TensorBoard, NaN stop) against a
hand-written ``model.fit`` of the same compiled model on the same ``tf.data`` pipeline; upspec's also with one
step per execution, to show what its epoch-end work costs on its own.

    python benchmarks/fit_overhead.py [--spec specs/seed_transpose.yaml] [--rounds 15]

Each round builds two fresh models from the spec (not timed) and times one ``fit`` of each, upspec's and the
hand-written one in turn; the ratio is taken per round. Both train the spec's default budget with
``verbose=0`` in the same process, so both run under the same seeds and deterministic kernels.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import interleaved  # noqa: E402
from common import machine  # noqa: E402
from common import framework_as_upspec_runs_it  # noqa: E402
from common import ratios  # noqa: E402
from common import summary_table  # noqa: E402
from common import write_section  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="specs/seed_transpose.yaml")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-write", action="store_true", help="Print the table only.")
    args = parser.parse_args()
    framework_as_upspec_runs_it()

    from upspec.builder.builder import build_model
    from upspec.registry.registry import get_registry
    from upspec.modelspec.sections import data_settings
    from upspec.modelspec.sections import train_settings
    from upspec.run.train import fit
    from upspec.run.task_data import prepare_data
    from upspec.run.train import seed_everything
    from upspec.run.train import steps_per_execution
    from upspec.run.train import training_pipeline
    from upspec.modelspec.load import load_spec

    registry = get_registry()
    spec = load_spec(args.spec, registry=registry)
    settings = train_settings(spec)
    model = build_model(spec, registry=registry)
    dataset = prepare_data(spec, model, data_settings(spec), settings, registry)
    scratch = Path(tempfile.mkdtemp(prefix="upspec-fit-bench-"))
    counter = iter(range(10**6))

    def fresh(name: str):  # not timed
        seed_everything(settings.seed)
        return build_model(spec, registry=registry)

    def upspec_fit(model) -> None:
        run_dir = scratch / f"run{next(counter)}"
        run_dir.mkdir()
        fit(model, dataset, run_dir, settings, spec, registry, verbose=0)

    def upspec_fit_single_steps(model) -> None:  # the same, one step per call, as Keras's default
        run_dir = scratch / f"run{next(counter)}"
        run_dir.mkdir()
        fit(model, dataset, run_dir, settings.model_copy(update={"steps_per_execution": 1}), spec, registry, verbose=0)

    def hand_written_fit(model) -> None:
        seed_everything(settings.seed)
        model.fit(training_pipeline(*dataset.train, settings), epochs=settings.epochs,
                  steps_per_epoch=settings.steps_per_epoch, validation_data=dataset.validation, verbose=0)

    results = interleaved({"upspec": upspec_fit, "upspec-1": upspec_fit_single_steps, "hand-written": hand_written_fit},
                          rounds=args.rounds, warmup=1, setup=fresh)
    steps = settings.epochs * settings.steps_per_epoch
    chunk = steps_per_execution(settings, [])
    table = summary_table(results, "hand-written", labels={
        "upspec": f"upspec `fit` (checkpoint + history + TensorBoard + NaN stop; {chunk} steps per execution)",
        "upspec-1": "upspec `fit`, one step per execution (`train.steps_per_execution: 1`)",
        "hand-written": "`model.fit` (one step per execution, Keras's default)"})
    ratio = statistics.median(ratios(results, "upspec", "hand-written"))
    single = statistics.median(ratios(results, "upspec-1", "hand-written"))
    body = f"""`python benchmarks/fit_overhead.py` ({args.spec}: {settings.epochs} epochs x {settings.steps_per_epoch} steps,
batch {settings.batch_size}, validation {len(dataset.validation[0])} patches; {args.rounds} interleaved rounds after one warm-up
round, a fresh model for each fit; both after `settle_framework()`, which freezes the heap TensorFlow leaves at
import as `upspec run` does, so no 0.3 s full garbage collection of it lands in one side's timing).

{machine()}

{table}

Per step: upspec {statistics.median(results['upspec']['wall']) / steps * 1000:.2f} ms,
hand-written {statistics.median(results['hand-written']['wall']) / steps * 1000:.2f} ms (medians, validation and
epoch ends included). Median paired ratio: **{ratio:.3f}x** ({single:.3f}x with one step per execution: what
the runner's epoch-end work costs without the saving of several steps per call).
"""
    print(body)
    if not args.no_write:
        write_section("fit_overhead", "`fit` against a hand-written `model.fit`", body)


if __name__ == "__main__":
    main()
