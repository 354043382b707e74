"""The runner end to end on real photos, with small settings."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import SPECS
from conftest import invoke_upspec
from conftest import run_upspec

FAST = ["--set", "train.epochs=2", "--set", "train.steps_per_epoch=3", "--set", "train.batch_size=4",
        "--set", "data.test_patches=4", "--set", "data.validation_patches=4"]


@pytest.mark.slow
def test_run_writes_a_complete_run_folder_and_never_reuses_it(tmp_path):
    done = invoke_upspec("run", str(SPECS / "seed_transpose.yaml"), "--quiet", *FAST, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "bicubic" in done.stdout and "PSNR" in done.stdout
    (run_dir,) = [p for p in (tmp_path / "runs" / "seed-transpose").iterdir() if p.name != "latest"]
    for name in ("spec.yaml", "model.keras", "history.csv", "metrics.json", "learning_curves.png", "samples.png",
                 "report.md", "checkpoints/last.keras"):
        assert (run_dir / name).stat().st_size > 0, name
    assert any((run_dir / "tensorboard").rglob("*tfevents*"))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["task"] == "super_resolution" and metrics["test_images"] == 4
    assert 5 < metrics["bicubic"]["psnr"] < 60 and 0 < metrics["model"]["ssim"] <= 1
    rows = list(csv.DictReader((run_dir / "history.csv").read_text().splitlines()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert "epochs: 2" in (run_dir / "spec.yaml").read_text()
    assert not [p for p in run_dir.rglob(".*tmp*")]

    again = invoke_upspec("run", str(SPECS / "seed_transpose.yaml"), "--quiet", *FAST, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (tmp_path / "runs" / "seed-transpose").iterdir())[-1] == "latest"
    assert len(list((tmp_path / "runs" / "seed-transpose").iterdir())) == 3  # two runs and latest
    assert (run_dir / "metrics.json").read_text() == json.dumps(metrics, indent=2) + "\n"

    evaluated = invoke_upspec("evaluate", str(run_dir), "--json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["model"] == pytest.approx(metrics["model"], rel=1e-5)


def test_data_that_cannot_fit_the_model_is_a_spec_error(tmp_path):
    done = invoke_upspec("run", str(SPECS / "seed_upsample_conv.yaml"), "--quiet", *FAST, cwd=tmp_path)
    assert done.returncode == 2
    assert "the model outputs 64 channels (input (28, 28, 1), output (56, 56, 64))" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*.keras"))


def test_unknown_data_source_lists_the_sources(tmp_path):
    done = invoke_upspec("run", str(SPECS / "seed_transpose.yaml"), "--set", "data.source=photo", cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown data source 'photo'" in done.stderr and "did you mean 'photos'?" in done.stderr


@pytest.mark.slow
def test_interrupted_training_resumes_from_the_last_checkpoint(tmp_path, callback_plugin):
    stopper = callback_plugin("stopper", (
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        if epoch == 0 and os.environ.get('STOP_AFTER_FIRST'):\n"
        "            os._exit(9)  # like kill -9: no cleanup at all\n"))
    out = tmp_path / "run"
    first = run_upspec("--plugin", str(stopper), "train", str(SPECS / "seed_transpose.yaml"), "--quiet", "--out", str(out),
                       *FAST, cwd=tmp_path, env={"STOP_AFTER_FIRST": "1"})
    assert first.returncode == 9
    assert json.loads((out / "checkpoints" / "state.json").read_text()) == {"epoch": 1}
    assert not (out / "model.keras").exists()
    resumed = invoke_upspec("--plugin", str(stopper), "train", "--resume", str(out), "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert json.loads((out / "checkpoints" / "state.json").read_text()) == {"epoch": 2}
    assert (out / "model.keras").exists()


@pytest.mark.slow
def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, callback_plugin):
    poison = callback_plugin("poison", (
        "    def on_epoch_begin(self, epoch, logs=None):\n"
        "        if epoch == 1:\n"
        "            kernel = self.model.get_layer('out').kernel\n"
        "            kernel.assign(np.full(kernel.shape, np.nan, 'float32'))\n"))
    out = tmp_path / "run"
    done = invoke_upspec("--plugin", str(poison), "train", str(SPECS / "seed_transpose.yaml"), "--quiet", "--out", str(out),
                         *FAST, "--set", "train.epochs=3", cwd=tmp_path)
    assert done.returncode == 1
    # three steps per epoch run in one execution: the check sees the epoch's loss after its third step
    assert ("the loss became NaN or infinite within steps 1-3 of epoch 2; training stopped; the last good checkpoint is "
            f"{out / 'checkpoints' / 'last.keras'}") in done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads((out / "checkpoints" / "state.json").read_text()) == {"epoch": 1}
    assert [r["epoch"] for r in csv.DictReader((out / "history.csv").read_text().splitlines())] == ["1"]
    assert not (out / "model.keras").exists()
    # the folder records the divergence: where, the last finite loss, the hint
    record = json.loads((out / "diverged.json").read_text())
    assert (record["epoch"], record["step"], record["finished_epochs"]) == (2, 3, 1)
    assert record["last_finite_loss"] > 0 and "lower the learning rate" in record["hint"]
    report = (out / "report.md").read_text()
    assert "diverged" in report.splitlines()[0]
    assert "the loss became NaN or infinite within steps 1-3 of epoch 2, after 1 finished epoch(s)" in report
    assert f"last finite loss: {record['last_finite_loss']:.6g}" in report
    assert f"the last finite loss was {record['last_finite_loss']:.6g}" in done.stderr

    import numpy as np

    from upspec.runner.artefacts.models import load_model

    kept = load_model(out / "checkpoints" / "last.keras")
    assert all(np.isfinite(w).all() for w in kept.get_weights())


@pytest.mark.slow
def test_predict_in_a_fresh_process_matches_the_saved_model(tmp_path):
    import numpy as np
    from PIL import Image

    from upspec.runner.artefacts.models import load_model

    built = invoke_upspec("build", str(SPECS / "seed_transpose.yaml"), "--strategy", "pixel_shuffle",
                          "-o", str(tmp_path / "model.keras"), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    rng = np.random.default_rng(0)
    x = rng.random((3, 28, 28, 1), dtype="float32")
    np.savez(tmp_path / "inputs.npz", x=x)
    for i in range(2):
        Image.fromarray((rng.random((28, 28, 3)) * 255).astype("uint8")).save(tmp_path / f"photo{i}.png")

    as_npz = run_upspec("predict", str(tmp_path / "model.keras"), str(tmp_path / "inputs.npz"),
                        "-o", str(tmp_path / "out.npz"), cwd=tmp_path)
    assert as_npz.returncode == 0, as_npz.stderr
    expected = load_model(tmp_path / "model.keras").predict(x, verbose=0)
    np.testing.assert_allclose(np.load(tmp_path / "out.npz")["y"], expected, atol=1e-5)

    as_images = invoke_upspec("predict", str(tmp_path / "model.keras"), str(tmp_path / "photo0.png"),
                              str(tmp_path / "photo1.png"), "-o", str(tmp_path / "images"), cwd=tmp_path)
    assert as_images.returncode == 0, as_images.stderr
    written = sorted(p.name for p in (tmp_path / "images").iterdir())
    assert written == ["photo0.png", "photo1.png"]
    assert np.asarray(Image.open(tmp_path / "images" / "photo0.png")).shape == (56, 56, 3)  # RGB in, RGB out

    again = invoke_upspec("predict", str(tmp_path / "model.keras"), str(tmp_path / "inputs.npz"),
                          "-o", str(tmp_path / "out.npz"), cwd=tmp_path)
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr

    grey = (rng.random((40, 30)) * 255).astype("uint8")
    Image.fromarray(grey).save(tmp_path / "big.png")
    other_size = invoke_upspec("predict", str(tmp_path / "model.keras"), str(tmp_path / "big.png"),
                               "-o", str(tmp_path / "more"), cwd=tmp_path)
    assert other_size.returncode == 0, other_size.stderr
    written = np.asarray(Image.open(tmp_path / "more" / "big.png"))
    assert written.shape == (80, 60)  # any size; grey in, grey out


@pytest.mark.slow
def test_a_plugins_data_source_and_metric_are_used_by_name(tmp_path, write_plugin):
    plugin = write_plugin("noise_plugin", (
        "import numpy as np, upspec\n"
        "from upspec import DataSource, Images\n"
        "class Noise(DataSource):\n"
        "    name = 'noise'\n"
        "    def load(self, split, *, size, seed, count=32, **options):\n"
        "        rng = np.random.default_rng(seed + ('train', 'validation', 'test').index(split))\n"
        "        return Images([rng.random((*size, 1), dtype='float32') for _ in range(count)])\n"
        "@upspec.hookimpl\n"
        "def upspec_datasets():\n"
        "    return [Noise()]\n"
        "@upspec.hookimpl\n"
        "def upspec_metrics():\n"
        "    import keras\n"
        "    return {'max_error': lambda t, p: keras.ops.max(keras.ops.abs(t - p))}\n"))
    out = tmp_path / "run"
    done = invoke_upspec("--plugin", str(plugin), "run", str(SPECS / "seed_transpose.yaml"), "--quiet", "--out", str(out),
                         *FAST, "--set", "data.source=noise", "--set", "compile.metrics=[max_error]", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
    assert 0 < float(rows[-1]["max_error"]) <= 1 and "val_max_error" in rows[-1]
    assert "source: noise" in (out / "spec.yaml").read_text()
    listed = invoke_upspec("--plugin", str(plugin), "plugins", cwd=tmp_path)
    assert "hooks: upspec_datasets, upspec_metrics" in listed.stdout


def test_a_source_that_downloads_fails_offline_with_the_alternatives(tmp_path, monkeypatch):
    import socket

    from upspec.plugins.datasets import Mnist
    from upspec.runner.data.sources import DataError

    def offline(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cached copy
    monkeypatch.setattr(socket, "create_connection", offline)
    with pytest.raises(DataError) as caught:
        Mnist().load("train", size=(28, 28), seed=0)
    assert str(caught.value) == (
        "source 'mnist' downloads MNIST from storage.googleapis.com and cannot reach it (Network is unreachable); "
        "use source 'digits' (MNIST-like 28x28 digits made here, no download) or 'npz' with your own copy "
        "(options: {path: mnist.npz})")


def test_a_collapsed_model_is_reported_not_silently_scored():
    import numpy as np

    from upspec.runner.data.images import TaskShapes
    from upspec.runner.evaluation.image_metrics import evaluate
    from upspec.runner.data.dataset import TaskData
    from upspec.runner.data.dataset import TestImage

    x = np.random.default_rng(0).random((3, 8, 8, 1), dtype="float32")
    data = TaskData(TaskShapes("denoise", (8, 8, 1), (8, 8, 1)), (x, x), (x, x), (x, x),
                    [TestImage(f"i{n}", image, image) for n, image in enumerate(x)])
    metrics = evaluate(None, data, predictions=[np.zeros((8, 8, 1), "float32")] * 3)
    assert metrics["warnings"] == [
        "the model predicts almost the same value everywhere (mean 0.0000, standard deviation 0.0e+00): training "
        "collapsed, often dead ReLUs under a saturating output; try a lower learning rate, another loss "
        "(binary_crossentropy for a sigmoid output) or more steps"]
    echoed = evaluate(None, data, predictions=list(x))
    assert "warnings" not in echoed
    # the output is rounded to 8 bits before scoring: only the rounding error of uniform noise (58.9 dB) is left
    assert echoed["model"]["psnr"] == pytest.approx(10 * np.log10(12 * 255 ** 2), abs=1.0)
    assert [r["name"] for r in echoed["images"]] == ["i0", "i1", "i2"]


def test_a_training_loss_that_ends_far_above_its_start_is_a_warning():
    from upspec.runner.training.fit import _growth_warning

    (warning,) = _growth_warning(0.05, [{"epoch": 1, "loss": 3.0}, {"epoch": 2, "loss": 7e15}])
    assert warning.startswith("the training loss ended at 7e+15, 1.4e+17 times its first step's (0.05)")
    assert "lower the learning rate" in warning
    assert _growth_warning(0.05, [{"epoch": 1, "loss": 0.3}]) == []  # up, but within the factor
    assert _growth_warning(0.05, [{"epoch": 1, "loss": 0.01}]) == []
    assert _growth_warning(None, []) == []
