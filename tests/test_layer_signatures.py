"""The stored Keras layer signatures match the installed Keras, so fast validation is never wrong."""

from __future__ import annotations

import json

import pytest

from upspec.registry.layer_signatures import TABLE
from upspec.registry.layer_signatures import generate_table


def test_stored_table_matches_installed_keras():
    import keras

    stored = json.loads(TABLE.read_text())
    if stored["keras_version"] != keras.__version__:
        pytest.skip(f"table is for Keras {stored['keras_version']}; live introspection is used with {keras.__version__}")
    assert stored == json.loads(json.dumps(generate_table())), (
        "regenerate with: python -m upspec.registry.layer_signatures")


def test_another_keras_version_is_read_from_its_source_without_importing_it(tmp_path):
    """The stored table is for one Keras version; for another, the source is parsed (and cached), not imported."""
    import json
    import subprocess
    import sys

    import importlib.metadata

    stored = json.loads(TABLE.read_text())
    if stored["keras_version"] != importlib.metadata.version("keras"):
        pytest.skip("the stored table is for another Keras than the installed one")
    code = (
        "import sys, json, importlib.metadata\n"
        "import upspec.registry.layer_signatures as ls\n"
        "real = importlib.metadata.version\n"
        "importlib.metadata.version = lambda name: '0.0-other' if name == 'keras' else real(name)\n"
        "table = ls._table()\n"
        "print(json.dumps({'version': table['keras_version'], 'layers': table['layers'],\n"
        "                  'imported': 'keras' in sys.modules or 'tensorflow' in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["version"] == "0.0-other" and result["imported"] is False
    assert result["layers"] == stored["layers"]  # the parser reads exactly what inspecting the classes gives
    assert (tmp_path / "upspec" / "keras_layers-0.0-other.json").is_file()
