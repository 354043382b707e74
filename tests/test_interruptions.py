"""Runs killed at any stage (real processes, no cleanup) are finished by `train --resume`; I/O errors name the path."""

from __future__ import annotations

import csv
import errno
import json
import subprocess
import sys
import textwrap

import pytest

from conftest import SPECS
from conftest import run_upspec
from upspec.files import WriteError
from upspec.files import atomic_path
from upspec.files import clean_temporaries

FAST = ["--set", "train.epochs=2", "--set", "train.steps_per_epoch=2", "--set", "train.batch_size=4",
        "--set", "data.validation_patches=4", "--set", "data.test_patches=4"]

#: a driver that runs `upspec train` in-process with one function replaced by a hard kill (os._exit: no cleanup)
DRIVER = textwrap.dedent("""
    import os, sys
    import {module} as target
    original = target.{name}
    def killed(*args, **kwargs):
        if {condition}:
            os._exit(9)
        return original(*args, **kwargs)
    target.{name} = killed
    from upspec.cli.main import main
    main(sys.argv[1:])
""")


def train_killed(tmp_path, module: str, name: str, condition: str = "True",
                 extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    code = DRIVER.format(module=module, name=name, condition=condition)
    return subprocess.run([sys.executable, "-c", code, "train", str(SPECS / "seed_transpose.yaml"), "--quiet",
                           "--out", str(tmp_path / "run"), *FAST, *extra],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)


def finish(tmp_path):
    out = tmp_path / "run"
    resumed = run_upspec("train", "--resume", str(out), "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
    assert [r["epoch"] for r in rows] == ["1", "2"]  # each epoch trained once
    assert json.loads((out / "metrics.json").read_text())["task"] == "super_resolution"
    assert (out / "report.md").exists() and (out / "model.keras").exists()
    assert not [p.name for p in [*out.iterdir(), *(out / "checkpoints").iterdir()] if p.name.startswith(".")]
    again = run_upspec("train", "--resume", str(out), "--quiet", cwd=tmp_path)
    assert again.returncode == 1 and "already finished" in again.stderr


@pytest.mark.slow
def test_killed_between_checkpoint_and_state_resumes_at_the_checkpoints_epoch(tmp_path):
    # the kill comes when state.json of epoch 2 is about to be written, after its checkpoint landed
    first = train_killed(tmp_path, "upspec.runner.training.fit", "write_text",
                         "str(args[0]).endswith('state.json') and '2' in args[1]")
    assert first.returncode == 9, first.stderr
    assert json.loads((tmp_path / "run" / "checkpoints" / "state.json").read_text()) == {"epoch": 1}
    finish(tmp_path)


@pytest.mark.slow
def test_a_killed_cosine_schedule_resumes_on_the_uninterrupted_runs_curve(tmp_path):
    """The resumed optimizer holds the rate of the last finished epoch (the checkpoint saves it): the schedule
    goes on from there instead of taking it for the base and lowering it twice."""
    cosine = ("--set", "train.schedule=cosine", "--set", "train.epochs=3")
    first = train_killed(tmp_path, "upspec.runner.training.fit", "write_text",
                         "str(args[0]).endswith('state.json') and '2' in args[1]", cosine)
    assert first.returncode == 9, first.stderr
    resumed = run_upspec("train", "--resume", str(tmp_path / "run"), "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    whole = run_upspec("train", str(SPECS / "seed_transpose.yaml"), "--quiet", "--out", str(tmp_path / "whole"),
                       *FAST, *cosine, cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr
    rates = [[float(r["learning_rate"]) for r in csv.DictReader((tmp_path / name / "history.csv").open())]
             for name in ("run", "whole")]
    assert rates[0] == pytest.approx(rates[1], rel=1e-6)
    assert [rate / rates[1][0] for rate in rates[1]] == pytest.approx([1.0, 0.75, 0.25], rel=1e-6)


@pytest.mark.slow
def test_killed_while_saving_the_model_resumes(tmp_path):
    first = train_killed(tmp_path, "upspec.runner.lanes.supervised", "save_model")
    assert first.returncode == 9, first.stderr
    finish(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(("module", "stage"), [("upspec.runner.lanes.images", "evaluate"),
                                             ("upspec.runner.lanes.supervised", "write_report")])
def test_killed_after_the_model_is_saved_resumes_and_reports(tmp_path, module, stage):
    first = train_killed(tmp_path, module, stage)
    assert first.returncode == 9, first.stderr
    out = tmp_path / "run"
    assert (out / "model.keras").exists() and not (out / "report.md").exists()
    (out / "checkpoints" / ".last.keras.abc123.tmp.keras").write_bytes(b"half")  # a killed write's leftovers
    (out / ".report.md.xyz.tmp.md").write_text("half")
    finish(tmp_path)


def test_evaluating_an_unfinished_run_says_so(tmp_path):
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    (out / "spec.yaml").write_text((SPECS / "seed_transpose.yaml").read_text())
    done = run_upspec("evaluate", str(out), cwd=tmp_path)
    assert done.returncode == 1
    assert f"{out} is an unfinished run (no epoch finished, no model.keras yet); finish it with: " \
           f"upspec train --resume {out}" in done.stderr


def test_io_errors_name_the_path_and_the_cause(tmp_path):
    target = tmp_path / "metrics.json"
    with pytest.raises(WriteError) as caught:
        with atomic_path(target) as tmp:
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
    assert str(caught.value) == f"cannot write {target}: No space left on device (free some space)"
    assert list(tmp_path.iterdir()) == []
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not __import__("os").access(locked, __import__("os").W_OK):  # root can write anyway
            with pytest.raises(WriteError, match=rf"cannot write {locked}/x.json: Permission denied"):
                with atomic_path(locked / "x.json") as tmp:
                    tmp.write_text("{}")
    finally:
        locked.chmod(0o700)


def test_clean_temporaries_removes_only_leftovers(tmp_path):
    for name in (".last.keras.k2j3_a.tmp.keras", ".model.tflite.x.tmp.tflite", ".report.md.y.tmp.md", "last.keras",
                 "report.md", ".keep"):
        (tmp_path / name).write_text("x")
    (tmp_path / ".saved_model.tmp").mkdir()
    removed = sorted(p.name for p in clean_temporaries(tmp_path))
    assert removed == [".last.keras.k2j3_a.tmp.keras", ".model.tflite.x.tmp.tflite", ".report.md.y.tmp.md",
                       ".saved_model.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".keep", "last.keras", "report.md"]


def test_checkpoints_reuse_kerass_attribute_skipsets(tmp_path, monkeypatch):
    """After one save, later saves find Keras's skip-sets (it writes them under another key than it reads), so
    no throw-away Optimizer is built per checkpoint; the checkpoint still loads with its optimizer state."""
    import numpy as np
    from keras.src.optimizers.optimizer import Optimizer

    from upspec.builder.builder import build_model
    from upspec.runner.training.checkpoint import checkpoint_state
    from upspec.runner.training.checkpoint import save_checkpoint
    from upspec.runner.artefacts.models import load_model
    from upspec.modelspec.load import load_spec

    from keras.src.backend.common import global_state

    model = build_model(load_spec(SPECS / "seed_transpose.yaml"))
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype="float32")
    model.train_on_batch(x, np.repeat(np.repeat(x, 2, 1), 2, 2))
    for kind in ("Layer", "Functional", "Optimizer", "Metric", "Loss", "Operation"):  # as in a fresh process
        global_state.set_global_attribute(f"saving_attr_skiplist_{kind}", None)
    save_checkpoint(model, tmp_path / "a.keras", {"epoch": 1})
    built = []
    real_init = Optimizer.__init__
    monkeypatch.setattr(Optimizer, "__init__", lambda self, *a, **k: built.append(1) or real_init(self, *a, **k))
    save_checkpoint(model, tmp_path / "b.keras", {"epoch": 2})
    assert built == []
    loaded = load_model(tmp_path / "b.keras")
    assert checkpoint_state(tmp_path / "b.keras") == {"epoch": 2}
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
