"""TensorBoard beyond loss curves: sample images per epoch, test-set metrics and hyperparameters.

Everything goes under the run folder's ``tensorboard/`` (next to Keras's
``train/`` and ``validation/`` scalars):

- ``tensorboard/samples/``: per epoch, the first validation inputs, the model's
  outputs and the targets (images tab);
- ``tensorboard/test/``: the test-set numbers of ``metrics.json`` as scalars
  (``test/psnr``, ``test/bicubic_psnr``, ...) and the run's hyperparameters
  (strategy, seed, epochs, batch size, learning rate, data source) for the
  HParams tab. A sweep is a folder of runs, so ``tensorboard --logdir SWEEP``
  shows each strategy (and seed) as one trial, side by side.

Written with ``tf.summary`` (TensorFlow is installed with upspec; the writers
work whichever Keras backend trains the model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

LOGS = "tensorboard"
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

            self.writer = tf.summary.create_file_writer(str(Path(run_dir) / LOGS / "samples"))

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


def _scalars(metrics: dict[str, Any]) -> dict[str, float]:
    """``{"model": {"psnr": 27.1}, "bicubic": {...}}`` -> ``{"test/psnr": 27.1, "test/bicubic_psnr": ...}``."""
    found: dict[str, float] = {}
    for group, values in metrics.items():
        if not isinstance(values, dict):
            continue
        for name, value in values.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                found[f"test/{name}" if group == "model" else f"test/{group}_{name}"] = float(value)
    return found


def hyperparameters(spec: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """The run's hyperparameters, as HParams takes them (str, float, int or bool)."""
    strategies = sorted({e.upsample for e in spec.layers if getattr(e, "upsample", None)})
    found: dict[str, Any] = {"spec": spec.name, "strategy": ",".join(strategies) or "-"}
    for key in ("seed", "epochs", "steps_per_epoch", "batch_size", "learning_rate", "source"):
        value = settings.get(key)
        if isinstance(value, (str, bool, int, float)):
            found[key] = value
    return found


def write_test_summaries(run_dir: Path, spec: Any, settings: dict[str, Any], metrics: dict[str, Any],
                         epoch: int) -> None:
    """Test-set scalars and the HParams session of a finished run."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    scalars = _scalars(metrics)
    writer = tf.summary.create_file_writer(str(Path(run_dir) / LOGS / "test"))
    with writer.as_default():
        hp.hparams(hyperparameters(spec, settings))
        for tag, value in scalars.items():
            tf.summary.scalar(tag, value, step=epoch)
    writer.close()
