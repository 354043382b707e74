"""``upspec tune``: the ``search:`` section and ``--search`` ranges checked before any training, a search that
survives ``kill -9``, and ``upspec sweep --tuned`` comparing the strategies at their tuned settings."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import SPECS
from conftest import invoke_upspec

pytest.importorskip("optuna")

BASE = (SPECS / "seed_transpose.yaml").read_text()
TINY = ["--epochs", "1", "--steps", "2", "--batch-size", "4", "--set", "data.test_patches=4",
        "--set", "data.validation_patches=4"]


def spec_with(tmp_path, search: str):
    path = tmp_path / "spec.yaml"
    path.write_text(BASE + "search:\n" + search)
    return path


def line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def tune(*args, cwd):
    return invoke_upspec("tune", *args, cwd=cwd)


@pytest.mark.parametrize("search, expected", [
    ("  train.learning_rate: {loguniform: [0, 1.0e-2]}\n", "a loguniform range must lie above 0"),
    ("  train.learning_rate: {uniform: [1.0e-2, 1.0e-3]}\n", "a uniform range needs low < high"),
    ("  train.batch_size: {int: [8, 8]}\n", "an int range needs low < high"),
    ("  train.batch_size: {choice: [8, '16']}\n", "a choice's values must be of one type (here int, str)"),
    ("  train.batch_size: {between: [8, 16]}\n", "between"),
])
def test_a_malformed_range_is_an_error_at_its_place_in_the_spec(tmp_path, search, expected):
    path = spec_with(tmp_path, search)
    done = tune(str(path), "--strategies", "nearest", "--out", str(tmp_path / "t"), *TINY, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"{path}:{line_of(path, 'train.')}:" in done.stderr and expected in done.stderr
    assert not (tmp_path / "t").exists()  # nothing created, nothing trained


@pytest.mark.parametrize("search, expected", [
    ("  train.learnin_rate: {loguniform: [1.0e-4, 1.0e-2]}\n",
     "search: train.learnin_rate cannot take its low bound 0.0001"),
    ("  layers.upp.filters: {int: [8, 16]}\n", "has no entry with id 'upp'"),
    ("  train.batch_size: {choice: [eight, sixteen]}\n", "train.batch_size cannot take its choice 'eight'"),
    ("  compile.optimizer.learnin_rate: {loguniform: [1.0e-4, 1.0e-2]}\n",
     "the optimizer 'adam' does not take these arguments"),
])
def test_a_path_the_spec_lacks_or_a_value_it_refuses_is_an_error_before_training(tmp_path, search, expected):
    path = spec_with(tmp_path, search)
    done = tune(str(path), "--strategies", "nearest,transpose", "--out", str(tmp_path / "t"), *TINY, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"{path}:{line_of(path, search.split(':')[0].strip())}:" in done.stderr
    assert expected in done.stderr
    assert not (tmp_path / "t").exists()


def test_a_bad_command_line_range_points_into_its_argument(tmp_path):
    done = tune(str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest", "--search",
                "train.learning_rate={loguniform: [0.0, 0.1]}", "--out", str(tmp_path / "t"), cwd=tmp_path)
    assert done.returncode == 2
    assert "--search train.learning_rate={loguniform: [0.0, 0.1]}:1:30: error: invalid search range for " \
           "train.learning_rate: a loguniform range must lie above 0" in done.stderr


def test_a_gan_spec_is_refused_before_the_tune_folder_exists(tmp_path):
    done = tune(str(SPECS / "dcgan_digits.yaml"), "--strategies", "transpose", "--out", str(tmp_path / "t"),
                cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "upspec tune trains supervised specs; 'dcgan-digits' is a gan spec" in done.stderr
    assert not (tmp_path / "t").exists()


def test_sweep_refuses_a_folder_that_is_no_tune_folder(tmp_path):
    (tmp_path / "other").mkdir()
    done = invoke_upspec("sweep", str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest", "--tuned",
                         str(tmp_path / "other"), "--out", str(tmp_path / "s"), *TINY, cwd=tmp_path)
    assert done.returncode == 2
    assert f"--tuned {tmp_path / 'other'}:1:9: error: {tmp_path / 'other'} is not a tune folder" in done.stderr
    (tmp_path / "other" / "tune.json").write_text(json.dumps({"kind": "something-else"}))
    done = invoke_upspec("sweep", str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest", "--tuned",
                         str(tmp_path / "other"), "--out", str(tmp_path / "s"), *TINY, cwd=tmp_path)
    assert done.returncode == 2 and "does not say kind: upspec-tune" in done.stderr
    assert not (tmp_path / "s").exists()


def _completed(db) -> list[tuple[int, str]]:
    with sqlite3.connect(db) as connection:
        try:
            return connection.execute("SELECT number, state FROM trials ORDER BY number").fetchall()
        except sqlite3.OperationalError:  # the file exists a moment before Optuna has made its tables
            return []


@pytest.mark.slow
def test_a_killed_search_resumes_without_running_a_trial_twice_and_sweep_uses_its_results(tmp_path):
    out = tmp_path / "tune"
    command = [sys.executable, "-m", "upspec", "tune", str(SPECS / "seed_transpose.yaml"), "--strategies",
               "nearest", "--trials", "4", "--pruner", "none", "--out", str(out), *TINY]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline and process.poll() is None:
        if (out / "study.db").exists() and any(state == "COMPLETE" for _, state in _completed(out / "study.db")):
            break
        time.sleep(0.2)
    assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _completed(out / "study.db")
    assert 1 <= sum(state == "COMPLETE" for _, state in before) < 4
    assert (out / "tune.lock").exists() and not (out / "tuned.json").exists()

    # an unfinished search is refused by sweep --tuned, before any training
    early = invoke_upspec("sweep", str(SPECS / "seed_transpose.yaml"), "--tuned", str(out), "--out",
                          str(tmp_path / "early"), *TINY, cwd=tmp_path)
    assert early.returncode == 2 and "is unfinished" in early.stderr and not (tmp_path / "early").exists()

    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    import optuna

    study = optuna.load_study(study_name="nearest", storage=f"sqlite:///{out / 'study.db'}")
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert len(complete) == 4
    numbers = [t.number for t in study.trials]
    assert len(numbers) == len(set(numbers))
    rates = [t.params["train.learning_rate"] for t in complete]
    assert len(set(rates)) == 4  # no finished trial ran again
    finished_before = {number for number, state in before if state == "COMPLETE"}
    assert finished_before <= {t.number for t in complete}  # kept, not retrained
    assert all(t.state.name in ("COMPLETE", "FAIL") for t in study.trials)
    retried = [t for t in study.trials if "retry_of" in t.user_attrs]
    assert len(retried) <= 1

    tuned = json.loads((out / "tuned.json").read_text())
    best = tuned["strategies"]["nearest"]
    assert tuned["finished"] and best["trials"]["complete"] == 4 and best["steps"] == 4 * 2
    assert best["overrides"] == [f"train.learning_rate={json.dumps(best['params']['train.learning_rate'])}"]
    assert (out / "best" / "nearest.set").read_text() == best["overrides"][0] + "\n"
    assert "train:\n  learning_rate: " in (out / "best" / "nearest.yaml").read_text()
    assert (out / "learning_rate.png").stat().st_size > 0 and "Cost of the search: 8 training steps" in \
        (out / "results.md").read_text()

    swept = invoke_upspec("sweep", str(SPECS / "seed_transpose.yaml"), "--tuned", str(out), "--out",
                          str(tmp_path / "sweep"), *TINY, cwd=tmp_path)
    assert swept.returncode == 0, swept.stderr
    comparison = (tmp_path / "sweep" / "comparison.md").read_text()
    assert "Each strategy ran at its own tuned settings, found by `upspec tune`: 4 trials" in comparison
    assert f"| nearest | `{best['overrides'][0]}` |" in comparison
    run_spec = (tmp_path / "sweep" / "nearest" / "seed-0" / "spec.yaml").read_text()
    assert f"learning_rate: {best['params']['train.learning_rate']}" in run_spec
    assert "Settings: tuned: `train.learning_rate=" in (tmp_path / "sweep" / "nearest" / "seed-0" / "report.md").read_text()


@pytest.mark.slow
def test_a_sweep_without_tuned_says_the_learning_rate_was_shared_and_untuned(tmp_path):
    done = invoke_upspec("sweep", str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest", "--out",
                         str(tmp_path / "s"), *TINY, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    comparison = (tmp_path / "s" / "comparison.md").read_text()
    assert "The learning rate was shared and untuned: every strategy ran with the adam optimizer's default " \
           "learning rate" in comparison
    assert "Low-resolution inputs made by degradation `matlab`." in comparison
    assert "| steps run |" in comparison or "steps run" in comparison


def test_the_grid_is_every_combination_of_the_choices_in_a_seeded_order():
    from upspec.modelspec.search_section import SearchRange
    from upspec.tune.optuna_search import grid_of
    from upspec.tune.search_space import Dimension
    from upspec.tune.search_space import SearchSpace

    space = SearchSpace((Dimension("train.learning_rate", SearchRange(choice=[0.001, 0.01])),
                         Dimension("train.batch_size", SearchRange(choice=[8, 16, 32]))))
    grid = grid_of(space, seed=0)
    assert len(grid) == 6 and grid == grid_of(space, seed=0)
    assert sorted((g["train.learning_rate"], g["train.batch_size"]) for g in grid) == \
        [(0.001, 8), (0.001, 16), (0.001, 32), (0.01, 8), (0.01, 16), (0.01, 32)]
    with pytest.raises(Exception, match="sampler grid searches choices only"):
        grid_of(SearchSpace((Dimension("train.learning_rate", SearchRange(loguniform=[1e-4, 1e-2])),)), 0)
