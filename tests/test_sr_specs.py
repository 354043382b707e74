"""The super-resolution specs from the papers: their layers, strategy swaps, whole-image inference, and
(slow) the main job beating bicubic on a photo it never saw, checked independently with PIL."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SPECS
from upspec import build_model
from upspec import load_spec


def test_espcn_has_the_papers_layers():
    model = build_model(SPECS / "espcn.yaml")
    assert [tuple(w.shape) for w in model.get_layer("features").get_weights()] == [(5, 5, 1, 64), (64,)]
    assert [tuple(w.shape) for w in model.get_layer("mapping").get_weights()] == [(3, 3, 64, 32), (32,)]
    assert model.get_layer("features").get_config()["activation"] == "tanh"
    assert model.output_shape == (None, 64, 64, 1) and model.count_params() == 21_284
    assert "accuracy" not in str(model.metrics_names) and load_spec(SPECS / "espcn.yaml").compile.metrics == ["psnr"]


def test_fsrcnn_ends_with_a_9x9_deconvolution_that_strategy_swaps():
    model = build_model(SPECS / "fsrcnn.yaml")
    up = model.get_layer("up")
    assert type(up).__name__ == "Conv2DTranspose" and up.get_config()["strides"] == (2, 2)
    assert tuple(up.get_weights()[0].shape) == (9, 9, 1, 56)
    convs = [l for l in model.layers if type(l).__name__ == "Conv2D"]
    assert [(l.get_config()["kernel_size"], l.filters) for l in convs] == [
        ((5, 5), 56), ((1, 1), 12), ((3, 3), 12), ((3, 3), 12), ((3, 3), 12), ((3, 3), 12), ((1, 1), 56)]
    assert sum(type(l).__name__ == "PReLU" for l in model.layers) == 7  # after every convolution
    swapped = build_model(SPECS / "fsrcnn.yaml", strategy="bilinear")
    assert not any(type(l).__name__ == "Conv2DTranspose" for l in swapped.layers)
    assert swapped.output_shape == model.output_shape


def test_residual_model_keeps_its_fixed_bicubic_skip_when_the_strategy_is_swapped():
    spec = load_spec(SPECS / "espcn_residual.yaml", strategy="transpose")
    entries = {e.id: e for e in spec.layers}
    assert entries["skip"].upsample == "bicubic" and entries["up"].upsample == "transpose"
    model = build_model(spec)
    assert model.get_layer("skip").count_params() == 0
    # untrained, the output is bicubic plus the learned branch: zero the branch and it is bicubic exactly
    base = build_model(SPECS / "espcn_residual.yaml")
    for layer in base.layers:
        if layer.name.startswith("up"):  # the learned upsampler (its convolution and its shuffle)
            for weight in layer.weights:
                weight.assign(np.zeros(weight.shape, "float32"))
    x = np.random.default_rng(0).random((1, 32, 32, 1), dtype="float32")
    import keras

    skip = keras.Model(base.input, base.get_layer("skip").output)
    np.testing.assert_allclose(base.predict(x, verbose=0), skip.predict(x, verbose=0), atol=1e-6)
    smooth = np.linspace(0, 1, 32, dtype="float32")[None, :, None, None] * np.ones((1, 32, 32, 1), "float32")
    inner = skip.predict(smooth, verbose=0)[0, 8:-8, 8:-8, 0]  # a ramp stays a ramp: it is an interpolation
    np.testing.assert_allclose(np.diff(inner, axis=0), 1 / 62, atol=1e-4)


@pytest.mark.parametrize("name", ["espcn", "fsrcnn", "espcn_residual"])
def test_paper_specs_run_on_any_image_size(name):
    from upspec.runner.evaluation.predict import Predictor

    predictor = Predictor(build_model(SPECS / f"{name}.yaml"))
    assert predictor.mode == "whole image"
    assert predictor(np.zeros((45, 77, 3), "float32")).shape == (90, 154, 3)


def y_psnr_shaved(a: np.ndarray, b: np.ndarray, border: int) -> float:
    """Independent of upspec: BasicSR's rgb2ycbcr(y_only) on uint8 RGB, border shaved, PSNR on [0, 255]."""
    def y(image):
        return 16.0 + image.astype("float64") @ np.array([65.481, 128.553, 24.966]) / 255.0

    ya, yb = y(a)[border:-border, border:-border], y(b)[border:-border, border:-border]
    return float(10 * np.log10(255.0 ** 2 / np.mean((ya - yb) ** 2)))


@pytest.mark.slow
def test_main_job_beats_bicubic_on_a_photo_it_never_saw(tmp_path):
    """The README's first command, then `upspec predict` on a photo in no split (scikit-image's stereo
    motorcycle), degraded by PIL's bicubic, scored against PIL's bicubic upscaling without upspec's code."""
    import skimage.data
    from click.testing import CliRunner
    from PIL import Image

    from upspec.cli.main import make_cli
    from upspec.plugins.datasets import PHOTO_SPLITS

    assert "stereo_motorcycle" not in str(PHOTO_SPLITS)
    runner, cli = CliRunner(), make_cli([])
    done = runner.invoke(cli, ["run", str(SPECS / "espcn_residual.yaml"), "--quiet", "--out", str(tmp_path / "run")])
    assert done.exit_code == 0, done.output
    gain = next(line for line in done.output.splitlines() if line.strip().startswith("gain"))
    assert float(gain.split()[2]) >= 0.5, done.output

    photo = skimage.data.stereo_motorcycle()[0][:500, :740]
    high = Image.fromarray(photo)
    low = high.resize((370, 250), Image.BICUBIC)
    low.save(tmp_path / "low.png")
    predicted = runner.invoke(cli, ["predict", str(tmp_path / "run"), str(tmp_path / "low.png"), "-o", str(tmp_path / "up")])
    assert predicted.exit_code == 0, predicted.output
    model_out = np.asarray(Image.open(tmp_path / "up" / "low.png"))
    assert model_out.shape == photo.shape  # RGB in, RGB out
    bicubic = np.asarray(low.resize((740, 500), Image.BICUBIC))
    model_psnr, bicubic_psnr = y_psnr_shaved(photo, model_out, 2), y_psnr_shaved(photo, bicubic, 2)
    assert model_psnr > bicubic_psnr + 0.2, (model_psnr, bicubic_psnr)
