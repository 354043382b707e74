"""Epoch-level TensorBoard scalars, written without any per-batch work.

Keras's ``TensorBoard`` callback overrides ``on_train_batch_end`` (it writes ``batch_*`` scalars and imports
``tensorboard`` on the first batch even with ``update_freq="epoch"``), which makes Keras call every callback
synchronously after each step. This callback only acts at the end of an epoch, and writes the same files and
tags as Keras's (``train/`` and ``validation/`` folders, ``epoch_loss``, ``epoch_<metric>``,
``epoch_learning_rate``) through ``tf.summary.write`` with the scalars plugin's metadata, so TensorBoard shows
them as scalars and ``tensorboard`` itself is never imported during training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

from .framework import as_float  # float() refuses the MirroredVariable a distributed optimizer holds


class EpochScalars(keras.callbacks.Callback):
    """Writes each epoch's logs to ``log_dir/train`` and (``val_*`` keys) ``log_dir/validation``."""

    async_safe = True

    def __init__(self, log_dir: str | Path) -> None:
        super().__init__()
        self.log_dir = Path(log_dir)
        self._writers: dict[str, Any] = {}
        self._metadata: Any = None

    def _writer(self, split: str) -> Any:
        import tensorflow as tf

        if split not in self._writers:
            self._writers[split] = tf.summary.create_file_writer(str(self.log_dir / split))
        return self._writers[split]

    def _write(self, split: str, scalars: dict[str, float], step: int) -> None:
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        if self._metadata is None:
            self._metadata = summary_pb2.SummaryMetadata(
                plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
        writer = self._writer(split)
        with writer.as_default():
            for name, value in scalars.items():
                tf.summary.write(f"epoch_{name}", tf.constant(float(value), tf.float32), step=step,
                                 metadata=self._metadata)
        writer.flush()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and "learning_rate" not in train:
            train["learning_rate"] = as_float(optimizer.learning_rate)
        self._write("train", train, epoch)
        validation = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        if validation:
            self._write("validation", validation, epoch)

    def on_train_end(self, logs: dict | None = None) -> None:
        self.close_writers()

    def close_writers(self) -> None:
        """Close the event files (also called by the runner when training ends with an exception)."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
