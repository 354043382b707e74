"""A 2-D model's data: training / validation patches, and the whole held-out test images.

``prepare_image_data`` loads the spec's source, checks that it can feed the model, and cuts ``(x, y)`` pairs:
patches of the model's size for training and validation (and a fixed set of test patches for cost and
checkerboard measurements), and the **whole** test images, on which the test metrics are computed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import NotFoundError
from ...errors import SpecError
from .fit_check import output_entry_diagnostic
from ...registry.registry import Registry
from .dataset import TaskData
from .dataset import TestImage
from .dataset import data_error
from .sources import DataError
from .sources import Images
from .images import TaskShapes
from .images import enlarge
from .sources import get_source
from .sources import sources
from .shapes import ModelShapes
from .shapes import ranks_of
from .images import make_pairs
from .images import segmentation_target
from .images import task_shapes
from .images import to_channels
from .degrade import DEFAULT_BLUR_SIGMA
from .degrade import degrade
from .degrade import mod_crop
from ...modelspec.sections import DataSettings
from ...modelspec.sections import TrainSettings
from ...modelspec.model import Spec


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


def prepare_image_data(spec: Spec, model_shapes: ModelShapes, data: DataSettings, train: TrainSettings,
                       registry: Registry) -> TaskData:
    """Load the source, check it fits the model (``model_shapes``: its input and output, batch axis left out),
    and cut (x, y) pairs for each split."""
    try:
        task_shapes(data.task, model_shapes.x, model_shapes.y)
    except DataError as exc:  # the model's output is what must change: point at its entry, as validate does
        output = spec.outputs[0] if spec.outputs else (spec.layers[-1].id or "")
        raise SpecError([output_entry_diagnostic(spec, output, f"the data cannot feed this model: {exc}")]) from None
    except NotFoundError:
        pass  # an unknown task: reported below, as before
    try:
        known = sources(registry).get(data.source)
        if known is not None and 2 not in getattr(known, "ranks", (2,)):
            raise DataError(f"data source {data.source!r} provides {ranks_of(known)} data; this model takes 2-D images")
        shapes = task_shapes(data.task, model_shapes.x, model_shapes.y)
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
            [split_data["validation"].name(i) for i in range(len(split_data["validation"].images))],
        )
    except DataError as exc:
        raise data_error(spec, f"the data cannot feed this model: {exc}") from None
    except NotFoundError as exc:
        raise data_error(spec, f"{exc.message} ({exc.hint})") from None
