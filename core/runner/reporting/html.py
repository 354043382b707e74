"""What every ``report.html`` shares: the Jinja2 environment (autoescaping everything it is given), pictures
embedded as PNG data URIs (thumbnails, so a report stays small), sortable tables, and the atomic write.

A report is one self-contained file: no server, no network (its Content-Security-Policy forbids any fetch),
images inside it; it opens from a ``file://`` URL and as an e-mail attachment. Only the report's own script
runs: it carries a fresh nonce, and the policy refuses every script without it, so a ``<script>`` that a
spec name or a file name smuggles in is shown as text (autoescaping) and could not run even if it were not.
"""

from __future__ import annotations

import base64
import io
import math
import secrets
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Sequence

from ...files import write_text

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: the largest side of a picture embedded in a report, in pixels (larger ones are shrunk)
THUMBNAIL = 1100


def environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = format_number
    return env


def render(template: str, path: Path, **context: Any) -> Path:
    """Render ``template`` with ``context`` (escaped) into ``path``, atomically."""
    nonce = secrets.token_urlsafe(16)
    text = environment().get_template(template).render(nonce=nonce, **context)
    return write_text(path, text)


def format_number(value: Any, digits: int = 4) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 10 ** -digits):
        return f"{value:.3g}"
    return f"{value:.{digits}f}"


def sort_key(value: Any) -> str:
    """What a sortable cell sorts by (``data-sort``): the number itself, or the text."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return repr(float(value)) if math.isfinite(value) else ""
    return "" if value is None else str(value)


@dataclass
class Cell:
    text: str
    sort: str
    #: a tag shown after the text (``tie``, ``reference``)
    mark: str = ""


@dataclass
class Table:
    """A table the page can sort by any column (a click on its header)."""

    id: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    caption: str = ""

    def add(self, values: Sequence[Any], marks: dict[int, str] | None = None) -> None:
        self.rows.append([Cell(format_number(v), sort_key(v), (marks or {}).get(i, "")) for i, v in enumerate(values)])


def table_of_dicts(id: str, rows: Sequence[dict[str, Any]], caption: str = "", first: str | None = None) -> Table:
    """A table of ``rows`` (flat dicts), one column per key in order of first appearance."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    if first in keys:
        keys.remove(first)
        keys.insert(0, first)
    table = Table(id, keys, caption=caption)
    for row in rows:
        table.add([row.get(k) for k in keys])
    return table


def png_data_uri(image: Any, max_side: int = THUMBNAIL, scale: int = 1) -> str:
    """A PNG data URI of ``image`` (a path, a PIL image or an array in [0, 1] or uint8), shrunk to ``max_side``
    (or enlarged ``scale`` times, nearest, for a small crop)."""
    import numpy as np
    from PIL import Image

    picture: Any
    if isinstance(image, (str, Path)):
        picture = Image.open(image)
        picture.load()
    elif isinstance(image, Image.Image):
        picture = image
    else:
        array = np.asarray(image)
        if array.dtype != np.uint8:
            array = (np.clip(np.nan_to_num(array.astype("float64")), 0, 1) * 255 + 0.5).astype("uint8")
        if array.ndim == 3 and array.shape[-1] == 1:
            array = array[..., 0]
        picture = Image.fromarray(array)
    if picture.mode not in ("RGB", "RGBA", "L"):
        picture = picture.convert("RGBA")
    if max(picture.size) > max_side:
        picture.thumbnail((max_side, max_side))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def picture_or_none(path: Path) -> str | None:
    """The data URI of a picture file, or None when it is missing or unreadable (the report says so)."""
    try:
        return png_data_uri(path)
    except (OSError, ValueError):
        return None


def file_listing(folder: Path) -> list[dict[str, Any]]:
    """Every file and folder at the top of ``folder``, with its size (folders: their files' total)."""
    found = []
    for item in sorted(folder.iterdir()) if folder.is_dir() else []:
        if item.name.startswith(".") or item.name == "report.html":
            continue
        size = sum(f.stat().st_size for f in item.rglob("*") if f.is_file()) if item.is_dir() else item.stat().st_size
        found.append({"name": item.name + ("/" if item.is_dir() else ""), "size": _size(size)})
    return found


def _size(size: float) -> str:
    units = ("B", "kB", "MB", "GB")
    step = 0
    while size >= 1000 and step < len(units) - 1:
        size /= 1000
        step += 1
    return f"{size:.0f} B" if step == 0 else f"{size:.1f} {units[step]}"
