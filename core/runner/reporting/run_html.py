"""``report.html`` of a run folder, made from the files the run wrote, whatever its lane: the summary and
convention, the metrics tables (sortable), the learning curves, the sample pictures. A run that stopped
half-way has a report too: it renders what exists and says what is missing (and what that means)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import yaml

from ...wording import plural
from .html import Table
from .html import file_listing
from .html import picture_or_none
from .html import render
from .html import table_of_dicts

#: what a finished run folder holds, and what it means when a file is not there
EXPECTED = {
    "spec.yaml": "the resolved spec: the run never started",
    "history.csv": "the training history: no epoch finished",
    "model.keras": "the trained model: training did not finish (`upspec train --resume RUN_DIR` continues it)",
    "metrics.json": "the test metrics: the run stopped before its evaluation",
    "learning_curves.png": "the learning curves: no epoch finished, or the run stopped before its report",
    "samples.png": "the sample grid: the run stopped before its report",
}
#: pictures shown in their own sections; every other PNG of the folder is shown under "More pictures"
KNOWN_PICTURES = ("learning_curves.png", "samples.png")
#: small text files shown as they are (a divergence note, say), under "Notes"
NOTE_SUFFIXES = (".md", ".txt", ".json", ".log")
NOTE_LIMIT = 20_000
NOT_NOTES = ("report.md", "metrics.json", "timing.json", "row.json")


def _read_yaml(path: Path) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def upsample_entries(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """``id``, ``strategy``, ``factor``, ``filters`` of each ``upsample:`` entry of a spec as written."""
    entries = []
    for entry in spec.get("layers") or []:
        if isinstance(entry, dict) and entry.get("upsample"):
            entries.append({"id": entry.get("id", "?"), "strategy": entry["upsample"], "factor": entry.get("factor"),
                            "filters": entry.get("filters", "-")})
    return entries


def summary_tables(metrics: dict[str, Any]) -> list[Table]:
    """The test metrics: one row per group of scores (model, bicubic, gain ...); per image when there are."""
    groups = [(name, scores) for name, scores in metrics.items() if isinstance(scores, dict)]
    numbers = [{"": name, **{k: v for k, v in scores.items() if isinstance(v, (int, float))}} for name, scores in groups]
    tables = [table_of_dicts("metrics", [row for row in numbers if len(row) > 1], "Test metrics", first="")]
    images = [row for row in metrics.get("images", []) if isinstance(row, dict)]
    if images:
        flat = []
        for row in images:
            cells: dict[str, Any] = {"image": row.get("name", "?")}
            for group, scores in row.items():
                if isinstance(scores, dict):
                    cells.update({f"{group} {k}": v for k, v in scores.items() if isinstance(v, (int, float))})
            flat.append(cells)
        tables.append(table_of_dicts("images", flat, "Per test image", first="image"))
    return tables


def history_table(path: Path) -> Table | None:
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if not rows:
        return None

    def number(text: Any) -> Any:
        try:
            value = float(text)
        except (TypeError, ValueError):
            return text
        return int(value) if value.is_integer() and abs(value) < 1e9 else value

    return table_of_dicts("history", [{k: number(v) for k, v in row.items()} for row in rows], "Training history")


def _facts(spec: dict[str, Any], metrics: dict[str, Any]) -> list[tuple[str, str]]:
    facts = []
    if metrics.get("task"):
        facts.append(("task", str(metrics["task"])))
    data = spec.get("data") or {}
    if isinstance(data, dict) and data.get("source"):
        facts.append(("data", str(data["source"])))
    if metrics.get("degradation"):
        facts.append(("degradation", str(metrics["degradation"])))
    train = spec.get("train") or {}
    if isinstance(train, dict) and train.get("epochs"):
        steps, batch = train.get("steps_per_epoch", "?"), train.get("batch_size", "?")
        facts.append(("budget", f"{plural(train['epochs'], 'epoch')} x {plural(steps, 'step')}, batch {batch}, seed {train.get('seed', 0)}"))
    if metrics.get("test_images"):
        facts.append(("test set", f"{metrics['test_images']} "
                      + ("whole images" if "convention" in metrics else "test examples")))
    for key in ("inference", "features"):
        if metrics.get(key):
            facts.append((key, str(metrics[key])))
    return facts


def _notes(folder: Path) -> list[dict[str, str]]:
    notes = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.suffix in NOTE_SUFFIXES and path.name not in NOT_NOTES and path.is_file():
            if path.stat().st_size <= NOTE_LIMIT:
                notes.append({"name": path.name, "text": path.read_text(encoding="utf-8", errors="replace")})
    return notes


def run_context(run_dir: Path) -> dict[str, Any]:
    """Everything the run template shows, read from the run folder; missing files listed with their meaning."""
    run_dir = Path(run_dir)
    spec = _read_yaml(run_dir / "spec.yaml") or {}
    metrics = _read_json(run_dir / "metrics.json")
    metrics = metrics if isinstance(metrics, dict) else {}
    missing = [{"name": name, "meaning": meaning} for name, meaning in EXPECTED.items()
               if not (run_dir / name).exists()]
    pictures = {name: picture_or_none(run_dir / name) for name in KNOWN_PICTURES}
    more = [{"name": p.name, "uri": picture_or_none(p)} for p in sorted(run_dir.glob("*.png"))
            if p.name not in KNOWN_PICTURES]
    history = history_table(run_dir / "history.csv")
    return {
        "title": f"Run of {spec.get('name') or run_dir.name}",
        "name": spec.get("name") or "",
        "description": spec.get("description") or "",
        "folder": str(run_dir),
        "entries": upsample_entries(spec),
        "facts": _facts(spec, metrics),
        "convention": metrics.get("convention", ""),
        "gain": metrics.get("gain") if isinstance(metrics.get("gain"), dict) else None,
        "warnings": [str(w) for w in metrics.get("warnings", [])],
        "tables": (summary_tables(metrics) if metrics else []) + ([history] if history else []),
        "curves": pictures["learning_curves.png"],
        "samples": pictures["samples.png"],
        "more": [p for p in more if p["uri"]],
        "missing": missing,
        "notes": _notes(run_dir),
        "files": file_listing(run_dir),
    }


def write_run_html(run_dir: str | Path) -> Path:
    """Write ``RUN_DIR/report.html`` from what the folder holds (cheap: no model is loaded)."""
    run_dir = Path(run_dir)
    return render("run.html.j2", run_dir / "report.html", **run_context(run_dir))
