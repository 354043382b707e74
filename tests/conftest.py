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


def nested_venv(root: Path) -> Path:
    """A virtual environment that sees what the *running* interpreter sees (its site-packages, editable
    installs included), never the base interpreter's; returns its python.

    ``venv --system-site-packages`` would expose the base interpreter (old setuptools, no TensorFlow) when the
    tests run inside a venv. Here the new venv has no pip of its own; a ``.pth`` file adds the running
    environment's site directories (``site.addsitedir`` also runs their ``.pth`` files, so editable installs
    work), after its own, so what is pip-installed into it comes first.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    parents = [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and Path(p).is_dir()]
    Path(purelib, "_upspec_running_env.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in parents) + "\n")
    return python


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


CALLBACK_PLUGIN = """
import os
import numpy as np
import keras
import upspec


class TestCallback(keras.callbacks.Callback):
    def __init__(self, spec):
        super().__init__()
        self.strategy = spec.layers[0].upsample

{methods}

@upspec.hookimpl
def upspec_callbacks(spec, run_dir):
    return [TestCallback(spec)]
"""


@pytest.fixture
def callback_plugin(write_plugin):
    """A local plugin whose ``upspec_callbacks`` returns one callback with the given methods
    (source indented by four spaces; ``self.strategy`` is the first entry's strategy)."""

    def write(name: str, methods: str) -> Path:
        return write_plugin(name, CALLBACK_PLUGIN.format(methods=methods))

    return write
