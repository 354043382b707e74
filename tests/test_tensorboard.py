"""TensorBoard logs read back with TensorBoard's own event reader: test metrics, sample images, HParams."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

FAST = ["--set", "train.epochs=2", "--set", "train.steps_per_epoch=2", "--set", "train.batch_size=4",
        "--set", "data.test_patches=4", "--set", "data.validation_patches=4"]


def _accumulator(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0, "images": 0})
    accumulator.Reload()
    return accumulator


def _scalar(accumulator, tag) -> list[tuple[int, float]]:
    import tensorflow as tf

    return [(e.step, float(tf.make_ndarray(e.tensor_proto))) for e in accumulator.Tensors(tag)]


def _hparams(folder) -> dict:
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = _accumulator(folder).PluginTagToContent("hparams")
    data = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    return {k: v.string_value or v.number_value or v.bool_value for k, v in data.session_start_info.hparams.items()}


def _cli():
    from upspec.cli.main import make_cli

    return make_cli([])


@pytest.mark.slow
def test_a_run_logs_test_metrics_sample_images_and_hparams(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / "run"
    done = CliRunner().invoke(_cli(), ["run", "seed_transpose", "--quiet", "--out", str(run_dir),
                                       "--strategy", "bilinear", *FAST])
    assert done.exit_code == 0, done.output
    metrics = json.loads((run_dir / "metrics.json").read_text())

    test = _accumulator(run_dir / "tensorboard" / "test")
    assert _scalar(test, "test/psnr") == [(2, pytest.approx(metrics["model"]["psnr"], rel=1e-6))]
    assert _scalar(test, "test/bicubic_ssim") == [(2, pytest.approx(metrics["bicubic"]["ssim"], rel=1e-6))]
    hparams = _hparams(run_dir / "tensorboard" / "test")
    assert hparams["strategy"] == "bilinear" and hparams["epochs"] == 2 and hparams["spec"] == "seed-transpose"

    samples = _accumulator(run_dir / "tensorboard" / "samples")
    for name in ("input", "output", "target"):
        events = samples.Tensors(f"samples/{name}")
        assert [e.step for e in events] == [1, 2]
        # an image summary: width, height, then one encoded PNG per image
        width, height, *pngs = events[-1].tensor_proto.string_val
        assert len(pngs) == 3 and all(png.startswith(b"\x89PNG") for png in pngs)
        assert (int(width), int(height)) == ((28, 28) if name == "input" else (56, 56))


@pytest.mark.slow
def test_a_sweep_is_one_hparams_trial_per_strategy(tmp_path, monkeypatch):
    from tensorboard.backend.event_processing.plugin_event_multiplexer import EventMultiplexer

    monkeypatch.chdir(tmp_path)
    sweep_dir = tmp_path / "sweep"
    done = CliRunner().invoke(_cli(), ["sweep", "seed_transpose", "--strategies", "nearest,pixel_shuffle",
                                       "--out", str(sweep_dir), "--epochs", "1", "--steps", "2", "--batch-size", "4",
                                       "--set", "data.test_patches=4", "--set", "data.validation_patches=4"])
    assert done.exit_code == 0, done.output
    multiplexer = EventMultiplexer().AddRunsFromDirectory(str(sweep_dir))
    multiplexer.Reload()
    sessions = multiplexer.PluginRunToTagToContent("hparams")
    assert len(sessions) == 2
    strategies = sorted(_hparams(sweep_dir / run) ["strategy"] for run in sessions)
    assert strategies == ["nearest", "pixel_shuffle"]
