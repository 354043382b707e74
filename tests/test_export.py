"""Export to SavedModel and TFLite: every built-in strategy, compared with Keras in TFLite's interpreter."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SPECS
from conftest import invoke_upspec

#: TFLite runs the same float32 kernels in another order; this is the largest difference we accept.
TFLITE_TOLERANCE = 1e-5

BUILTIN_CONVERTIBLE = ["transpose", "nearest", "bilinear", "pixel_shuffle"]


def _model(strategy):
    import upspec

    return upspec.build_model(upspec.load_spec(SPECS / "seed_transpose.yaml", strategy=strategy))


@pytest.mark.parametrize("strategy", BUILTIN_CONVERTIBLE)
def test_tflite_matches_keras_for_each_builtin_strategy(strategy, tmp_path):
    from upspec.runner.artefacts.export import export
    from upspec.runner.artefacts.export import tflite_predict

    model = _model(strategy)
    written = export(model, tmp_path, formats=["tflite"], strategies={"up": strategy})
    x = np.random.default_rng(1).random((4, 28, 28, 1), dtype="float32")
    expected = model.predict(x, verbose=0)
    got = tflite_predict(written["tflite"], x)
    assert got.shape == expected.shape == (4, 56, 56, 1)
    assert np.abs(got - expected).max() < TFLITE_TOLERANCE


def test_bicubic_is_refused_by_name_and_converts_with_tf_ops(tmp_path):
    from upspec.runner.artefacts.export import ExportError
    from upspec.runner.artefacts.export import export

    model = _model("bicubic")
    with pytest.raises(ExportError) as caught:
        export(model, tmp_path / "plain", formats=["tflite"], strategies={"up": "bicubic"})
    message = str(caught.value)
    assert "entry 'up' (strategy 'bicubic'), layer 'up_resize' (UpSampling2D)" in message
    assert "ResizeBicubic are not TFLite builtins" in message and "--select-tf-ops" in message
    assert not (tmp_path / "plain" / "model.tflite").exists()

    # with TensorFlow ops allowed it converts, to a model that needs the Flex delegate (which the Python
    # interpreter here does not link, so it cannot be run in this test)
    written = export(model, tmp_path / "flex", formats=["tflite"], select_tf_ops=True)
    assert b"FlexResizeBicubic" in written["tflite"].read_bytes()


@pytest.mark.slow
def test_export_command_writes_both_formats_and_never_overwrites(tmp_path):
    import tensorflow as tf

    import upspec.runner.artefacts.models as models

    built = invoke_upspec("build", str(SPECS / "seed_transpose.yaml"), "--strategy", "pixel_shuffle",
                          "-o", str(tmp_path / "model.keras"), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    done = invoke_upspec("export", str(tmp_path / "model.keras"), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "tflite: wrote" in done.stdout and "saved_model: wrote" in done.stdout

    model = models.load_model(tmp_path / "model.keras")
    x = np.random.default_rng(3).random((2, 28, 28, 1), dtype="float32")
    loaded = tf.saved_model.load(str(tmp_path / "out" / "saved_model"))
    served = loaded.serve(x).numpy()
    assert np.abs(served - model.predict(x, verbose=0)).max() < 1e-6
    before = (tmp_path / "out" / "model.tflite").read_bytes()

    again = invoke_upspec("export", str(tmp_path / "model.keras"), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists; refusing to overwrite it (pass --force to replace it)" in again.stderr
    assert (tmp_path / "out" / "model.tflite").read_bytes() == before


def test_export_command_names_the_strategy_tflite_cannot_convert(tmp_path):
    built = invoke_upspec("build", str(SPECS / "seed_transpose.yaml"), "--strategy", "bicubic",
                          "-o", str(tmp_path / "run" / "model.keras"), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    (tmp_path / "run" / "spec.yaml").write_text((SPECS / "seed_transpose.yaml").read_text().replace(
        "upsample: transpose", "upsample: bicubic"))
    done = invoke_upspec("export", str(tmp_path / "run"), "--format", "tflite", cwd=tmp_path)
    assert done.returncode == 1
    assert "entry 'up' (strategy 'bicubic')" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run" / "export" / "model.tflite").exists()
