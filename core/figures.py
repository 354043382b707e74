"""Figures for reports: matplotlib without a display, imported on first use, saved atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .files import atomic_path


#: how figures (grids, charts) are written: zlib level 1 is 4x faster than Pillow's default 6 for a few per cent
#: larger files; images a user asked for (``upspec predict``) keep the default
FIGURE_PNG: dict[str, Any] = {"format": "PNG", "compress_level": 1}


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (no display needed); imported here, not at start-up."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | os.PathLike, **options: Any) -> Path:
    """Write ``fig`` as a PNG at ``path`` (never half-written) and free it; ``options`` go to ``savefig``."""
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, **{"dpi": 80, **options})
    finally:
        pyplot().close(fig)
    return Path(path)
