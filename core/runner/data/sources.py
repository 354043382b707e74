"""What a data source is: the base class plugins subclass, what ``load`` returns, its error, the splits and
the tasks.

Also the lookup of sources by name (through the ``upspec_datasets`` hook). Kept apart from the tasks (which
need NumPy) so that importing a data-source plugin, which every ``upspec`` command does, imports no NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from ...errors import NotFoundError
from ...errors import UpspecError
from ...modelspec.tasks import TASKS  # noqa: F401 - the data side's names in one place
from ...errors import available

if TYPE_CHECKING:
    import numpy as np

    from ...registry.registry import Registry

SPLITS = ("train", "validation", "test")


class DataError(UpspecError):
    """The data cannot be loaded or cannot fit the model."""


@dataclass
class Images:
    """Images of one split; ``masks`` (``(H, W)`` int class maps) for segmentation sources; ``labels`` (one int
    class per image) for labelled sources, used to judge generated images."""

    images: list[np.ndarray]
    masks: list[np.ndarray] | None = None
    labels: list[int] | None = None
    #: one name per image (file or photo name) for per-image results; numbered when not given
    names: list[str] | None = None

    def name(self, index: int) -> str:
        return self.names[index] if self.names else f"{index:04d}"


class DataSource:
    """Base class of data sources. Subclasses set ``name`` and implement ``load``."""

    name: str = ""
    #: whether the source provides per-pixel class masks (for ``segmentation``)
    has_masks: bool = False
    #: options that name files or folders, besides ``path`` (always one): a spec's relative paths are resolved
    #: against the spec file's folder and stored absolute in the run folder
    path_options: tuple[str, ...] = ()

    def load(self, split: str, *, size: tuple[int, int], seed: int, **options: Any) -> Images:
        """Images of ``split``; ``size`` is the patch size the task needs (a hint for generated data)."""
        raise NotImplementedError

    def check(self, *, size: tuple[int, int], **options: Any) -> list[str]:
        """Every problem with the source's options that shows without training (a missing folder, unreadable or
        too small files), all at once; ``[]`` when there is none. ``upspec validate`` calls it."""
        return []


def sources(registry: Registry) -> dict[str, DataSource]:
    found: dict[str, DataSource] = {}
    for _info, provided in registry.call("upspec_datasets"):
        for source in provided or ():
            found[source.name] = source
    return found


def get_source(name: str, registry: Registry) -> DataSource:
    known = sources(registry)
    if name not in known:
        raise NotFoundError(f"unknown data source {name!r}", available(known, name))
    return known[name]
