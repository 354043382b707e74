"""``transpose``: groups (depthwise too), ``alignment: pytorch`` with ``output_padding``, checked against a
NumPy reference of PyTorch's ``ConvTranspose{1,2,3}d`` definition."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from upspec import SpecError


def torch_conv_transpose(x, weight, bias, stride, padding, output_padding, groups):
    """PyTorch's transposed convolution, by its definition: ``out[i * s - p + k] += x[i] * w[k]``.

    ``x``: (batch, *spatial, in) channels-last; ``weight``: PyTorch's layout (in, out // groups, *kernel).
    Output length per axis: (n - 1) * s - 2 * p + k + output_padding.
    """
    batch, *spatial, cin = x.shape
    kernel = weight.shape[2:]
    cout_g = weight.shape[1]
    cin_g = cin // groups
    out_len = [(n - 1) * s - 2 * p + k + o for n, s, p, k, o in zip(spatial, stride, padding, kernel, output_padding)]
    y = np.zeros((batch, *out_len, cout_g * groups))
    for i in itertools.product(*(range(n) for n in spatial)):
        for k in itertools.product(*(range(kk) for kk in kernel)):
            o = tuple(ii * s - p + kk for ii, s, p, kk in zip(i, stride, padding, k))
            if any(oo < 0 or oo >= L for oo, L in zip(o, out_len)):
                continue
            for c in range(cin):
                g = c // cin_g
                for j in range(cout_g):
                    y[(slice(None), *o, g * cout_g + j)] += x[(slice(None), *i, c)] * weight[(c, j, *k)]
    return y + bias


def ours_to_torch(kernel):
    """Our kernel (*k, out // groups, in) in PyTorch's layout (in, out // groups, *k)."""
    rank = kernel.ndim - 2
    return np.transpose(kernel, (rank + 1, rank, *range(rank)))


def test_reference_matches_a_hand_computed_example():
    x = np.array([1.0, 2.0]).reshape(1, 2, 1)
    w = np.array([1.0, 10.0, 100.0]).reshape(1, 1, 3)
    # full: [1, 10, 100+2, 20, 200]; PyTorch padding=1, output_padding=1 keeps samples 1..4
    np.testing.assert_allclose(torch_conv_transpose(x, w, 0.0, (2,), (1,), (1,), 1)[0, :, 0], [10, 102, 20, 200])


CASES = [  # (input spatial, channels in, filters, kernel, factor, groups)
    ((5,), 2, 4, (3,), (2,), 1),
    ((6,), 4, 4, (5,), (2,), 4),
    ((4, 5), 3, 6, (3, 3), (2, 2), 3),
    ((4, 3), 4, 6, (4, 3), (2, 3), 2),
    ((3, 3, 2), 2, 2, (3, 3, 3), (2, 2, 2), 1),
    ((5,), 1, 1, (1,), (2,), 1),
]


@pytest.mark.parametrize("spatial, cin, filters, kernel, factor, groups", CASES)
def test_pytorch_alignment_matches_pytorchs_transposed_convolution(spatial, cin, filters, kernel, factor, groups):
    import keras

    from upspec.layers.transpose import ConvTranspose
    from upspec.layers.transpose import pytorch_output_padding

    keras.utils.set_random_seed(0)
    layer = ConvTranspose(filters, kernel, factor, rank=len(spatial), groups=groups, alignment="pytorch",
                          bias_initializer="random_normal")
    x = np.random.default_rng(1).random((2, *spatial, cin))
    ours = np.asarray(layer(x.astype("float32")))
    kernel_weights, bias = (np.asarray(w) for w in layer.get_weights())
    padding = [(k - 1) // 2 for k in kernel]
    output_padding = [pytorch_output_padding(k, s) for k, s in zip(kernel, factor)]
    expected = torch_conv_transpose(x, ours_to_torch(kernel_weights), bias, factor, padding, output_padding, groups)
    assert ours.shape == expected.shape == (2, *(n * f for n, f in zip(spatial, factor)), filters)
    np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_keras_alignment_of_the_grouped_layer_is_conv_transposes_same():
    import keras

    from upspec.layers.transpose import ConvTranspose

    x = np.random.default_rng(2).random((1, 5, 6, 3), dtype="float32")
    ours = ConvTranspose(4, 3, 2, rank=2, alignment="keras")
    y = np.asarray(ours(x))
    reference = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same")
    reference.build(x.shape)
    reference.set_weights(ours.get_weights())
    np.testing.assert_allclose(y, reference(x), atol=1e-5)


def test_pytorch_alignment_is_keras_shifted_by_one_sample_for_kernel_3_stride_2():
    from upspec.layers.transpose import ConvTranspose

    x = np.random.default_rng(3).random((1, 7, 2), dtype="float32")
    keras_aligned = ConvTranspose(2, 3, 2, rank=1, alignment="keras", use_bias=False)
    y_keras = np.asarray(keras_aligned(x))
    torch_aligned = ConvTranspose(2, 3, 2, rank=1, alignment="pytorch", use_bias=False)
    torch_aligned(x)
    torch_aligned.set_weights(keras_aligned.get_weights())
    y_torch = np.asarray(torch_aligned(x))
    np.testing.assert_allclose(y_torch[:, :-1], y_keras[:, 1:], atol=1e-6)
    assert not np.allclose(y_torch, y_keras)


def _spec(**params):
    return {"name": "t", "inputs": {"x": [6, 6, 4]},
            "layers": [{"id": "up", "upsample": "transpose", "factor": 2, "filters": 8, **params}]}


def test_depthwise_and_grouped_transpose_have_fewer_parameters():
    from upspec import build_model

    full = build_model(_spec()).count_params()
    grouped = build_model(_spec(groups=2)).count_params()
    depthwise = build_model(_spec(groups="depthwise"))
    assert full == 3 * 3 * 8 * 4 + 8
    assert grouped == 3 * 3 * 8 * 2 + 8
    assert depthwise.count_params() == 3 * 3 * 8 * 1 + 8
    assert depthwise.output_shape == (None, 12, 12, 8)
    assert depthwise.get_layer("up").groups == 4


def test_default_transpose_is_still_keras_conv_transpose():
    from upspec import build_model

    assert type(build_model(_spec()).get_layer("up")).__name__ == "Conv2DTranspose"


def test_pytorch_output_padding_is_checked_against_the_contract():
    from upspec import build_model

    model = build_model(_spec(alignment="pytorch", output_padding=1))
    assert model.output_shape == (None, 12, 12, 8)
    with pytest.raises(SpecError, match=r"output_padding=\[0, 0\] .* output_padding=\[1, 1\] does"):
        build_model(_spec(alignment="pytorch", output_padding=0))
    with pytest.raises(SpecError, match="needs alignment: pytorch"):
        build_model(_spec(output_padding=1))


def test_groups_must_divide_the_channels():
    from upspec import build_model

    with pytest.raises(SpecError, match="groups"):
        build_model(_spec(groups=3))


@pytest.mark.slow
def test_grouped_pytorch_aligned_transpose_saves_and_reloads(tmp_path):
    from upspec import build_model
    from upspec.runner.artefacts.models import load_model

    model = build_model(_spec(groups=2, alignment="pytorch"))
    x = np.random.default_rng(4).random((2, 6, 6, 4), dtype="float32")
    model.save(tmp_path / "m.keras")
    np.testing.assert_allclose(load_model(tmp_path / "m.keras").predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


def test_grouped_transpose_counts_its_multiply_accumulates_per_group():
    from upspec import build_model
    from upspec.analysis.macs import per_layer_macs

    macs = per_layer_macs(build_model(_spec(groups=2)))["up"]
    assert macs == 6 * 6 * 9 * (4 // 2) * 8
