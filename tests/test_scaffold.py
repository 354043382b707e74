"""`upspec new-plugin NAME` writes a package that installs with pip and passes its own tests as generated."""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import invoke_upspec
from conftest import nested_venv
from upspec.testing import CHECKS


@pytest.mark.slow
def test_generated_plugin_installs_and_passes_its_own_tests(tmp_path):
    done = invoke_upspec("new-plugin", "soft_up", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    package = tmp_path / "upspec-soft-up"
    assert sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()) == [
        ".gitignore", "README.md", "pyproject.toml", "setup.cfg", "specs/example.yaml", "tests/test_soft_up.py",
        "upspec_soft_up/__init__.py", "upspec_soft_up/strategy.py"]
    assert "upspec =\n    soft_up = upspec_soft_up" in (package / "setup.cfg").read_text()

    python = str(nested_venv(tmp_path / "venv"))
    installed = subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(package)],
                               capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    tested = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(package / "tests")],
                            cwd=package, capture_output=True, text=True, env=env)
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert f"{len(CHECKS) + 2} passed" in tested.stdout  # one test per conformance check, and its own two

    listed = subprocess.run([python, "-m", "upspec", "plugins"], capture_output=True, text=True, env=env)
    assert "soft_up (upspec-soft-up 0.1.0)" in listed.stdout
    assert "repeat: positive int = 1" in listed.stdout


def test_bad_names_and_existing_folders_are_refused(tmp_path):
    bad = invoke_upspec("new-plugin", "Soft-Up", "--dir", str(tmp_path))
    assert bad.returncode == 2 and "must be lower case letters, digits and underscores" in bad.stderr
    (tmp_path / "upspec-soft").mkdir()
    (tmp_path / "upspec-soft" / "mine.txt").write_text("keep me")
    taken = invoke_upspec("new-plugin", "soft", "--dir", str(tmp_path))
    assert taken.returncode == 2 and "already exists; refusing to overwrite it" in taken.stderr
    assert (tmp_path / "upspec-soft" / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["upspec-soft"]
