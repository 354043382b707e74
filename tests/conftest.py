from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def run_upspec(*args: str, cwd: Path | str | None = None, env: dict | None = None,
               timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "upspec", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
    )


@pytest.fixture
def fresh_registry(monkeypatch):
    """A registry rebuilt for the test, and rebuilt again afterwards."""
    import upspec.registry.registry as registry_module

    monkeypatch.delenv("UPSPEC_DISABLE_PLUGINS", raising=False)
    registry_module.use_local_plugins(())
    yield registry_module
    registry_module.use_local_plugins(())


@pytest.fixture
def write_plugin(tmp_path):
    """Write a local plugin module file and return its path."""

    def write(name: str, source: str) -> Path:
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        return path

    return write
