"""Comparison statistics over (strategy, seed) rows: intervals, paired differences, ties, baselines."""

from __future__ import annotations

import pytest

from upspec.compare.statistics import compare
from upspec.compare.statistics import headline
from upspec.analysis.intervals import interval
from upspec.compare.statistics import markdown


def row(strategy, seed, psnr, ssim=0.8, bicubic=30.0):
    return {"strategy": strategy, "seed": seed,
            "metrics": {"model": {"psnr": psnr, "ssim": ssim}, "bicubic": {"psnr": bicubic, "ssim": 0.85}}}


def test_t_interval_of_three_values():
    result = interval([1.0, 2.0, 3.0])
    assert result.mean == 2.0
    # sd 1, t(0.975, 2) = 4.3027, half width 4.3027 / sqrt(3)
    assert result.half_width == pytest.approx(4.3027 / 3 ** 0.5, rel=1e-4)
    assert result.contains_zero()
    one = interval([5.0])
    assert one.low is None and one.format() == "5.00"


def test_paired_differences_separate_a_constant_offset_that_raw_intervals_cannot():
    # seed-to-seed spread of 1 dB, but b is always 0.1 dB below a on the same seed
    rows = [row("a", s, 30 + s) for s in range(3)] + [row("b", s, 29.9 + s) for s in range(3)]
    comparison = compare(rows)
    assert comparison.reference == "a" and comparison.primary == "psnr"
    a, b = comparison.strategies
    assert a.metrics["psnr"].contains_zero() is False and a.metrics["psnr"].half_width > 2
    assert b.difference["psnr"].mean == pytest.approx(-0.1)
    assert b.difference["psnr"].half_width == pytest.approx(0.0, abs=1e-9)
    assert b.worse and not b.tie


def test_noisy_differences_are_ties_and_marked():
    rows = [row("a", 0, 31.0), row("a", 1, 31.2), row("a", 2, 30.9),
            row("b", 0, 31.1), row("b", 1, 30.8), row("b", 2, 31.0)]
    comparison = compare(rows)
    tied = [s for s in comparison.strategies if s.strategy != comparison.reference]
    assert tied[0].tie
    text = markdown(comparison)
    assert "| tie |" in text and "cannot be told from" in text
    assert "95% Student t-intervals" in text


def test_all_models_losing_to_bicubic_is_said():
    rows = [row("a", s, 25.0 + s * 0.1) for s in range(2)] + [row("b", s, 26.0) for s in range(2)]
    comparison = compare(rows)
    assert comparison.all_lose_to_baseline
    assert "**Every model loses to bicubic interpolation**" in markdown(comparison)
    assert any("every model loses to bicubic interpolation" in line for line in headline(comparison))
    gain = comparison.strategies[1].gain["psnr"]
    assert gain.mean == pytest.approx(-4.0)


def test_one_seed_says_there_is_no_interval():
    comparison = compare([row("a", 0, 31.0), row("b", 0, 32.0)])
    assert not any(s.tie for s in comparison.strategies)
    text = markdown(comparison)
    assert "one seed: no interval" in text and "--seeds 3" in text
    assert not comparison.all_lose_to_baseline


def test_segmentation_rows_rank_by_mean_iou_without_a_baseline():
    rows = [{"strategy": n, "seed": s, "metrics": {"model": {"mean_iou": v + s * 0.01}}}
            for n, v in (("x", 0.8), ("y", 0.7)) for s in range(2)]
    comparison = compare(rows, reference="y")
    assert comparison.primary == "mean_iou" and comparison.baseline is None and comparison.reference == "y"
    assert comparison.strategies[0].difference["mean_iou"].mean == pytest.approx(0.1)
    with pytest.raises(ValueError, match="reference strategy 'z'"):
        compare(rows, reference="z")


def test_budget_line_states_epochs_steps_batch_seeds_and_time():
    from upspec.compare.statistics import budget_line

    line = budget_line({"epochs": 3, "steps_per_epoch": 50, "batch_size": 16}, [0, 1, 2], [60.0, 30.0, 90.0])
    assert line == ("Budget per run: 3 epochs x 50 steps, batch 16 (2,400 patches seen); seeds 0, 1, 2 "
                    "(3 per strategy); 3 runs took 3.0 min in all (training, evaluation and measurements, summed "
                    "over runs).")


def test_comparison_md_states_budget_intervals_ties_and_the_baseline(tmp_path, monkeypatch):
    import upspec.compare.comparison as comparison

    for strategy in ("a", "b"):
        for seed in range(3):
            run = tmp_path / strategy / f"seed-{seed}"
            run.mkdir(parents=True)
            (run / "spec.yaml").write_text("train: {epochs: 2, steps_per_epoch: 10, batch_size: 4, seed: %d}\n" % seed)
    rows = [{**row("a", s, 25.0 + s), "run": f"a/seed-{s}", "seconds": 10.0} for s in range(3)]
    rows += [{**row("b", s, 25.05 + s), "run": f"b/seed-{s}", "seconds": 20.0} for s in range(3)]
    class NoPictures:  # a lane that adds no section and draws nothing: the text alone is under test
        def comparison_section(self, rows):
            return ""

        def report_comparison(self, folder, rows, registry, dataset=None):
            pass

    lines = comparison.write_comparison(tmp_path, rows, {}, registry=None, lane=NoPictures())
    text = (tmp_path / "comparison.md").read_text()
    assert ("Budget per run: 2 epochs x 10 steps, batch 4 (80 patches seen); seeds 0, 1, 2 (3 per strategy); "
            "6 runs took 1.5 min in all") in text
    assert "| `b` | 3 | 26.05 [" in text and "| reference | best mean |" in text
    assert "**Every model loses to bicubic interpolation**" in text
    assert lines[0].startswith("best mean psnr: b (26.05 [")
    assert lines[1].startswith("every model loses to bicubic interpolation on psnr (30.0000)")
