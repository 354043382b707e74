"""Reading a sweep folder's runs for its pictures: each row's run folder, each strategy's first seed, and
their learning curves overlaid. Every lane's comparison uses them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...charts import Panel
from ...charts import Series
from ...charts import line_chart
from ..training.history import history_rows


def run_folder(folder: Path, row: dict[str, Any]) -> Path:
    """The run folder of a sweep row (``<strategy>/seed-<n>``)."""
    return folder / row.get("run", row["strategy"])


def first_seed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per strategy: each strategy's first seed (for pictures, which show one model each)."""
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(row["strategy"], row)
    return list(seen.values())


def overlaid_curves(folder: Path, rows: list[dict[str, Any]],
                    panels: tuple[tuple[str, str], ...] = (("loss", "training loss"), ("val_loss", "validation loss")),
                    log: bool = True) -> Path:
    """learning_curves.png: one panel per ``(history column, title)``, each strategy's first seed overlaid;
    ``log``: a log loss axis (off for losses that go negative, such as a GAN's hinge or Wasserstein loss)."""
    series: dict[str, list[Series]] = {key: [] for key, _ in panels}
    for row in first_seed(rows):
        history = history_rows(run_folder(folder, row) / "history.csv")
        epochs = [int(float(h["epoch"])) for h in history]
        for key, _ in panels:
            if history and key in history[0]:
                series[key].append(Series(row["strategy"], epochs, [float(h[key]) for h in history]))
    return line_chart([Panel(title, series[key], ylabel="loss", log=log) for key, title in panels],
                      folder / "learning_curves.png")
