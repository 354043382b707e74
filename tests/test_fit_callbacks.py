"""Training's own callbacks leave Keras's step loop asynchronous and write epoch scalars TensorBoard reads."""

from __future__ import annotations

import csv

import pytest

from conftest import SPECS


@pytest.fixture
def small_run(tmp_path):
    from upspec.builder.builder import build_model
    from upspec.registry.registry import get_registry
    from upspec.modelspec.sections import data_settings
    from upspec.modelspec.sections import train_settings
    from upspec.run.task_data import prepare_data
    from upspec.modelspec.load import load_spec

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


def test_steps_per_execution_is_the_largest_divisor_of_the_epoch_up_to_32():
    import keras

    from upspec.modelspec.sections import TrainSettings
    from upspec.run.train import steps_per_execution

    assert steps_per_execution(TrainSettings(steps_per_epoch=60), []) == 30
    assert steps_per_execution(TrainSettings(steps_per_epoch=200), []) == 25
    assert steps_per_execution(TrainSettings(steps_per_epoch=3), []) == 3
    assert steps_per_execution(TrainSettings(steps_per_epoch=97), []) == 1  # a prime: one step per call
    assert steps_per_execution(TrainSettings(steps_per_epoch=60, steps_per_execution=4), []) == 4

    class PerBatch(keras.callbacks.Callback):  # a plugin's callback that acts on every batch
        def on_train_batch_end(self, batch, logs=None):
            pass

    class PerEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    assert steps_per_execution(TrainSettings(steps_per_epoch=60), [PerEpoch()]) == 30
    assert steps_per_execution(TrainSettings(steps_per_epoch=60), [PerEpoch(), PerBatch()]) == 1


def test_the_pytorch_backend_runs_one_step_per_call(monkeypatch):
    import keras

    from upspec.errors import UpspecError
    from upspec.modelspec.sections import TrainSettings
    from upspec.run.train import steps_per_execution

    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    assert steps_per_execution(TrainSettings(steps_per_epoch=60), []) == 1
    assert steps_per_execution(TrainSettings(steps_per_epoch=60, steps_per_execution=1), []) == 1
    with pytest.raises(UpspecError, match="train.steps_per_execution is 6, but Keras's PyTorch backend runs one step"):
        steps_per_execution(TrainSettings(steps_per_epoch=60, steps_per_execution=6), [])


def test_steps_per_execution_must_divide_the_epoch_and_be_1_when_distributed(tmp_path):
    from conftest import invoke_upspec

    spec = str(SPECS / "seed_transpose.yaml")
    done = invoke_upspec("validate", spec, "--set", "train.steps_per_execution=7", cwd=tmp_path)
    assert done.returncode == 2
    assert ("--set train.steps_per_execution=7:1:33: error: invalid value for train.steps_per_execution: must divide "
            "train.steps_per_epoch (60) so epochs keep their length: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60") in done.stderr
    done = invoke_upspec("validate", spec, "--set", "train.distribute=mirrored", "--set", "train.steps_per_execution=2",
                         cwd=tmp_path)
    assert done.returncode == 2 and "must be 1 with train.distribute" in done.stderr
    assert invoke_upspec("validate", spec, "--set", "train.steps_per_execution=12", cwd=tmp_path).returncode == 0


@pytest.mark.slow
def test_several_steps_per_execution_train_exactly_as_one(small_run, tmp_path):
    """The same batches in the same order: the weights and the history are identical, only faster."""
    import numpy as np

    from upspec.builder.builder import build_model
    from upspec.run.train import fit
    from upspec.run.train import seed_everything

    spec, settings, _model, dataset, registry, _run_dir = small_run
    results = []
    for chunk in (None, 1):
        seed_everything(0)
        model = build_model(spec, registry=registry)
        run_dir = tmp_path / f"run-{chunk}"
        run_dir.mkdir()
        rows = fit(model, dataset, run_dir, settings.model_copy(update={"steps_per_execution": chunk}), spec, registry,
                   verbose=0)
        assert model.steps_per_execution == 1  # put back for prediction afterwards
        results.append((model.get_weights(), rows))
    (chunked, chunked_rows), (single, single_rows) = results
    assert chunked_rows == single_rows
    for a, b in zip(chunked, single):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_a_model_trained_by_the_runner_fits_afterwards_one_step_per_call(small_run):
    """The step functions traced with several steps per call are dropped after the runner's fit: a later
    fit of the same model (a user's, on RunResult.model) runs exactly the steps it asks for."""
    from upspec.run.train import fit
    from upspec.run.train import training_pipeline

    spec, settings, model, dataset, registry, run_dir = small_run
    run_dir.mkdir()
    fit(model, dataset, run_dir, settings, spec, registry, verbose=0)
    done = int(model.optimizer.iterations.numpy())
    assert done == settings.epochs * settings.steps_per_epoch
    model.fit(training_pipeline(*dataset.train, settings), epochs=1, steps_per_epoch=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == done + 2


def test_instance_level_and_validation_batch_hooks_count_as_per_batch():
    import keras

    from upspec.run.train import acts_per_batch

    assert acts_per_batch(keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None))
    assert not acts_per_batch(keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: None))

    class Validation(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            pass

    assert acts_per_batch(Validation())
    assert not acts_per_batch(keras.callbacks.EarlyStopping())
