"""``pixel_shuffle`` with ``blur: true``: MONAI's apply_pad_pool / Sugawara et al.'s hold after the shuffle."""

from __future__ import annotations

import itertools

import numpy as np
import pytest


def pad_pool_reference(x, factor, padding):
    """out[o] = mean of x over the window [o - f + 1, o] per axis; before the start: 0 (MONAI) or x[0]."""
    spatial = x.shape[1:-1]
    y = np.zeros_like(x, dtype="float64")
    for o in itertools.product(*(range(n) for n in spatial)):
        total = 0.0
        for w in itertools.product(*(range(f) for f in factor)):
            i = tuple(oo - ww for oo, ww in zip(o, w))
            if any(ii < 0 for ii in i):
                if padding == "zeros":
                    continue
                i = tuple(max(ii, 0) for ii in i)
            total = total + x[(slice(None), *i, slice(None))]
        y[(slice(None), *o, slice(None))] = total / np.prod(factor)
    return y


@pytest.mark.parametrize("factor", [(2,), (2, 3), (2, 2, 2)])
@pytest.mark.parametrize("padding", ["zeros", "replicate"])
def test_hold_blur_matches_the_pad_pool_definition(factor, padding):
    from upspec.layers.pixel_shuffle import HoldBlur

    x = np.random.default_rng(0).random((2, *(4 + i for i in range(len(factor))), 3))
    np.testing.assert_allclose(HoldBlur(factor, padding)(x.astype("float32")), pad_pool_reference(x, factor, padding),
                               atol=1e-6)


def test_hold_blur_removes_a_pattern_of_the_factors_period():
    from upspec.layers.pixel_shuffle import HoldBlur

    checkerboard = np.indices((8, 8)).sum(axis=0) % 2
    x = (0.5 + 0.3 * checkerboard).astype("float32").reshape(1, 8, 8, 1)
    y = np.asarray(HoldBlur((2, 2), "replicate")(x))
    np.testing.assert_allclose(y[0, 1:, 1:, 0], 0.65, atol=1e-6)


def test_blur_option_builds_shuffle_then_hold_named_after_the_entry():
    from upspec import build_model

    model = build_model({"name": "b", "inputs": {"x": [6, 6, 2]}, "layers": [
        {"id": "up", "upsample": "pixel_shuffle", "factor": 2, "filters": 3, "blur": True, "blur_padding": "zeros"}]})
    assert [layer.name for layer in model.layers[1:]] == ["up_conv", "up_shuffle", "up"]
    assert model.get_layer("up").padding == "zeros"
    assert model.output_shape == (None, 12, 12, 3)
    x = np.random.default_rng(1).random((1, 6, 6, 2), dtype="float32")
    shuffled = np.asarray(model.get_layer("up_shuffle")(model.get_layer("up_conv")(x)))
    np.testing.assert_allclose(model(x), pad_pool_reference(shuffled.astype("float64"), (2, 2), "zeros"), atol=1e-5)
