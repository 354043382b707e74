"""Step and inference times recorded while a run trains and evaluates, so a sweep need not rebuild, retrace
and re-time each model afterwards. They land in the run folder's ``timing.json``.

``train_step_ms``: the median over epochs of (the epoch's training time / its steps), from ``model.fit`` on
the run's own ``tf.data`` pipeline: validation excluded, and the first epoch (tracing) too when there are
later ones; in a one-epoch run, the steps after the first call of the step function (which traces it). ``inference_ms``: the median of three ``predict_on_batch`` calls on one batch of test patches,
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
    per step when training ends. Its batch hook notes only the end of the first call of the step function
    (once per execution of several steps), so it leaves ``steps_per_execution`` as it is (``per_execution``)."""
    import keras

    class StepTimer(keras.callbacks.Callback):
        async_safe = True
        #: its batch hook may run once per execution of several steps (see ``fit.acts_per_batch``)
        per_execution = True

        def __init__(self) -> None:
            super().__init__()
            self.started = 0.0
            self.per_step: list[float] = []
            self.after_first: float | None = None
            self.first_steps = 0

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.started = time.perf_counter()
            self.training = True

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if self.after_first is None:  # the first call, which traced the step function, ends here
                self.after_first, self.first_steps = time.perf_counter(), batch + 1

        def on_test_begin(self, logs: dict | None = None) -> None:  # validation starts: the steps are done
            if getattr(self, "training", False):
                now = time.perf_counter()
                later = steps_per_epoch - self.first_steps
                if not self.per_step and self.after_first is not None and later > 0:
                    self.per_step.append((now - self.after_first) / later)  # tracing left out
                else:
                    self.per_step.append((now - self.started) / steps_per_epoch)
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
