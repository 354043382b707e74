"""Training and inference speed under each ``train.precision`` and ``train.jit_compile``.

For each spec (default: the main job's model and the U-Net), each precision (float32, mixed_float16,
mixed_bfloat16) and XLA off / on, the model is built as ``upspec run`` builds it and trained with ``fit`` on
random data of its input and output shapes, at the spec's batch size; the first epoch (tracing, XLA
compilation) is not timed. Prints a Markdown table of samples per second, with the machine.

    python benchmarks/precision.py [--spec specs/x.yaml ...] [--steps 30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
SPECS = [ROOT / "specs" / "espcn_residual.yaml", ROOT / "specs" / "unet.yaml"]
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def measure(spec_path: Path, precision: str, jit: bool, steps: int, repeats: int) -> tuple[float, float, int]:
    """(training samples/s, inference samples/s, batch) for one setting: the best of ``repeats`` epochs."""
    import keras

    from upspec.builder.builder import build_model
    from upspec.builder.precision import dtype_policy
    from upspec.modelspec.sections import train_settings
    from upspec.modelspec.load import load_spec

    spec = load_spec(spec_path)
    batch = train_settings(spec).batch_size
    keras.utils.set_random_seed(0)
    with dtype_policy(precision):
        model = build_model(spec)
    model.jit_compile = jit
    rng = np.random.default_rng(0)
    x = rng.random((batch * steps, *model.input_shape[1:]), dtype="float32")
    y = rng.random((batch * steps, *model.output_shape[1:]), dtype="float32")

    class Clock(keras.callbacks.Callback):
        times: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    clock = Clock()
    clock.times = []
    model.fit(x, y, batch_size=batch, epochs=repeats + 1, verbose=0, shuffle=False, callbacks=[clock])
    train = batch * steps / min(clock.times[1:])
    model.predict(x[:batch], batch_size=batch, verbose=0)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(x, batch_size=batch, verbose=0)
        best = min(best, time.perf_counter() - start)
    return train, len(x) / best, batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", action="append", type=Path, help="a spec to measure (repeatable)")
    parser.add_argument("--steps", type=int, default=30, help="training steps per timed epoch")
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs; the best counts")
    args = parser.parse_args()

    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    device = ", ".join(tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus)
    print(f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} CPU cores, "
          f"{device or 'no GPU'}, Python {platform.python_version()}, TensorFlow {tf.__version__}\n")
    print("| model | batch | precision | XLA | train samples/s | inference samples/s |")
    print("|---|---|---|---|---|---|")
    for spec in args.spec or SPECS:
        for precision in PRECISIONS:
            for jit in (False, True):
                try:
                    train, infer, batch = measure(spec, precision, jit, args.steps, args.repeats)
                    cells = f"{train:,.0f} | {infer:,.0f}"
                except Exception as error:  # noqa: BLE001 - a setting the hardware cannot run is a result too
                    batch, cells = "-", f"fails: {type(error).__name__} | -"
                print(f"| {spec.stem} | {batch} | {precision} | {'on' if jit else 'off'} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
