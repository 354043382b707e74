"""The runner's tasks for 1-D signals and 3-D volumes (2-D images go through ``upspec.run.data``).

The same tasks and conventions as in 2-D: ``super_resolution`` (the input is
the target block-averaged by the model's factor on every axis),
``denoise`` (Gaussian noise of ``data.noise``, clipped to [0, 1]) and
``autoencode``. The source is the spec's ``data.source`` or, without one,
``signals`` for 1-D models and ``volumes`` for 3-D ones; it must declare the
model's rank (``DataSource.ranks``). The training pool follows the training
seed; the validation and test sets do not (seed 0), so runs with different
seeds are scored on the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from ..errors import NotFoundError
from .data import DataError
from .data import TaskShapes
from .data import get_source
from .data import sources

if TYPE_CHECKING:
    from ..registry.registry import Registry

RANK_TASKS = ("super_resolution", "denoise", "autoencode")
DEFAULT_SOURCES = {1: "signals", 3: "volumes"}
EVALUATION_SEED = 0
AXES = {1: "length", 3: "depth x height x width"}


@dataclass(frozen=True)
class RankTaskShapes(TaskShapes):
    """Task shapes of a 1-D or 3-D model: ``factor`` has one entry per spatial axis."""

    @property
    def rank(self) -> int:
        return len(self.x) - 1

    @property
    def factor(self) -> tuple[int, ...]:  # type: ignore[override]
        return tuple(o // i for o, i in zip(self.y[:-1], self.x[:-1]))


def rank_of(shape: tuple) -> int:
    return len(shape) - 1


def rank_task_shapes(task: str, x_shape: tuple, y_shape: tuple) -> RankTaskShapes:
    """Check that ``task`` can feed a 1-D or 3-D model with these input / output shapes."""
    rank = rank_of(x_shape)
    if task not in RANK_TASKS:
        hint = " (segmentation needs 2-D images)" if task == "segmentation" else ""
        raise DataError(f"task {task!r} is not available for {rank}-D models{hint}; the tasks are {', '.join(RANK_TASKS)}")
    if len(y_shape) != len(x_shape) or None in x_shape or None in y_shape:
        raise DataError(f"the runner's {rank}-D tasks need an output of the input's rank and known sizes; "
                        f"the model maps {tuple(x_shape)} -> {tuple(y_shape)}")
    if y_shape[-1] != x_shape[-1]:
        raise DataError(f"task {task!r} compares the output with data of the input's {x_shape[-1]} channel(s), but the "
                        f"model outputs {y_shape[-1]} (input {tuple(x_shape)}, output {tuple(y_shape)})")
    if task == "super_resolution":
        if any(o % i for o, i in zip(y_shape[:-1], x_shape[:-1])) or y_shape == x_shape:
            raise DataError(f"super_resolution needs an output larger than the input by an integer factor per axis; "
                            f"the model maps {tuple(x_shape)} -> {tuple(y_shape)}")
    elif y_shape != x_shape:
        raise DataError(f"task {task!r} needs an output of the input's size; the model maps {tuple(x_shape)} -> {tuple(y_shape)}")
    return RankTaskShapes(task, tuple(x_shape), tuple(y_shape))


def block_mean(y: np.ndarray, factor: tuple[int, ...]) -> np.ndarray:
    """Antialiased downsampling by an integer factor per spatial axis: the mean of each block."""
    n, *spatial, c = y.shape
    split: list[int] = [n]
    for size, f in zip(spatial, factor):
        split += [size // f, f]
    blocks = y.reshape(*split, c)
    return blocks.mean(axis=tuple(2 + 2 * a for a in range(len(spatial)))).astype("float32")


def cubic_upsample(x: np.ndarray, factor: tuple[int, ...]) -> np.ndarray:
    """The classical baseline: separable cubic interpolation (TensorFlow's bicubic convention per axis),
    clipped to [0, 1]."""
    from ..layers.interpolation import Interpolate

    return np.clip(np.asarray(Interpolate(factor, "cubic", None)(x.astype("float32"))), 0.0, 1.0)


def baseline_name(rank: int) -> str:
    return {1: "cubic", 2: "bicubic", 3: "tricubic"}[rank]


def _pairs(shapes: RankTaskShapes, targets: np.ndarray, seed: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    if shapes.task == "super_resolution":
        return block_mean(targets, shapes.factor), targets
    if shapes.task == "denoise":
        rng = np.random.default_rng(seed + 1)
        return np.clip(targets + rng.normal(0, noise, targets.shape), 0, 1).astype("float32"), targets
    return targets, targets


def _load(source: Any, split: str, shapes: RankTaskShapes, count: int, seed: int, options: dict) -> np.ndarray:
    data = source.load(split, size=shapes.y[:-1], seed=seed, channels=shapes.y[-1], count=count, **options)
    arrays = [np.asarray(a, dtype="float32") for a in data.images]
    want = tuple(shapes.y)
    wrong = [a.shape for a in arrays if a.shape != want]
    if not arrays or wrong:
        raise DataError(f"data source {source.name!r} gave {len(arrays)} arrays"
                        + (f", some of shape {wrong[0]}" if wrong else "") + f"; the task needs arrays of shape {want}")
    return np.stack(arrays)


def prepare_rank_data(spec: Any, model: Any, data: Any, train: Any, registry: Registry) -> Any:
    """The ``Dataset`` for a 1-D or 3-D model, or ``None`` for a 2-D one (the image path)."""
    from .task_data import TaskData
    from .task_data import _data_error

    x_shape, y_shape = tuple(model.input_shape[1:]), tuple(model.output_shape[1:])
    rank = rank_of(x_shape)
    source_name = spec.data.source if "source" in spec.data.model_fields_set else DEFAULT_SOURCES.get(rank)
    try:
        if rank == 2:
            known = sources(registry).get(data.source)
            if known is not None and 2 not in getattr(known, "ranks", (2,)):
                raise DataError(f"data source {data.source!r} provides {_ranks(known)} data; this model takes 2-D images")
            return None
        if rank not in DEFAULT_SOURCES:
            return None
        shapes = rank_task_shapes(data.task, x_shape, y_shape)
        source = get_source(str(source_name), registry)
        if rank not in getattr(source, "ranks", (2,)):
            raise DataError(f"data source {source_name!r} provides {_ranks(source)} data; this model takes {rank}-D "
                            f"inputs ({AXES[rank]}, channels): use {DEFAULT_SOURCES[rank]!r}"
                            + (" or 'mri'" if rank == 3 else ""))
        pool = train.steps_per_epoch * train.batch_size
        options = dict(data.options)
        train_targets = _load(source, "train", shapes, min(pool, options.pop("count", pool)), train.seed, options)
        validation = _load(source, "validation", shapes, data.validation_patches, EVALUATION_SEED, options)
        test = _load(source, "test", shapes, data.test_patches, EVALUATION_SEED, options)
    except DataError as exc:
        raise _data_error(spec, f"the data cannot feed this model: {exc}") from None
    except NotFoundError as exc:
        raise _data_error(spec, f"{exc.message} ({exc.hint})") from None
    if len(train_targets) < pool:  # a small source: its samples repeated to fill the pool
        train_targets = train_targets[np.resize(np.arange(len(train_targets)), pool)]
    return TaskData(shapes, _pairs(shapes, train_targets, train.seed, data.noise),
                   _pairs(shapes, validation, EVALUATION_SEED, data.noise),
                   _pairs(shapes, test, EVALUATION_SEED + 7, data.noise))


def _ranks(source: Any) -> str:
    return " and ".join(f"{r}-D" for r in getattr(source, "ranks", (2,)))
