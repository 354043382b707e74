"""``filters: null`` on the resize strategies: a parameter-free resize that keeps the channels."""

from __future__ import annotations

import numpy as np
import pytest

from upspec import SpecError
from upspec import load_spec
from upspec.graph.graph import build_graph
from upspec.registry.registry import get_registry
from upspec.registry.strategy import keeps_channels

RESIZE = ["nearest", "bilinear", "bicubic", "lanczos"]


def spec_of(strategy, shape, **params):
    return {"name": "r", "inputs": {"x": shape},
            "layers": [{"id": "up", "upsample": strategy, "factor": 2, "filters": None, **params}]}


@pytest.mark.parametrize("name", RESIZE)
def test_resize_strategies_accept_null_filters(name):
    registry = get_registry()
    assert keeps_channels(registry.strategy(name))
    assert registry.parameters(name)["filters"].type_text == "positive int | null"


@pytest.mark.parametrize("name", ["transpose", "pixel_shuffle", "transpose_zoh", "bilinear_additive"])
def test_strategies_that_must_convolve_refuse_null_filters(name):
    with pytest.raises(SpecError, match="filters: expected positive int, got None"):
        load_spec(spec_of(name, [8, 8, 3]))


def test_missing_filters_is_still_an_error_on_resize_strategies():
    data = spec_of("bicubic", [8, 8, 3])
    del data["layers"][0]["filters"]
    with pytest.raises(SpecError, match="filters"):
        load_spec(data)


@pytest.mark.parametrize("shape, expected", [([7, 2], (14, 2)), ([5, 6, 3], (10, 12, 3))])
def test_static_shape_keeps_the_input_channels(shape, expected):
    graph = build_graph(load_spec(spec_of("bilinear", shape)))
    assert graph.nodes["up"].shape == expected


def test_residual_over_bicubic_validates_and_lines_up():
    """The residual super-resolution pattern: a fixed bicubic skip plus a learnt correction."""
    graph = build_graph(load_spec({
        "name": "residual", "inputs": {"lr": [12, 12, 1]},
        "layers": [
            {"id": "skip", "upsample": "bicubic", "factor": 3, "filters": None, "inputs": ["lr"]},
            {"id": "features", "layer": "Conv2D", "filters": 16, "kernel_size": 3, "padding": "same", "inputs": ["lr"]},
            {"id": "up", "upsample": "pixel_shuffle", "factor": 3, "filters": 1},
            {"id": "sr", "layer": "Add", "inputs": ["skip", "up"]},
        ]}))
    assert graph.nodes["skip"].shape == (36, 36, 1)
    assert graph.nodes["sr"].shape == (36, 36, 1)


def test_channel_mismatch_after_a_resize_only_entry_is_caught_statically():
    with pytest.raises(SpecError, match=r"Add needs inputs of the same shape: 'skip' \(16, 16, 3\), 'conv' \(16, 16, 4\)"):
        build_graph(load_spec({
            "name": "bad", "inputs": {"x": [8, 8, 3]},
            "layers": [
                {"id": "skip", "upsample": "nearest", "factor": 2, "filters": None},
                {"id": "conv", "upsample": "nearest", "factor": 2, "filters": 4, "inputs": ["x"]},
                {"id": "sum", "layer": "Add", "inputs": ["skip", "conv"]},
            ]}))


@pytest.mark.parametrize("name, shape", [("nearest", [3, 4, 5, 2]), ("bilinear", [7, 2]), ("bicubic", [5, 6, 3]),
                                         ("lanczos", [5, 6, 3])])
def test_resize_only_model_has_no_weights_and_keeps_channels(name, shape):
    from upspec import build_model

    model = build_model(spec_of(name, shape))
    assert model.count_params() == 0
    assert model.output_shape == (None, *(2 * s for s in shape[:-1]), shape[-1])
    assert model.layers[-1].name == "up"


def test_resize_only_bicubic_equals_keras_bicubic_upsampling():
    import keras

    from upspec import build_model

    x = np.random.default_rng(0).random((2, 6, 5, 3), dtype="float32")
    model = build_model(spec_of("bicubic", [6, 5, 3]))
    expected = keras.layers.UpSampling2D((2, 2), interpolation="bicubic")(x)
    np.testing.assert_allclose(model(x), expected, atol=1e-6)


def test_resize_only_applies_the_activation():
    from upspec import build_model

    x = np.linspace(-1, 1, 8, dtype="float32").reshape(1, 8, 1)
    model = build_model(spec_of("nearest", [8, 1], activation="relu"))
    np.testing.assert_array_equal(np.asarray(model(x))[0, :, 0], np.repeat(np.maximum(x[0, :, 0], 0), 2))
    assert model.count_params() == 0


RESIDUAL = {"name": "residual", "inputs": {"lr": [12, 12, 1]}, "layers": [
    {"id": "skip", "upsample": "bicubic", "factor": 3, "filters": None, "inputs": ["lr"]},
    {"id": "features", "layer": "Conv2D", "filters": 8, "kernel_size": 3, "padding": "same", "inputs": ["lr"]},
    {"id": "up", "upsample": "pixel_shuffle", "factor": 3, "filters": 1},
    {"id": "sr", "layer": "Add", "inputs": ["skip", "up"]},
]}


def test_strategy_switch_keeps_fixed_resizes_unless_the_new_strategy_can_resize_only():
    switched = load_spec(RESIDUAL, strategy="transpose")
    assert [(e.id, e.upsample) for e in switched.layers if e.upsample] == [("skip", "bicubic"), ("up", "transpose")]
    assert build_graph(switched).nodes["sr"].shape == (36, 36, 1)
    lanczos = load_spec(RESIDUAL, strategy="lanczos")
    assert [(e.id, e.upsample) for e in lanczos.layers if e.upsample] == [("skip", "lanczos"), ("up", "lanczos")]
