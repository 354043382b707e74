"""`train.distribute`: mirrored over two logical CPU devices, and two multi_worker processes on loopback."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys

import pytest
import yaml

from conftest import SPECS
from conftest import run_upspec

# SGD: Adam's first steps move each weight by about lr * sign(gradient), which turns float rounding in a
# near-zero gradient into a whole step; with SGD the runs differ by rounding only.
TINY = ["--epochs", "2", "--steps", "5", "--batch-size", "8", "--set", "data.test_patches=8",
        "--set", "data.validation_patches=8", "--set", "compile.optimizer=sgd", "--quiet"]
SPEC = str(SPECS / "seed_transpose.yaml")


def _history(run_dir):
    return list(csv.DictReader((run_dir / "history.csv").read_text().splitlines()))


@pytest.fixture(scope="module")
def one_device(tmp_path_factory):
    """The reference: the same spec, seed and global batch on one device."""
    out = tmp_path_factory.mktemp("one") / "run"
    done = run_upspec("run", SPEC, *TINY, "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def _assert_close(run_dir, reference):
    """Within float rounding: val_loss to 0.1 % and test PSNR to 0.02 dB."""
    for mine, theirs in zip(_history(run_dir), _history(reference), strict=True):
        assert float(mine["val_loss"]) == pytest.approx(float(theirs["val_loss"]), rel=1e-3)
        assert float(mine["loss"]) == pytest.approx(float(theirs["loss"]), rel=1e-3)
    psnr = [json.loads((d / "metrics.json").read_text())["model"]["psnr"] for d in (run_dir, reference)]
    assert psnr[0] == pytest.approx(psnr[1], abs=0.02)


@pytest.mark.slow
def test_mirrored_on_two_logical_cpus_matches_one_device(tmp_path, one_device):
    out = tmp_path / "mirrored"
    done = run_upspec("run", SPEC, *TINY, "--distribute", "mirrored", "--out", str(out),
                      env={"UPSPEC_CPU_DEVICES": "2"})
    assert done.returncode == 0, done.stderr
    assert "distribute: mirrored, worker 1 of 1, 2 replicas in all, global batch 8 (4 per replica)" in done.stdout
    assert yaml.safe_load((out / "spec.yaml").read_text())["train"]["distribute"] == "mirrored"
    assert [row["epoch"] for row in _history(out)] == ["1", "2"]
    _assert_close(out, one_device)

    odd = run_upspec("run", SPEC, *TINY, "--batch-size", "5", "--distribute", "mirrored", "--out",
                     str(tmp_path / "odd"), env={"UPSPEC_CPU_DEVICES": "2"})
    assert odd.returncode == 1
    assert "train.batch_size 5 is the global batch and must split evenly over the 2 replicas" in odd.stderr
    assert not (tmp_path / "odd").exists()


@pytest.mark.slow
def test_an_interrupted_mirrored_run_resumes_on_two_devices(tmp_path, callback_plugin, one_device):
    killer = callback_plugin("killer", (
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        if epoch == 0 and os.environ.get('KILL_RUN'):\n"
        "            os._exit(9)\n"))
    out = tmp_path / "run"
    env = {"UPSPEC_CPU_DEVICES": "2"}
    first = run_upspec("--plugin", str(killer), "run", SPEC, *TINY, "--distribute", "mirrored", "--out", str(out),
                       env={**env, "KILL_RUN": "1"})
    assert first.returncode == 9
    assert json.loads((out / "checkpoints" / "state.json").read_text()) == {"epoch": 1}
    resumed = run_upspec("--plugin", str(killer), "train", "--resume", str(out), "--quiet", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert "2 replicas" in resumed.stdout
    assert [row["epoch"] for row in _history(out)] == ["1", "2"]
    _assert_close(out, one_device)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_two_multi_worker_processes_train_one_model_with_one_report(tmp_path, one_device):
    out = tmp_path / "run"
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    procs = []
    for index in (1, 0):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
               "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        procs.append(subprocess.Popen([sys.executable, "-m", "upspec", "run", SPEC, *TINY, "--distribute",
                                       "multi_worker", "--out", str(out)], env=env, cwd=tmp_path,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        (worker_out, worker_err), (chief_out, chief_err) = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert procs[0].returncode == 0, worker_err
    assert procs[1].returncode == 0, chief_err
    assert "distribute: multi_worker, worker 2 of 2, 2 replicas in all, global batch 8 (4 per replica)" in worker_out
    assert "the chief wrote the run folder" in worker_out and "report:" not in worker_out
    assert f"report: {out / 'report.md'}" in chief_out
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".keras", ".md")) == ["model.keras", "report.md"]
    assert [row["epoch"] for row in _history(out)] == ["1", "2"]
    assert not list(tmp_path.glob("runs"))  # the worker wrote nothing of its own
    _assert_close(out, one_device)


def test_multi_worker_without_tf_config_says_how_to_set_it(monkeypatch):
    from upspec.run.distribute import DistributeError
    from upspec.run.distribute import distribution
    from upspec.modelspec.sections import TrainSettings

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(DistributeError, match="multi_worker reads the cluster from TF_CONFIG, which is not set"):
        distribution(TrainSettings(distribute="multi_worker"))
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}')
    with pytest.raises(DistributeError, match="task index 3 is not in the 1 worker address"):
        distribution(TrainSettings(distribute="multi_worker"))


def test_distribute_needs_the_tensorflow_backend(monkeypatch):
    import keras

    from upspec.run.distribute import DistributeError
    from upspec.run.distribute import distribution
    from upspec.modelspec.sections import TrainSettings

    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(DistributeError, match="needs the TensorFlow backend; the active Keras backend is 'jax'"):
        distribution(TrainSettings(distribute="mirrored"))


def test_the_default_is_one_device_with_nothing_imported():
    code = ("import sys; from upspec.run.distribute import distribution; from upspec.modelspec.sections import "
            "TrainSettings; d = distribution(TrainSettings()); print(d.strategy, d.replicas, "
            "'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["None", "1", "False"], done.stderr


def test_a_bad_logical_cpu_count_is_named(monkeypatch):
    from upspec.run.distribute import DistributeError
    from upspec.run.distribute import split_cpu

    monkeypatch.setenv("UPSPEC_CPU_DEVICES", "two")
    with pytest.raises(DistributeError, match="UPSPEC_CPU_DEVICES must be a whole number of logical CPU devices, "
                                              "not 'two'"):
        split_cpu()
