"""What the runner feeds one supervised model, whatever its rank: :class:`TaskData`, and the spec error a
dataset that cannot feed the model becomes."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from ...errors import SpecError

if TYPE_CHECKING:
    import numpy as np

    from ...modelspec.sections import DataSettings
    from .images import TaskShapes


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
    costs, checkerboard measurements, and the metrics of 1-D and 3-D models); the test metrics of 2-D models
    come from ``test_images``, the whole test images."""

    shapes: TaskShapes
    train: tuple[np.ndarray, np.ndarray]
    validation: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    test_images: list[TestImage] = field(default_factory=list)
    settings: DataSettings | None = None
    #: the names of the images the validation patches come from (named in the report)
    validation_names: list[str] = field(default_factory=list)


def data_error(spec: Any, message: str) -> SpecError:
    """``message`` as a spec error at ``data:`` (at the path of a user's file when it names one), or at
    ``layers:`` for a spec without a data section."""
    doc = spec.document
    path: tuple[str, ...] = ("data",) if doc is not None and "data" in doc.data else ("layers",)
    options = doc.data.get("data", {}).get("options") if doc is not None and path == ("data",) else None
    if isinstance(options, dict) and "path" in options:  # a user's file: point at the line that names it
        path = ("data", "options", "path")
    return SpecError([spec.diagnostic(path, message, "see `upspec help data` for data sources, tasks and paths")])
