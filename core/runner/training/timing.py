"""Step and inference times recorded while a run trains and evaluates, so a sweep need not rebuild, retrace
and re-time each model afterwards. They land in the run folder's ``timing.json``.

``train_step_ms``: the median over epochs of (the epoch's training time / its steps), from ``model.fit`` on
the run's own ``tf.data`` pipeline: validation excluded, and the first epoch (tracing) too when there are
later ones. ``inference_ms``: the median of three ``predict_on_batch`` calls on one batch of test patches,
per example, after the evaluation has traced the model.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from ...files import write_text

TIMING = "timing.json"


def read_timing(run_dir: Path) -> dict[str, float]:
    path = Path(run_dir) / TIMING
    return json.loads(path.read_text()) if path.exists() else {}


def _update(run_dir: Path, **values: float) -> None:
    write_text(Path(run_dir) / TIMING, json.dumps({**read_timing(run_dir), **values}, indent=2) + "\n")


def step_timer(run_dir: Path, steps_per_epoch: int) -> Any:
    """A Keras callback that times each epoch's training steps (not its validation) and writes the median
    per step when training ends; it acts only at epoch boundaries."""
    import keras

    class StepTimer(keras.callbacks.Callback):
        async_safe = True

        def __init__(self) -> None:
            super().__init__()
            self.started = 0.0
            self.per_step: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.started = time.perf_counter()
            self.training = True

        def on_test_begin(self, logs: dict | None = None) -> None:  # validation starts: the steps are done
            if getattr(self, "training", False):
                self.per_step.append((time.perf_counter() - self.started) / steps_per_epoch)
                self.training = False

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.on_test_begin()  # an epoch without validation

        def on_train_end(self, logs: dict | None = None) -> None:
            if self.per_step:
                timed = self.per_step[1:] or self.per_step
                _update(run_dir, train_step_ms=1000 * statistics.median(timed), epochs_timed=len(timed))

    return StepTimer()


def record_inference(model: Any, x: Any, run_dir: Path, batch: int, repeats: int = 3) -> float:
    """Time ``predict_on_batch`` on ``batch`` test inputs (per example, ms) and record it in ``timing.json``."""
    x = x[:batch]
    model.predict_on_batch(x)  # traced already by the evaluation if the batch size matches; cheap otherwise
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict_on_batch(x)
        times.append(time.perf_counter() - start)
    per_example = 1000 * statistics.median(times) / len(x)
    _update(run_dir, inference_ms=per_example)
    return per_example
