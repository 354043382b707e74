"""The conformance kit on the strategies' new options: each option, fixed, is run as a strategy of its own."""

from __future__ import annotations

import pytest

from upspec.registry.registry import get_registry
from upspec.testing import check_strategy

ALL_CHECKS = ["signature", "shapes", "config round trip", "gradients", "training", "activation", "unsupported rank",
              "save and reload", "guide"]

# Grouped transpose convolution is not among them: the kit feeds 1 and 3 channels to 4 filters, which no
# group count above 1 divides; tests/test_transpose_options.py covers groups against PyTorch's definition.
PRESETS = {
    "transpose_pytorch": ("transpose", {"alignment": "pytorch"}),
    "pixel_shuffle_blur": ("pixel_shuffle", {"blur": True}),
    "bilinear_align_corners": ("bilinear", {"align_corners": True}),
    "bicubic_pytorch": ("bicubic", {"align_corners": False}),
}


def preset(name):
    """A strategy that is ``base`` with ``fixed`` parameters (its schema: the common parameters)."""
    base, fixed = PRESETS[name]
    strategy_class = type(get_registry().strategy(base))

    class Preset(strategy_class):
        def build(self, x, **kwargs):
            return super().build(x, **{**kwargs, **fixed})

    Preset.name = name
    return Preset()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_strategy_option_passes_conformance(name):
    assert check_strategy(preset(name)) == ALL_CHECKS
