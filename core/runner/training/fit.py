"""Training a supervised model with a checkpoint every epoch, resumable after any interruption.

:func:`fit` takes a :class:`FitPlan` (the model, its data, the settings, the run folder) and trains with
:class:`TrainingCallbacks`: the epoch checkpoint, named, and the others (TensorBoard, timing, schedules,
plugins' callbacks).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from ...errors import UpspecError
from ...files import write_text
from ...registry.registry import Registry
from ...modelspec.sections import TrainSettings
from ...modelspec.model import Spec
from ..data.dataset import TaskData
from .checkpoint import CHECKPOINT
from .checkpoint import STATE
from .checkpoint import save_checkpoint
from .keep_best import best_keeper
from .keep_best import restore_best
from .framework import as_float
from .framework import seed_everything
from .history import history_rows
from .history import write_history
from .sample_images import TENSORBOARD
from .sample_images import sample_images_callback
from .schedule import cosine_rate
from .until import finished
from .until import until_callback

if TYPE_CHECKING:
    from .distribute import Distribution


#: a run whose training loss ends this many times above its first step's is reported with a warning
GROWTH_WARNING = 10.0
#: the record a diverged run leaves in its folder (beside history.csv and report.md)
DIVERGED = "diverged.json"
DIVERGED_HINT = "lower the learning rate (--set train.learning_rate=...)"


class TrainingDiverged(UpspecError):
    """The loss became NaN or infinite; ``record`` says where (epoch, step), the last finite loss and the hint,
    as ``diverged.json`` in the run folder does."""

    def __init__(self, message: str, record: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.record = record or {}


@dataclass
class FitPlan:
    """One supervised training, every input named: the model (built or loaded under ``distribution``'s
    scope), its data, the settings, and the run folder its checkpoints and logs go to."""

    model: Any
    dataset: TaskData
    run_dir: Path
    settings: TrainSettings
    spec: Spec
    registry: Registry
    initial_epoch: int = 0
    verbose: int = 1
    #: the strategy the model was built under (None: the default, one device)
    distribution: Distribution | None = None
    #: what the training noticed without stopping (a loss that ended far above where it started)
    warnings: list[str] = field(default_factory=list)
    #: callbacks of the caller's own (``upspec tune``'s pruning), after the runner's
    extra_callbacks: list[Any] = field(default_factory=list)


@dataclass
class TrainingCallbacks:
    """The callbacks of one training: the epoch checkpoint (which keeps the history and notices a NaN loss)
    and the others."""

    checkpoint: Any
    others: list[Any] = field(default_factory=list)

    @property
    def all(self) -> list[Any]:
        """Every callback, the checkpoint first (so it sees each epoch's logs before any other acts on them)."""
        return [self.checkpoint, *self.others]


def make_callbacks(run_dir: Path, settings: TrainSettings, spec: Spec, registry: Registry) -> TrainingCallbacks:
    import keras

    from .epoch_scalars import EpochScalars
    from .timing import step_timer

    class EpochCheckpoint(keras.callbacks.Callback):
        """Saves the model (with optimizer state) and the history after every epoch with a finite loss.

        The NaN check reads each batch's loss from the logs Keras already converted (TensorFlow's trainer does
        that after every step anyway); on backends that dispatch batch callbacks in a thread (JAX, torch) it
        runs there (``async_safe``), so the training loop never waits for it.
        """

        async_safe = True

        def __init__(self) -> None:
            super().__init__()
            self.rows: list[dict[str, Any]] = list(history_rows(run_dir / "history.csv"))
            self.diverged_at: tuple[int, int] | None = None  # (epoch, step), both from 1
            self.epoch = 0
            self.first_loss: float | None = None  # the first step's, of this training
            self.last_finite: float | None = None

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch = epoch

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            # with several steps per execution Keras calls this once per execution, ``batch`` its last step
            # and ``loss`` the epoch's running mean so far, which a NaN in any earlier step has already poisoned
            loss = (logs or {}).get("loss")
            if loss is None:
                return
            if not math.isfinite(float(loss)):
                if self.diverged_at is None:
                    self.diverged_at = (self.epoch + 1, batch + 1)
                self.model.stop_training = True
            else:
                self.last_finite = float(loss)
                if self.first_loss is None:
                    self.first_loss = self.last_finite

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            if self.diverged_at is not None or not all(math.isfinite(float(v)) for v in logs.values()):
                return
            lr = self.model.optimizer.learning_rate
            self.rows.append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}, "learning_rate": as_float(lr)})
            # weights, epoch and history in one atomic file: a kill at any moment leaves them in agreement
            save_checkpoint(self.model, run_dir / CHECKPOINT, {"epoch": epoch + 1, "history": self.rows})
            write_history(run_dir / "history.csv", self.rows)
            write_text(run_dir / STATE, json.dumps({"epoch": epoch + 1}) + "\n")

    callbacks: list[Any] = [EpochScalars(run_dir / TENSORBOARD), step_timer(run_dir, settings.steps_per_epoch)]
    if settings.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=settings.early_stopping.monitor,
                                                       patience=settings.early_stopping.patience))
    if settings.schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=1e-6))
    elif settings.schedule == "cosine":
        callbacks.append(_cosine(settings))
    if getattr(settings, "keep", "last") == "best":
        callbacks.append(best_keeper(run_dir, settings.monitor))
    for _info, extra in registry.call("upspec_callbacks", strict=True, spec=spec, run_dir=str(run_dir)):
        callbacks.extend(extra or ())
    checkpoint = EpochCheckpoint()
    if settings.until is not None:  # reads the history the checkpoint appends to (it runs first)
        callbacks.append(until_callback(settings.until, checkpoint.rows, settings.steps_per_epoch))
    return TrainingCallbacks(checkpoint, callbacks)


def _cosine(settings: TrainSettings) -> Any:
    import keras

    class Cosine(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            current = as_float(self.model.optimizer.learning_rate)
            self.model.optimizer.learning_rate = cosine_rate(current, epoch, settings.epoch_cap)

    return Cosine()


def training_pipeline(x: Any, y: Any, settings: TrainSettings) -> Any:
    """The ``tf.data`` pipeline ``fit`` trains on: shuffled each epoch, whole batches, repeated, prefetched."""
    import tensorflow as tf

    return (tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(len(x), seed=settings.seed, reshuffle_each_iteration=True)
            .batch(settings.batch_size, drop_remainder=True).repeat().prefetch(tf.data.AUTOTUNE))


#: the most training steps one call into the compiled step function runs when the spec does not say
MAX_STEPS_PER_EXECUTION = 32


#: the hooks Keras calls once per execution (not once per batch) when an execution runs several steps
BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
               "on_test_batch_end")


def acts_per_batch(callback: Any) -> bool:
    """Whether ``callback`` overrides a per-batch hook, in its class or on the instance (``LambdaCallback``).
    Keras's own ``ModelCheckpoint``, ``TensorBoard`` and ``TerminateOnNaN`` do, even set to act per epoch."""
    import keras

    if getattr(callback, "per_execution", False):  # ours, written to act once per execution
        return False
    for hook in BATCH_HOOKS:
        method = getattr(callback, hook, None)
        if getattr(method, "__func__", method) is not getattr(keras.callbacks.Callback, hook):
            return True
    return False


def steps_per_execution(settings: TrainSettings, callbacks: list[Any]) -> int:
    """Training steps per call of the compiled step function (Keras's ``steps_per_execution``).

    Several steps per call save Keras's per-step Python work (a tenth of a small model's step on a CPU): the
    same batches in the same order, the same weights. The default is the largest divisor of
    ``steps_per_epoch`` up to ``MAX_STEPS_PER_EXECUTION`` (a divisor, so epochs keep their length), and 1
    when one of ``callbacks`` (a plugin's) acts on every batch, which Keras would call once per execution, or
    on the PyTorch backend, whose Keras trainer takes one step per call only."""
    import keras

    torch = keras.backend.backend() == "torch"
    if settings.steps_per_execution is not None:
        if torch and settings.steps_per_execution > 1:
            raise UpspecError(f"train.steps_per_execution is {settings.steps_per_execution}, but Keras's PyTorch "
                              "backend runs one step per call: set it to 1 or leave it out")
        return settings.steps_per_execution
    if torch:
        return 1
    if any(acts_per_batch(cb) for cb in callbacks):
        return 1
    steps = settings.steps_per_epoch
    return max(d for d in range(1, min(steps, MAX_STEPS_PER_EXECUTION) + 1) if steps % d == 0)


def _steps_per_call(model: Any, steps: int) -> None:
    """Set Keras's ``steps_per_execution`` and drop the step functions it traced with the old value (Keras
    reads the attribute only while tracing, and keeps a traced function until told to make a new one)."""
    if model.steps_per_execution != steps:
        model.steps_per_execution = steps
        model.train_function = model.test_function = model.predict_function = None


def fit(plan: FitPlan) -> list[dict[str, Any]]:
    """Train from ``plan.initial_epoch`` to ``plan.settings.epochs`` (with ``train.until``: until its plateau or
    step cap); returns the history's rows; raises ``TrainingDiverged`` on a NaN loss."""
    settings, run_dir = plan.settings, plan.run_dir
    seed_everything(settings.seed + plan.initial_epoch)
    if settings.learning_rate is not None and plan.initial_epoch == 0:
        plan.model.optimizer.learning_rate = settings.learning_rate
    callbacks = make_callbacks(run_dir, settings, plan.spec, plan.registry)
    if settings.until is not None and finished(settings, callbacks.checkpoint.rows):
        return callbacks.checkpoint.rows  # stopped on its plateau before an interruption: nothing left to train
    callbacks.others.append(sample_images_callback(run_dir, plan.dataset.validation))
    callbacks.others.extend(plan.extra_callbacks)
    try:
        chunk = _train(plan, callbacks)
    finally:  # Keras skips on_train_end when training raises: the event files are closed here then
        for callback in callbacks.all:
            getattr(callback, "close_writers", lambda: None)()
    checkpoint = callbacks.checkpoint
    if checkpoint.diverged_at is not None:
        raise _diverged(plan, checkpoint, chunk)
    plan.warnings.extend(_growth_warning(checkpoint.first_loss, checkpoint.rows))
    if getattr(settings, "keep", "last") == "best":
        restore_best(plan.model, run_dir)
    return checkpoint.rows


def write_divergence_record(run_dir: Path, rows: list[dict[str, Any]], record: dict[str, Any], header: str) -> None:
    """What a diverged run leaves beside its report: ``history.csv`` (the finished epochs, or ``header`` alone)
    and ``diverged.json`` (``record``: where, the last finite loss, the hint)."""
    write_history(run_dir / "history.csv", rows) if rows else write_text(run_dir / "history.csv", header + "\n")
    write_text(run_dir / DIVERGED, json.dumps(record, indent=2) + "\n")


def _diverged(plan: FitPlan, checkpoint: Any, chunk: int) -> TrainingDiverged:
    """The error of a run whose loss became NaN, its record written first: ``history.csv`` (the finished
    epochs) and ``diverged.json`` (where, the last finite loss, the hint), so the folder says what happened."""
    run_dir = plan.run_dir
    kept = f"; the last good checkpoint is {run_dir / CHECKPOINT}" if (run_dir / CHECKPOINT).exists() else ""
    epoch, step = checkpoint.diverged_at
    where = f"at step {step}" if chunk == 1 else f"within steps {step - chunk + 1}-{step}"
    last = checkpoint.last_finite
    record = {"epoch": epoch, "step": step, "where": f"{where} of epoch {epoch}",
              "last_finite_loss": last, "first_loss": checkpoint.first_loss,
              "finished_epochs": len(checkpoint.rows), "hint": DIVERGED_HINT}
    write_divergence_record(run_dir, checkpoint.rows, record, "epoch,loss")
    last_text = f"; the last finite loss was {last:.6g}" if last is not None else ""
    return TrainingDiverged(f"the loss became NaN or infinite {where} of epoch {epoch}; training stopped{kept}"
                            f"{last_text}; {DIVERGED_HINT}", record)


def _growth_warning(first: float | None, rows: list[dict[str, Any]]) -> list[str]:
    """A warning when the training loss ended ``GROWTH_WARNING`` times above its first step's: finite, yet
    no model was learned (Adam with a far too high learning rate ends near 1e15 and reports success)."""
    if first is None or not rows or "loss" not in rows[-1]:
        return []
    final = float(rows[-1]["loss"])
    if first <= 0 or final <= GROWTH_WARNING * first:
        return []
    return [f"the training loss ended at {final:.4g}, {final / first:.3g} times its first step's ({first:.4g}): "
            f"the training went the wrong way; {DIVERGED_HINT}"]


def _train(plan: FitPlan, callbacks: TrainingCallbacks) -> int:
    """Keras's ``fit``, or the custom loop for multi-worker training; returns the steps run per execution."""
    settings, model, dataset, distribution = plan.settings, plan.model, plan.dataset, plan.distribution
    train = training_pipeline(*dataset.train, settings)
    chunk = 1
    if distribution is not None and distribution.custom_loop:
        from .custom_loop import fit_with_strategy

        fit_with_strategy(model, train, dataset.validation, callbacks.all, distribution.strategy,
                          epochs=settings.epoch_cap, steps_per_epoch=settings.steps_per_epoch,
                          initial_epoch=plan.initial_epoch, verbose=plan.verbose)
    else:
        # the checkpoint's NaN stop works per execution too; under a tf.distribute strategy Keras's
        # multi-step loop fails on TF 2.21 ("while/cond/Placeholder"), so mirrored training runs one step per call
        distributed = distribution is not None and distribution.strategy is not None
        chunk = 1 if distributed else steps_per_execution(settings, callbacks.others)
        before = model.steps_per_execution
        _steps_per_call(model, chunk)
        try:
            model.fit(train, epochs=settings.epoch_cap, initial_epoch=plan.initial_epoch,
                      steps_per_epoch=settings.steps_per_epoch, validation_data=dataset.validation,
                      callbacks=callbacks.all, verbose=plan.verbose, shuffle=False)
        finally:  # prediction afterwards (evaluation, timing) runs one batch per call, as it always did
            _steps_per_call(model, before)
    return chunk
