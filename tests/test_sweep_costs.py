"""A sweep's bookkeeping is cheap: data cut once, no model built to check the data, times recorded in the run."""

from __future__ import annotations

import json

import pytest

from conftest import SPECS


def test_within_a_sweep_the_same_dataset_is_cut_once(monkeypatch):
    import upspec.run.task_data
    from upspec.compare.sweep import StaticShapes
    from upspec.graph.graph import build_graph
    from upspec.modelspec.sections import data_settings
    from upspec.modelspec.sections import train_settings
    from upspec.run.shared_data import dataset_for
    from upspec.run.shared_data import shared_data
    from upspec.modelspec.load import load_spec

    cuts = []
    monkeypatch.setattr(upspec.run.task_data, "prepare_data", lambda *args: cuts.append(args) or object())
    spec = load_spec(SPECS / "seed_transpose.yaml")
    model = StaticShapes.of(build_graph(spec))
    data, train = data_settings(spec), train_settings(spec)
    other_seed = train_settings(spec, seed=1)
    with shared_data():
        first = dataset_for(spec, model, data, train, None)
        assert dataset_for(spec, model, data, train, None) is first
        assert dataset_for(spec, model, data, other_seed, None) is not first
    assert len(cuts) == 2
    dataset_for(spec, model, data, train, None)  # outside a sweep: always afresh
    assert len(cuts) == 3


def test_static_shapes_stand_in_for_the_model_when_checking_data():
    from upspec.compare.sweep import StaticShapes
    from upspec.graph.graph import build_graph
    from upspec.modelspec.load import load_spec

    shapes = StaticShapes.of(build_graph(load_spec(SPECS / "seed_transpose.yaml")))
    assert shapes == StaticShapes((None, 28, 28, 1), (None, 56, 56, 1))


@pytest.mark.slow
def test_a_run_records_step_and_inference_times_and_the_sweep_uses_them(tmp_path, monkeypatch):
    import upspec.analysis.cost
    from upspec.compare.jobs import measure_run
    from upspec.registry.registry import get_registry
    from upspec.run.runner import run

    result = run(SPECS / "seed_transpose.yaml", out=str(tmp_path / "run"), verbose=0,
                 overrides=["data.validation_patches=4", "data.test_patches=4"],
                 train_overrides={"epochs": 2, "steps_per_epoch": 3, "batch_size": 4})
    timing = json.loads((result.run_dir / "timing.json").read_text())
    assert timing["train_step_ms"] > 0 and timing["inference_ms"] > 0 and timing["epochs_timed"] == 1

    def no_remeasuring(*args, **kwargs):
        raise AssertionError("the sweep re-timed a model the run had timed")

    monkeypatch.setattr(upspec.analysis.cost, "train_step_ms", no_remeasuring)
    monkeypatch.setattr(upspec.analysis.cost, "inference_ms", no_remeasuring)
    row = measure_run(result.run_dir, get_registry(), result.model)
    assert (row["train_step_ms"], row["inference_ms"]) == (timing["train_step_ms"], timing["inference_ms"])
    assert row["parameters"] == result.model.count_params() and row["macs"] > 0


def test_decoded_photos_are_kept_and_read_only():
    from upspec.plugins.datasets import Photos

    first = Photos().load("test", size=(8, 8), seed=0)
    again = Photos().load("test", size=(8, 8), seed=1)
    assert all(a is b for a, b in zip(first.images, again.images))  # decoded once per process
    with pytest.raises(ValueError):
        first.images[0][0, 0] = 0.0  # shared, so nobody may change them in place
