"""upspec-carafe's own tests: the reassembly arithmetic, and upspec's conformance kit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import upspec
from upspec.testing import conformance_tests

SPEC = Path(__file__).resolve().parent.parent / "specs" / "seed_carafe.yaml"

# every conformance check, as its own test: test_conformance[shapes], test_conformance[gradients], ...
test_conformance = conformance_tests("carafe")


def _reference(x, kernels, factor, k):
    """CARAFE written out with loops: output (i', j') = sum over the k x k neighbourhood of source
    (i' // fh, j' // fw), weighted by that output's kernel."""
    fh, fw = factor
    n, h, w, c = x.shape
    r = k // 2
    padded = np.pad(x, ((0, 0), (r, r), (r, r), (0, 0)))
    out = np.zeros((n, h * fh, w * fw, c), "float64")
    for i in range(h * fh):
        for j in range(w * fw):
            window = padded[:, i // fh:i // fh + k, j // fw:j // fw + k, :].reshape(n, k * k, c)
            out[:, i, j] = np.einsum("nkc,nk->nc", window, kernels[:, i, j])
    return out


@pytest.mark.parametrize("factor", [(2, 2), (2, 3)])
def test_reassembly_matches_the_papers_definition(factor):
    from upspec_carafe.layers import CarafeReassembly

    layer = CarafeReassembly(factor, kernel_size=3, compressed_channels=4)
    x = np.random.default_rng(0).random((2, 5, 4, 3), dtype="float32")
    got = np.asarray(layer(x))
    kernels = np.asarray(layer.reassembly_kernels(x))
    assert got.shape == (2, 5 * factor[0], 4 * factor[1], 3)
    np.testing.assert_allclose(kernels.sum(-1), 1.0, atol=1e-5)  # softmax-normalised
    np.testing.assert_allclose(got, _reference(x, kernels, factor, 3), atol=1e-5)


def test_constant_input_stays_constant_away_from_the_border():
    from upspec_carafe.layers import CarafeReassembly

    x = np.full((1, 8, 8, 2), 0.7, "float32")
    got = np.asarray(CarafeReassembly((2, 2), kernel_size=5)(x))
    np.testing.assert_allclose(got[:, 4:-4, 4:-4], 0.7, atol=1e-6)  # kernels sum to 1


def test_the_example_spec_builds_with_the_parameters_it_names():
    model = upspec.build_model(upspec.load_spec(SPEC))
    assert model.output_shape == (None, 56, 56, 1)
    reassemble = model.get_layer("up_reassemble")
    assert (reassemble.kernel_size, reassemble.compressed_channels) == (5, 16)


def test_a_wrong_parameter_is_a_spec_error_at_its_line():
    text = SPEC.read_text().replace("up_kernel: 5", "up_kernel: five")
    with pytest.raises(upspec.SpecError) as caught:
        upspec.load_spec(text)
    assert "up_kernel" in str(caught.value) and ":13:" in str(caught.value)
