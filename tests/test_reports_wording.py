"""Reports that say what happened (issue #27, item 7): collapse seen in the classes, integers as integers,
plurals, no 'filters None', the validation images named, train.keep: best, exact estimates."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import SPECS
from conftest import invoke_upspec


def test_a_generator_covering_one_class_of_ten_is_reported_as_collapsed():
    from upspec.gan.report import coverage_warning

    collapsed = {"generator": {"classes_covered": 1, "kl_uniform": 2.302, "histogram": [64] + [0] * 9},
                 "held_out_real": {"classes_covered": 10, "kl_uniform": 0.01}}
    warning = coverage_warning(collapsed)
    assert warning.startswith("Mode collapse: the samples cover 1 class of 10")
    healthy = {"generator": {"classes_covered": 10, "kl_uniform": 0.05, "histogram": [6] * 10},
               "held_out_real": {"classes_covered": 10}}
    assert coverage_warning(healthy) == ""


def test_integers_print_as_integers_and_counts_agree_with_their_nouns(capsys):
    from upspec.cli.run_commands import _print_metrics
    from upspec.wording import plural

    _print_metrics({"task": "super_resolution", "test_images": 1, "convention": "x",
                    "model": {"psnr": 30.0, "classes_covered": 1, "ssim": 0.9}})
    out = capsys.readouterr().out
    assert "test set (1 whole image," in out and "CLASSES_COVERED 1 " in out and "1.0000" not in out
    assert plural(1, "epoch") == "1 epoch" and plural(2, "class", "classes") == "2 classes"


def test_a_fixed_resize_is_described_without_filters_none():
    import upspec
    from upspec.runner.reporting.report import _strategies

    text = _strategies(upspec.load_spec(SPECS / "espcn_residual.yaml"))
    assert "filters None" not in text and "fixed resize, no convolution, no parameters" in text


def test_the_estimate_of_a_one_convolution_strategy_is_exact():
    import upspec
    from upspec.graph.estimate import ONE_CONVOLUTION
    from upspec.graph.graph import build_graph

    for strategy in ONE_CONVOLUTION:
        node = build_graph(upspec.load_spec(SPECS / "seed_transpose.yaml", strategy=strategy)).nodes["up"]
        assert node.estimate.exact and node.estimate.params == 3 * 3 * 1 * 32 + 32, strategy
    shown = invoke_upspec("show", "seed_transpose")
    assert "<=" not in shown.stdout.split("\n")[3]  # the transpose row: 320, not a bound
    bound = build_graph(upspec.load_spec(SPECS / "seed_transpose.yaml", strategy="pixel_shuffle")).nodes["up"]
    assert not bound.estimate.exact


@pytest.mark.slow
def test_keep_best_restores_the_best_epoch_and_the_report_names_the_validation_images(tmp_path):
    done = invoke_upspec("run", "espcn_residual", "--set", "train.epochs=2", "--set", "train.steps_per_epoch=2",
                         "--set", "train.keep=best", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = Path(os.path.realpath(tmp_path / "runs" / "espcn-residual" / "latest"))
    best = json.loads((run_dir / "best.json").read_text())
    assert best["monitor"] == "val_loss" and best["epoch"] in (1, 2)
    report = (run_dir / "report.md").read_text()
    assert "## Validation" in report and "`moon`" in report and f"Kept weights: epoch {best['epoch']}" in report
    assert "2 epochs x 2 steps" in report
    timing = json.loads((run_dir / "timing.json").read_text())
    assert timing["train_step_ms"] > 0
