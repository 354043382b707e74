"""Training with a checkpoint every epoch, resumable after any interruption."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..errors import UpspecError
from ..files import write_text
from ..registry.registry import Registry
from .checkpoint import checkpoint_state
from .checkpoint import save_checkpoint
from ..modelspec.sections import TrainSettings
from .task_data import TaskData
from .task_data import history_rows
from .task_data import write_history
from .tensorboard_logs import sample_images_callback
from ..modelspec.model import Spec

CHECKPOINT = Path("checkpoints") / "last.keras"
STATE = Path("checkpoints") / "state.json"


class TrainingDiverged(UpspecError):
    pass


def make_callbacks(run_dir: Path, settings: TrainSettings, spec: Spec, registry: Registry) -> list[Any]:
    import keras

    from .tensorboard import EpochScalars
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

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch = epoch

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            # with several steps per execution Keras calls this once per execution, ``batch`` its last step
            # and ``loss`` the epoch's running mean so far, which a NaN in any earlier step has already poisoned
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                self.diverged_at = (self.epoch + 1, batch + 1)
                self.model.stop_training = True

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

    callbacks: list[Any] = [EpochCheckpoint(), EpochScalars(run_dir / "tensorboard"),
                            step_timer(run_dir, settings.steps_per_epoch)]
    if settings.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=settings.early_stopping.monitor,
                                                       patience=settings.early_stopping.patience))
    if settings.schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=1e-6))
    elif settings.schedule == "cosine":
        callbacks.append(_cosine(settings))
    for _info, extra in registry.call("upspec_callbacks", strict=True, spec=spec, run_dir=str(run_dir)):
        callbacks.extend(extra or ())
    return callbacks


def as_float(variable: Any) -> float:
    """A scalar variable's value, also a distributed one (``float()`` refuses a MirroredVariable)."""
    import keras

    return float(keras.ops.convert_to_numpy(variable))


def _cosine(settings: TrainSettings) -> Any:
    import keras

    class Cosine(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict | None = None) -> None:
            self.base = as_float(self.model.optimizer.learning_rate)

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.model.optimizer.learning_rate = self.base * 0.5 * (1 + math.cos(math.pi * epoch / settings.epochs))

    return Cosine()


def seed_everything(seed: int) -> None:
    """Python, NumPy and backend seeds, and deterministic kernels: one seed, one run.

    Deterministic kernels are a TensorFlow switch (``enable_op_determinism``) and a PyTorch one
    (``use_deterministic_algorithms``); JAX on the CPU is deterministic without one.
    """
    import keras

    keras.utils.set_random_seed(seed)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif backend == "torch":
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)


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


def fit(model: Any, dataset: TaskData, run_dir: Path, settings: TrainSettings, spec: Spec, registry: Registry,
        initial_epoch: int = 0, verbose: int = 1, distribution: Any = None) -> list[dict[str, str]]:
    """Train from ``initial_epoch`` to ``settings.epochs``; raises ``TrainingDiverged`` on a NaN loss.

    ``distribution`` (``upspec.run.distribute.Distribution``): the strategy the model was built under."""
    seed_everything(settings.seed + initial_epoch)
    if settings.learning_rate is not None and initial_epoch == 0:
        model.optimizer.learning_rate = settings.learning_rate
    train = training_pipeline(*dataset.train, settings)
    callbacks = make_callbacks(run_dir, settings, spec, registry)
    callbacks.append(sample_images_callback(run_dir, dataset.validation))
    try:
        chunk = _train(model, train, dataset, callbacks, settings, initial_epoch, verbose, distribution)
    finally:  # Keras skips on_train_end when training raises: the event files are closed here then
        for callback in callbacks:
            getattr(callback, "close_writers", lambda: None)()
    checkpoint = callbacks[0]
    if checkpoint.diverged_at is not None:
        kept = f"; the last good checkpoint is {run_dir / CHECKPOINT}" if (run_dir / CHECKPOINT).exists() else ""
        epoch, step = checkpoint.diverged_at
        where = f"at step {step}" if chunk == 1 else f"within steps {step - chunk + 1}-{step}"
        raise TrainingDiverged(f"the loss became NaN or infinite {where} of epoch {epoch}; training stopped{kept}; "
                               "lower the learning rate (--set train.learning_rate=...)")
    return checkpoint.rows


def _train(model: Any, train: Any, dataset: TaskData, callbacks: list[Any], settings: TrainSettings,
           initial_epoch: int, verbose: int, distribution: Any) -> int:
    """Keras's ``fit``, or the custom loop for multi-worker training; returns the steps run per execution."""
    chunk = 1
    if distribution is not None and distribution.custom_loop:
        from .custom_loop import fit_with_strategy

        fit_with_strategy(model, train, dataset.validation, callbacks, distribution.strategy, epochs=settings.epochs,
                          steps_per_epoch=settings.steps_per_epoch, initial_epoch=initial_epoch, verbose=verbose)
    else:
        # the first callback, the NaN stop, works per execution too; under a tf.distribute strategy Keras's
        # multi-step loop fails on TF 2.21 ("while/cond/Placeholder"), so mirrored training runs one step per call
        distributed = distribution is not None and distribution.strategy is not None
        chunk = 1 if distributed else steps_per_execution(settings, callbacks[1:])
        before = model.steps_per_execution
        _steps_per_call(model, chunk)
        try:
            model.fit(train, epochs=settings.epochs, initial_epoch=initial_epoch,
                      steps_per_epoch=settings.steps_per_epoch, validation_data=dataset.validation,
                      callbacks=callbacks, verbose=verbose, shuffle=False)
        finally:  # prediction afterwards (evaluation, timing) runs one batch per call, as it always did
            _steps_per_call(model, before)
    return chunk


def resume_state(run_dir: Path) -> int:
    """The number of epochs finished in ``run_dir`` (0 if none): the checkpoint's own record, which is
    written with its weights in one atomic step (``state.json`` may lag it by one kill)."""
    embedded = checkpoint_state(run_dir / CHECKPOINT)
    if embedded is not None:
        return int(embedded["epoch"])
    state = run_dir / STATE
    return json.loads(state.read_text())["epoch"] if state.exists() and (run_dir / CHECKPOINT).exists() else 0


def restore_history(run_dir: Path) -> list[dict[str, Any]]:
    """The history that belongs to the checkpoint, written back to ``history.csv`` (which a kill may have left
    one epoch behind, or ahead of a checkpoint that never landed)."""
    embedded = checkpoint_state(run_dir / CHECKPOINT)
    rows = embedded.get("history") if embedded else None
    if embedded is None or rows is None:
        return history_rows(run_dir / "history.csv")[: resume_state(run_dir)]
    write_history(run_dir / "history.csv", rows)
    assert embedded is not None  # rows come from it
    write_text(run_dir / STATE, json.dumps({"epoch": int(embedded["epoch"])}) + "\n")
    return rows
