"""``report.html`` of a sweep folder: the statistics over seeds with the ties marked, the means with their
costs and artefact measurements (CB, EQ-T where measured), every (strategy, seed) row, the overlaid curves
and a side-by-side viewer: the same crop of each test image for every strategy and seed, beside the input,
the bicubic baseline and the ground truth, at 1x / 4x / 8x (click a picture to move the crop there)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from typing import Sequence

import numpy as np

from ..runner.reporting.html import Table
from ..runner.reporting.html import file_listing
from ..runner.reporting.html import picture_or_none
from ..runner.reporting.html import png_data_uri
from ..runner.reporting.html import render
from ..runner.reporting.run_html import upsample_entries
from ..runner.reporting.samples import SAMPLE_PREDICTIONS
from ..runner.reporting.samples import SAMPLE_REFERENCES
from ..runner.reporting.sweep_folder import run_folder
from .comparison import COLUMNS
from .comparison import flat_row
from .comparison import strategy_means
from .comparison import sweep_budget
from .statistics import Comparison
from .statistics import compare

#: the zoom levels of the viewer
ZOOMS = (1, 4, 8)


def _marks(comparison: Comparison | None) -> dict[str, str]:
    marks: dict[str, str] = {}
    if comparison is None:
        return marks
    for s in comparison.strategies:
        if s.strategy == comparison.reference:
            marks[s.strategy] = "reference"
        elif s.tie:
            marks[s.strategy] = "tie"
    return marks


def statistics_table(comparison: Comparison) -> Table:
    keys = list(comparison.strategies[0].metrics) if comparison.strategies else []
    header = ["strategy", "seeds"] + [f"{k} mean" for k in keys] + [f"{k} 95% ±" for k in keys]
    header += [f"{k} - {comparison.reference}" for k in keys] + [f"{k} gain over {comparison.baseline}" for k in keys
                                                                   if comparison.baseline]
    table = Table("statistics", header, caption=f"Test metrics over seeds (ranked by {comparison.primary}; "
                                                f"a tie: the 95% interval of the paired difference holds 0)")
    marks = _marks(comparison)
    for s in comparison.strategies:
        values: list[Any] = [s.strategy, len(s.seeds)] + [s.metrics[k].mean for k in keys]
        values += [s.metrics[k].half_width for k in keys]
        values += [s.difference[k].mean if k in s.difference else None for k in keys]
        if comparison.baseline:
            values += [s.gain[k].mean if k in s.gain else None for k in keys]
        table.add(values, {0: marks.get(s.strategy, "")})
    return table


def rows_table(id: str, rows: Sequence[dict[str, Any]], caption: str, marks: dict[str, str]) -> Table:
    flats = [flat_row(r) for r in rows]
    keys = list(dict.fromkeys(k for f in flats for k in f))
    titles = {key: title for key, title, _ in COLUMNS}
    table = Table(id, [titles.get(k, k) for k in keys], caption=caption)
    for flat in flats:
        table.add([flat.get(k) for k in keys], {0: marks.get(str(flat.get("strategy")), "")})
    return table


def _load(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as saved:
            return {k: saved[k] for k in saved.files}
    except (OSError, ValueError):
        return None


def viewer_rows(folder: Path, rows: Sequence[dict[str, Any]], marks: dict[str, str]) -> tuple[list[str], list[dict[str, Any]]]:
    """The viewer's columns and, per test image, its crops (data URIs; None where a run has no such output)."""
    references = _load(folder / SAMPLE_REFERENCES)
    if references is None:
        return [], []
    count = len([k for k in references if k.startswith("target_")])
    many_seeds = len({r.get("seed") for r in rows}) > 1
    runs = [(row, _load(run_folder(folder, row) / SAMPLE_PREDICTIONS)) for row in rows]
    titles = ["input"] + (["bicubic baseline"] if "bicubic_0" in references else [])
    titles += [row["strategy"] + (f" seed {row.get('seed')}" if many_seeds else "") for row, _ in runs]
    titles.append("ground truth")
    images = []
    for i in range(count):
        cells: list[np.ndarray | None] = [references[f"input_{i}"]]
        if f"bicubic_{i}" in references:
            cells.append(references[f"bicubic_{i}"])
        digest = references.get(f"digest_{i}")
        for _, saved in runs:
            output = saved.get(f"output_{i}") if saved else None
            made_from_these = saved is not None and digest is not None and np.array_equal(saved.get(f"input_{i}", ()), digest)
            cells.append(output if made_from_these else None)
        cells.append(references[f"target_{i}"])
        images.append({"name": str(references.get(f"name_{i}", f"image {i}")),
                       "crops": [None if c is None else png_data_uri(c) for c in cells],
                       "marks": [""] * (len(titles) - len(runs) - 1) + [marks.get(r["strategy"], "") for r, _ in runs]
                       + [""]})
    return titles, images


def _spec_facts(folder: Path, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    import yaml

    spec: dict[str, Any] = {}
    if rows:
        try:
            spec = yaml.safe_load((run_folder(folder, rows[0]) / "spec.yaml").read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            spec = {}
    return {"name": spec.get("name") or folder.name, "description": spec.get("description") or "",
            "entries": upsample_entries(spec)}


def sweep_context(folder: Path, rows: Sequence[dict[str, Any]], skipped: dict[str, str]) -> dict[str, Any]:
    rows = list(rows)
    comparison = compare(rows) if rows else None
    marks = _marks(comparison)
    seeds = sorted({int(r["seed"]) for r in rows if r.get("seed") is not None})
    titles, images = viewer_rows(folder, rows, marks)
    facts = _spec_facts(folder, rows)
    missing = [{"name": name, "meaning": meaning} for name, meaning in (
        ("comparison.json", "the sweep's rows: no run finished, or the sweep stopped before its comparison"),
        ("learning_curves.png", "the overlaid learning curves"),
        ("samples.png", "the strategies' samples side by side"),
        (SAMPLE_REFERENCES, "the viewer's input, baseline and ground truth (a sweep of images only)"),
    ) if not (folder / name).exists()]
    return {
        "title": f"Sweep of {facts['name']}: {len({r['strategy'] for r in rows})} strategies, "
                 f"seeds {', '.join(map(str, seeds)) or '-'}",
        "description": facts["description"], "entries": facts["entries"], "folder": str(folder),
        "budget": sweep_budget(folder, rows) if rows else "",
        "statistics": statistics_table(comparison) if comparison and comparison.strategies and comparison.primary else None,
        "tables": [rows_table("means", strategy_means(rows), "Means over seeds, costs and artefacts (CB: checkerboard "
                              "phase variance, 0 = none; EQ-T where measured)", marks),
                   rows_table("runs", rows, "Every run (strategy, seed)", marks)] if rows else [],
        "skipped": skipped, "zooms": ZOOMS, "viewer_titles": titles, "viewer_images": images,
        "curves": picture_or_none(folder / "learning_curves.png"), "samples": picture_or_none(folder / "samples.png"),
        "missing": missing, "files": file_listing(folder),
    }


def write_sweep_html(folder: str | Path, rows: Sequence[dict[str, Any]] | None = None,
                     skipped: dict[str, str] | None = None) -> Path:
    """Write ``FOLDER/report.html``; ``rows``/``skipped`` as in comparison.json (read from it when None)."""
    folder = Path(folder)
    if rows is None:
        try:
            saved = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        rows, skipped = saved.get("rows", []), saved.get("skipped", {})
    return render("sweep.html.j2", folder / "report.html", **sweep_context(folder, rows, skipped or {}))


def write_html_report(folder: str | Path) -> Path:
    """``report.html`` of a sweep folder (it holds ``sweep.json`` or ``comparison.json``) or of a run folder."""
    from ..runner.reporting.run_html import write_run_html

    folder = Path(folder)
    if (folder / "sweep.json").is_file() or (folder / "comparison.json").is_file():
        return write_sweep_html(folder)
    return write_run_html(folder)
