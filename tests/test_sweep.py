"""`upspec sweep`: the same graph once per strategy, side by side, resumable."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import SPECS
from conftest import invoke_upspec
from conftest import run_upspec

TINY = ["--epochs", "2", "--steps", "3", "--batch-size", "4", "--set", "data.test_patches=4",
        "--set", "data.validation_patches=4"]


@pytest.mark.slow
@pytest.mark.example_plugin
def test_sweep_compares_builtin_and_plugin_strategies(tmp_path):
    out = tmp_path / "sweep"
    done = invoke_upspec("sweep", str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest,carafe", "--out", str(out),
                         *TINY, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "[1/2] nearest: training" in done.stdout and "[2/2] carafe: done in" in done.stdout
    for name in ("comparison.md", "comparison.csv", "comparison.json", "samples.png", "learning_curves.png",
                 "sweep.json", "nearest/model.keras", "carafe/model.keras", "carafe/row.json"):
        assert (out / name).stat().st_size > 0, name

    rows = {r["strategy"]: r for r in csv.DictReader((out / "comparison.csv").read_text().splitlines())}
    assert set(rows) == {"nearest", "carafe"}
    assert int(rows["nearest"]["parameters"]) == 609 and int(rows["carafe"]["parameters"]) > 609
    assert int(rows["nearest"]["macs"]) > 1_000_000
    assert float(rows["nearest"]["cb_init"]) < 1e-5
    assert rows["nearest"]["bicubic_psnr"] == rows["carafe"]["bicubic_psnr"]  # same test images
    for row in rows.values():
        assert 0 < float(row["psnr"]) < 60 and float(row["train_step_ms"]) > 0 and float(row["inference_ms"]) > 0

    report = json.loads((out / "comparison.json").read_text())
    assert [r["strategy"] for r in report["rows"]] == ["nearest", "carafe"]
    assert "| nearest |" in (out / "comparison.md").read_text()
    history = list(csv.DictReader((out / "carafe" / "history.csv").read_text().splitlines()))
    assert len(history) == 2


@pytest.mark.slow
def test_an_interrupted_sweep_resumes_without_retraining_finished_strategies(tmp_path, callback_plugin):
    killer = callback_plugin("killer", (
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        if self.strategy == 'transpose' and epoch == 0 and os.environ.get('KILL_SWEEP'):\n"
        "            os._exit(9)\n"))
    out = tmp_path / "sweep"
    first = run_upspec("--plugin", str(killer), "sweep", str(SPECS / "seed_transpose.yaml"), "--strategies",
                       "nearest,transpose", "--out", str(out), *TINY, cwd=tmp_path, env={"KILL_SWEEP": "1"})
    assert first.returncode == 9
    finished = (out / "nearest" / "row.json").read_text()
    model_time = (out / "nearest" / "model.keras").stat().st_mtime_ns
    assert json.loads((out / "transpose" / "checkpoints" / "state.json").read_text()) == {"epoch": 1}
    assert not (out / "comparison.md").exists()

    resumed = invoke_upspec("--plugin", str(killer), "sweep", "--resume", str(out), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "[1/2] nearest: finished earlier, kept" in resumed.stdout
    assert "[2/2] transpose: resuming from its last checkpoint" in resumed.stdout
    assert (out / "nearest" / "row.json").read_text() == finished
    assert (out / "nearest" / "model.keras").stat().st_mtime_ns == model_time
    epochs = [r["epoch"] for r in csv.DictReader((out / "transpose" / "history.csv").read_text().splitlines())]
    assert epochs == ["1", "2"]
    assert [r["strategy"] for r in json.loads((out / "comparison.json").read_text())["rows"]] == ["nearest", "transpose"]


def test_sweep_refuses_an_unknown_strategy_by_name(tmp_path):
    done = invoke_upspec("sweep", str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest,nearst", cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown upsampling strategy 'nearst'" in done.stderr and "did you mean 'nearest'?" in done.stderr
    assert not (tmp_path / "runs").exists()
