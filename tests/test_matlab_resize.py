"""Tests of ``upspec.runner.data.matlab_resize.imresize`` against MATLAB's own outputs, BasicSR's port, and hand-derived facts."""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pytest

from upspec.runner.data.matlab_resize import contributions
from upspec.runner.data.matlab_resize import cubic
from upspec.runner.data.matlab_resize import imresize
from upspec.runner.data.matlab_resize import output_size
from upspec.runner.data.matlab_resize import resize_matrix

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "baboon_matlab_r2017b.npz")


# --- (0) MATLAB itself -----------------------------------------------------------------------------------------
# tests/data/baboon_matlab_r2017b.npz: the top-left 96x96 of Set14's baboon.png and the top-left corners of
# MATLAB R2017b's `imwrite(imresize(im2double(img), s, 'bicubic'))` of the *whole* 480x492 image, from
# github.com/xinntao/matlab_functions_verification (imresize_bicubic/*.png, commit c8797cd). The kept corners only
# depend on pixels inside the 96x96 crop (the widest kernel, x1/4, reaches 8 input pixels), and include the top
# and left image borders, so they check the mirroring too.

@pytest.mark.parametrize("name, scale", [("down_x2", 1 / 2), ("down_x3", 1 / 3), ("down_x4", 1 / 4),
                                         ("up_x2", 2), ("up_x3", 3)])
def test_matches_matlab_r2017b_outputs(name: str, scale: float) -> None:
    data = np.load(DATA)
    matlab = data[name].astype(np.float64)
    ours = imresize(data["input"].astype(np.float64) / 255.0, scale)[: matlab.shape[0], : matlab.shape[1]] * 255.0
    ours = np.clip(ours, 0.0, 255.0)  # imwrite saturates (bicubic overshoots [0, 1] near edges) ...
    # ... and rounds to 8 bits, so MATLAB's double result lies within half a level of the PNG ...
    assert np.abs(ours - matlab).max() <= 0.5 + 1e-9
    # ... and rounding ours gives the PNG exactly, except at exact .5 ties that round-off may tip either way.
    rounded = np.clip(np.floor(ours + 0.5), 0, 255)
    tie = np.abs(ours - np.floor(ours) - 0.5) < 1e-9
    assert np.array_equal(rounded[~tie], matlab[~tie])


# --- (a) BasicSR's port ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [1 / 2, 1 / 3, 1 / 4, 2, 3])
@pytest.mark.parametrize("shape", [(24, 36, 3), (37, 29, 3), (31, 45)])
def test_matches_basicsr(scale: float, shape: tuple) -> None:
    pytest.importorskip("torch")
    from matlab_reference_basicsr import imresize as basicsr_imresize

    image = np.random.default_rng(sum(shape)).random(shape)
    expected = basicsr_imresize(image.astype(np.float32), scale)  # float32 throughout
    ours = imresize(image, scale)
    assert ours.shape == expected.shape
    # BasicSR computes the coordinates u = x / 3 + 1/3 in float32 for x3, which moves its weights by ~1e-6;
    # the other scales have float32-exact coordinates. (Its float64 weights agree to 1e-12: next test.)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=5e-6 if scale == 3 else 1e-6)


@pytest.mark.parametrize("scale", [1 / 2, 1 / 3, 1 / 4, 2, 3, 0.3, 1.7])
@pytest.mark.parametrize("length", [29, 37, 64])
def test_weights_match_basicsr_in_float64(scale: float, length: int) -> None:
    torch = pytest.importorskip("torch")
    from matlab_reference_basicsr import calculate_weights_indices

    out_length = math.ceil(length * scale)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # BasicSR's torch.linspace follows the default dtype
    try:
        w, idx, sym_s, sym_e = calculate_weights_indices(length, out_length, scale, "cubic", 4, True)
    finally:
        torch.set_default_dtype(previous)
    # BasicSR's indices point into the image padded by sym_s mirrored pixels in front: map them back.
    padded = np.concatenate([np.arange(sym_s)[::-1], np.arange(length), np.arange(length)[::-1][:sym_e]])
    dense = np.zeros((out_length, length))
    rows = np.repeat(np.arange(out_length), w.shape[1])
    taps = (idx.numpy().astype(np.int64)[:, :1] + np.arange(w.shape[1])).ravel()  # BasicSR uses idx[i][0] + k
    np.add.at(dense, (rows, padded[taps]), w.numpy().ravel())
    np.testing.assert_allclose(resize_matrix(length, out_length, scale), dense, rtol=0, atol=1e-12)


# --- (b) facts derivable by hand -------------------------------------------------------------------------------

def test_cubic_kernel_values() -> None:
    # 1.5|x|^3 - 2.5|x|^2 + 1 on [0, 1]; -0.5|x|^3 + 2.5|x|^2 - 4|x| + 2 on (1, 2]; 0 beyond.
    x = np.array([0, 0.25, 0.5, 1, 1.5, 1.75, 2, 2.5, -0.5])
    expected = [1, 0.8671875, 0.5625, 0, -0.0625, -0.0234375, 0, 0, 0.5625]
    np.testing.assert_allclose(cubic(x), expected, atol=1e-15)


def test_downscale_4x4_by_2_by_hand() -> None:
    # Scale 1/2, antialiased: kernel h(d) = 0.5 * cubic(d / 2), width 8, P = 10 taps.
    # Output 1 (1-based): u = 1 / 0.5 + 0.5 * (1 - 2) = 1.5; left = floor(1.5 - 4) = -3; taps -3..6.
    # d = u - i = 4.5, 3.5, 2.5, 1.5, 0.5, -0.5, ..., -4.5; cubic(d/2) at |d/2| = 2.25, 1.75, 1.25, 0.75, 0.25:
    #   0, -0.0234375, -0.0703125, 0.2265625, 0.8671875  (e.g. cubic(0.75) = 1.5*0.421875 - 2.5*0.5625 + 1);
    # the ten values sum to 2, so the normalised weights are cubic(d/2) / 2:
    #   taps -2..5 -> -0.01171875, -0.03515625, 0.11328125, 0.43359375, 0.43359375, 0.11328125, -0.03515625,
    #   -0.01171875 (taps -3 and 6 weigh 0 and are dropped).
    # Mirroring with n = 4, aux = [1 2 3 4 4 3 2 1]: tap -2 -> 3, -1 -> 2, 0 -> 1, 5 -> 4. Summed per pixel:
    #   pixel 1: 0.11328125 + 0.43359375 = 0.546875   = 70/128
    #   pixel 2: 0.43359375 - 0.03515625 = 0.3984375  = 51/128
    #   pixel 3: 0.11328125 - 0.01171875 = 0.1015625  = 13/128
    #   pixel 4: -0.03515625 - 0.01171875 = -0.046875 = -6/128     (sum 128/128)
    # Output 2 is the mirror image: [-6, 13, 51, 70] / 128.
    m = np.array([[70, 51, 13, -6], [-6, 13, 51, 70]]) / 128
    np.testing.assert_array_equal(resize_matrix(4, 2, 0.5), m)
    # A[i, j] = 4 i + j (0..15). Each axis maps the ramp [0, 1, 2, 3] to
    #   [51 + 26 - 18, 13 + 102 + 210] / 128 = [59, 325] / 128, and constants to themselves, so
    #   out[r, c] = 4 * m_r + m_c = [[295, 561], [1359, 1625]] / 128.
    a = np.arange(16, dtype=np.float64).reshape(4, 4)
    expected = np.array([[295, 561], [1359, 1625]]) / 128
    np.testing.assert_allclose(imresize(a, 0.5), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(expected, [[2.3046875, 4.3828125], [10.6171875, 12.6953125]])


def test_upscale_weights_by_hand() -> None:
    # Scale 2: u = x / 2 + 0.5 * (1 - 1/2) = x/2 + 0.25, so outputs 1 and 2 sit at u = 0.75 and 1.25.
    # Output 1: left = floor(0.75 - 2) = -2, P = 6 taps -2..3, d = u - i = 2.75, 1.75, 0.75, -0.25, -1.25, -2.25:
    #   cubic(d) = 0, -0.0234375, 0.2265625, 0.8671875, -0.0703125, 0 (sum 1, so already normalised);
    #   e.g. cubic(0.25) = 1.5*0.015625 - 2.5*0.0625 + 1 = 0.8671875, cubic(1.25) = -0.9765625 + 3.90625 - 3.
    # Taps -2 and 3 weigh 0 in every row (first/last columns) and are dropped.
    weights, indices = contributions(8, 16, 2.0)
    assert weights.shape == (16, 4)
    np.testing.assert_allclose(weights[0], [-0.0234375, 0.2265625, 0.8671875, -0.0703125], atol=1e-15)
    # Output 2 (u = 1.25) is its mirror image: d = 2.25, 1.25, 0.25, -0.75, -1.75 for taps -1..3 -> drop -1.
    np.testing.assert_allclose(weights[1], [-0.0703125, 0.8671875, 0.2265625, -0.0234375], atol=1e-15)
    # Output 1's 1-based taps -1, 0, 1, 2 mirror (aux = [1..8, 8..1], mod 16) to 2, 1, 1, 2: 0-based 1, 0, 0, 1.
    np.testing.assert_array_equal(indices[0], [1, 0, 0, 1])
    # the last output's taps 7, 8, 9, 10 -> 7, 8, 8, 7 (0-based 6, 7, 7, 6)
    np.testing.assert_array_equal(indices[-1], [6, 7, 7, 6])


@pytest.mark.parametrize("scale", [1 / 2, 1 / 3, 1 / 4, 0.3, 0.75, 1, 1.7, 2, 3])
def test_constant_stays_constant(scale: float) -> None:
    image = np.full((23, 17, 2), 0.3)
    np.testing.assert_allclose(imresize(image, scale), 0.3, rtol=0, atol=1e-12)
    tiny = np.full((3, 2), 0.7)  # the x1/4 kernel reaches 8 pixels out: mirrored many times over
    np.testing.assert_allclose(imresize(tiny, scale), 0.7, rtol=0, atol=1e-12)


@pytest.mark.parametrize("scale", [1 / 2, 1 / 3, 1 / 4, 2, 3])
def test_linear_ramp_stays_linear_inside(scale: float) -> None:
    # For integer factors the taps sit symmetrically about u (or Keys' kernel reproduces linears), so a ramp
    # f(i) = i (1-based) gives f(u) = x / scale + 0.5 (1 - 1/scale) wherever no tap is mirrored.
    n = 48
    ramp = np.tile(np.arange(1, n + 1, dtype=np.float64), (12, 1))  # varies along width only
    out = imresize(ramp, scale)[0]
    x = np.arange(1, out.size + 1)
    u = x / scale + 0.5 * (1 - 1 / scale)
    reach = 2 / min(scale, 1) + 1  # kernel half-width in input pixels, plus one
    inside = (u - reach >= 1) & (u + reach <= n)
    assert inside.sum() >= out.size // 2
    np.testing.assert_allclose(out[inside], u[inside], rtol=0, atol=1e-10)
    assert not np.allclose(out[~inside], u[~inside])  # mirroring bends the ramp at the borders


@pytest.mark.parametrize("scale", [1 / 4, 1 / 3, 0.6, 2.5])
def test_mirroring_of_tiny_signals_matches_np_pad_symmetric(scale: float) -> None:
    # Independent of the aux/mod trick: extend the signal with np.pad(mode="symmetric") (edge repeated, as
    # often as needed) and apply h(u - i) / sum directly at the 1-based positions.
    signal = np.array([0.2, 0.9, 0.4])
    out_len = math.ceil(signal.size * scale)
    pad = 20
    extended = np.pad(signal, pad, mode="symmetric")
    positions = np.arange(1 - pad, signal.size + pad + 1)  # 1-based index of each extended sample
    u = np.arange(1, out_len + 1) / scale + 0.5 * (1 - 1 / scale)
    d = u[:, None] - positions[None, :]
    h = scale * cubic(scale * d) if scale < 1 else cubic(d)
    expected = (h * extended).sum(axis=1) / h.sum(axis=1)
    np.testing.assert_allclose(resize_matrix(signal.size, out_len, scale) @ signal, expected, atol=1e-12)


# --- interface: sizes, order, dtypes, rounding, batches -------------------------------------------------------

def test_output_size_is_ceil_and_output_shape_sets_scale() -> None:
    assert imresize(np.zeros((7, 5)), 0.5).shape == (4, 3)
    assert imresize(np.zeros((7, 5, 3)), 1 / 3).shape == (3, 2, 3)
    assert output_size((20, 30), output_shape=(10, 45)) == ((10, 45), (0.5, 1.5))
    assert output_size((20, 30), output_shape=(10, None)) == ((10, 15), (0.5, 0.5))
    assert output_size((20, 30), scale=(0.5, 2)) == ((10, 60), (0.5, 2.0))
    with pytest.raises(ValueError):
        imresize(np.zeros((4, 4)))


def test_scale_one_is_identity() -> None:
    image = np.random.default_rng(0).random((9, 11, 3))
    np.testing.assert_array_equal(imresize(image, 1), image)


def test_unequal_scales_resize_the_smaller_scale_first() -> None:
    # Without rounding the order does not matter; with MATLAB's per-pass uint8 rounding it does: rows (scale
    # 2) must come after columns (scale 1/3).
    image = np.random.default_rng(1).random((12, 18))
    rows, cols = resize_matrix(12, 24, 2.0), resize_matrix(18, 6, 1 / 3)
    np.testing.assert_allclose(imresize(image, output_shape=(24, 6)), rows @ image @ cols.T, atol=1e-12)
    r = lambda v: np.clip(np.floor(v * 255 + 0.5), 0, 255) / 255  # noqa: E731
    expected = r(rows @ r(image @ cols.T))
    np.testing.assert_array_equal(imresize(image, output_shape=(24, 6), uint8_like=True), expected)


def test_uint8_input_is_rounded_per_pass_like_matlab() -> None:
    pixels = np.random.default_rng(2).integers(0, 256, (20, 22, 3), dtype=np.uint8)
    out = imresize(pixels, 1 / 2)
    assert out.dtype == np.uint8 and out.shape == (10, 11, 3)
    like = imresize(pixels / 255.0, 1 / 2, uint8_like=True)
    np.testing.assert_array_equal(out, np.round(like * 255).astype(np.uint8))
    up = imresize(pixels / 255.0, 3, uint8_like=True)
    assert up.min() >= 0 and up.max() <= 1 and np.allclose(up * 255, np.round(up * 255))
    # float input is neither rounded nor clipped: the cubic overshoots on a step edge
    step = np.zeros((8, 8))
    step[:, 4:] = 1
    assert imresize(step, 2).min() < 0 and imresize(step, 2).max() > 1


def test_float32_stays_float32_and_batches_match_singles() -> None:
    batch = np.random.default_rng(3).random((3, 16, 20, 2)).astype(np.float32)
    out = imresize(batch, 1 / 4)
    assert out.dtype == np.float32 and out.shape == (3, 4, 5, 2)
    for i in range(3):
        np.testing.assert_allclose(out[i], imresize(batch[i], 1 / 4), atol=1e-7)
    gray = batch[..., 0]
    np.testing.assert_allclose(imresize(gray, 1 / 4, batch=True), out[..., 0], atol=1e-6)


def test_replicate_border_differs_only_at_the_border() -> None:
    image = np.random.default_rng(4).random((32, 32))
    sym, rep = imresize(image, 1 / 2), imresize(image, 1 / 2, border="replicate")
    np.testing.assert_allclose(sym[3:-3, 3:-3], rep[3:-3, 3:-3], atol=1e-12)
    assert not np.allclose(sym, rep)


def test_512x512_is_fast() -> None:
    image = np.random.default_rng(5).random((512, 512, 3))
    start = time.perf_counter()
    small = imresize(image, 1 / 4)
    imresize(small, 4)
    assert time.perf_counter() - start < 2.0  # about 0.25 s here; loose for a shared machine


# --- PIL, for the record ---------------------------------------------------------------------------------------

def test_pil_float_bicubic_equals_matlab_inside_but_not_at_borders() -> None:
    # PIL's antialiased bicubic ('F' mode) has the same kernel and coordinate mapping; it differs at the borders,
    # where it renormalises a truncated kernel instead of mirroring. (Measured on astronaut: see NOTES.md.)
    from PIL import Image

    image = np.random.default_rng(6).random((48, 48))
    for s in (2, 3, 4):
        n = 48 // s
        pil = np.asarray(Image.fromarray(image.astype(np.float32), mode="F").resize(
            (n, n), Image.BICUBIC, reducing_gap=None), dtype=np.float64)
        ours = imresize(image, 1 / s)
        b = 8 // s + 1
        np.testing.assert_allclose(pil[b:-b, b:-b], ours[b:-b, b:-b], atol=1e-5)
        assert np.abs(pil - ours).max() > 1e-3
