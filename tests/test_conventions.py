"""One convention for outputs (issue #27, item 5): -o/--output everywhere, --force the one overwrite rule with
exit status 2, a run's outputs inside its folder, runs/NAME/latest, and the resume command after Ctrl-C."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest

from conftest import SPECS
from conftest import invoke_upspec

TINY = ("--set", "train.epochs=1", "--set", "train.steps_per_epoch=2", "--quiet")


def _commands():
    from upspec.cli.main import make_cli

    return make_cli([]).commands


def test_every_output_option_is_spelt_dash_o_output_and_comes_with_force():
    for name, command in _commands().items():
        outputs = [p for p in command.params if isinstance(p, click.Option) and p.name == "output"]
        if not outputs:
            continue
        assert outputs[0].opts == ["-o", "--output"], name
        visible_out = [p for p in command.params if "--out" in getattr(p, "opts", []) and not p.hidden]
        assert not visible_out, name
        if name not in ("run", "train", "sweep"):  # new run folders are never reused: nothing to force
            assert any(p.name == "force" for p in command.params), name


def test_schema_refuses_to_overwrite_without_force_with_exit_status_2(tmp_path):
    target = tmp_path / "schema.json"
    target.write_text("keep")
    refused = invoke_upspec("schema", "-o", str(target))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert target.read_text() == "keep"
    forced = invoke_upspec("schema", "-o", str(target), "--force")
    assert forced.returncode == 0 and target.read_text().startswith("{")


def test_predict_replaces_only_with_force(tmp_path):
    import numpy as np

    built = invoke_upspec("build", str(SPECS / "seed_transpose.yaml"), "-o", str(tmp_path / "model.keras"))
    assert built.returncode == 0, built.stderr
    np.savez(tmp_path / "in.npz", x=np.zeros((1, 28, 28, 1), "float32"))
    (tmp_path / "out.npz").write_bytes(b"x")
    refused = invoke_upspec("predict", str(tmp_path / "model.keras"), str(tmp_path / "in.npz"), "-o",
                            str(tmp_path / "out.npz"))
    assert refused.returncode == 2 and "--force" in refused.stderr
    forced = invoke_upspec("predict", str(tmp_path / "model.keras"), str(tmp_path / "in.npz"), "-o",
                           str(tmp_path / "out.npz"), "--force")
    assert forced.returncode == 0, forced.stderr


def test_a_run_folder_that_holds_files_is_a_usage_error(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    done = invoke_upspec("run", "seed_transpose", "-o", str(tmp_path / "taken"), *TINY, cwd=tmp_path)
    assert done.returncode == 2 and "already holds files" in done.stderr


@pytest.mark.slow
def test_latest_names_the_newest_run_and_a_runs_measurements_go_inside_it(tmp_path):
    done = invoke_upspec("run", "seed_transpose", *TINY, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    latest = tmp_path / "runs" / "seed-transpose" / "latest"
    assert latest.is_symlink()
    run_dir = Path(os.path.realpath(latest))
    assert run_dir.parent == latest.parent and (run_dir / "model.keras").is_file()

    evaluated = invoke_upspec("evaluate", "runs/seed-transpose/latest", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    measured = invoke_upspec("checkerboard", "runs/seed-transpose/latest", "--seeds", "1", cwd=tmp_path)
    assert measured.returncode == 0, measured.stderr
    assert (run_dir / "checkerboard" / "checkerboard.json").is_file()
    assert sorted(p.name for p in latest.parent.iterdir()) == sorted(["latest", run_dir.name])
    again = invoke_upspec("checkerboard", "runs/seed-transpose/latest", "--seeds", "1", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr


def test_latest_is_replaced_atomically_and_resolved_without_a_link(tmp_path):
    from upspec.runner.artefacts.rundir import point_latest
    from upspec.runner.artefacts.rundir import resolve_run

    base = tmp_path / "runs" / "x"
    for name in ("20260101-000000", "20260102-000000"):
        (base / name).mkdir(parents=True)
        (base / name / "spec.yaml").write_text("name: x\n")
    assert resolve_run(base / "latest") == base / "20260102-000000"  # no link: the newest folder
    point_latest(base, base / "20260101-000000")
    assert resolve_run(base / "latest") == base / "20260101-000000"
    point_latest(base, base / "20260102-000000")
    assert os.readlink(base / "latest") == "20260102-000000"
    assert [p.name for p in base.iterdir() if p.name.startswith(".")] == []


def test_ctrl_c_prints_the_command_that_resumes_the_run(tmp_path, monkeypatch):
    from upspec.runner.artefacts import rundir

    run_dir = tmp_path / "runs" / "x" / "20260101-000000"
    run_dir.mkdir(parents=True)
    (run_dir / "spec.yaml").write_text("name: x\n")
    monkeypatch.setattr(rundir, "STARTED", [run_dir])

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("upspec.runner.run.run", interrupted)
    done = invoke_upspec("run", "seed_transpose", cwd=tmp_path)
    assert done.returncode == 130
    assert f"continue it with: upspec train --resume {run_dir}" in done.stderr


def test_the_readmes_spec_paths_work_outside_a_source_checkout(tmp_path, monkeypatch):
    import upspec

    monkeypatch.chdir(tmp_path)
    assert upspec.load_spec("specs/unet.yaml").name == "unet-small"
    done = invoke_upspec("validate", "specs/seed_*.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok:") == 2
