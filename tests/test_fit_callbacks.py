"""Training's own callbacks leave Keras's step loop asynchronous and write epoch scalars TensorBoard reads."""

from __future__ import annotations

import csv

import pytest

from conftest import SPECS


@pytest.fixture
def small_run(tmp_path):
    from upspec.builder.builder import build_model
    from upspec.registry.registry import get_registry
    from upspec.run.settings import data_settings
    from upspec.run.settings import train_settings
    from upspec.run.task_data import prepare_data
    from upspec.spec.load import load_spec

    registry = get_registry()
    spec = load_spec(SPECS / "seed_transpose.yaml", registry=registry,
                     overrides=["data.validation_patches=4", "data.test_patches=4"])
    settings = train_settings(spec, epochs=2, steps_per_epoch=3, batch_size=4)
    model = build_model(spec, registry=registry)
    dataset = prepare_data(spec, model, data_settings(spec), settings, registry)
    return spec, settings, model, dataset, registry, tmp_path / "run"


def test_the_runners_callbacks_leave_batch_dispatch_asynchronous(small_run, monkeypatch):
    """TensorFlow's trainer converts each batch's logs anyway; on backends that dispatch batch callbacks
    asynchronously (JAX, torch), the runner's callbacks must not turn that off (Keras's TensorBoard does)."""
    import keras
    import keras.src.backend

    from upspec.run.train import make_callbacks

    monkeypatch.setattr(keras.src.backend, "IS_THREAD_SAFE", True)
    spec, settings, _model, _dataset, registry, run_dir = small_run
    callbacks = make_callbacks(run_dir, settings, spec, registry)
    assert keras.callbacks.CallbackList(callbacks)._async_train
    with_keras_tb = [*callbacks, keras.callbacks.TensorBoard(log_dir=str(run_dir / "tb"), update_freq="epoch")]
    assert not keras.callbacks.CallbackList(with_keras_tb)._async_train


@pytest.mark.slow
def test_epoch_scalars_are_read_by_tensorboard_and_match_the_history(small_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    from upspec.run.train import fit

    spec, settings, model, dataset, registry, run_dir = small_run
    run_dir.mkdir()
    fit(model, dataset, run_dir, settings, spec, registry, verbose=0)
    history = list(csv.DictReader((run_dir / "history.csv").read_text().splitlines()))

    def scalars(split: str, tag: str) -> list[tuple[int, float]]:
        accumulator = EventAccumulator(str(run_dir / "tensorboard" / split), size_guidance={"tensors": 0})
        accumulator.Reload()
        assert accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"
        return [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in accumulator.Tensors(tag)]

    for split in ("train", "validation"):  # epoch scalars only: nothing was written per batch
        accumulator = EventAccumulator(str(run_dir / "tensorboard" / split))
        accumulator.Reload()
        assert accumulator.Tags()["tensors"] and all(t.startswith("epoch_") for t in accumulator.Tags()["tensors"])
    train = scalars("train", "epoch_loss")
    validation = scalars("validation", "epoch_loss")
    assert [step for step, _ in train] == [0, 1] == [step for step, _ in validation]
    assert [v for _, v in train] == pytest.approx([float(r["loss"]) for r in history], rel=1e-6)
    assert [v for _, v in validation] == pytest.approx([float(r["val_loss"]) for r in history], rel=1e-6)
    assert [v for _, v in scalars("train", "epoch_learning_rate")] == pytest.approx(
        [float(r["learning_rate"]) for r in history])
