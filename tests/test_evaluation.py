"""Degradations, the literature's evaluation convention, and whole-image prediction."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from upspec.runner.data.degrade import degrade
from upspec.runner.data.degrade import mod_crop
from upspec.runner.evaluation.image_metrics import pair_scores
from upspec.runner.evaluation.image_metrics import psnr
from upspec.runner.evaluation.image_metrics import y_channel


def photo(size=(96, 128)):
    import skimage.data

    return np.asarray(skimage.data.astronaut()[: size[0], : size[1]], "float32") / 255.0


def test_bicubic_degradation_is_pils_on_8_bit_pixels():
    image = photo()
    ours = degrade(image, (2, 2), "bicubic")
    pil = np.asarray(Image.fromarray((image * 255).round().astype("uint8")).resize((64, 48), Image.BICUBIC))
    assert ours.shape == (48, 64, 3)
    np.testing.assert_array_equal((ours * 255).round().astype("uint8"), pil)


def test_area_and_gaussian_degradations():
    image = np.arange(16, dtype="float32").reshape(4, 4, 1) / 255.0
    area = degrade(image, (2, 2), "area")
    np.testing.assert_allclose(area[..., 0] * 255, [[2.5, 4.5], [10.5, 12.5]], atol=0.5)
    spike = np.zeros((16, 16, 1), "float32")
    spike[8, 8] = 1.0
    blurred = degrade(spike, (2, 2), "gaussian", blur_sigma=1.6)
    assert blurred.shape == (8, 8, 1)
    assert 0 < blurred.max() < 0.1  # spread over many pixels, then 8-bit
    with pytest.raises(Exception, match="unknown degradation 'box'.*bicubic"):
        degrade(image, (2, 2), "box")


def test_mod_crop_keeps_a_multiple_of_the_factor():
    assert mod_crop(np.zeros((101, 67, 3)), (2, 3)).shape == (100, 66, 3)


@pytest.mark.parametrize(("rgb", "reference"), [
    ((255, 0, 0), 81.481), ((0, 0, 255), 40.966), ((0, 255, 0), 144.553), ((255, 128, 64), 152.2755),
], ids=["red", "blue", "green", "orange"])
def test_y_channel_of_a_coloured_pixel_matches_basicsr(rgb, reference):
    """BasicSR's ``rgb2ycbcr(img, y_only=True)`` on [0, 1] floats: ``16 + 65.481 R + 128.553 G + 24.966 B``
    (values written out here, so that swapped R and B weights are caught)."""
    pixel = np.array(rgb, "float32").reshape(1, 1, 3) / 255.0
    assert y_channel(pixel)[0, 0, 0] * 255 == pytest.approx(reference, abs=2e-3)


def test_y_channel_is_bt601_as_basicsr():
    white, black = np.ones((1, 1, 3), "float32"), np.zeros((1, 1, 3), "float32")
    assert y_channel(white)[0, 0, 0] * 255 == pytest.approx(235.0, abs=1e-3)
    assert y_channel(black)[0, 0, 0] * 255 == pytest.approx(16.0, abs=1e-4)
    grey = np.full((2, 2, 1), 0.3, "float32")
    assert y_channel(grey) is grey


def test_scores_shave_the_border_and_round_to_8_bits():
    target = np.full((20, 20, 1), 128 / 255, "float32")
    prediction = target.copy()
    prediction[:2] = 0.0  # wrong only in the 2-pixel border
    assert pair_scores(target, prediction, border=(2, 2))["psnr"] == float("inf")
    assert pair_scores(target, prediction)["psnr"] < 20
    off = target + 0.3 / 255  # rounds back to the target's 8-bit level
    assert pair_scores(target, off)["psnr"] == float("inf")
    assert psnr(target, off) == pytest.approx(10 * np.log10(255 ** 2 / 0.09), rel=1e-3)


# -- whole-image prediction ---------------------------------------------------------------------------------

def nearest_model(size=8, channels=1):
    import keras

    inputs = keras.Input((size, size, channels))
    return keras.Model(inputs, keras.layers.UpSampling2D(2)(inputs))


def dense_nearest_model(size=8):
    """A 2x nearest upsampler through Flatten / Dense / Reshape: it cannot take another size."""
    import keras

    inputs = keras.Input((size, size, 1))
    flat = keras.layers.Flatten()(inputs)
    dense = keras.layers.Dense(4 * size * size, use_bias=False)
    out = keras.layers.Reshape((2 * size, 2 * size, 1))(dense(flat))
    model = keras.Model(inputs, out)
    matrix = np.zeros((size * size, 4 * size * size), "float32")
    for r in range(2 * size):
        for c in range(2 * size):
            matrix[(r // 2) * size + c // 2, r * 2 * size + c] = 1.0
    dense.set_weights([matrix])
    return model


def test_a_fully_convolutional_model_runs_on_the_whole_image():
    from upspec.runner.evaluation.predict import Predictor

    predictor = Predictor(nearest_model())
    assert predictor.mode == "whole image"
    image = np.random.default_rng(0).random((37, 53, 1), dtype="float32")
    out = predictor(image)
    np.testing.assert_allclose(out, np.repeat(np.repeat(image, 2, 0), 2, 1), atol=1e-6)


def test_a_model_with_dense_layers_is_tiled_without_seams():
    from upspec.runner.evaluation.predict import Predictor

    predictor = Predictor(dense_nearest_model())
    assert predictor.mode == "tiles"
    image = np.random.default_rng(1).random((21, 30, 1), dtype="float32")
    out = predictor(image)
    assert out.shape == (42, 60, 1)
    np.testing.assert_allclose(out, np.repeat(np.repeat(image, 2, 0), 2, 1), atol=1e-5)
    small = predictor(image[:5, :6])  # smaller than one tile
    np.testing.assert_allclose(small, np.repeat(np.repeat(image[:5, :6], 2, 0), 2, 1), atol=1e-5)


def test_rgb_in_rgb_out_for_a_one_channel_model_and_grey_for_a_three_channel_one():
    from upspec.runner.evaluation.predict import Predictor

    rng = np.random.default_rng(2)  # colours well inside the gamut, so no channel clips
    rgb = 0.3 + 0.4 * rng.random((10, 12, 1), dtype="float32") + 0.1 * rng.random((10, 12, 3), dtype="float32")
    out = Predictor(nearest_model())(rgb)
    assert out.shape == (20, 24, 3)
    # the luminance went through the model (nearest), chroma through bicubic: Y of the output is nearest Y
    y_in = rgb @ np.array([0.299, 0.587, 0.114], "float32")
    y_out = out @ np.array([0.299, 0.587, 0.114], "float32")
    np.testing.assert_allclose(y_out, np.repeat(np.repeat(y_in, 2, 0), 2, 1), atol=1e-5)
    grey = np.full((10, 12), 0.25, "float32")
    from_rgb_model = Predictor(nearest_model(channels=3))(grey)
    assert from_rgb_model.shape == (20, 24, 1)
    np.testing.assert_allclose(from_rgb_model, 0.25, atol=1e-5)


def test_predict_api_takes_files_and_a_run_folder_is_refused_when_unfinished(tmp_path):
    import upspec

    model = nearest_model()
    model.save(tmp_path / "m.keras")
    Image.fromarray((photo((30, 40)) * 255).astype("uint8")).save(tmp_path / "p.png")
    (out,) = upspec.predict(tmp_path / "m.keras", [tmp_path / "p.png"])
    assert out.shape == (60, 80, 3)
    (tmp_path / "run").mkdir()
    with pytest.raises(upspec.errors.BadInputError, match="neither a saved model nor a finished run folder"):
        upspec.predict(tmp_path / "run", [tmp_path / "p.png"])


def test_a_model_that_does_not_map_images_to_images_is_refused_by_name():
    import keras

    from upspec.runner.evaluation.predict import PredictError
    from upspec.runner.evaluation.predict import Predictor

    inputs = keras.Input((8, 8, 1))
    classifier = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs)))
    with pytest.raises(PredictError, match=r"predict runs models from one image to one image; this one maps "
                                           r"\(None, 8, 8, 1\) -> \(None, 3\)"):
        Predictor(classifier)
    with pytest.raises(PredictError, match="the model takes 1-channel images; got an array of shape"):
        Predictor(nearest_model()).run(np.zeros((4, 4, 3), "float32"))


@pytest.mark.parametrize("shape", [(2, 64, 64, 1), (1, 30, 45, 3), (3, 11, 16, 1)])
def test_ssim_with_separable_windows_is_tensorflows_ssim(shape):
    """The Gaussian window applied as a column then a row filter: the same numbers as tf.image.ssim."""
    import tensorflow as tf

    from upspec.metrics.image import ssim

    rng = np.random.default_rng(3)
    a = rng.random(shape, dtype="float32")
    b = np.clip(a + 0.1 * rng.standard_normal(shape).astype("float32"), 0, 1)
    np.testing.assert_allclose(np.asarray(ssim(a, b)), tf.image.ssim(a, b, 1.0).numpy(), rtol=1e-5, atol=1e-6)


def test_the_baseline_is_scored_once_per_test_image(monkeypatch):
    """Every strategy of a sweep is scored against the same bicubic baseline: computed on the first
    evaluation, kept on the image, identical afterwards."""
    from upspec.runner.evaluation import image_metrics as evaluation
    from upspec.runner.data.images import TaskShapes
    from upspec.runner.data.dataset import TaskData
    from upspec.runner.data.dataset import TestImage

    high = photo((64, 96))
    low = degrade(high, (2, 2), "bicubic")
    shapes = TaskShapes(task="super_resolution", x=(16, 16, 3), y=(32, 32, 3))
    data = TaskData(shapes, (low[None], high[None]), (low[None], high[None]), (low[None], high[None]),
                    [TestImage("astronaut", low, high)])
    calls = []
    real = evaluation.upsample_bicubic
    monkeypatch.setattr(evaluation, "upsample_bicubic", lambda *a: calls.append(1) or real(*a))
    guess = np.repeat(np.repeat(low, 2, 0), 2, 1)
    first = evaluation.evaluate(None, data, [guess])
    second = evaluation.evaluate(None, data, [np.clip(guess + 0.01, 0, 1)])
    assert len(calls) == 1
    assert first["bicubic"] == second["bicubic"]
    expected = pair_scores(high, real(low[None], high.shape[:2])[0], (2, 2), True)
    assert first["images"][0]["bicubic"] == expected
    assert first["model"] != second["model"]
