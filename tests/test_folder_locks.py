"""One process per run, sweep or tune folder: a second one is refused at once, naming the holder; a lock left
by a killed process is taken over."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import SPECS
from conftest import run_upspec
from upspec.runner.artefacts.lock import LOCK_NAME
from upspec.runner.artefacts.lock import FolderBusy
from upspec.runner.artefacts.lock import FolderLock

FAST = ["--set", "train.epochs=2", "--set", "train.steps_per_epoch=2", "--set", "train.batch_size=4",
        "--set", "data.validation_patches=4", "--set", "data.test_patches=4"]

#: `upspec train` whose training waits, once it has started, until the file `go` appears
WAITING_TRAIN = textwrap.dedent("""
    import pathlib, sys, time
    import upspec.runner.lanes.supervised as lane
    original = lane.fit
    def waiting(plan):
        pathlib.Path("started").write_text("")
        for _ in range(1200):
            if pathlib.Path("go").exists():
                break
            time.sleep(0.1)
        return original(plan)
    lane.fit = waiting
    from upspec.cli.main import main
    main(sys.argv[1:])
""")

#: a process that holds a folder's lock until the file `go` appears
HOLDER = textwrap.dedent("""
    import pathlib, sys, time
    from upspec.runner.artefacts.lock import FolderLock
    with FolderLock(sys.argv[1], sys.argv[2]):
        pathlib.Path("started").write_text("")
        for _ in range(1200):
            if pathlib.Path("go").exists():
                break
            time.sleep(0.1)
""")


def wait_for(path, process, seconds=300):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the first process never started"
        time.sleep(0.2)


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


@pytest.mark.slow
def test_a_second_train_on_a_busy_run_folder_is_refused_with_the_holders_pid(tmp_path):
    out = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-c", WAITING_TRAIN, "train", str(SPECS / "seed_transpose.yaml"),
                              "--quiet", "--out", str(out), *FAST], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_for(tmp_path / "started", first)
        second = run_upspec("train", "--resume", str(out), "--quiet", cwd=tmp_path, timeout=120)
        assert second.returncode == 1, second.stderr
        assert f"upspec: error: {out} is in use: another upspec process is writing to this run folder " \
               f"(PID {first.pid} on " in second.stderr
        assert "started 20" in second.stderr and "hint: wait for it to finish or stop it" in second.stderr
    finally:
        (tmp_path / "go").write_text("")
        _, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr
    assert [r["epoch"] for r in csv.DictReader((out / "history.csv").read_text().splitlines())] == ["1", "2"]
    assert not (out / LOCK_NAME).exists()  # released on exit


def test_a_second_sweep_on_a_busy_sweep_folder_is_refused(tmp_path):
    from upspec.compare.sweep import run_sweep

    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / "sweep.json").write_text(json.dumps({"source": str(SPECS / "seed_transpose.yaml"), "overrides": [],
                                                   "train": {}, "strategies": ["nearest"], "seeds": [0],
                                                   "skipped": {}}))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), "sweep folder"], cwd=tmp_path)
    try:
        wait_for(tmp_path / "started", holder, 60)
        with pytest.raises(FolderBusy, match=rf"{folder} is in use: another upspec process is writing to this "
                                             rf"sweep folder \(PID {holder.pid} on "):
            run_sweep(None, resume=str(folder))
    finally:
        (tmp_path / "go").write_text("")
        holder.wait(60)
    assert not (folder / LOCK_NAME).exists()


def test_a_tune_folder_takes_the_same_lock(tmp_path):
    with FolderLock(tmp_path, "tune folder"):
        holder = json.loads((tmp_path / LOCK_NAME).read_text())
        assert holder["pid"] == os.getpid() and {"hostname", "started", "command"} <= set(holder)
        with pytest.raises(FolderBusy, match="this tune folder"):
            FolderLock(tmp_path, "tune folder").acquire()
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    import socket

    pid = dead_pid()
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": pid, "hostname": socket.gethostname(),
                                                  "started": "2020-01-01T00:00:00"}))
    said = []
    with FolderLock(tmp_path, "run folder", announce=said.append):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    assert said == [f"upspec: warning: {tmp_path / LOCK_NAME} was left by a process that no longer runs "
                    f"(PID {pid}, started 2020-01-01T00:00:00); taking it over"]


def test_a_lock_from_another_host_is_never_taken_over(tmp_path):
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": 1, "hostname": "elsewhere.example",
                                                  "started": "2020-01-01T00:00:00"}))
    with pytest.raises(FolderBusy) as caught:
        FolderLock(tmp_path, "run folder").acquire()
    assert f"if that process is gone, delete {tmp_path / LOCK_NAME}" in str(caught.value)


def test_a_new_run_into_a_busy_out_folder_names_the_holder(tmp_path):
    from upspec import load_spec
    from upspec.runner.artefacts.rundir import new_run_dir

    (tmp_path / "run").mkdir()
    with FolderLock(tmp_path / "run", "run folder"):
        with pytest.raises(FolderBusy, match="is in use"):
            new_run_dir(load_spec(SPECS / "seed_transpose.yaml"), out=tmp_path / "run")
