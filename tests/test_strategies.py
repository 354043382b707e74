"""Every built-in strategy passes the conformance kit; pixel shuffle is exact."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SPECS

from upspec.registry.registry import get_registry
from upspec.testing import check_strategy

BUILTIN = ["transpose", "nearest", "bilinear", "bicubic", "pixel_shuffle", "bilinear_additive", "transpose_zoh", "lanczos",
           "dysample", "alias_free", "fade", "sapa", "jbu"]


@pytest.mark.slow
@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_strategy_passes_conformance(name):
    assert check_strategy(get_registry().strategy(name)) == [
        "signature", "shapes", "config round trip", "gradients", "training", "activation", "unsupported rank",
        "save and reload", "guide"]


def test_pixel_shuffle_uses_tensorflows_depth_to_space_order():
    import tensorflow as tf

    from upspec.layers.pixel_shuffle import PixelShuffle

    x = np.random.default_rng(0).random((2, 3, 4, 3 * 4), dtype="float32")
    ours = PixelShuffle((2, 2))(x)
    np.testing.assert_array_equal(ours, tf.nn.depth_to_space(x, 2))


def test_pixel_shuffle_per_axis_and_one_dimensional():
    from upspec.layers.pixel_shuffle import PixelShuffle

    x = np.arange(1 * 2 * 2 * 6, dtype="float32").reshape(1, 2, 2, 6)
    y = np.asarray(PixelShuffle((2, 3))(x))
    assert y.shape == (1, 4, 6, 1)
    # output (h*2+i, w*3+j) takes channel i*3+j of input (h, w)
    assert y[0, 1 * 2 + 1, 0 * 3 + 2, 0] == x[0, 1, 0, 1 * 3 + 2]
    z = np.asarray(PixelShuffle((3,))(np.arange(6, dtype="float32").reshape(1, 2, 3)))
    np.testing.assert_array_equal(z[0, :, 0], [0, 1, 2, 3, 4, 5])


def test_icnr_makes_pixel_shuffle_equal_conv_then_nearest():
    """Aitken et al. 2017: ICNR sub-pixel convolution = convolution + nearest resize at initialisation."""
    import keras

    from upspec import build_model

    keras.utils.set_random_seed(1)
    model = build_model({"name": "ps", "inputs": {"x": [9, 7, 3]},
                         "layers": [{"id": "up", "upsample": "pixel_shuffle", "factor": 2, "filters": 4}]})
    conv = model.get_layer("up_conv")
    kernel, bias = conv.get_weights()
    x = np.random.default_rng(0).random((2, 9, 7, 3), dtype="float32")
    reference = keras.layers.Conv2D(4, 3, padding="same")
    reference.build((None, 9, 7, 3))
    reference.set_weights([kernel[..., :4], bias[:4]])
    expected = np.repeat(np.repeat(np.asarray(reference(x)), 2, axis=1), 2, axis=2)
    assert np.max(np.abs(np.asarray(model(x)) - expected)) < 1e-6


def test_pixel_shuffle_without_icnr_is_not_structured():
    import keras

    from upspec import build_model

    keras.utils.set_random_seed(1)
    model = build_model({"name": "ps", "inputs": {"x": [8, 8, 1]},
                         "layers": [{"id": "up", "upsample": "pixel_shuffle", "factor": 2, "filters": 2, "icnr": False}]})
    kernel = model.get_layer("up_conv").get_weights()[0]
    blocks = np.split(kernel, 4, axis=-1)
    assert not np.allclose(blocks[0], blocks[1])


def test_every_registered_strategy_builds_the_seed(upspec_strategy_name):
    """Parametrised by upspec's pytest plugin over every registered strategy, plugins included."""
    import upspec

    from test_saved_models import guided_seed_spec

    from upspec.registry.registry import get_registry

    guided = bool(get_registry().strategy(upspec_strategy_name).takes_guide)
    source = guided_seed_spec() if guided else SPECS / "seed_transpose.yaml"  # a guide: the input, resized
    model = upspec.build_model(upspec.load_spec(source, strategy=upspec_strategy_name))
    assert model.output_shape == (None, 56, 56, 1)
    names = [layer.name for layer in model.layers if layer.name not in ("hr",)]
    # the entry's layers are named after its id, and the one that produces its output is the id itself
    assert names[0] == "image" and names[-2:] == ["up", "out"]
    assert all(name == "up" or name.startswith("up_") for name in names[1:-1]), names
    assert tuple(model.get_layer("up").output.shape) == (None, 56, 56, 32)



def test_the_conformance_kit_fails_a_strategy_that_ignores_activation():
    from upspec import Strategy
    from upspec.testing import ConformanceError

    class IgnoresActivation(Strategy):
        name = "ignores_activation"

        def build(self, x, *, factor, filters, kernel_size=3, activation=None, use_bias=True,
                  kernel_initializer="glorot_uniform", name):
            import keras

            return keras.layers.Conv2DTranspose(filters, kernel_size, strides=factor, padding="same",
                                                use_bias=use_bias, kernel_initializer=kernel_initializer, name=name)(x)

    with pytest.raises(ConformanceError, match="failed the 'activation' check: with activation='relu' the output is "
                                               "the one without an activation"):
        check_strategy(IgnoresActivation(), ["activation"])
    assert check_strategy("transpose", ["activation"]) == ["activation"]
