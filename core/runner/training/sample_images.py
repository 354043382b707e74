"""TensorBoard's images tab during training: per epoch, the first validation inputs, the model's outputs
and the targets, under the run folder's ``tensorboard/samples/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: the run folder's TensorBoard logs
TENSORBOARD = "tensorboard"
SAMPLES = 3


def _displayable(images: np.ndarray) -> np.ndarray | None:
    """``(N, H, W, 1 or 3)`` in [0, 1], or None for data that are not 2-D pictures."""
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4:
        return None
    if images.shape[-1] not in (1, 3):
        images = images[..., :1] if images.shape[-1] < 3 else images[..., :3]
    return np.clip(images, 0.0, 1.0)


def sample_images_callback(run_dir: Path, validation: tuple[np.ndarray, np.ndarray]) -> Any:
    """A Keras callback writing input / output / target images of a few validation examples each epoch.

    The model runs eagerly on the few examples (``predict`` would build and trace a prediction function for
    them: a tenth of a second per epoch on a small model), and one writer stays open for the whole fit."""
    import keras

    x, y = validation
    batch = x[:SAMPLES]
    fixed = {"input": _displayable(batch), "target": _displayable(y[:SAMPLES])}

    class SampleImages(keras.callbacks.Callback):
        writer: Any = None

        def on_train_begin(self, logs: dict | None = None) -> None:
            import tensorflow as tf

            self.writer = tf.summary.create_file_writer(str(Path(run_dir) / TENSORBOARD / "samples"))

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            import tensorflow as tf

            if self.writer is None:
                self.on_train_begin()
            output = keras.ops.convert_to_numpy(self.model(batch, training=False))
            pictures = {"input": fixed["input"], "output": _displayable(output), "target": fixed["target"]}
            with self.writer.as_default():
                for name, images in pictures.items():
                    if images is not None:
                        tf.summary.image(f"samples/{name}", images, step=epoch + 1, max_outputs=SAMPLES)
            self.writer.flush()

        def on_train_end(self, logs: dict | None = None) -> None:
            self.close_writers()

        def close_writers(self) -> None:  # also called by the runner when training ends with an exception
            if self.writer is not None:
                self.writer.close()
                self.writer = None

    return SampleImages()
