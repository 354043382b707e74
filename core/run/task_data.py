"""A task's data for one model: training / validation patches, and the whole held-out test images.

``prepare_data`` loads the spec's source, checks that it can feed the model, and cuts ``(x, y)`` pairs:
patches of the model's size for training and validation (and a fixed set of test patches for cost and
checkerboard measurements), and the **whole** test images, on which the test metrics are computed.
The training history CSV is written and read here too.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import NotFoundError
from ..errors import SpecError
from ..files import write_text
from ..registry.registry import Registry
from .data import DataError
from .data import Images
from .data import TaskShapes
from .data import enlarge
from .data import get_source
from .data import make_pairs
from .data import segmentation_target
from .data import task_shapes
from .data import to_channels
from .degrade import DEFAULT_BLUR_SIGMA
from .degrade import degrade
from .degrade import mod_crop
from ..modelspec.sections import DataSettings
from ..modelspec.sections import TrainSettings
from ..modelspec.sections import data_settings
from ..modelspec.sections import train_settings
from ..modelspec.model import Spec


@dataclass
class TestImage:
    """One whole held-out image: the model's input ``x`` and the expected output ``y``."""

    name: str
    x: np.ndarray
    y: np.ndarray
    #: scores that depend on the image alone (the bicubic or noisy-input baseline), computed once: every
    #: strategy of a sweep is scored against the same baseline
    baseline: dict[str, dict[str, float]] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class TaskData:
    """Everything the runner feeds one model. ``test`` holds fixed test *patches* of the model's size (for
    costs, checkerboard measurements); the test metrics come from ``test_images``, the whole test images."""

    shapes: TaskShapes
    train: tuple[np.ndarray, np.ndarray]
    validation: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    test_images: list[TestImage] = field(default_factory=list)
    settings: DataSettings | None = None


def _data_error(spec: Spec, message: str) -> SpecError:
    doc = spec.document
    path: tuple[str, ...] = ("data",) if doc is not None and "data" in doc.data else ("layers",)
    options = doc.data.get("data", {}).get("options") if doc is not None and path == ("data",) else None
    if isinstance(options, dict) and "path" in options:  # a user's file: point at the line that names it
        path = ("data", "options", "path")
    return SpecError([spec.diagnostic(path, message, "see docs/runner.md for data sources and tasks")])


def whole_images(shapes: TaskShapes, data: Images, settings: DataSettings, seed: int) -> list[TestImage]:
    """The split's images whole (no patches): degraded for super-resolution (the high-resolution image cropped
    to a multiple of the factor, BasicSR's ``mod_crop``), noised for denoising, with masks for segmentation."""
    out = []
    rng = np.random.default_rng(seed + 2)
    for index, image in enumerate(data.images):
        name = data.name(index)
        image = enlarge(image, shapes.x[:2])
        if shapes.task == "segmentation":
            assert data.masks is not None  # prepare_data checked the source
            mask = data.masks[index]
            if mask.shape[:2] != image.shape[:2]:  # the image was enlarged: cut the same window from both
                continue
            out.append(TestImage(name, to_channels(image, shapes.x[-1]), segmentation_target(mask, shapes.y[-1])))
            continue
        target = to_channels(image, shapes.x[-1])
        if shapes.task == "super_resolution":
            target = mod_crop(target, shapes.factor)
            low = degrade(target, shapes.factor, settings.degradation, settings.blur_sigma or DEFAULT_BLUR_SIGMA)
            out.append(TestImage(name, low, target))
        elif shapes.task == "denoise":
            noisy = np.clip(target + rng.normal(0, settings.noise, target.shape), 0, 1).astype("float32")
            out.append(TestImage(name, noisy, target))
        else:
            out.append(TestImage(name, target, target))
    return out[: settings.test_images] if settings.test_images else out


def prepare_data(spec: Spec, model: Any, data: DataSettings, train: TrainSettings, registry: Registry) -> TaskData:
    """Load the source, check it fits the model, and cut (x, y) pairs for each split."""
    from .rank_tasks import prepare_rank_data

    signals_or_volumes = prepare_rank_data(spec, model, data, train, registry)  # 1-D and 3-D models: patches only
    if signals_or_volumes is not None:
        return signals_or_volumes
    x_shape, y_shape = tuple(model.input_shape[1:]), tuple(model.output_shape[1:])
    try:
        shapes = task_shapes(data.task, x_shape, y_shape)
        source = get_source(data.source, registry)
        if data.task == "segmentation" and not source.has_masks:
            raise DataError(f"task 'segmentation' needs a source with masks (such as 'shapes'); {data.source!r} has none")
        size = (shapes.y[0], shapes.y[1])
        pool = train.steps_per_epoch * train.batch_size
        split_data = {s: source.load(s, size=size, seed=train.seed, **data.options) for s in ("train", "validation", "test")}
        options: dict[str, Any] = {"noise": data.noise, "degradation": data.degradation, "blur_sigma": data.blur_sigma}
        return TaskData(  # cutting pairs meets the data's channels and sizes: its errors are spec errors too
            shapes,
            make_pairs(shapes, split_data["train"], pool, train.seed, **options),
            make_pairs(shapes, split_data["validation"], data.validation_patches, None, **options),
            make_pairs(shapes, split_data["test"], data.test_patches, None, **options),
            whole_images(shapes, split_data["test"], data, train.seed),
            data,
        )
    except DataError as exc:
        raise _data_error(spec, f"the data cannot feed this model: {exc}") from None
    except NotFoundError as exc:
        raise _data_error(spec, f"{exc.message} ({exc.hint})") from None


def evaluation_data(spec: Spec, model: Any, registry: Registry) -> TaskData:
    """The spec's data cut for ``model`` with a minimal training pool: for evaluating, measuring or checking
    that the data fits (the validation and test data do not depend on the training settings)."""
    return prepare_data(spec, model, data_settings(spec), train_settings(spec, steps_per_epoch=1, steps_per_execution=1),
                        registry)


def history_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return list(csv.DictReader(path.read_text().splitlines()))


def write_history(path: Path, rows: list[dict[str, Any]]) -> None:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys)
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buffer.getvalue())
