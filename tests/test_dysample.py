"""DySample (Liu et al., ICCV 2023): the point sampling against a NumPy reference of the paper code's
``grid_sample(mode="bilinear", align_corners=False, padding_mode="border")``, its initialisation and scope
factor, its variants, and the conformance kit."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from upspec import SpecError
from upspec.testing import check_strategy


def sample_reference(x, positions, groups):
    """Linear interpolation at each position (clamped to [0, n - 1] per axis: "border"), one output sample
    and one group at a time. ``x`` (b, *spatial, C), ``positions`` (b, *out, groups, rank)."""
    batch, *spatial, channels = x.shape
    per_group = channels // groups
    out_spatial = positions.shape[1:-2]
    y = np.zeros((batch, *out_spatial, channels))
    for b, o, g in itertools.product(range(batch), itertools.product(*(range(n) for n in out_spatial)), range(groups)):
        p = [min(max(v, 0.0), n - 1) for v, n in zip(positions[(b, *o, g)], spatial)]
        lows = [int(np.floor(v)) for v in p]
        value = np.zeros(per_group)
        for corner in itertools.product((0, 1), repeat=len(spatial)):
            index = tuple(min(lo + c, n - 1) for lo, c, n in zip(lows, corner, spatial))
            weight = np.prod([(v - lo) if c else 1 - (v - lo) for v, lo, c in zip(p, lows, corner)])
            value += weight * x[(b, *index, slice(g * per_group, (g + 1) * per_group))]
        y[(b, *o, slice(g * per_group, (g + 1) * per_group))] = value
    return y


def test_reference_matches_hand_computed_values():
    x = np.array([0.0, 10.0, 20.0]).reshape(1, 3, 1)
    positions = np.array([-1.0, 0.25, 1.5, 2.0, 7.0]).reshape(1, 5, 1, 1)
    np.testing.assert_allclose(sample_reference(x, positions, 1)[0, :, 0], [0.0, 2.5, 15.0, 20.0, 20.0])


@pytest.mark.parametrize("spatial, out, groups", [((6,), (11,), 1), ((4, 5), (7, 9), 2), ((3, 4, 3), (5, 6, 4), 3)])
def test_point_sampling_matches_the_reference(spatial, out, groups):
    from upspec.layers.dysample import sample_points

    rng = np.random.default_rng(len(spatial))
    x = rng.random((2, *spatial, 6))
    positions = rng.uniform(-1.5, max(spatial) + 0.5, (2, *out, groups, len(spatial)))
    ours = sample_points(x.astype("float32"), positions.astype("float32"), groups)
    np.testing.assert_allclose(ours, sample_reference(x, positions, groups), atol=1e-5)


def _layer(shape, **kwargs):
    from upspec.layers.dysample import DySample

    layer = DySample(**kwargs)
    layer.build((None, *shape))
    return layer


def _zero_offsets(layer):
    layer.offset_kernel.assign(np.zeros(layer.offset_kernel.shape, "float32"))


@pytest.mark.parametrize("style", ["lp", "pl"])
@pytest.mark.parametrize("shape, factor", [((7, 4), (2,)), ((5, 6, 4), (2, 2)), ((3, 4, 2, 8), (2, 1, 2))])
def test_without_offsets_dysample_is_bilinear_upsampling(shape, factor, style):
    from upspec.layers.interpolation import Interpolate

    layer = _layer(shape, factor=factor, style=style)
    _zero_offsets(layer)
    x = np.random.default_rng(0).random((2, *shape), dtype="float32")
    np.testing.assert_allclose(layer(x), Interpolate(factor, "linear", False)(x), atol=1e-5)


def test_offsets_move_the_sampling_points_by_a_quarter_of_the_prediction_per_axis():
    """A constant offset prediction (bias) b moves every point by 0.25 * b input samples (the static scope)."""
    from upspec.layers.dysample import upsampling_positions

    shape, factor, groups = (4, 5, 2), (2, 2), 2
    layer = _layer(shape, factor=factor, groups=groups)
    _zero_offsets(layer)
    prediction = np.array([2.0, -4.0, 0.4, 1.0], "float32")  # (group 0: axis 0, axis 1), (group 1: ...)
    layer.offset_bias.assign(np.tile(prediction, 4))  # the same for each of the 2 x 2 sub-positions
    x = np.random.default_rng(1).random((1, *shape), dtype="float32")
    rows, cols = (np.asarray(p) for p in upsampling_positions([4, 5], factor))
    positions = np.zeros((1, 8, 10, groups, 2))
    positions[..., 0] = rows[None, :, None, None] + 0.25 * prediction[[0, 2]]
    positions[..., 1] = cols[None, None, :, None] + 0.25 * prediction[[1, 3]]
    np.testing.assert_allclose(layer(x), sample_reference(x, positions, groups), atol=1e-5)


def test_dynamic_scope_starts_as_the_static_one():
    x = np.random.default_rng(2).random((2, 5, 6, 4), dtype="float32")
    static = _layer((5, 6, 4), factor=(2, 2))
    dynamic = _layer((5, 6, 4), factor=(2, 2), scope="dynamic")
    dynamic.offset_kernel.assign(static.offset_kernel)
    assert not np.any(np.asarray(dynamic.scope_kernel)) and not np.any(np.asarray(dynamic.scope_bias))
    np.testing.assert_allclose(dynamic(x), static(x), atol=1e-6)


def test_offset_convolution_starts_from_the_papers_normal_init():
    layer = _layer((8, 8, 64), factor=(2, 2))
    kernel = np.asarray(layer.offset_kernel)
    assert kernel.shape == (64, 2 * 4 * 4)  # 2 coordinates x 4 groups x 2*2 sub-positions
    assert 0.0008 < kernel.std() < 0.0012 and abs(kernel.mean()) < 1e-4
    assert not np.any(np.asarray(layer.offset_bias))


def test_pl_style_predicts_at_full_resolution():
    layer = _layer((6, 6, 8), factor=(2, 2), style="pl", groups=2)
    assert tuple(layer.offset_kernel.shape) == (8 // 4, 2 * 2)


def test_groups_default_to_four_where_the_channels_allow():
    assert _layer((4, 4, 8), factor=(2, 2)).group_count == 4
    assert _layer((4, 4, 6), factor=(2, 2)).group_count == 3
    assert _layer((4, 4, 1), factor=(2, 2)).group_count == 1


def _spec(**params):
    return {"name": "d", "inputs": {"x": [6, 6, 6]},
            "layers": [{"id": "up", "upsample": "dysample", "factor": 2, "filters": 4, **params}]}


def test_bad_groups_and_pl_channels_are_reported_at_the_entry():
    from upspec import build_model

    with pytest.raises(SpecError, match=r"entry 'up'.*channels \(6\) to be a multiple of groups=4"):
        build_model(_spec(groups=4))
    with pytest.raises(SpecError, match=r"style 'pl' .* channels \(6\) must be a multiple of prod\(factor\)=4"):
        build_model(_spec(style="pl"))


def test_dysample_entry_builds_sampler_then_convolution():
    from upspec import build_model

    model = build_model(_spec(scope="dynamic"))
    assert [type(layer).__name__ for layer in model.layers[1:]] == ["DySample", "Conv2D"]
    assert model.output_shape == (None, 12, 12, 4)
    resampler = build_model(_spec(filters=None))
    assert resampler.output_shape == (None, 12, 12, 6) and resampler.layers[-1].name == "up"


@pytest.mark.slow
@pytest.mark.parametrize("extra", [{}, {"scope": "dynamic"}])
def test_dysample_passes_conformance(extra):
    from upspec.registry.registry import get_registry

    base = type(get_registry().strategy("dysample"))

    class Variant(base):
        name = "dysample" if not extra else "dysample_dynamic"

        def build(self, x, **kwargs):
            return super().build(x, **{**kwargs, **extra})

    assert check_strategy(Variant()) == ["signature", "shapes", "config round trip", "gradients", "training", "activation",
                                         "unsupported rank", "save and reload", "guide"]


def test_multiply_accumulates_are_the_offset_convolutions():
    from upspec import build_model
    from upspec.analysis.macs import per_layer_macs

    static = per_layer_macs(build_model(_spec(groups=2)))["up_sample"]
    assert static == 6 * 6 * 6 * (2 * 2 * 4)  # input positions x channels x (2 axes x 2 groups x 4 sub-positions)
    dynamic = per_layer_macs(build_model(_spec(groups=2, scope="dynamic")))["up_sample"]
    assert dynamic == 2 * static
