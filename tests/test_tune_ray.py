"""``upspec tune --executor ray``: the same search with Ray Tune (its Optuna searcher and ASHA scheduler), the
same results table."""

from __future__ import annotations

import json

import pytest

from conftest import SPECS
from conftest import invoke_upspec

TINY = ["--epochs", "2", "--steps", "2", "--batch-size", "4", "--set", "data.test_patches=4",
        "--set", "data.validation_patches=4"]


@pytest.mark.slow
def test_ray_tune_searches_and_writes_the_same_results(tmp_path):
    pytest.importorskip("ray.tune")
    pytest.importorskip("optuna")
    out = tmp_path / "tune"
    done = invoke_upspec("tune", str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest", "--trials", "2",
                         "--executor", "ray", "--out", str(out), *TINY, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    tuned = json.loads((out / "tuned.json").read_text())
    entry = tuned["strategies"]["nearest"]
    assert tuned["finished"] and tuned["executor"] == "ray"
    assert entry["trials"]["complete"] + entry["trials"]["pruned"] == 2 and entry["trials"]["complete"] >= 1
    assert 1e-4 <= entry["params"]["train.learning_rate"] <= 1e-2 and entry["steps"] >= 4
    results = (out / "results.md").read_text()
    assert "Ray Tune with its Optuna searcher and ASHA scheduler" in results and "| nearest |" in results
    assert (out / "best" / "nearest.set").read_text().startswith("train.learning_rate=")


def test_ray_without_its_extra_is_named(monkeypatch, tmp_path):
    import builtins

    real = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    from upspec.errors import UpspecError
    from upspec.tune.ray_search import import_ray_tune

    with pytest.raises(UpspecError, match=r"pip install 'upspec\[ray,tune\]'"):
        import_ray_tune()
