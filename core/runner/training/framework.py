"""The framework's process-wide state: its import settled (the garbage collector), the seeds, scalar reads.

Importing TensorFlow and Keras leaves about a million long-lived Python objects (modules, functions, op
definitions). CPython's cyclic garbage collector scans every one of them in each full (generation 2)
collection: 0.3 s on a 2-core machine, once or twice in a short run or a sweep. ``gc.freeze()`` right after
the import moves them to the permanent generation, which the collector never scans; reference counting
still frees whatever becomes unreachable, and every object created later (models, data) is collected as
before.

Only a process that has not imported Keras yet is frozen (the command line, a sweep's worker): there no
model exists, so nothing that later becomes cyclic garbage is pinned. A notebook or a test session that
imported Keras before calling upspec is left as it is.
"""

from __future__ import annotations

import gc
import sys
import threading
from typing import Any

_lock = threading.Lock()
_settled = False


def settle_framework() -> bool:
    """Import Keras (and its backend); if this call is what imports it, freeze the heap it left. Once per
    process; returns whether it froze."""
    global _settled
    with _lock:
        if _settled:
            return False
        _settled = True
        fresh = "keras" not in sys.modules
        import keras  # noqa: F401 - the import whose objects are frozen

        if fresh:
            gc.freeze()
        return fresh


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


def as_float(variable: Any) -> float:
    """A scalar variable's value, also a distributed one (``float()`` refuses a MirroredVariable)."""
    import keras

    return float(keras.ops.convert_to_numpy(variable))
