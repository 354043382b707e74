"""The runner on 1-D signals and 3-D volumes: sources, tasks, metrics, pictures, and `upspec run` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import SPECS
from upspec import SpecError
from upspec.run.data import DataError


def _source(name):
    from upspec.registry.registry import get_registry
    from upspec.run.data import get_source

    return get_source(name, get_registry())


@pytest.mark.parametrize("kind", ["sinusoids", "chirp", "steps"])
def test_generated_signals_lie_in_the_unit_range_and_vary(kind):
    data = _source("signals").load("train", size=(128,), seed=0, channels=2, count=5, kinds=[kind])
    signals = np.stack(data.images)
    assert signals.shape == (5, 128, 2) and signals.dtype == np.float32
    assert 0.0 <= signals.min() and signals.max() <= 1.0
    assert np.all(signals.std(axis=1) > 0.01)


def test_step_signals_are_piecewise_constant_plus_a_slow_wave():
    (signal,) = _source("signals").load("test", size=(256,), seed=3, count=1, kinds="steps").images
    jumps = np.abs(np.diff(signal[:, 0]))
    assert jumps.max() > 20 * np.median(jumps)  # a few large steps over small increments


def test_splits_and_seeds_give_different_data():
    source = _source("signals")
    train = np.stack(source.load("train", size=(64,), seed=0, count=3).images)
    test = np.stack(source.load("test", size=(64,), seed=0, count=3).images)
    again = np.stack(source.load("train", size=(64,), seed=0, count=3).images)
    np.testing.assert_array_equal(train, again)
    assert not np.allclose(train, test)


def test_unknown_signal_kind_is_named():
    with pytest.raises(DataError, match="unknown signal kind 'square'.*sinusoids, chirp, steps"):
        _source("signals").load("train", size=(64,), seed=0, kinds=["square"])


def test_generated_volumes_hold_shapes_in_the_unit_range():
    (volume,) = _source("volumes").load("train", size=(12, 16, 20), seed=0, count=1).images
    assert volume.shape == (12, 16, 20, 1)
    assert 0.0 <= volume.min() and volume.max() <= 1.0
    assert len(np.unique(np.round(volume, 3))) > 10


def test_mri_source_cuts_real_volumes_split_by_position():
    source = _source("mri")
    train = np.stack(source.load("train", size=(16, 16, 8), seed=0, count=4).images)
    test = np.stack(source.load("test", size=(16, 16, 8), seed=0, count=4).images)
    assert train.shape == test.shape == (4, 16, 16, 8, 1)
    assert 0.0 <= train.min() and train.max() <= 1.0 and train.max() > 0.1
    with pytest.raises(DataError, match="volumes of 64x96x24 voxels .* patches of 32x32x32"):
        source.load("train", size=(32, 32, 32), seed=0)


def test_block_mean_averages_each_block_on_every_axis():
    from upspec.run.rank_tasks import block_mean

    y = np.arange(2 * 4 * 6 * 2 * 1, dtype="float32").reshape(1, 4, 6, 2, 2)
    x = block_mean(y, (2, 3, 1))
    assert x.shape == (1, 2, 2, 2, 2)
    assert x[0, 1, 0, 1, 0] == np.mean(y[0, 2:4, 0:3, 1, 0])


def test_rank_task_shapes_refuse_what_cannot_be_compared():
    from upspec.run.rank_tasks import rank_task_shapes

    assert rank_task_shapes("super_resolution", (64, 2), (256, 2)).factor == (4,)
    assert rank_task_shapes("denoise", (8, 8, 8, 1), (8, 8, 8, 1)).rank == 3
    with pytest.raises(DataError, match="segmentation needs 2-D images"):
        rank_task_shapes("segmentation", (64, 1), (64, 1))
    with pytest.raises(DataError, match="outputs 3"):
        rank_task_shapes("super_resolution", (64, 1), (128, 3))


def test_psnr_and_ssim_per_sample():
    from upspec.run.rank_metrics import psnr
    from upspec.run.rank_metrics import sample_scores
    from upspec.run.rank_metrics import ssim

    target = np.full((2, 32, 1), 0.5)
    noisy = target + np.array([0.1, 0.01]).reshape(2, 1, 1)
    np.testing.assert_allclose(psnr(target, noisy), [20.0, 40.0])
    assert ssim(np.zeros((1, 8, 8, 8, 1)), np.zeros((1, 8, 8, 8, 1))) is None  # axes shorter than the window
    wave = 0.5 + 0.4 * np.sin(np.linspace(0, 12, 64)).reshape(1, 64, 1)
    assert ssim(wave, wave)[0] == pytest.approx(1.0)
    assert sample_scores(wave, wave * 0.5)["ssim"] < 0.9


def _tiny(spec_name, **sets):
    from upspec import load_spec

    return load_spec(SPECS / spec_name, overrides={"train.epochs": 1, "train.steps_per_epoch": 2,
                                                    "train.batch_size": 2, "data.test_patches": 3,
                                                    "data.validation_patches": 2, **sets})


def test_data_for_a_1d_model_comes_from_signals_by_default():
    from upspec import build_model
    from upspec.registry.registry import get_registry
    from upspec.modelspec.sections import data_settings
    from upspec.modelspec.sections import train_settings
    from upspec.run.task_data import prepare_data

    spec = _tiny("signal_1d.yaml")
    spec = spec.resolved(data=spec.data.model_validate(spec.data.model_dump(exclude_unset=True, exclude={"source"})))
    data = prepare_data(spec, build_model(spec), data_settings(spec), train_settings(spec), get_registry())
    x, y = data.test
    assert x.shape == (3, 64, 2) and y.shape == (3, 256, 2)
    np.testing.assert_allclose(x, y.reshape(3, 64, 4, 2).mean(axis=2), atol=1e-6)
    assert data.train[0].shape == (4, 64, 2)


def test_a_2d_source_for_a_3d_model_is_a_spec_error():
    from upspec import build_model
    from upspec.registry.registry import get_registry
    from upspec.modelspec.sections import data_settings
    from upspec.modelspec.sections import train_settings
    from upspec.run.task_data import prepare_data

    spec = _tiny("volume_3d.yaml", **{"data.source": "photos"})
    with pytest.raises(SpecError, match=r"'photos' provides 2-D data; this model takes 3-D inputs .* use 'volumes'"):
        prepare_data(spec, build_model(spec), data_settings(spec), train_settings(spec), get_registry())


def test_a_1d_source_for_a_2d_model_is_a_spec_error():
    from upspec import build_model
    from upspec.registry.registry import get_registry
    from upspec.modelspec.sections import data_settings
    from upspec.modelspec.sections import train_settings
    from upspec.run.task_data import prepare_data

    spec = _tiny("seed_transpose.yaml", **{"data.source": "signals"})
    with pytest.raises(SpecError, match="'signals' provides 1-D data; this model takes 2-D images"):
        prepare_data(spec, build_model(spec), data_settings(spec), train_settings(spec), get_registry())


def _run(spec_name, tmp_path, *sets):
    from click.testing import CliRunner

    from upspec.cli.main import make_cli

    fast = ["--set", "train.epochs=1", "--set", "train.steps_per_epoch=2", "--set", "train.batch_size=2",
            "--set", "data.test_patches=3", "--set", "data.validation_patches=2"]
    out = tmp_path / "run"
    result = CliRunner().invoke(make_cli(), ["run", str(SPECS / spec_name), "--quiet", "--out", str(out), *fast, *sets])
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.mark.slow
def test_signal_1d_spec_runs_end_to_end(tmp_path):
    from PIL import Image

    out, printed = _run("signal_1d.yaml", tmp_path)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["rank"] == 1 and metrics["test_images"] == 3
    assert set(metrics) >= {"model", "cubic"} and 0 < metrics["model"]["ssim"] <= 1
    assert 10 < metrics["cubic"]["psnr"] < 60
    assert "cubic" in printed and "PSNR" in printed
    assert Image.open(out / "samples.png").size[0] > 300
    assert "cubic" in (out / "report.md").read_text()


@pytest.mark.slow
def test_volume_3d_spec_runs_end_to_end_on_the_real_mri_volume(tmp_path):
    from PIL import Image

    out, _ = _run("volume_3d.yaml", tmp_path, "--set", "data.source=mri", "--set", "inputs.volume=[8,8,8,1]",
                  "--set", "data.task=super_resolution")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["rank"] == 3 and set(metrics) >= {"model", "tricubic"}
    assert 0 < metrics["tricubic"]["ssim"] <= 1
    width, height = Image.open(out / "samples.png").size
    assert width > height / 2  # four columns of three slices


@pytest.mark.slow
def test_volume_denoising_reports_the_noisy_input(tmp_path):
    out, _ = _run("volume_3d.yaml", tmp_path, "--set", "data.task=denoise", "--set", "inputs.volume=[12,12,12,1]",
                  "--set", "layers.up.factor=1")
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) >= {"model", "noisy_input"} and metrics["task"] == "denoise"


@pytest.mark.slow
def test_sweep_over_new_strategies_on_signals(tmp_path):
    """dysample, the transposes and the resizes side by side on 1-D signals: table and signal plots."""
    from click.testing import CliRunner

    from upspec.cli.main import make_cli

    out = tmp_path / "sweep"
    result = CliRunner().invoke(make_cli(), [
        "sweep", str(SPECS / "signal_1d.yaml"), "--strategies", "dysample,bilinear,transpose", "--epochs", "1",
        "--steps", "2", "--batch-size", "2", "--set", "data.test_patches=3", "--set", "data.validation_patches=2",
        "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads((out / "comparison.json").read_text())["rows"]
    assert sorted(r["strategy"] for r in rows) == ["bilinear", "dysample", "transpose"]
    assert all(set(r["metrics"]) >= {"model", "cubic"} for r in rows)
    dysample = next(r for r in rows if r["strategy"] == "dysample")
    assert dysample["parameters"] > next(r for r in rows if r["strategy"] == "bilinear")["parameters"]
    assert (out / "samples.png").stat().st_size > 0
