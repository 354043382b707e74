"""The metric functions; they import TensorFlow, so the hook imports this lazily.

Both return one value per image; Keras then averages them, which is the
mean of per-image PSNR (``keras.ops.psnr`` would average before the log).
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="upspec")
def psnr(y_true: Any, y_pred: Any) -> Any:
    return tf.image.psnr(tf.cast(y_true, tf.float32), tf.clip_by_value(tf.cast(y_pred, tf.float32), 0.0, 1.0), max_val=1.0)


@keras.saving.register_keras_serializable(package="upspec")
def ssim(y_true: Any, y_pred: Any) -> Any:
    size = min(11, int(y_true.shape[1] or 11), int(y_true.shape[2] or 11))
    return tf.image.ssim(tf.cast(y_true, tf.float32), tf.clip_by_value(tf.cast(y_pred, tf.float32), 0.0, 1.0),
                         max_val=1.0, filter_size=size)
