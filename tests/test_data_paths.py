"""Paths in a spec resolve against the spec file, and run folders store them absolute (issue #27, item 2)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import invoke_upspec

SPEC = """\
name: mysr
inputs:
  image: [16, 16, 1]
layers:
  - id: up
    upsample: nearest
    factor: 2
    filters: 1
    kernel_size: 3
data:
  source: images
  options:
    path: imgs
"""


@pytest.fixture
def project(tmp_path):
    from PIL import Image

    folder = tmp_path / "myproj" / "imgs"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray((rng.random((40, 40, 3)) * 255).astype("uint8")).save(folder / f"p{i}.png")
    (tmp_path / "myproj" / "mysr.yaml").write_text(SPEC)
    return tmp_path


def test_a_relative_path_is_relative_to_the_spec_file(project, monkeypatch):
    import upspec

    monkeypatch.chdir(project)
    spec = upspec.load_spec("myproj/mysr.yaml")
    assert spec.data.options["path"] == str(project / "myproj" / "imgs")


def test_a_path_given_with_set_is_relative_to_the_current_folder(project, monkeypatch):
    import upspec

    monkeypatch.chdir(project / "myproj")
    spec = upspec.load_spec(project / "myproj" / "mysr.yaml", overrides=["data.options.path=other"])
    assert spec.data.options["path"] == str(project / "myproj" / "other")


def test_absolute_and_home_paths_are_kept(project):
    import upspec

    spec = upspec.load_spec(project / "myproj" / "mysr.yaml", overrides={"data.options.path": "~/imgs"})
    assert spec.data.options["path"] == os.path.expanduser("~/imgs")


def test_a_data_source_declares_its_other_path_options(fresh_registry, write_plugin, project):
    import upspec

    path = write_plugin("labelled", """
import upspec

class Labelled(upspec.DataSource):
    name = "labelled"
    path_options = ("labels",)

@upspec.hookimpl
def upspec_datasets():
    return [Labelled()]
""")
    fresh_registry.use_local_plugins([str(path)])
    spec = upspec.load_spec(SPEC.replace("source: images", "source: labelled") + "    labels: l.csv\n")
    assert spec.data.options["labels"] == str(Path.cwd() / "l.csv")


@pytest.mark.slow
def test_a_spec_runs_from_its_parent_folder_and_its_run_evaluates_from_anywhere(project, tmp_path):
    done = invoke_upspec("run", "myproj/mysr.yaml", "--set", "train.epochs=1", "--set", "train.steps_per_epoch=2",
                         "--set", "train.batch_size=2", "--quiet", cwd=project)
    assert done.returncode == 0, done.stderr
    run_dir = Path(os.path.realpath(project / "runs" / "mysr" / "latest"))
    stored = yaml.safe_load((run_dir / "spec.yaml").read_text())
    assert stored["data"]["options"]["path"] == str(project / "myproj" / "imgs")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    evaluated = invoke_upspec("evaluate", str(run_dir), cwd=elsewhere)
    assert evaluated.returncode == 0, evaluated.stderr


def test_a_missing_folder_is_reported_with_the_help_topic_not_a_docs_file(project):
    (project / "myproj" / "mysr.yaml").write_text(SPEC.replace("path: imgs", "path: nowhere"))
    done = invoke_upspec("run", "myproj/mysr.yaml", "--quiet", cwd=project)
    assert done.returncode == 2
    assert "mysr.yaml:13:" in done.stderr and "nowhere" in done.stderr
    assert "upspec help data" in done.stderr and "docs/runner.md" not in done.stderr
    topic = invoke_upspec("help", "data")
    assert topic.returncode == 0 and "relative to the spec file" in topic.stdout
