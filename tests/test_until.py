"""``train.until``: train to a validation plateau with a step cap, and say how many steps each run took."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import SPECS
from upspec.modelspec.sections import TrainSettings
from upspec.modelspec.sections import Until
from upspec.runner.training.until import finished
from upspec.runner.training.until import plateau


def rows(*values):
    return [{"epoch": i, "val_loss": v} for i, v in enumerate(values, 1)]


def test_a_plateau_stops_after_patience_epochs_without_improvement():
    stop = plateau(Until(patience=2), rows(1.0, 0.5, 0.6, 0.55), steps_per_epoch=10)
    assert (stop.stopped, stop.reason, stop.epochs, stop.steps, stop.best_epoch, stop.best) == \
        (True, "plateau", 4, 40, 2, 0.5)


def test_an_improvement_smaller_than_min_delta_does_not_count():
    assert plateau(Until(patience=2, min_delta=0.1), rows(1.0, 0.95, 0.92), 10).stopped
    assert not plateau(Until(patience=2, min_delta=0.01), rows(1.0, 0.95, 0.92), 10).stopped


def test_the_step_cap_stops_a_run_that_still_improves():
    stop = plateau(Until(patience=3, max_steps=30), rows(3.0, 2.0, 1.0), steps_per_epoch=10)
    assert (stop.stopped, stop.reason, stop.steps) == (True, "step cap", 30)


def test_metrics_that_grow_are_maximised():
    assert Until(monitor="val_psnr").direction == "max"
    assert plateau(Until(monitor="val_psnr", patience=1), [{"val_psnr": 20.0}, {"val_psnr": 19.0}], 1).stopped
    assert not plateau(Until(monitor="val_psnr", patience=1), [{"val_psnr": 20.0}, {"val_psnr": 21.0}], 1).stopped


def test_history_read_back_from_csv_decides_the_same():
    """A resumed run's history comes back from history.csv as text: the decision is the same."""
    as_text = [{k: str(v) for k, v in row.items()} for row in rows(1.0, 0.5, 0.6, 0.55)]
    assert plateau(Until(patience=2), as_text, 10) == plateau(Until(patience=2), rows(1.0, 0.5, 0.6, 0.55), 10)


def test_with_until_epochs_give_way_to_the_step_cap_in_whole_epochs():
    settings = TrainSettings(epochs=2, steps_per_epoch=7, until=Until(max_steps=20))
    assert settings.epoch_cap == 3  # 20 steps rounded up to whole epochs of 7
    assert TrainSettings(epochs=2).epoch_cap == 2
    assert finished(settings, rows(1.0, 0.9, 0.8)) and not finished(settings, rows(1.0, 0.9))


def test_a_bad_until_is_a_positioned_spec_error():
    from upspec.errors import SpecError
    from upspec.modelspec.load import load_spec

    with pytest.raises(SpecError) as caught:
        load_spec(SPECS / "espcn_residual.yaml", overrides=["train.until={patience: 0, max_steps: 10}"])
    assert "--set train.until={patience: 0, max_steps: 10}" in str(caught.value)
    assert "train.until.patience" in str(caught.value)


@pytest.mark.slow
def test_a_run_with_until_stops_on_its_plateau_and_reports_its_steps(tmp_path):
    from upspec.runner.run import run

    # min_delta 10: no epoch after the first improves, so the run stops after 1 + patience epochs, not at the cap
    result = run(SPECS / "espcn_residual.yaml", out=str(tmp_path / "run"), verbose=0,
                 train_overrides={"steps_per_epoch": 2, "batch_size": 4, "epochs": 1},
                 overrides=["train.until={patience: 1, min_delta: 10.0, max_steps: 20}", "data.test_images=1",
                            "data.validation_patches=4"])
    history = list(csv.DictReader((result.run_dir / "history.csv").read_text().splitlines()))
    assert len(history) == 2  # train.epochs (1) ignored; stopped on the plateau well before the cap (10 epochs)
    report = (result.run_dir / "report.md").read_text()
    assert "stopped after 2 epochs = 4 steps (plateau; best val_loss" in report
    assert "(train.epochs ignored)" in report

    from upspec.compare.jobs import JobState
    from upspec.compare.jobs import job_state
    from upspec.runner.training.until import steps_run

    assert steps_run(result.run_dir) == {"epochs": 2, "steps": 4, "stopped": "plateau"}
    (result.run_dir / "model.keras").unlink()  # as if killed between the last epoch and the report
    (result.run_dir / "metrics.json").unlink()
    assert job_state(result.run_dir) is JobState.TRAINED
    assert json.loads((result.run_dir / "checkpoints" / "state.json").read_text()) == {"epoch": 2}
