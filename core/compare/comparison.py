"""The sweep's outputs: the comparison table (Markdown, CSV, JSON), a sample grid, overlaid curves and
report.html (:mod:`.sweep_html`)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from ..runner.lanes import ImageLane
from ..runner.lanes import Lane
from ..runner.lanes import lane_for
from ..runner.reporting.sweep_folder import run_folder
from ..modelspec.load import load_spec
from .statistics import budget_line
from .statistics import compare
from .statistics import headline
from .statistics import markdown
from ..files import write_text

if TYPE_CHECKING:
    from ..registry.registry import Registry

COLUMNS = [("strategy", "strategy", "{}"), ("steps", "steps run", "{:,.0f}"), ("parameters", "parameters", "{:,}"), ("macs", "MACs / forward", "{:,}"),
           ("train_step_ms", "train step (ms)", "{:.1f}"), ("inference_ms", "inference (ms / image)", "{:.2f}"),
           ("cb_init", "CB at init", "{:.3g}"), ("cb_trained", "CB trained", "{:.3g}"),
           ("eqt_init", "EQ-T at init (dB)", "{:.1f}"), ("eqt_trained", "EQ-T trained (dB)", "{:.1f}"),
           ("eqt_frac_init", "EQ-T sub-pixel at init (dB)", "{:.1f}"),
           ("eqt_frac_trained", "EQ-T sub-pixel trained (dB)", "{:.1f}")]
#: the caption of the cost table's CB and EQ-T columns
MEASUREMENTS = ("CB is the checkerboard phase variance on a constant input (median over entries, and over seeds at "
                "init; 0 = none). EQ-T is StyleGAN3's translation equivariance of each 2-D upsample entry alone, in "
                "dB (PSNR, peak 2, between upsample-then-shift and shift-then-upsample of a smooth random probe "
                "image at the entry's input size, 8 output pixels left out at each border): integer shifts, and "
                "sub-pixel shifts (Lanczos windowed sinc, EQ-T_frac); the lowest over entries, at init with seed 0; "
                "higher is more equivariant, inf = exact, - = no 2-D entry.")


def strategy_means(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per strategy with every number averaged over its seeds, and ``seeds`` counting them."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["strategy"], []).append(row)

    def mean(values: list[Any]) -> Any:
        if all(isinstance(v, dict) for v in values):
            return {k: mean([v.get(k) for v in values]) for k in values[0]}
        if "inf" in values and all(v == "inf" or isinstance(v, (int, float)) for v in values):  # EQ-T, exact
            average = float(np.mean([float(v) for v in values]))
            return "inf" if np.isinf(average) else average
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return values[0] if len(set(values)) == 1 else float(np.mean(values))
        return values[0]

    return [{**{k: v for k, v in mean(group).items() if k not in ("seed", "run")}, "strategy": name,
             "seeds": len(group)} for name, group in groups.items()]


def flat_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row with the test metrics flattened: ``psnr``, ``ssim``, ``mean_iou`` and the baselines beside."""
    flat = {key: row.get(key) for key, _, _ in COLUMNS}
    if "seed" in row:
        flat = {"strategy": flat.pop("strategy"), "seed": row["seed"], **flat}
    metrics = row["metrics"]
    for group, scores in metrics.items():
        if isinstance(scores, dict):
            for name, value in scores.items():
                if isinstance(value, (int, float)):  # not a GAN's class histogram
                    flat[name if group == "model" else f"{group}_{name}"] = value
    return flat


def _cell(value: Any, pattern: str) -> str:
    if value is None:
        return "-"
    return pattern.format(value) if not isinstance(value, str) else value


def markdown_table(rows: list[dict[str, Any]]) -> str:
    flats = [flat_row(r) for r in rows]
    metric_keys = [k for k in dict.fromkeys(k for f in flats for k in f) if k not in {key for key, _, _ in COLUMNS}]
    metric_keys = [k for k in metric_keys if k != "seed"]
    header = [title for _, title, _ in COLUMNS[:1]] + metric_keys + [title for _, title, _ in COLUMNS[1:]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for flat in flats:
        cells = [flat["strategy"]] + [_cell(flat.get(k), "{:.4f}") for k in metric_keys]
        cells += [_cell(flat.get(key), pattern) for key, _, pattern in COLUMNS[1:]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _csv(rows: list[dict[str, Any]]) -> str:
    flats = [flat_row(r) for r in rows]
    keys = list(dict.fromkeys(k for f in flats for k in f))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    writer.writerows(flats)
    return buffer.getvalue()


def lane_of_runs(folder: Path, rows: list[dict[str, Any]], registry: Registry) -> Lane:
    """The lane of a sweep's runs, asked of its first run's spec (every run of a sweep has the same kind)."""
    if not rows:
        return ImageLane()  # no run to picture: the empty curves are every lane's
    return lane_for(load_spec(run_folder(folder, rows[0]) / "spec.yaml", registry=registry), registry)


def sweep_budget(folder: Path, rows: list[dict[str, Any]]) -> str:
    """The budget sentence: the training settings every run used (read from the first run's spec.yaml)."""
    import yaml

    train: dict[str, Any] = {}
    data: dict[str, Any] = {}
    if rows:
        spec_path = run_folder(folder, rows[0]) / "spec.yaml"
        if spec_path.is_file():
            written = yaml.safe_load(spec_path.read_text()) or {}
            train, data = written.get("train", {}) or {}, written.get("data", {}) or {}
    seeds = sorted({int(row["seed"]) for row in rows if row.get("seed") is not None})
    degradation = (f" Low-resolution inputs made by degradation `{data['degradation']}`."
                   if data.get("task", "super_resolution") == "super_resolution" and data.get("degradation") else "")
    return budget_line(train, seeds, [float(row.get("seconds") or 0.0) for row in rows]) + degradation


def diverged_note(row: dict[str, Any]) -> str:
    """One line of comparison.md for a job whose loss became NaN (its report.md says more)."""
    last = row.get("last_finite_loss")
    return (f"\n- **diverged** `{row['strategy']}` (seed {row['seed']}, [{row['run']}]({row['run']}/report.md)): "
            f"the loss became NaN or infinite {row.get('where', '?')}"
            + (f", last finite loss {last:.4g}" if last is not None else "") + f"; {row.get('hint', '')}")


def write_comparison(folder: Path, rows: list[dict[str, Any]], skipped: dict[str, str], registry: Registry,
                     dataset: Any = None, lane: Lane | None = None,
                     diverged: list[dict[str, Any]] | None = None, settings: str = "") -> list[str]:
    """comparison.md (statistics over seeds, budget, ties, baseline, and the lane's own section), .csv and
    .json, and the lane's pictures (the strategies' samples side by side, the overlaid curves); returns the
    headline lines for the terminal. ``lane``: the sweep's (asked of the first run's spec when not given);
    ``settings``: the section on the settings each strategy ran with (tuned or shared)."""
    if lane is None:
        lane = lane_of_runs(folder, rows, registry)
    means = strategy_means(rows)
    seeds = sorted({int(row["seed"]) for row in rows if row.get("seed") is not None})
    table = markdown_table(means)
    stats = compare(rows) if rows else None
    notes = "".join(f"\n- skipped `{name}`: {reason}" for name, reason in skipped.items())
    notes += "".join(diverged_note(row) for row in diverged or [])
    text = (f"# Sweep: {len(means)} strategies, seeds {', '.join(map(str, seeds)) or '-'}\n\n"
            f"{sweep_budget(folder, rows)}\n\n"
            + settings
            + (f"## Test metrics over seeds\n\n{markdown(stats)}\n" if stats else "")
            + f"## Means over seeds, costs and checkerboard\n\n{table}\n\n"
            "Each number is the mean over the seeds (the per-seed rows are in comparison.csv and .json). "
            "Test metrics are per-image means on the same whole test images (see a run's report.md for the "
            "convention); MACs count one forward pass on one "
            f"example; times are medians on this machine. {MEASUREMENTS}\n"
            f"{notes}\n\n![samples](samples.png)\n\n![learning curves](learning_curves.png)\n")
    write_text(folder / "comparison.md", text)
    write_text(folder / "comparison.csv", _csv(rows))
    write_text(folder / "comparison.json", json.dumps({"rows": rows, "skipped": skipped, "diverged": diverged or []}, indent=2, default=float) + "\n")
    section = lane.comparison_section(rows) if rows else ""
    if section:
        write_text(folder / "comparison.md", text.replace("## Means over seeds", section + "## Means over seeds", 1))
    lane.report_comparison(folder, rows, registry, dataset)
    from .sweep_html import write_sweep_html  # it imports this module's tables

    write_sweep_html(folder, rows, skipped)
    return headline(stats) if stats else []
