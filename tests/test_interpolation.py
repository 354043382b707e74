"""``align_corners`` and 1-/2-/3-D linear and cubic resizes against NumPy references of PyTorch's
``interpolate`` definitions (aten/src/ATen/native/UpSample.h), and against TensorFlow's resize."""

from __future__ import annotations

import itertools

import numpy as np
import pytest


# -- a reference, written from PyTorch's definitions, one output sample at a time ---------------

def source_index(dst, n_in, n_out, align_corners, cubic):
    """``area_pixel_compute_source_index`` with the scale of an integer ``scale_factor``."""
    if align_corners:
        return dst * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    src = (dst + 0.5) * n_in / n_out - 0.5
    return src if cubic else max(src, 0.0)


def linear_taps(dst, n_in, n_out, align_corners):
    src = source_index(dst, n_in, n_out, align_corners, cubic=False)
    i0 = int(np.floor(src))
    i1 = i0 + 1 if i0 < n_in - 1 else i0
    lam = src - i0
    return [(i0, 1 - lam), (i1, lam)]


def cubic_taps(dst, n_in, n_out, align_corners, a=-0.75):
    src = source_index(dst, n_in, n_out, align_corners, cubic=True)
    i = int(np.floor(src))
    t = src - i

    def conv1(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def conv2(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = [conv2(t + 1), conv1(t), conv1(1 - t), conv2(2 - t)]
    return [(min(max(i + k, 0), n_in - 1), w) for k, w in zip((-1, 0, 1, 2), weights)]  # bounded access


def reference(x, factor, mode, align_corners):
    """``x`` of shape (batch, *spatial, channels); each output sample sums the product of per-axis taps."""
    spatial = x.shape[1:-1]
    out_spatial = tuple(n * f for n, f in zip(spatial, factor))
    taps = linear_taps if mode == "linear" else cubic_taps
    y = np.zeros((x.shape[0], *out_spatial, x.shape[-1]), dtype="float64")
    for position in itertools.product(*(range(n) for n in out_spatial)):
        per_axis = [taps(d, n, m, align_corners) for d, n, m in zip(position, spatial, out_spatial)]
        for combination in itertools.product(*per_axis):
            index = tuple(i for i, _ in combination)
            weight = np.prod([w for _, w in combination])
            y[(slice(None), *position, slice(None))] += weight * x[(slice(None), *index, slice(None))]
    return y


def test_reference_matches_hand_computed_align_corners_values():
    x = np.array([0.0, 1.0, 2.0]).reshape(1, 3, 1)
    np.testing.assert_allclose(reference(x, (2,), "linear", True)[0, :, 0], [0, 0.4, 0.8, 1.2, 1.6, 2.0])
    np.testing.assert_allclose(reference(x, (2,), "linear", False)[0, :, 0], [0, 0.25, 0.75, 1.25, 1.75, 2.0])


# -- the layer against the reference --------------------------------------------------------------

CASES = [((9,), (3,)), ((5,), (2,)), ((5, 6), (2, 2)), ((4, 5), (3, 2)), ((3, 4, 5), (2, 2, 2)), ((3, 2, 4), (2, 3, 1))]


@pytest.mark.parametrize("spatial, factor", CASES)
@pytest.mark.parametrize("mode", ["linear", "cubic"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_interpolate_matches_pytorchs_definition(spatial, factor, mode, align_corners):
    from upspec.layers.interpolation import Interpolate

    x = np.random.default_rng(len(spatial)).random((2, *spatial, 3))
    ours = np.asarray(Interpolate(factor, mode, align_corners)(x.astype("float32")))
    np.testing.assert_allclose(ours, reference(x, factor, mode, align_corners), atol=2e-5)


@pytest.mark.parametrize("factor", [(2, 2), (4, 2)])
@pytest.mark.parametrize("interpolation, mode", [("bilinear", "linear"), ("bicubic", "cubic")])
def test_interpolate_without_align_corners_is_tensorflows_resize(factor, interpolation, mode):
    import keras

    from upspec.layers.interpolation import Interpolate

    x = np.random.default_rng(1).random((2, 5, 7, 2), dtype="float32")
    expected = keras.layers.UpSampling2D(factor, interpolation=interpolation)(x)
    np.testing.assert_allclose(Interpolate(factor, mode, None)(x), expected, atol=1e-5)


def test_cubic_conventions_differ_at_the_border_only_by_the_kernel():
    """PyTorch's bicubic (a=-0.75, replicated border) is not TensorFlow's (a=-0.5, renormalised)."""
    from upspec.layers.interpolation import Interpolate

    x = np.random.default_rng(2).random((1, 8, 1), dtype="float32")
    assert np.max(np.abs(np.asarray(Interpolate((2,), "cubic", None)(x)) - Interpolate((2,), "cubic", False)(x))) > 1e-3


def test_interpolate_keeps_constants_constant():
    from upspec.layers.interpolation import Interpolate

    x = np.full((1, 3, 4, 5, 2), 0.7, dtype="float32")
    for mode, align in itertools.product(("linear", "cubic"), (None, True, False)):
        np.testing.assert_allclose(Interpolate((2, 3, 2), mode, align)(x), 0.7, atol=1e-6)


def test_interpolate_refuses_bad_arguments_by_name():
    from upspec.layers.interpolation import Interpolate

    with pytest.raises(ValueError, match="argument `mode`.*Received mode='area'"):
        Interpolate((2,), "area")
    with pytest.raises(ValueError, match="argument `factor`.*Received factor=\\(0,\\)"):
        Interpolate((0,))
    with pytest.raises(ValueError, match="factor=\\(2, 2\\) \\(2 axes\\) for an input of 1 spatial axes"):
        Interpolate((2, 2))(np.zeros((1, 4, 1), dtype="float32"))


def test_interpolate_works_on_an_unknown_spatial_size():
    import keras

    from upspec.layers.interpolation import Interpolate

    inputs = keras.Input((None, None, None, 1))
    model = keras.Model(inputs, Interpolate((2, 2, 2), "linear", True)(inputs))
    x = np.random.default_rng(3).random((1, 3, 4, 2, 1))
    np.testing.assert_allclose(model(x.astype("float32")), reference(x, (2, 2, 2), "linear", True), atol=2e-5)


# -- through the strategies ------------------------------------------------------------------------

@pytest.mark.parametrize("strategy, mode", [("bilinear", "linear"), ("bicubic", "cubic")])
def test_resize_only_strategy_with_align_corners_is_pytorchs_interpolate(strategy, mode):
    from upspec import build_model

    model = build_model({"name": "ac", "inputs": {"x": [4, 5, 3, 2]}, "layers": [
        {"id": "up", "upsample": strategy, "factor": [2, 1, 3], "filters": None, "align_corners": True}]})
    x = np.random.default_rng(4).random((1, 4, 5, 3, 2))
    assert model.count_params() == 0
    np.testing.assert_allclose(model(x.astype("float32")), reference(x, (2, 1, 3), mode, True), atol=2e-5)


def test_trilinear_resize_convolution_builds_in_3d_with_per_axis_factors():
    from upspec import build_model

    model = build_model({"name": "tri", "inputs": {"v": [4, 6, 6, 1]}, "layers": [
        {"id": "up", "upsample": "bilinear", "factor": [1, 2, 2], "filters": 4}]})
    assert model.output_shape == (None, 4, 12, 12, 4)
    assert [type(layer).__name__ for layer in model.layers[1:]] == ["Interpolate", "Conv3D"]


def test_align_corners_is_refused_on_nearest():
    from upspec import SpecError
    from upspec import load_spec

    with pytest.raises(SpecError, match="align_corners"):
        load_spec({"name": "n", "inputs": {"x": [4, 4, 1]},
                   "layers": [{"upsample": "nearest", "factor": 2, "filters": 2, "align_corners": True}]})


def test_default_two_dimensional_bilinear_still_uses_keras_upsampling():
    from upspec import build_model

    model = build_model({"name": "b", "inputs": {"x": [4, 4, 1]},
                         "layers": [{"id": "up", "upsample": "bilinear", "factor": 2, "filters": 2}]})
    assert type(model.get_layer("up_resize")).__name__ == "UpSampling2D"
