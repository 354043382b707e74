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
                 "sweep.json", "nearest/seed-0/model.keras", "carafe/seed-0/model.keras", "carafe/seed-0/row.json"):
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
    history = list(csv.DictReader((out / "carafe" / "seed-0" / "history.csv").read_text().splitlines()))
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
    finished = (out / "nearest" / "seed-0" / "row.json").read_text()
    model_time = (out / "nearest" / "seed-0" / "model.keras").stat().st_mtime_ns
    assert json.loads((out / "transpose" / "seed-0" / "checkpoints" / "state.json").read_text()) == {"epoch": 1}
    assert not (out / "comparison.md").exists()

    resumed = invoke_upspec("--plugin", str(killer), "sweep", "--resume", str(out), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "[1/2] nearest: finished earlier, kept" in resumed.stdout
    assert "[2/2] transpose: resuming from its last checkpoint" in resumed.stdout
    assert (out / "nearest" / "seed-0" / "row.json").read_text() == finished
    assert (out / "nearest" / "seed-0" / "model.keras").stat().st_mtime_ns == model_time
    epochs = [r["epoch"] for r in csv.DictReader((out / "transpose" / "seed-0" / "history.csv").read_text().splitlines())]
    assert epochs == ["1", "2"]
    assert [r["strategy"] for r in json.loads((out / "comparison.json").read_text())["rows"]] == ["nearest", "transpose"]


def test_sweep_refuses_an_unknown_strategy_by_name(tmp_path):
    done = invoke_upspec("sweep", str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest,nearst", cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown upsampling strategy 'nearst'" in done.stderr and "did you mean 'nearest'?" in done.stderr
    assert not (tmp_path / "runs").exists()


def _invoke(*args):
    from click.testing import CliRunner

    from upspec.cli.main import make_cli

    return CliRunner().invoke(make_cli(list(args)), list(args), catch_exceptions=False)


@pytest.mark.slow
def test_a_sweep_with_seeds_trains_every_strategy_with_every_seed_and_averages_them(tmp_path):
    import yaml

    out = tmp_path / "sweep"
    done = _invoke("sweep", str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest,transpose", "--seeds", "2",
                   "--out", str(out), "--epochs", "1", "--steps", "2", *TINY[4:])
    assert done.exit_code == 0, done.output
    assert "[1/4] nearest seed 0: training" in done.output and "[4/4] transpose seed 1: done in" in done.output
    rows = json.loads((out / "comparison.json").read_text())["rows"]
    assert [(r["strategy"], r["seed"], r["run"]) for r in rows] == [
        ("nearest", 0, "nearest/seed-0"), ("nearest", 1, "nearest/seed-1"),
        ("transpose", 0, "transpose/seed-0"), ("transpose", 1, "transpose/seed-1")]
    for row in rows:  # the seed reaches the run: initial weights and data order
        spec = yaml.safe_load((out / row["run"] / "spec.yaml").read_text())
        assert spec["train"]["seed"] == row["seed"] and spec["layers"][0]["upsample"] == row["strategy"]
    psnr = {(r["strategy"], r["seed"]): r["metrics"]["model"]["psnr"] for r in rows}
    assert psnr["nearest", 0] != psnr["nearest", 1]
    csv_rows = list(csv.DictReader((out / "comparison.csv").read_text().splitlines()))
    assert [(r["strategy"], r["seed"]) for r in csv_rows] == [("nearest", "0"), ("nearest", "1"),
                                                               ("transpose", "0"), ("transpose", "1")]
    table = (out / "comparison.md").read_text()
    assert "seeds 0, 1" in table
    mean = (psnr["nearest", 0] + psnr["nearest", 1]) / 2
    assert f"| nearest | {mean:.4f} |" in table


def test_job_states_are_read_from_the_run_folder(tmp_path):
    from upspec.compare.jobs import JobState
    from upspec.compare.jobs import job_state

    run = tmp_path / "nearest" / "seed-0"
    assert job_state(run) is JobState.PENDING
    run.mkdir(parents=True)
    (run / "spec.yaml").write_text("train:\n  epochs: 2\n")
    assert job_state(run) is JobState.PENDING  # started, but no epoch finished
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "last.keras").write_bytes(b"x")
    (run / "checkpoints" / "state.json").write_text('{"epoch": 1}')
    assert job_state(run) is JobState.TRAINING
    (run / "checkpoints" / "state.json").write_text('{"epoch": 2}')
    assert job_state(run) is JobState.TRAINED
    (run / "checkpoints" / "state.json").write_text('{"epoch": 1}')
    (run / "model.keras").write_bytes(b"x")  # the report was being written
    assert job_state(run) is JobState.TRAINED
    (run / "metrics.json").write_text("{}")
    assert job_state(run) is JobState.EVALUATED
    (run / "row.json").write_text("{}")
    assert job_state(run) is JobState.DONE


@pytest.mark.parametrize("args, message", [
    (["--seeds", "2", "--seed-list", "3,4"], "give --seeds N or --seed-list a,b, not both"),
    (["--seed-list", "3,3"], "--seed-list repeats a seed: [3, 3]"),
    (["--seed-list", "3,x"], "expected whole numbers separated by commas, got '3,x'"),
    (["--executor", "local", "--address", "ray://head:10001"], "--address, --cpus-per-trial and --gpus-per-trial "
                                                                "are for --executor ray"),
])
def test_sweep_refuses_bad_seed_and_executor_options(tmp_path, args, message):
    done = _invoke("sweep", str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest", "--out",
                   str(tmp_path / "sweep"), *args)
    assert done.exit_code != 0
    assert message in done.output
    assert not (tmp_path / "sweep").exists()


def test_the_default_sweep_path_does_not_import_ray():
    import subprocess
    import sys

    code = ("import sys, upspec.compare.sweep, upspec.compare.executors, upspec.cli.analysis_commands; "
            "print('ray' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


@pytest.mark.slow
def test_a_failed_job_does_not_stop_the_others_and_resume_retries_it(tmp_path, callback_plugin, monkeypatch):
    from upspec.registry.registry import use_local_plugins

    failing = callback_plugin("failing", (
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        if self.strategy == 'transpose' and os.environ.get('FAIL_SWEEP'):\n"
        "            raise RuntimeError('disk on fire')\n"))
    out = tmp_path / "sweep"
    monkeypatch.setenv("FAIL_SWEEP", "1")
    try:
        first = _invoke("--plugin", str(failing), "sweep", str(SPECS / "seed_transpose.yaml"), "--strategies",
                        "transpose,nearest", "--out", str(out), "--epochs", "1", "--steps", "2", *TINY[4:])
        assert first.exit_code == 1
        assert "[1/2] transpose: failed: RuntimeError: disk on fire" in first.output
        assert "[2/2] nearest: done in" in first.output
        assert "1 job(s) of the sweep failed" in first.output and f"upspec sweep --resume {out}" in first.output
        assert (out / "nearest" / "seed-0" / "row.json").exists() and not (out / "comparison.md").exists()

        monkeypatch.delenv("FAIL_SWEEP")
        resumed = _invoke("--plugin", str(failing), "sweep", "--resume", str(out))
        assert resumed.exit_code == 0, resumed.output
        assert "[2/2] nearest: finished earlier, kept" in resumed.output
        assert "[1/2] transpose: finishing its report" in resumed.output  # its one epoch was saved before the error
        rows = json.loads((out / "comparison.json").read_text())["rows"]
        assert [r["strategy"] for r in rows] == ["transpose", "nearest"]
    finally:
        use_local_plugins(())


def test_the_comparison_grid_reads_each_runs_saved_outputs_without_loading_models(tmp_path, monkeypatch):
    """Each run saves what the grid shows of its outputs on the first test images (8-bit centre windows, tens of
    kilobytes) with a digest of each input; the sweep's grid tiles them and loads no model (none exists here)."""
    import shutil

    import numpy as np
    from PIL import Image

    from upspec.registry.registry import get_registry
    from upspec.runner.lanes import images as image_lane
    from upspec.runner.reporting import samples as report

    registry = get_registry()
    folder = tmp_path / "sweep"
    rows = []
    for strategy in ("dark", "light"):
        run = folder / strategy / "seed-0"
        run.mkdir(parents=True)
        shutil.copy(SPECS / "seed_transpose.yaml", run / "spec.yaml")
        rows.append({"strategy": strategy, "seed": 0, "run": f"{strategy}/seed-0", "metrics": {"images": []}})
    data = run_evaluation_data(folder / "dark" / "seed-0", registry)
    for row, value in zip(rows, (0.0, 1.0)):
        outputs = [np.full(image.y.shape, value, "float32") for image in data.test_images]
        path = report.save_sample_predictions(folder / row["run"], data, outputs)
        assert path.stat().st_size < 100_000  # windows, not whole images
        saved = report.load_sample_predictions(folder / row["run"], data)
        window, _ = report.sample_window(data.test_images[0], data.shapes)
        assert len(saved) == 4 and all(s.dtype == np.float32 and (s == value).all() for s in saved)
        assert saved[0].shape == data.test_images[0].y[window].shape

    drawn = {}
    real_grid = report.sample_grid

    def spy(dataset, predictions, metrics, path, **kwargs):
        drawn[kwargs["first_title"]] = predictions
        drawn.update({title: preds for title, preds, _ in kwargs["extra"]})
        return real_grid(dataset, predictions, metrics, path, **kwargs)

    monkeypatch.setattr(image_lane, "load_model", lambda *a, **k: pytest.fail("a model was loaded"))
    monkeypatch.setattr(image_lane, "sample_grid", spy)
    path = image_lane.ImageLane().strategy_pictures(folder, rows, registry, data)
    assert set(drawn) == {"dark", "light"}
    assert all((p == 0).all() for p in drawn["dark"]) and all((p == 1).all() for p in drawn["light"])
    picture = np.asarray(Image.open(path).convert("L"))
    assert (picture == 0).sum() > 96 * 96 and (picture == 255).sum() > 96 * 96  # whole black and white cells


def test_saved_outputs_of_other_inputs_are_not_used(tmp_path):
    """Outputs saved for other test inputs (another seed's noise, other photos) are refused: the grid then
    runs the model on its own inputs."""
    import numpy as np

    from upspec.registry.registry import get_registry
    from upspec.runner.reporting import samples as report

    run = tmp_path / "run"
    run.mkdir()
    (run / "spec.yaml").write_text((SPECS / "seed_transpose.yaml").read_text())
    data = run_evaluation_data(run, get_registry())
    report.save_sample_predictions(run, data, [np.zeros(i.y.shape, "float32") for i in data.test_images])
    assert report.load_sample_predictions(run, data) is not None
    data.test_images[1].x = data.test_images[1].x + 1e-3  # the same names, other pixels
    assert report.load_sample_predictions(run, data) is None
    assert report.load_sample_predictions(tmp_path, data) is None  # no samples.npz at all


@pytest.mark.slow
def test_the_grid_runs_a_model_whose_run_saved_no_outputs(tmp_path):
    """A run folder from before samples.npz existed: its model is loaded and run on the grid's images."""
    import numpy as np

    from upspec.registry.registry import get_registry
    from upspec.runner.lanes import images as image_lane
    from upspec.runner.reporting import samples as report

    out = tmp_path / "sweep"
    done = invoke_upspec("sweep", str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest,bilinear", "--out", str(out),
                         *TINY, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads((out / "comparison.json").read_text())["rows"]
    saved = [report.load_sample_predictions(out / row["run"], run_evaluation_data(out / rows[0]["run"], get_registry()))
             for row in rows]
    assert all(s is not None for s in saved)
    (out / rows[1]["run"] / "samples.npz").unlink()
    drawn = {}
    real_grid = report.sample_grid

    def spy(dataset, predictions, metrics, path, **kwargs):
        drawn.update({title: preds for title, preds, _ in kwargs["extra"]})
        return real_grid(dataset, predictions, metrics, path, **kwargs)

    data = run_evaluation_data(out / rows[0]["run"], get_registry())
    original, image_lane.sample_grid = image_lane.sample_grid, spy
    try:
        image_lane.ImageLane().strategy_pictures(out, rows, get_registry(), data)
    finally:
        image_lane.sample_grid = original
    rerun = drawn["bilinear"]
    assert rerun[0].shape == data.test_images[0].y.shape  # whole outputs: the model ran again
    window, _ = report.sample_window(data.test_images[0], data.shapes)
    np.testing.assert_allclose(np.clip(rerun[0][window], 0, 1), saved[1][0], atol=1 / 255 + 1e-6)


def run_evaluation_data(run_dir, registry):
    """A run folder's evaluation data, cut for the shapes of its spec's graph (no model loaded for them)."""
    from upspec.runner.lanes import evaluation_data
    from upspec.modelspec.load import load_spec

    return evaluation_data(load_spec(run_dir / "spec.yaml", registry=registry), registry)


@pytest.mark.slow
def test_a_diverged_job_is_listed_as_diverged_and_the_sweep_goes_on(tmp_path, callback_plugin):
    poison = callback_plugin("poison_nearest", (
        "    def on_epoch_begin(self, epoch, logs=None):\n"
        "        if self.strategy == 'nearest':\n"
        "            kernel = self.model.get_layer('out').kernel\n"
        "            kernel.assign(np.full(kernel.shape, np.nan, 'float32'))\n"))
    out = tmp_path / "sweep"
    done = invoke_upspec("--plugin", str(poison), "sweep", str(SPECS / "seed_transpose.yaml"), "--strategies",
                         "nearest,transpose", "--out", str(out), "--epochs", "1", "--steps", "2", *TINY[4:],
                         cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "[1/2] nearest: diverged: the loss became NaN or infinite" in done.stdout
    comparison = json.loads((out / "comparison.json").read_text())
    assert [r["strategy"] for r in comparison["rows"]] == ["transpose"]
    assert [(d["strategy"], d["epoch"]) for d in comparison["diverged"]] == [("nearest", 1)]
    assert "- **diverged** `nearest` (seed 0, [nearest/seed-0](nearest/seed-0/report.md)): the loss became NaN" \
        in (out / "comparison.md").read_text()
    assert "diverged" in (out / "nearest" / "seed-0" / "report.md").read_text().splitlines()[0]
