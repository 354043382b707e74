"""A run's training history, ``history.csv``: one row per finished epoch (every lane writes it)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ...files import write_text


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
