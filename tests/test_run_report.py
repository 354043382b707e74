"""What a run writes: the degradation in its spec, per-image metrics with the convention, an honest report."""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import SPECS

TINY = {"epochs": 1, "steps_per_epoch": 2, "batch_size": 4}


def test_a_run_names_its_degradation_strategies_budget_and_convention(tmp_path):
    from upspec.runner.run import run

    lines = []
    result = run(SPECS / "espcn_residual.yaml", out=str(tmp_path / "run"), verbose=0, train_overrides=TINY,
                 overrides=["data.degradation=area", "data.test_images=2"], announce=lines.append)
    assert lines[1] == "model: espcn-residual, 29,732 parameters; upsampling: skip bicubic (fixed resize), up pixel_shuffle"
    spec = yaml.safe_load((tmp_path / "run" / "spec.yaml").read_text())
    assert spec["data"]["degradation"] == "area"
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics == result.metrics
    assert metrics["degradation"] == "area" and metrics["test_images"] == 2 and metrics["inference"] == "whole image"
    assert [row["name"] for row in metrics["images"]] == ["camera", "chelsea"]
    assert metrics["model"]["psnr"] == pytest.approx(sum(r["model"]["psnr"] for r in metrics["images"]) / 2)
    assert metrics["gain"]["psnr"] == pytest.approx(metrics["model"]["psnr"] - metrics["bicubic"]["psnr"])
    # a 1-channel model is scored on its own channel, the full-range luma it was trained on, and says so
    assert "the model's single channel (full-range BT.601 luma" in metrics["convention"]
    assert "2 border pixels shaved" in metrics["convention"] and "block mean" in metrics["convention"]
    report = (tmp_path / "run" / "report.md").read_text()
    assert "`skip`: **bicubic** (factor 2, fixed resize, no convolution, no parameters); `up`: **pixel_shuffle**" in report
    assert "degradation `area`" in report
    assert "Training budget: 1 epoch x 2 steps, batch 4 (8 patches seen), seed 0." in report
    assert "## Test set (2 whole images)" in report and "| camera |" in report
    assert ("beats bicubic" in report) != ("does not beat bicubic" in report)
    for name in ("samples.png", "learning_curves.png"):
        assert (tmp_path / "run" / name).stat().st_size > 1000


def test_a_segmentation_report_speaks_of_iou_not_psnr(tmp_path):
    from upspec.runner.run import run

    run(SPECS / "unet.yaml", out=str(tmp_path / "run"), verbose=0, train_overrides=TINY,
        overrides=["data.options.count=3"])
    report = (tmp_path / "run" / "report.md").read_text()
    assert "mean_iou" in report and "intersection over union" in report
    assert "PSNR" not in report and "SSIM" not in report and "bicubic" not in report


def test_an_unknown_degradation_points_into_the_spec(tmp_path):
    from upspec.errors import SpecError
    from upspec.modelspec.load import load_spec

    with pytest.raises(SpecError) as caught:
        load_spec(SPECS / "espcn_residual.yaml", overrides=["data.degradation=box"])
    assert "--set data.degradation=box:1:24: error: invalid value for data.degradation" in str(caught.value)
    assert "bicubic|area|gaussian" in str(caught.value) and "'box'" in str(caught.value)


def test_learning_curves_leave_accuracy_out_on_regression():
    from upspec.runner.reporting.report import meaningless_metrics

    rows = [{"epoch": "1", "loss": "0.1", "accuracy": "0.01", "val_loss": "0.1", "val_accuracy": "0.0"}]
    assert meaningless_metrics(rows, "super_resolution") == ["accuracy"]
    assert meaningless_metrics(rows, "segmentation") == []
