"""``train.until``: train to convergence, stopping on a validation plateau, with a step cap.

:func:`plateau` reads a history (one row per finished epoch) and says whether, and why, training is over;
:func:`until_callback` is the Keras callback that asks it after every epoch. Because the decision is a function
of the history alone, a resumed run (its history restored from the checkpoint) decides exactly as an
uninterrupted one would, and a run stopped between its last epoch and its report is not trained further.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Sequence

from ...modelspec.sections import TrainSettings
from ...modelspec.sections import Until
from ...wording import plural


@dataclass(frozen=True)
class Stop:
    """Where a history stands under ``until``: stopped or not, why, and the best epoch so far."""

    stopped: bool
    #: "plateau", "step cap" or "" (still training)
    reason: str
    epochs: int
    steps: int
    best_epoch: int | None
    best: float | None


def plateau(until: Until, rows: Sequence[dict[str, Any]], steps_per_epoch: int) -> Stop:
    """Whether the history ``rows`` has reached ``until``'s plateau or its step cap.

    An epoch improves on the best so far when its ``monitor`` value is better by more than ``min_delta``;
    training stops after ``patience`` epochs in a row without an improvement, or when the steps run reach
    ``max_steps``. An epoch without the monitored value (no validation data) never improves."""
    sign = 1.0 if until.direction == "min" else -1.0
    best: float | None = None
    best_epoch: int | None = None
    waited = 0
    for index, row in enumerate(rows, 1):
        value = row.get(until.monitor)
        if value not in (None, "") and (best is None or sign * (float(value) - best) < -until.min_delta):
            best, best_epoch, waited = float(value), index, 0
        else:
            waited += 1
    steps = len(rows) * steps_per_epoch
    if rows and waited >= until.patience:
        return Stop(True, "plateau", len(rows), steps, best_epoch, best)
    if steps >= until.max_steps:
        return Stop(True, "step cap", len(rows), steps, best_epoch, best)
    return Stop(False, "", len(rows), steps, best_epoch, best)


def steps_run(run_dir: Path) -> dict[str, Any]:
    """What a run folder's history says it trained: ``epochs``, ``steps`` and why it ``stopped`` ("epochs" for a
    fixed budget; "plateau" or "step cap" under ``until``)."""
    import yaml

    from .history import history_rows

    train = (yaml.safe_load((run_dir / "spec.yaml").read_text()) or {}).get("train") or {}
    rows = history_rows(run_dir / "history.csv")
    per_epoch = int(train.get("steps_per_epoch") or 0)
    stopped = "epochs"
    if train.get("until"):
        stop = plateau(Until.model_validate(train["until"]), rows, per_epoch)
        stopped = stop.reason or "interrupted"
    return {"epochs": len(rows), "steps": len(rows) * per_epoch, "stopped": stopped}


def finished(settings: TrainSettings, rows: Sequence[dict[str, Any]]) -> bool:
    """Whether a run with this history has nothing left to train (its epochs, or ``until``'s stop)."""
    if settings.until is None:
        return len(rows) >= settings.epochs
    return plateau(settings.until, rows, settings.steps_per_epoch).stopped


def describe_budget(settings: dict[str, Any], rows: Sequence[dict[str, Any]] | None = None) -> str:
    """The training budget in words, for reports: fixed epochs, or ``until`` with where the run stopped."""
    steps, batch = settings["steps_per_epoch"], settings["batch_size"]
    until = settings.get("until")
    if not until:
        epochs = settings["epochs"]
        return (f"{plural(epochs, 'epoch')} x {plural(steps, 'step')}, batch {batch} ({epochs * steps * batch:,} patches seen), "
                f"seed {settings['seed']}")
    rule = Until.model_validate(until)
    stop = plateau(rule, rows or [], steps)
    where = (f"stopped after {plural(stop.epochs, 'epoch')} = {plural(stop.steps, 'step')} ({stop.reason}; best {rule.monitor} "
             f"{stop.best:.5g} at epoch {stop.best_epoch})" if stop.stopped and stop.best is not None else
             f"ran {plural(stop.epochs, 'epoch')} = {plural(stop.steps, 'step')}")
    return (f"until {rule.monitor} stops improving by more than {rule.min_delta:g} for {rule.patience} epochs, "
            f"at most {rule.max_steps:,} steps, in epochs of {steps} steps, batch {batch} (train.epochs ignored): "
            f"{where}, {stop.steps * batch:,} patches seen, seed {settings['seed']}")


def until_callback(until: Until, rows: list[dict[str, Any]], steps_per_epoch: int) -> Any:
    """A Keras callback that stops training when ``rows`` (the history, which the epoch checkpoint appends to
    before this callback runs) reaches ``until``'s plateau or step cap."""
    import keras

    class UntilPlateau(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.stop: Stop | None = None

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.stop = plateau(until, rows, steps_per_epoch)
            if self.stop.stopped:
                self.model.stop_training = True

    return UntilPlateau()
