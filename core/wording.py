"""Small helpers for the sentences reports and the terminal print."""

from __future__ import annotations


def plural(count: object, word: str, words: str = "") -> str:
    """``1 epoch``, ``2 epochs``, ``12,000 steps`` (``words``: an irregular plural)."""
    shown = f"{count:,}" if isinstance(count, int) and not isinstance(count, bool) else f"{count}"
    return f"{shown} {word if count == 1 else (words or word + 's')}"


def number(value: object, digits: int = 4) -> str:
    """A score for a table: integers as integers (``classes_covered 1``), floats with ``digits`` decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:d}" if isinstance(value, int) else f"{value:.{digits}f}"
