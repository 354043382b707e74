"""upspec on Keras's JAX backend: conformance of every built-in strategy, metrics, resizing, a short run.

These run in the JAX job of ``.ci/run`` (``KERAS_BACKEND=jax python -m pytest tests/test_jax_backend.py``);
under another backend they are skipped, since Keras picks its backend once per process.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

pytest.importorskip("jax")
keras = pytest.importorskip("keras")

pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax",
                                reason="the JAX job of .ci/run runs these with KERAS_BACKEND=jax")

from tests.conftest import SPECS  # noqa: E402
from tests.test_saved_models import STRATEGIES  # noqa: E402


def test_the_backend_is_jax():
    assert os.environ.get("KERAS_BACKEND") == "jax" and keras.backend.backend() == "jax"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_conformance(strategy):
    from upspec.testing import check_strategy

    assert "gradients" in check_strategy(strategy)


def test_metrics_and_resizing_equal_tensorflow_s():
    tf = pytest.importorskip("tensorflow")
    from upspec.metrics.image import psnr
    from upspec.metrics.image import ssim
    from upspec.runner.data.resize import resize

    rng = np.random.default_rng(0)
    a = rng.random((3, 24, 20, 3)).astype("float32")
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1).astype("float32")
    np.testing.assert_allclose(np.asarray(psnr(a, b)), tf.image.psnr(a, b, 1.0).numpy(), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(ssim(a, b)), tf.image.ssim(a, b, 1.0).numpy(), rtol=1e-4)
    for method in ("bilinear", "bicubic"):
        np.testing.assert_allclose(resize(a, (48, 40), method), tf.image.resize(a, (48, 40), method=method).numpy(),
                                   atol=1e-5)


def test_macs_need_no_tensorflow():
    import upspec
    from upspec.analysis.macs import multiply_accumulates

    model = upspec.build_model(SPECS / "seed_transpose.yaml", strategy="pixel_shuffle")
    assert multiply_accumulates(model) == 28 * 28 * 9 * 1 * 128 + 56 * 56 * 9 * 32 * 1


def test_a_short_run_trains_evaluates_and_reloads(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from upspec.cli.main import make_cli

    monkeypatch.chdir(tmp_path)
    cli = make_cli([])
    run_dir = tmp_path / "run"
    done = CliRunner().invoke(cli, ["run", "seed_transpose", "--quiet", "--out", str(run_dir),
                                    "--set", "compile.metrics=[psnr, ssim]", "--set", "train.epochs=1",
                                    "--set", "train.steps_per_epoch=3", "--set", "train.batch_size=4",
                                    "--set", "data.test_patches=4", "--set", "data.validation_patches=4"])
    assert done.exit_code == 0, done.output
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert 5 < metrics["bicubic"]["psnr"] < 60 and 0 < metrics["model"]["ssim"] <= 1
    model = keras.saving.load_model(run_dir / "model.keras")
    assert model.predict(np.zeros((1, 28, 28, 1), "float32"), verbose=0).shape == (1, 56, 56, 1)

    exported = CliRunner().invoke(cli, ["export", str(run_dir)])
    assert exported.exit_code == 1
    assert "needs the TensorFlow backend, and Keras runs on 'jax'" in exported.output
