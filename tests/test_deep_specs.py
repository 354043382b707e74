"""Specs far deeper than Python's default recursion limit build, save and load."""

from __future__ import annotations

import sys

import pytest


def chain(entries: int) -> dict:
    layers = [{"id": "up", "upsample": "nearest", "factor": 2, "filters": 2, "kernel_size": 1}]
    layers += [{"id": f"d{i}", "layer": "Dense", "units": 2} for i in range(1, entries)]
    return {"name": "chain", "inputs": {"image": [4, 4, 1]}, "layers": layers,
            "compile": {"optimizer": "adam", "loss": "mean_squared_error"}}


@pytest.fixture
def low_recursion_limit():
    """A low limit, so that a short chain is already 'deeper than the limit' (TensorFlow raises it to 3,000)."""
    import keras  # noqa: F401 - imported first: importing TensorFlow sets its own limit

    before = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    yield 400
    sys.setrecursionlimit(before)


@pytest.mark.slow
def test_a_chain_deeper_than_the_recursion_limit_builds_saves_and_loads(tmp_path, low_recursion_limit):
    from upspec.builder.builder import build_model
    from upspec.runner.artefacts.models import load_model
    from upspec.runner.artefacts.models import save_model

    entries = low_recursion_limit + 100
    model = build_model(chain(entries))
    assert len(model.layers) == entries + 2  # the input, the upsample's resize and convolution, the Dense chain
    assert sys.getrecursionlimit() == low_recursion_limit  # raised only while Keras builds the graph
    save_model(model, tmp_path / "deep.keras")
    loaded = load_model(tmp_path / "deep.keras")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert sys.getrecursionlimit() == low_recursion_limit


def test_without_the_builders_room_keras_fails_on_the_same_chain(low_recursion_limit):
    """The check that the test above can fail: Keras alone recurses once per layer."""
    import keras

    x = image = keras.Input((4, 4, 2))
    for i in range(low_recursion_limit + 100):
        x = keras.layers.Dense(2, name=f"d{i}")(x)
    with pytest.raises(RecursionError):
        keras.Model(image, x)
