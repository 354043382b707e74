"""What a model costs: multiply-accumulates per forward pass, training step and inference time."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .macs import multiply_accumulates

__all__ = ["inference_ms", "multiply_accumulates", "profiled_multiply_accumulates", "train_step_ms"]


def profiled_multiply_accumulates(model: Any) -> int:
    """Half the float operations TensorFlow's profiler counts in the frozen forward graph of one example
    (every op, bias additions and resizes included). TensorFlow only; sweeps use the analytic
    :func:`upspec.analysis.macs.multiply_accumulates`, which runs on every backend."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    specs = [tf.TensorSpec((1, *t.shape[1:]), tf.float32) for t in model.inputs]
    function = tf.function(lambda *x: model(list(x) if len(x) > 1 else x[0], training=False))
    frozen = convert_variables_to_constants_v2(function.get_concrete_function(*specs))
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(graph=frozen.graph, options=options)
    return int(profile.total_float_ops // 2)


def _median_seconds(step: Any, repeats: int) -> float:
    step()  # warm-up: tracing
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def train_step_ms(model: Any, x: np.ndarray, y: np.ndarray, repeats: int = 5) -> float:
    """Median wall time of one optimiser step on the batch ``(x, y)``, in milliseconds (changes the weights)."""
    return 1000 * _median_seconds(lambda: model.train_on_batch(x, y), repeats)


def batch_size(x: Any) -> int:
    """The number of examples in a model's input: an array, or a list or dict of arrays (one per input)."""
    first = next(iter(x.values())) if isinstance(x, dict) else x[0] if isinstance(x, (list, tuple)) else x
    return len(first)


def inference_ms(model: Any, x: Any, repeats: int = 3) -> float:
    """Median wall time of a forward pass per example, in milliseconds; ``x`` as the model takes it (an array,
    or a list or dict of arrays for several inputs)."""
    return 1000 * _median_seconds(lambda: model.predict_on_batch(x), repeats) / batch_size(x)
