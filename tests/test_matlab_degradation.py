"""``degradation: matlab``: the literature's low-resolution inputs (MATLAB's imresize), the SR default, and a
bicubic baseline with the same kernel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from upspec.modelspec.sections import DataSettings
from upspec.runner.data.degrade import degrade
from upspec.runner.data.degrade import describe
from upspec.runner.data.images import upsample_bicubic
from upspec.runner.data.matlab_resize import imresize

DATA = Path(__file__).parent / "data" / "baboon_matlab_r2017b.npz"


def test_matlab_is_the_default_degradation_and_bicubic_stays_by_name():
    assert DataSettings().degradation == "matlab"
    assert DataSettings(degradation="bicubic").degradation == "bicubic"


def test_the_matlab_degradation_gives_matlabs_8_bit_image_of_the_literature():
    """MATLAB R2017b's ``imwrite(imresize(im2double(baboon), 1/s))``: our degraded crop equals its PNG in every
    pixel of the corner that depends only on the crop, except exact .5 ties (none at x4)."""
    data = np.load(DATA)
    image = data["input"].astype("float32") / 255.0
    for name, factor in (("down_x2", 2), ("down_x4", 4)):
        matlab = data[name].astype("int32")
        ours = np.round(degrade(image, (factor, factor), "matlab") * 255).astype("int32")[: matlab.shape[0], : matlab.shape[1]]
        assert ours.shape == matlab.shape
        assert np.count_nonzero(ours != matlab) <= 2  # MATLAB's own output differs from ours only at .5 ties
        assert np.abs(ours - matlab).max() <= 1


def test_the_matlab_and_pil_degradations_differ_at_the_borders_and_in_rounding():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 1, (32, 32, 1)).astype("float32")
    matlab, pil = degrade(image, (2, 2), "matlab"), degrade(image, (2, 2), "bicubic")
    assert matlab.shape == pil.shape == (16, 16, 1)
    assert np.abs(matlab - pil).max() > 1 / 255  # not the same image ...
    assert np.abs(matlab - pil).mean() < 0.05  # ... but the same kernel


def test_the_bicubic_baseline_upscales_with_the_degradations_kernel():
    rng = np.random.default_rng(1)
    low = np.round(rng.uniform(0, 1, (1, 8, 10, 3)) * 255).astype("float32") / 255
    ours = upsample_bicubic(low, (16, 20), "matlab")[0]
    expected = np.clip(np.round(imresize(low[0].astype("float64"), 2.0) * 255), 0, 255) / 255
    np.testing.assert_allclose(ours, expected, atol=1e-6)
    assert not np.allclose(upsample_bicubic(low, (16, 20), "bicubic")[0], ours)


def test_reports_name_the_matlab_degradation():
    assert "MATLAB imresize" in describe("matlab", (4, 4))
    assert "PIL" in describe("bicubic", (4, 4))


def test_a_degradation_outside_the_list_names_matlab_among_the_choices():
    from upspec.errors import SpecError
    from upspec.modelspec.load import load_spec

    specs = Path(__file__).resolve().parent.parent / "specs"
    with pytest.raises(SpecError) as caught:
        load_spec(specs / "espcn_residual.yaml", overrides=["data.degradation=box"])
    assert "matlab|bicubic|area|gaussian" in str(caught.value)
