"""EQ-T (StyleGAN3's translation equivariance) and boundary IoU (Cheng et al. 2021): the NumPy metrics in
``upspec.metrics``, on hand-made inputs with hand-counted answers; EQ-T of ``alias_free`` against a transposed
convolution at initialisation."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from upspec.layers.alias_free import AliasFreeUpsample
from upspec.metrics.boundary import boundary_iou
from upspec.metrics.boundary import boundary_iou_binary
from upspec.metrics.boundary import mask_to_boundary
from upspec.metrics.equivariance import apply_fractional_translation
from upspec.metrics.equivariance import apply_integer_translation
from upspec.metrics.equivariance import equivariance_translation


def _smooth_image(rng, n=20, c=2):
    """A band-limited-ish test image in [-1, 1]: white noise, blurred by a Gaussian."""
    z = rng.normal(size=(1, n, n, c))
    k = np.exp(-0.5 * (np.arange(-4, 5) / 1.2) ** 2)
    k /= k.sum()
    for axis in (1, 2):
        z = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), axis, z)
    return (z / np.abs(z).max()).astype("float32")


def test_eqt_reference_sanity():
    x = _smooth_image(np.random.default_rng(7))
    ident = lambda a: a  # noqa: E731
    assert equivariance_translation(ident, x, 1, [(2, -1), (-3, 0)]) == float("inf")
    with pytest.raises(ValueError, match="integer"):
        equivariance_translation(ident, x, 1, [(0.5, 0)])
    # fractional translation by an integer amount is the integer translation on the unmasked part
    z, m = apply_fractional_translation(x, 2.0, -1.0)
    zi, _ = apply_integer_translation(x, 2, -1)
    np.testing.assert_allclose(z * m, zi * m, atol=1e-12)


def test_eqt_alias_free_beats_transpose_convolution_at_initialisation():
    x = _smooth_image(np.random.default_rng(8))
    keras.utils.set_random_seed(0)
    inp = keras.Input((None, None, 2))
    af = keras.Model(inp, keras.layers.Conv2D(4, 3, padding="same")(AliasFreeUpsample(2)(inp)))
    keras.utils.set_random_seed(0)
    tc = keras.Model(inp, keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(inp))
    shifts_frac = [(0.5, 0.25), (-0.75, 0.5), (1.5, -1.25)]
    shifts_int = [(1, 2), (-2, 1)]
    scores = {}
    for name, m in (("alias_free", af), ("transpose", tc)):
        f = lambda a, m=m: m.predict(a.astype("float32"), verbose=0)  # noqa: E731
        scores[name] = (equivariance_translation(f, x, 2, shifts_int, margin=8),
                        equivariance_translation(f, x, 2, shifts_frac, fractional=True, margin=8))
    (af_int, af_frac), (tc_int, tc_frac) = scores["alias_free"], scores["transpose"]
    assert af_int > 60 and tc_int > 60  # integer input shifts: both are shift-equivariant away from borders
    assert af_frac > tc_frac + 6, scores  # sub-pixel: zero insertion + low-pass removes the aliasing


# --------------------------------------------------------------------------- Boundary IoU


def _square(n, r0, r1, c0, c1):
    m = np.zeros((n, n), bool)
    m[r0:r1, c0:c1] = True
    return m


def test_mask_to_boundary_counts():
    assert mask_to_boundary(_square(10, 2, 8, 2, 8)).sum() == 36 - 16  # d = round(0.02 * 14.1) -> 1
    assert mask_to_boundary(_square(100, 10, 30, 10, 30)).sum() == 400 - 14 * 14  # d = round(2.83) = 3
    assert mask_to_boundary(np.ones((10, 10), bool)).sum() == 100 - 64  # the image border is a boundary
    assert mask_to_boundary(np.zeros((10, 10), bool)).sum() == 0


def test_boundary_iou_known_answers():
    gt, shifted = _square(10, 2, 8, 2, 8), _square(10, 2, 8, 3, 9)
    assert boundary_iou_binary(gt, gt) == 1.0
    # rings of 20 pixels each; common: rows 2 and 7, columns 3..7 -> 10; union 30
    assert boundary_iou_binary(gt, shifted) == pytest.approx(1 / 3)
    assert boundary_iou_binary(gt, _square(10, 0, 1, 0, 1)) == 0.0
    labels_gt, labels_pred = gt.astype(int), shifted.astype(int)
    mean, per_class = boundary_iou(labels_gt, labels_pred, num_classes=3)
    assert per_class[1] == pytest.approx(1 / 3)
    assert per_class[0] == pytest.approx(boundary_iou_binary(~gt, ~shifted))
    assert np.isnan(per_class[2]) and mean == pytest.approx((per_class[0] + per_class[1]) / 2)
    # summed over images before the ratio: a perfect image and the shifted one
    mean2, pc2 = boundary_iou(np.stack([labels_gt, labels_gt]), np.stack([labels_gt, labels_pred]), 2)
    assert pc2[1] == pytest.approx((20 + 10) / (20 + 30))
