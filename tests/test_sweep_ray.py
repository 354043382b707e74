"""`upspec sweep --executor ray`: the same jobs as Ray tasks on a local cluster, the same numbers."""

from __future__ import annotations

import json
import sys

import pytest

from conftest import SPECS

TRAIN = {"epochs": 1, "steps_per_epoch": 3, "batch_size": 4}
DATA = ["data.test_patches=4", "data.validation_patches=4"]


def test_a_missing_ray_is_named_with_the_extra_to_install(monkeypatch):
    from upspec.compare.executors import make_executor
    from upspec.errors import UpspecError

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(UpspecError, match=r"--executor ray needs Ray, which is not installed: "
                                          r"pip install 'upspec\[ray\]'"):
        make_executor("ray")


@pytest.fixture
def ray_cluster():
    """A local Ray cluster limited to this machine's two cores, shut down afterwards."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_a_sweep_on_a_local_ray_cluster_matches_the_local_executor_and_resumes(tmp_path, ray_cluster):
    from upspec.compare.executors import RayExecutor
    from upspec.compare.sweep import run_sweep

    lines: list[str] = []

    def sweep(name, executor=None):
        return run_sweep(SPECS / "seed_transpose.yaml", strategies="nearest,transpose", overrides=DATA,
                         train_overrides=TRAIN, out=str(tmp_path / name), executor=executor, announce=lines.append)

    local = sweep("local")
    lines.clear()
    on_ray = sweep("ray", RayExecutor(cpus=1, announce=lines.append))
    assert any(line.startswith("ray: a local cluster with 2 CPUs") for line in lines)
    assert ray_cluster.is_initialized()  # a cluster the caller started is left to the caller
    assert [(r["strategy"], r["seed"], r["run"]) for r in on_ray.rows] == [
        (r["strategy"], r["seed"], r["run"]) for r in local.rows]
    for mine, theirs in zip(on_ray.rows, local.rows):  # same seeds, same numbers: float32 sums may round
        # differently in a Ray worker with another thread count (seen in SSIM's filters: 1.6e-5 relative on a
        # model whose PSNR was equal to the last bit), so to 1e-4 relative
        assert _same_numbers(mine["metrics"], theirs["metrics"]), (mine["metrics"], theirs["metrics"])
        assert mine["parameters"] == theirs["parameters"]
        assert _same_numbers(mine["cb_trained"], theirs["cb_trained"]), (mine["cb_trained"], theirs["cb_trained"])
    for name in ("comparison.md", "comparison.csv", "comparison.json", "samples.png", "learning_curves.png",
                 "nearest/seed-0/report.md", "transpose/seed-0/model.keras", "transpose/seed-0/row.json"):
        assert (tmp_path / "ray" / name).stat().st_size > 0, name

    # resume on Ray: the finished job is kept, the one without its row is only measured again
    (tmp_path / "ray" / "transpose" / "seed-0" / "row.json").unlink()
    kept = (tmp_path / "ray" / "nearest" / "seed-0" / "row.json").read_text()
    lines.clear()
    resumed = run_sweep(None, resume=str(tmp_path / "ray"), executor=RayExecutor(), announce=lines.append)
    assert [line for line in lines if line.startswith("[")][-1].startswith("[2/2] transpose: done in")
    assert "[1/2] nearest: finished earlier, kept" in lines
    assert "[2/2] transpose: trained earlier, measuring" in lines
    assert (tmp_path / "ray" / "nearest" / "seed-0" / "row.json").read_text() == kept
    assert _same_numbers(resumed.rows[1]["metrics"], local.rows[1]["metrics"])
    assert json.loads((tmp_path / "ray" / "comparison.json").read_text())["rows"][1]["strategy"] == "transpose"


def test_the_sweep_command_names_the_extra_when_ray_is_missing(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from upspec.cli.main import make_cli

    monkeypatch.setitem(sys.modules, "ray", None)
    args = ["sweep", str(SPECS / "seed_transpose.yaml"), "--strategies", "nearest", "--executor", "ray",
            "--out", str(tmp_path / "sweep")]
    done = CliRunner().invoke(make_cli(args), args)
    assert done.exit_code == 1
    assert "upspec: error: --executor ray needs Ray, which is not installed: pip install 'upspec[ray]'" in done.output
    assert not (tmp_path / "sweep").exists()


def _same_numbers(mine, theirs):
    """Equal structures whose floats agree to 1e-4 relative."""
    if isinstance(mine, dict):
        return mine.keys() == theirs.keys() and all(_same_numbers(mine[k], theirs[k]) for k in mine)
    if isinstance(mine, (list, tuple)):
        return len(mine) == len(theirs) and all(_same_numbers(a, b) for a, b in zip(mine, theirs))
    if isinstance(mine, float) or isinstance(theirs, float):
        return mine == pytest.approx(theirs, rel=1e-4, abs=1e-6)
    return mine == theirs
