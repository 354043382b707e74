"""TensorBoard beyond loss curves, written when a run ends: test-set metrics and hyperparameters.

Everything goes under the run folder's ``tensorboard/`` (next to the epoch scalars in ``train/`` and
``validation/`` and the sample images of :mod:`upspec.runner.training.sample_images`):

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

from ..training.sample_images import TENSORBOARD


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
    writer = tf.summary.create_file_writer(str(Path(run_dir) / TENSORBOARD / "test"))
    with writer.as_default():
        hp.hparams(hyperparameters(spec, settings))
        for tag, value in scalars.items():
            tf.summary.scalar(tag, value, step=epoch)
    writer.close()
