"""One dataset for every run of a sweep: loaded and cut once per process while a sweep is running.

The runs of a sweep differ in strategy only (every strategy honours the same shape contract), so with the
same data section, seed, training pool and model shapes they would cut exactly the same pairs. Outside a
sweep nothing is kept: a run always reads its data afresh.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from typing import Callable
from typing import Iterator

_cache: dict[str, Any] | None = None


@contextlib.contextmanager
def shared_data() -> Iterator[None]:
    """Within this block, :func:`dataset_for` cuts each distinct dataset once (the latest one is kept)."""
    global _cache
    outer, _cache = _cache, {}
    try:
        yield
    finally:
        _cache = outer


def dataset_for(data: Any, train: Any, shapes: Any, prepare: Callable[[], Any]) -> Any:
    """``prepare()``: the dataset for these data and training settings and model ``shapes``; shared within
    :func:`shared_data` (cut once for every run with the same ones)."""
    if _cache is None:
        return prepare()
    key = json.dumps([data.model_dump(), train.seed, train.steps_per_epoch, train.batch_size, str(shapes)],
                     sort_keys=True, default=str)
    if key not in _cache:
        _cache.clear()  # a sweep has one spec: keep one dataset in memory, not one per seed
        _cache[key] = prepare()
    return _cache[key]
