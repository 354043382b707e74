"""Comparison statistics over (strategy, seed) rows: means with 95% t-intervals, paired differences against
a reference strategy, ties, and the non-learned baseline.

A sweep trains every strategy with the same seeds, and a seed fixes the initial weights and the data order,
so seed ``s`` of one strategy and seed ``s`` of another differ only by the strategy: their difference is a
*paired* difference, whose spread is much smaller than the spread of each strategy's own numbers. A strategy
is *tied* with the reference when the 95% interval of its paired difference contains 0; with one seed there is
no interval and nothing can be called a tie or a win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Sequence

from ..analysis.intervals import Interval
from ..analysis.intervals import interval
from ..wording import plural

#: the metric each task ranks by (higher is better)
PRIMARY = ("psnr", "mean_iou", "ssim")
#: the test metrics compared over seeds, in table order (each higher is better)
METRICS = ("psnr", "ssim", "mean_iou", "boundary_iou")
#: secondary metrics that get their own paired column and verdict against the reference (chosen on the primary)
PAIRED_TOO = ("boundary_iou",)
#: the non-learned baselines runs report, by name in metrics.json
BASELINES = {"bicubic": "bicubic interpolation", "noisy_input": "the noisy input"}


def metric_of(row: dict[str, Any], key: str, group: str = "model") -> float | None:
    value = row.get("metrics", {}).get(group, {}).get(key)
    return None if value is None else float(value)


def known_metric(row: dict[str, Any], key: str, group: str = "model") -> float:
    """``metric_of`` for a key the caller checked every row has."""
    value = metric_of(row, key, group)
    assert value is not None, f"{group}.{key} missing from a row"
    return value


def primary_metric(rows: Sequence[dict[str, Any]]) -> str | None:
    for key in PRIMARY:
        if rows and all(metric_of(r, key) is not None for r in rows):
            return key
    return None


def baseline_of(rows: Sequence[dict[str, Any]]) -> str | None:
    for name in BASELINES:
        if rows and all(name in r.get("metrics", {}) for r in rows):
            return name
    return None


@dataclass
class StrategyStats:
    strategy: str
    seeds: list[int]
    metrics: dict[str, Interval]
    #: the paired difference to the reference strategy, per metric (absent for the reference itself)
    difference: dict[str, Interval]
    #: the paired gain over the baseline (model - baseline, per seed), per metric
    gain: dict[str, Interval]
    tie: bool = False  # tied with the reference on the primary metric
    worse: bool = False  # significantly below the reference


@dataclass
class Comparison:
    primary: str | None
    reference: str | None
    baseline: str | None
    baseline_scores: dict[str, float]
    strategies: list[StrategyStats]

    @property
    def all_lose_to_baseline(self) -> bool:
        """Every strategy's mean primary metric is below the non-learned baseline's."""
        if not self.baseline or not self.primary or self.primary not in self.baseline_scores:
            return False
        return all(s.metrics[self.primary].mean < self.baseline_scores[self.primary] for s in self.strategies)


def compare(rows: Sequence[dict[str, Any]], reference: str | None = None) -> Comparison:
    """Statistics of per-(strategy, seed) rows (``{"strategy", "seed", "metrics": {"model": {...}, ...}}``);
    ``reference``: the strategy to pair against (default: the best mean on the primary metric)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["strategy"], []).append(row)
    primary = primary_metric(rows)
    baseline = baseline_of(rows)
    keys = [k for k in METRICS if rows and all(metric_of(r, k) is not None for r in rows)]
    stats = []
    for name, group in groups.items():
        means = {k: interval([known_metric(r, k) for r in group]) for k in keys}
        gain = ({k: interval([known_metric(r, k) - known_metric(r, k, baseline) for r in group])
                 for k in keys if all(metric_of(r, k, baseline) is not None for r in group)} if baseline else {})
        stats.append(StrategyStats(name, [int(r.get("seed", 0)) for r in group], means, {}, gain))
    if primary and stats and reference is None:
        reference = max(stats, key=lambda s: s.metrics[primary].mean).strategy
    if reference is not None and reference not in groups:
        raise ValueError(f"reference strategy {reference!r} is not among {sorted(groups)}")
    if primary and reference:
        by_seed = {int(r.get("seed", 0)): r for r in groups[reference]}
        for s in stats:
            if s.strategy == reference:
                continue
            pairs = [(r, by_seed[int(r.get("seed", 0))]) for r in groups[s.strategy] if int(r.get("seed", 0)) in by_seed]
            if not pairs:
                continue
            s.difference = {k: interval([known_metric(a, k) - known_metric(b, k) for a, b in pairs]) for k in keys}
            d = s.difference[primary]
            s.tie = d.contains_zero()
            s.worse = d.high is not None and d.high < 0
    baseline_scores = {}
    if baseline:
        first = rows[0]["metrics"][baseline]
        baseline_scores = {k: float(v) for k, v in first.items() if isinstance(v, (int, float))}
    return Comparison(primary, reference, baseline, baseline_scores, stats)


def verdict(d: Interval) -> str:
    """A paired difference in one word: tie (its interval holds 0), worse, better, or no interval."""
    if d.low is None or d.high is None:
        return "one seed: no interval"
    return "tie" if d.contains_zero() else "worse" if d.high < 0 else "better"


def markdown(comparison: Comparison) -> str:
    """The statistics table and what it says, for comparison.md."""
    c = comparison
    if not c.strategies:
        return ""
    keys = list(c.strategies[0].metrics)
    seeds = max(len(s.seeds) for s in c.strategies)
    header = ["strategy", "seeds", *(f"{k} mean [95% CI]" for k in keys)]
    paired = [k for k in PAIRED_TOO if k in keys and k != c.primary] if c.reference and c.primary else []
    if c.reference and c.primary:
        header += [f"{c.primary} vs `{c.reference}` (paired) [95% CI]", "verdict"]
        header += [f"{k} vs `{c.reference}` (paired) [95% CI]" for k in paired]
    if c.baseline and c.primary:
        header.append(f"{c.primary} gain over {c.baseline} [95% CI]")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    digits = {"psnr": 2, "ssim": 4, "mean_iou": 4, "boundary_iou": 4}
    for s in c.strategies:
        cells = [f"`{s.strategy}`", str(len(s.seeds)), *(s.metrics[k].format(digits[k]) for k in keys)]
        if c.reference and c.primary:
            if s.strategy == c.reference:
                cells += ["reference", "best mean", *("reference" for _ in paired)]
            elif c.primary in s.difference:
                d = s.difference[c.primary]
                cells += [d.format(digits[c.primary], signed=True), verdict(d)]
                cells += [f"{s.difference[k].format(digits[k], signed=True)} {verdict(s.difference[k])}" for k in paired]
            else:
                cells += ["-", "-", *("-" for _ in paired)]
        if c.baseline and c.primary:
            g = s.gain.get(c.primary)
            cells.append(g.format(digits[c.primary], signed=True) if g else "-")
        lines.append("| " + " | ".join(cells) + " |")
    notes = []
    if c.baseline and c.baseline_scores:
        scores = ", ".join(f"{k} {v:.4f}" for k, v in c.baseline_scores.items())
        notes.append(f"Non-learned baseline ({BASELINES[c.baseline]}, same test images, same convention): {scores}.")
    if seeds < 2:
        notes.append("One seed per strategy: there are no intervals, and differences between strategies cannot be "
                     "told from seed-to-seed noise; run `upspec sweep --seeds 3` (or more) to separate them.")
    else:
        ties = [s.strategy for s in c.strategies if s.tie]
        notes.append(f"Intervals are 95% Student t-intervals over seeds; the paired column is each strategy minus "
                     f"`{c.reference}` on the same seed. A **tie** is a paired interval that contains 0"
                     + (f": {', '.join(f'`{t}`' for t in ties)} cannot be told from `{c.reference}`." if ties else
                        "; there is none."))
        for key in paired:
            tied = [s.strategy for s in c.strategies if key in s.difference and s.difference[key].contains_zero()]
            notes.append(f"{key} is paired against the same `{c.reference}` (best mean {c.primary}), each strategy "
                         f"minus it on the same seed; ties on {key}: "
                         + (", ".join(f"`{t}`" for t in tied) if tied else "none") + ".")
    if c.all_lose_to_baseline and c.baseline:
        notes.append(f"**Every model loses to {BASELINES[c.baseline]}** on {c.primary}: with this training budget "
                     "none of them is worth using over the non-learned baseline.")
    return "\n".join(lines) + "\n\n" + "\n\n".join(notes) + "\n"


def headline(comparison: Comparison) -> list[str]:
    """Lines for the sweep's terminal output."""
    c = comparison
    out = []
    if c.primary and c.reference:
        best = next(s for s in c.strategies if s.strategy == c.reference)
        ties = [s.strategy for s in c.strategies if s.tie]
        out.append(f"best mean {c.primary}: {c.reference} ({best.metrics[c.primary].format(4 if c.primary != 'psnr' else 2)})"
                   + (f"; tied with it: {', '.join(ties)}" if ties else ""))
    if c.all_lose_to_baseline and c.baseline and c.primary:
        out.append(f"every model loses to {BASELINES[c.baseline]} on {c.primary} "
                   f"({c.baseline_scores[c.primary]:.4f}): train longer or use a stronger model")
    return out


def budget_line(train: dict[str, Any], seeds: Sequence[int], seconds: Sequence[float]) -> str:
    """The training budget of a sweep in one sentence: epochs, steps, batch, seeds, time."""
    epochs, steps, batch = (train.get(k) for k in ("epochs", "steps_per_epoch", "batch_size"))
    seen = (f" ({epochs * steps * batch:,} patches seen)"
            if isinstance(epochs, int) and isinstance(steps, int) and isinstance(batch, int) else "")
    total = sum(seconds)
    until = train.get("until")
    if isinstance(until, dict):  # train.until: each run trains to its own plateau, its steps in the table
        return (f"Budget per run: until {until.get('monitor', 'val_loss')} stops improving by more than "
                f"{until.get('min_delta', 0.0):g} for {until.get('patience', 3)} epochs, at most "
                f"{until.get('max_steps', 20000):,} steps, in epochs of {steps} steps, batch {batch} (each run's "
                f"steps are in the table, `steps run`); seeds {', '.join(map(str, seeds)) or '-'} ({len(seeds)} per "
                f"strategy); {len(seconds)} runs took {total / 60:.1f} min in all (training, evaluation and "
                "measurements, summed over runs).")
    return (f"Budget per run: {plural(int(epochs or 0), 'epoch')} x {plural(int(steps or 0), 'step')}, batch {batch}{seen}; seeds "
            f"{', '.join(map(str, seeds)) or '-'} ({len(seeds)} per strategy); {len(seconds)} runs took "
            f"{total / 60:.1f} min in all (training, evaluation and measurements, summed over runs).")
