"""``train.keep: best``: the weights of the epoch with the best ``train.monitor`` (Keras's ``save_best_only``,
Lightning's ``monitor``), kept in ``best.weights.h5`` beside ``best.json`` and restored when training ends, so
that the saved model, its evaluation and its report are that epoch's. ``last`` (the default) keeps the last
epoch's weights."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from ...files import write_text

BEST_WEIGHTS = "best.weights.h5"
BEST = "best.json"
#: metrics where larger is better; every other monitored value (losses, errors) is better smaller
LARGER_IS_BETTER = ("psnr", "ssim", "accuracy", "auc", "precision", "recall", "iou", "f1")


def larger_is_better(monitor: str) -> bool:
    return any(word in monitor for word in LARGER_IS_BETTER)


def read_best(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / BEST
    return json.loads(path.read_text()) if path.exists() else {}


def best_keeper(run_dir: Path, monitor: str) -> Any:
    """A Keras callback that saves the weights each time ``monitor`` improves (read back after a resume)."""
    import keras

    class KeepBest(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.best = read_best(run_dir).get("value")

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            value = (logs or {}).get(monitor)
            if value is None or not math.isfinite(float(value)):
                return
            value = float(value)
            better = self.best is None or (value > self.best if larger_is_better(monitor) else value < self.best)
            if better:
                tmp = run_dir / f".best.{os.getpid()}.weights.h5"  # Keras wants the suffix: renamed into place
                self.model.save_weights(tmp)
                os.replace(tmp, run_dir / BEST_WEIGHTS)
                self.best = value
                write_text(run_dir / BEST, json.dumps({"epoch": epoch + 1, "monitor": monitor, "value": value}) + "\n")

    return KeepBest()


def restore_best(model: Any, run_dir: Path) -> dict[str, Any]:
    """Load the kept best weights into ``model``; returns ``best.json`` (empty when there is none)."""
    best = read_best(run_dir)
    if best and (Path(run_dir) / BEST_WEIGHTS).exists():
        model.load_weights(Path(run_dir) / BEST_WEIGHTS)
        return best
    return {}
