"""Training with ``strategy.run`` and a ``GradientTape``, for the strategies Keras 3's ``fit`` cannot drive.

Keras 3's ``fit`` fails under ``MultiWorkerMirroredStrategy`` with two workers on TensorFlow 2.16 to 2.21
(keras-team/keras#20585). This loop does what ``fit`` does for upspec's runs (epochs of ``steps_per_epoch``
batches from a repeating dataset, a validation loss after each epoch) and calls the same Keras callbacks, so
checkpoints, history, schedules, early stopping, TensorBoard and plugin callbacks behave as with ``fit``. It
logs ``loss`` and ``val_loss``; compiled metrics are not logged on this path.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def fit_with_strategy(model: Any, train: Any, validation: tuple[np.ndarray, np.ndarray], callbacks: list[Any],
                      strategy: Any, *, epochs: int, steps_per_epoch: int, initial_epoch: int = 0,
                      verbose: int = 1) -> None:
    """``model.fit(train, ...)`` for ``strategy``; ``train`` is a repeating ``tf.data`` dataset of global batches."""
    import keras
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    batches = iter(strategy.experimental_distribute_dataset(train.with_options(options)))
    step = _train_step(model, strategy)
    callback_list = keras.callbacks.CallbackList(callbacks, model=model, add_history=False, add_progbar=verbose != 0,
                                                 verbose=verbose, epochs=epochs, steps=steps_per_epoch)
    model.stop_training = False
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        callback_list.on_epoch_begin(epoch)
        total = 0.0
        for batch in range(steps_per_epoch):
            callback_list.on_train_batch_begin(batch)
            loss = float(step(next(batches)))
            total += loss
            callback_list.on_train_batch_end(batch, {"loss": total / (batch + 1)})
            if model.stop_training:
                break
        logs = {"loss": total / (batch + 1), "val_loss": validation_loss(model, *validation)}
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end()


def _train_step(model: Any, strategy: Any) -> Any:
    import tensorflow as tf

    def replica_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            prediction = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=prediction, training=True)  # divided by the replicas
            scaled = model.optimizer.scale_loss(loss)  # the loss scale of mixed_float16, else unchanged
        weights = model.trainable_weights
        model.optimizer.apply_gradients(zip(tape.gradient(scaled, weights), weights))  # summed over replicas
        return loss

    @tf.function
    def step(batch: Any) -> Any:
        losses = strategy.run(replica_step, args=batch)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    return step


def validation_loss(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int = 64) -> float:
    """The compiled loss on the validation set, computed locally, the same on every worker (called outside
    the strategy's scope, so the loss is not divided by the replicas)."""
    total, count = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        prediction = model(xb, training=False)
        total += float(model.compute_loss(x=xb, y=yb, y_pred=prediction, training=False)) * len(xb)
        count += len(xb)
    return total / max(count, 1)
