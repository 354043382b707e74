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
