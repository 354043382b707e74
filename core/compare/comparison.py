"""The sweep's outputs: the comparison table (Markdown, CSV, JSON), a sample grid and overlaid curves."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from ..charts import Panel
from ..charts import Series
from ..charts import line_chart
from ..run.report import SAMPLE_COUNT
from .statistics import budget_line
from .statistics import compare
from .statistics import headline
from .statistics import markdown
from ..files import write_text

if TYPE_CHECKING:
    from ..registry.registry import Registry

COLUMNS = [("strategy", "strategy", "{}"), ("parameters", "parameters", "{:,}"), ("macs", "MACs / forward", "{:,}"),
           ("train_step_ms", "train step (ms)", "{:.1f}"), ("inference_ms", "inference (ms / image)", "{:.2f}"),
           ("cb_init", "CB at init", "{:.3g}"), ("cb_trained", "CB trained", "{:.3g}")]


def run_folder(folder: Path, row: dict[str, Any]) -> Path:
    """The run folder of a sweep row (``<strategy>/seed-<n>``)."""
    return folder / row.get("run", row["strategy"])


def first_seed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per strategy: each strategy's first seed (for pictures, which show one model each)."""
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(row["strategy"], row)
    return list(seen.values())


def strategy_means(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per strategy with every number averaged over its seeds, and ``seeds`` counting them."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["strategy"], []).append(row)

    def mean(values: list[Any]) -> Any:
        if all(isinstance(v, dict) for v in values):
            return {k: mean([v.get(k) for v in values]) for k in values[0]}
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


def overlaid_curves(folder: Path, rows: list[dict[str, Any]],
                    panels: tuple[tuple[str, str], ...] = (("loss", "training loss"), ("val_loss", "validation loss")),
                    log: bool = True) -> Path:
    """learning_curves.png: one panel per ``(history column, title)``, each strategy's first seed overlaid;
    ``log``: a log loss axis (off for losses that go negative, such as a GAN's hinge or Wasserstein loss)."""
    from ..run.task_data import history_rows

    series: dict[str, list[Series]] = {key: [] for key, _ in panels}
    for row in first_seed(rows):
        history = history_rows(run_folder(folder, row) / "history.csv")
        epochs = [int(float(h["epoch"])) for h in history]
        for key, _ in panels:
            if history and key in history[0]:
                series[key].append(Series(row["strategy"], epochs, [float(h[key]) for h in history]))
    return line_chart([Panel(title, series[key], ylabel="loss", log=log) for key, title in panels],
                      folder / "learning_curves.png")


def strategy_grid(folder: Path, rows: list[dict[str, Any]], registry: Registry, dataset: Any = None,
                  count: int = SAMPLE_COUNT) -> Path | None:
    """The same whole test images through every strategy's trained model (its first seed), each labelled with
    its PSNR (``dataset``: the sweep's evaluation data, cut again from the first strategy's spec when not
    given). Each run's saved outputs on those images are used; a run without them (or whose test inputs
    differ: another seed's noise) has its model loaded and run on them."""
    from ..run.models import load_model
    from ..run.rank_pictures import picture
    from ..run.report import input_columns
    from ..run.report import load_sample_predictions
    from ..run.report import sample_grid

    if not rows:
        return None
    if dataset is None:
        dataset = _evaluation_data(run_folder(folder, rows[0]), registry)
    if not getattr(dataset, "test_images", None):  # 1-D signals and 3-D volumes: test patches
        x, y = dataset.test[0][:count], dataset.test[1][:count]
        columns = input_columns(dataset.shapes, x)
        for row in first_seed(rows):
            trained = load_model(run_folder(folder, row) / "model.keras", registry)
            columns.append((row["strategy"], np.clip(np.asarray(trained.predict(x, verbose=0)), 0, 1)))
        columns.append(("target", y))
        return picture(dataset.shapes, columns, folder / "samples.png")
    from ..run.predict import Predictor

    images = dataset.test_images[:count]
    models = []
    for row in first_seed(rows):
        run_dir = run_folder(folder, row)
        predictions = load_sample_predictions(run_dir, dataset, len(images))
        if predictions is None:
            predictor = Predictor(load_model(run_dir / "model.keras", registry))
            predictions = [predictor.run(image.x) for image in images]
        models.append((row["strategy"], predictions, row["metrics"].get("images", [])))
    first_title, first_predictions, first_scores = models[0]
    return sample_grid(dataset, first_predictions, {"images": first_scores}, folder / "samples.png", count=count,
                       extra=[(title, predictions, [{"model": s.get("model")} for s in scores])
                              for title, predictions, scores in models[1:]], first_title=first_title)


def _evaluation_data(run_dir: Path, registry: Registry) -> Any:
    """A run's evaluation data, cut for the shapes of its spec's graph (no model is loaded for them)."""
    from ..modelspec.load import load_spec
    from .sweep import static_evaluation_data

    return static_evaluation_data(load_spec(run_dir / "spec.yaml", registry=registry), registry)


def sweep_budget(folder: Path, rows: list[dict[str, Any]]) -> str:
    """The budget sentence: the training settings every run used (read from the first run's spec.yaml)."""
    import yaml

    train: dict[str, Any] = {}
    if rows:
        spec_path = run_folder(folder, rows[0]) / "spec.yaml"
        if spec_path.is_file():
            train = (yaml.safe_load(spec_path.read_text()) or {}).get("train", {}) or {}
    seeds = sorted({int(row["seed"]) for row in rows if row.get("seed") is not None})
    return budget_line(train, seeds, [float(row.get("seconds") or 0.0) for row in rows])


def write_comparison(folder: Path, rows: list[dict[str, Any]], skipped: dict[str, str], registry: Registry,
                     dataset: Any = None) -> list[str]:
    """comparison.md (statistics over seeds, budget, ties, baseline), .csv and .json, the sample grid and the
    overlaid curves; returns the headline lines for the terminal."""
    means = strategy_means(rows)
    seeds = sorted({int(row["seed"]) for row in rows if row.get("seed") is not None})
    table = markdown_table(means)
    stats = compare(rows) if rows else None
    notes = "".join(f"\n- skipped `{name}`: {reason}" for name, reason in skipped.items())
    text = (f"# Sweep: {len(means)} strategies, seeds {', '.join(map(str, seeds)) or '-'}\n\n"
            f"{sweep_budget(folder, rows)}\n\n"
            + (f"## Test metrics over seeds\n\n{markdown(stats)}\n" if stats else "")
            + f"## Means over seeds, costs and checkerboard\n\n{table}\n\n"
            "Each number is the mean over the seeds (the per-seed rows are in comparison.csv and .json). "
            "Test metrics are per-image means on the same whole test images (see a run's report.md for the "
            "convention); MACs count one forward pass on one "
            "example; times are medians on this machine; CB is the checkerboard phase variance on a constant "
            "input (median over entries, and over seeds at init; 0 = none).\n"
            f"{notes}\n\n![samples](samples.png)\n\n![learning curves](learning_curves.png)\n")
    write_text(folder / "comparison.md", text)
    write_text(folder / "comparison.csv", _csv(rows))
    write_text(folder / "comparison.json", json.dumps({"rows": rows, "skipped": skipped}, indent=2, default=float) + "\n")
    if rows and rows[0]["metrics"].get("task") == "generation":
        from ..gan.sweep import gan_curves
        from ..gan.sweep import gan_pictures

        from ..gan.sweep import gan_statistics

        write_text(folder / "comparison.md", text.replace("## Means over seeds", gan_statistics(rows) + "## Means over seeds", 1))
        gan_pictures(folder, rows, registry)
        gan_curves(folder, rows)
    else:
        strategy_grid(folder, rows, registry, dataset)
        overlaid_curves(folder, rows)
    return headline(stats) if stats else []
