from __future__ import annotations

import importlib.util
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


def invoke_upspec(*args: str, cwd: Path | str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the command line in this process with click's ``CliRunner`` (no 3 s TensorFlow start-up per call).

    The same ``main`` a user's ``upspec`` runs, with stdout and stderr captured apart and the exit status
    as ``returncode``; for start-up, imports and exit-by-signal behaviour use :func:`run_upspec`.
    """
    from click.testing import CliRunner

    from upspec.cli.main import main

    before = os.getcwd()
    with CliRunner().isolation(env=env) as (stdout, stderr, _):
        try:
            if cwd is not None:
                os.chdir(cwd)
            main(list(args))
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
            if not isinstance(exit.code, (int, type(None))):
                print(exit.code, file=sys.stderr)
        finally:
            os.chdir(before)
            sys.stdout.flush()  # print() and tracebacks are buffered; click.echo flushes itself
            sys.stderr.flush()
            if "keras" in sys.modules:  # as after a process: Keras's automatic layer names start again
                import keras

                keras.backend.clear_session()
            if env or any(arg.startswith("--plugin") for arg in args):
                # the registry was built with this call's plugins or environment: later tests get a fresh one
                from upspec.registry.registry import use_local_plugins

                use_local_plugins(())
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    return subprocess.CompletedProcess(["upspec", *args], code, out, err)


HAS_EXAMPLE_PLUGIN = importlib.util.find_spec("upspec_carafe") is not None


def pytest_collection_modifyitems(config, items):
    """Tests of the example plugin need it installed; the core suite runs without it."""
    if HAS_EXAMPLE_PLUGIN:
        return
    skip = pytest.mark.skip(reason="examples/upspec-carafe is not installed (pip install -e examples/upspec-carafe)")
    for item in items:
        if "example_plugin" in item.keywords:
            item.add_marker(skip)


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

