"""The garbage collector and the framework's import.

Importing TensorFlow and Keras leaves about a million long-lived Python objects (modules, functions, op
definitions). CPython's cyclic garbage collector scans every one of them in each full (generation 2)
collection: 0.3 s on a 2-core machine, once or twice in a short run or a sweep. ``gc.freeze()`` right after
the import moves them to the permanent generation, which the collector never scans; reference counting
still frees whatever becomes unreachable, and every object created later (models, data) is collected as
before. It is done once per process, before any model exists, so nothing that later becomes cyclic garbage
is frozen.
"""

from __future__ import annotations

import gc

_frozen = False


def settle_framework() -> None:
    """Import Keras (and its backend) if needed, then freeze the heap it left, once per process."""
    global _frozen
    if _frozen:
        return
    import keras  # noqa: F401 - the import whose objects are frozen

    gc.freeze()
    _frozen = True
