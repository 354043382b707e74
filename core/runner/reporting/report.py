"""The report of a run: report.md and the learning curves (the sample pictures: :mod:`.samples`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...charts import Panel
from ...charts import Series
from ...charts import line_chart
from ...files import write_text
from ...wording import number
from ...wording import plural
from ..training.until import describe_budget


#: tasks whose targets are continuous: an ``accuracy`` metric (exact equality) says nothing there
REGRESSION_TASKS = ("super_resolution", "denoise", "autoencode")


def meaningless_metrics(rows: list[dict[str, Any]], task: str | None) -> list[str]:
    """Metrics in the history that do not fit the task (``accuracy`` on a regression task)."""
    if task not in REGRESSION_TASKS or not rows:
        return []
    return [k for k in rows[0] if k.endswith("accuracy") and not k.startswith("val_")]


def learning_curves(rows: list[dict[str, Any]], path: Path, task: str | None = None) -> Path:
    """One panel per training metric (validation beside it), x axis in whole epochs; metrics that do not fit
    the task (accuracy on regression, which a seed spec compiles to stay the seed's program) are left out."""
    skip = set(meaningless_metrics(rows, task))
    keys = [k for k in (rows[0] if rows else {})
            if k not in ("epoch", "learning_rate") and not k.startswith("val_") and k not in skip]
    epochs = [int(float(r["epoch"])) for r in rows]
    panels = []
    for key in keys:
        series = [Series("train", epochs, [float(r[key]) for r in rows])]
        if f"val_{key}" in rows[0]:
            series.append(Series("validation", epochs, [float(r[f"val_{key}"]) for r in rows]))
        panels.append(Panel(key, series, ylabel=key))
    return line_chart(panels or [Panel("no metrics", [])], path)


def _table(metrics: dict[str, Any]) -> str:
    rows = [(name, scores) for name, scores in metrics.items() if isinstance(scores, dict)]
    keys = list(dict.fromkeys(k for _, scores in rows for k in scores))
    lines = ["| | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for name, scores in rows:
        lines.append(f"| {name} | " + " | ".join(number(scores[k]) if k in scores else "" for k in keys) + " |")
    return "\n".join(lines)


def _strategies(spec: Any) -> str:
    entries = [e for e in spec.layers if e.upsample]
    if not entries:
        return "none (no `upsample:` entry)"
    parts = []
    for entry in entries:
        params = entry.params if isinstance(entry.params, dict) else {}
        filters = params.get("filters", "-")
        channels = "fixed resize, no convolution, no parameters" if "filters" in params and filters is None \
            else f"filters {filters}"
        parts.append(f"`{entry.id or '?'}`: **{entry.upsample}** (factor {params.get('factor', '?')}, {channels})")
    return "; ".join(parts)


def upsampling_summary(spec: Any) -> str:
    """``id strategy`` for every upsample entry, fixed resizes marked: one line for the terminal."""
    parts = [f"{e.id or '?'} {e.upsample}" + (" (fixed resize)" if e.params.get("filters", 0) is None else "")
             for e in spec.layers if e.upsample]
    return ", ".join(parts) or "none"


def _validation_section(run_dir: Path, metrics: dict[str, Any], settings: dict[str, Any]) -> list[str]:
    """Which images the validation numbers come from, why they differ from the test's, which weights were kept."""
    import json

    names = settings.get("validation_images") or []
    history = settings.get("history") or []
    lines = ["", "## Validation", ""]
    if names:
        lines.append(f"The validation numbers of the learning curves and history.csv are on "
                     f"{settings.get('validation_patches', 'fixed')} patches of {plural(len(names), 'image')} "
                     f"({', '.join(f'`{n}`' for n in names)}), other images than the test set's. Patches and images "
                     "differ in content (a smooth photo scores higher), and Keras averages the metric over "
                     "patches while the test set is scored per whole image with the border shaved: compare "
                     "validation numbers across epochs, and test numbers across runs, not one with the other.")
    if history and "val_loss" in history[0]:
        losses = [float(r["val_loss"]) for r in history]
        best = min(range(len(losses)), key=losses.__getitem__) + 1
        if best < len(losses) and settings.get("keep", "last") == "last":
            lines.append(f"\nThe validation loss was lowest after epoch {best} of {len(losses)}; "
                         "`train.keep: best` keeps that epoch's weights (`train.monitor`, default val_loss).")
    kept = json.loads((run_dir / "best.json").read_text()) if (run_dir / "best.json").exists() else {}
    if settings.get("keep") == "best" and kept:
        lines.append(f"\nKept weights: epoch {kept['epoch']}, the best `{kept['monitor']}` ({kept['value']:.4g}); "
                     "`train.keep: last` keeps the last epoch's.")
    return lines if len(lines) > 3 else []


def write_report(run_dir: Path, spec: Any, metrics: dict[str, Any], settings: dict[str, Any]) -> Path:
    """report.md: what was trained (strategies, data, degradation, budget), the test numbers and convention."""
    task = metrics["task"]
    lines = [f"# Run of `{spec.name}`", "",
             f"Upsampling: {_strategies(spec)}.", "",
             f"Task: {task} on `{settings['source']}`"
             + (f", degradation `{settings.get('degradation', 'bicubic')}`" if task == "super_resolution" else "") + ".",
             "Training budget: " + (settings.get("budget") or describe_budget(settings)) + ".",
             *([f"Settings: {settings['tuning']}."] if settings.get("tuning") else []), "",
             f"## Test set ({plural(metrics['test_images'], *(('whole image', 'whole images') if 'convention' in metrics else ('test patch', 'test patches')))})",
             "", _table(metrics), ""]
    if "gain" in metrics:
        baseline = "bicubic" if task == "super_resolution" else "the noisy input"
        gain = metrics["gain"]["psnr"]
        verdict = "beats" if gain > 0 else "does not beat"
        lines.append(f"The model {verdict} {baseline}: {gain:+.2f} dB PSNR, {metrics['gain']['ssim']:+.4f} SSIM.")
        lines.append("")
    if "convention" in metrics:
        band = metrics.get("boundary_band_px")
        lines.append(f"Convention: {metrics['convention']}"
                     + (f" (d = {band} pixels on these images)" if band is not None else "") + ".")
    for name in settings.get("meaningless_metrics", []):
        lines += ["", f"`{name}` (compiled by the spec) measures exact equality, which a regression output never "
                      "reaches: it is kept in history.csv but left out of the learning curves."]
    images = metrics.get("images", [])
    if images:
        groups = [k for k in images[0] if k != "name"]
        keys = list(images[0][groups[0]])
        lines += ["", "| image | " + " | ".join(f"{g} {k}" for g in groups for k in keys) + " |",
                  "|---|" + "---|" * (len(groups) * len(keys))]
        for row in images:
            lines.append(f"| {row['name']} | " + " | ".join(f"{row[g][k]:.4f}" for g in groups for k in keys) + " |")
    lines += _validation_section(run_dir, metrics, settings)
    for warning in metrics.get("warnings", []):
        lines += ["", f"**Warning:** {warning}"]
    lines += ["", "## Files", "",
              "- [resolved spec](spec.yaml), [model](model.keras), [history](history.csv), [metrics](metrics.json)",
              f"- TensorBoard logs: `tensorboard --logdir {run_dir / 'tensorboard'}`", "",
              "![learning curves](learning_curves.png)", "", "![test samples](samples.png)", ""]
    return write_text(run_dir / "report.md", "\n".join(lines))


def write_divergence_report(run_dir: Path, spec: Any, record: dict[str, Any], learning_rate: float | None,
                            model: Any) -> Path:
    """report.md of a run whose loss became NaN: where it diverged, the last finite loss, what to do
    (``learning_rate``: the spec's setting; ``model``: the network whose optimizer trained it)."""
    optimizer = getattr(model, "optimizer", None)
    settings = {"learning_rate": learning_rate, "optimizer": type(optimizer).__name__ if optimizer is not None else "?"}
    last = record.get("last_finite_loss")
    first = record.get("first_loss")
    lines = [f"# Run of `{spec.name}`: diverged", "",
             f"Upsampling: {_strategies(spec)}.", "",
             f"**The training diverged:** the loss became NaN or infinite {record.get('where', '?')}, after "
             f"{record.get('finished_epochs', 0)} finished epoch(s). No model was saved and nothing was evaluated.",
             "",
             f"- last finite loss: {last:.6g}" if last is not None else "- last finite loss: none (the first step "
                                                                        "was already NaN)",
             f"- first loss of the training: {first:.6g}" if first is not None else "- first loss: -",
             f"- learning rate: {settings.get('learning_rate') or 'the optimizer default'}, "
             f"optimizer `{settings.get('optimizer', '?')}`",
             "", f"What to do: {record.get('hint', '')}.", "",
             "## Files", "", "- [resolved spec](spec.yaml), [history](history.csv) (the finished epochs), "
                             "[divergence record](diverged.json)", ""]
    return write_text(run_dir / "report.md", "\n".join(lines))
