"""A third-party plugin written only from DESIGN.md, installed with pip into a
real environment and found through its entry point."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import SPECS
from conftest import nested_venv

PACKAGE = Path(__file__).parent / "packages" / "upspec-zoh"


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A virtual environment that sees upspec and its dependencies, plus the plugin installed with pip."""
    python = nested_venv(tmp_path_factory.mktemp("venv"))
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(PACKAGE)],
                   check=True, capture_output=True)
    return python


def upspec_in(python: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "upspec", *args], capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


@pytest.mark.slow
def test_installed_plugin_is_listed_and_builds(venv, tmp_path):
    report = json.loads(upspec_in(venv, "plugins", "--json").stdout)
    zoh = next(p for p in report["plugins"] if p["name"] == "zoh")
    assert (zoh["distribution"], zoh["version"], zoh["builtin"]) == ("upspec-zoh", "0.3.0", False)
    assert zoh["strategies"]["zoh"]["box"] == {"type": "int", "default": 2}

    done = upspec_in(venv, "build", str(SPECS / "seed_transpose.yaml"), "--strategy", "zoh", "-o", str(tmp_path / "z.keras"))
    assert done.returncode == 0, done.stderr
    assert "up_deconv (Conv2DTranspose)" in done.stdout and "up (AveragePooling2D)" in done.stdout

    bad = upspec_in(venv, "validate", str(SPECS / "seed_transpose.yaml"), "--strategy", "zoh", "--set", "layers.up.box=big")
    assert bad.returncode == 2
    assert "box: expected int, got 'big'" in bad.stderr


@pytest.mark.slow
def test_plugin_can_be_disabled(venv):
    done = upspec_in(venv, "validate", str(SPECS / "seed_transpose.yaml"), "--strategy", "zoh")
    assert done.returncode == 0
    env_done = subprocess.run([str(venv), "-m", "upspec", "validate", str(SPECS / "seed_transpose.yaml"), "--strategy", "zoh"],
                              capture_output=True, text=True, env={**os.environ, "UPSPEC_DISABLE_PLUGINS": "upspec-zoh"})
    assert env_done.returncode == 2
    assert "unknown upsampling strategy 'zoh'" in env_done.stderr
