"""TFLite export of the new strategies and options: the gather-based linear/cubic resizes (3-D, and
``align_corners`` in any rank), DySample, the grouped PyTorch-aligned transpose, pixel shuffle with blur."""

from __future__ import annotations

import numpy as np
import pytest

from test_export import TFLITE_TOLERANCE


@pytest.mark.slow
@pytest.mark.parametrize("strategy, shape, extra", [
    ("bilinear", [4, 6, 6, 1], {}),
    ("bicubic", [4, 6, 6, 1], {}),
    ("bicubic", [6, 6, 1], {"align_corners": False}),
    ("bilinear", [9, 2], {"align_corners": True}),
    ("dysample", [8, 8, 2], {"scope": "dynamic"}),
    ("transpose", [8, 8, 2], {"groups": "depthwise", "alignment": "pytorch"}),
    ("pixel_shuffle", [8, 8, 2], {"blur": True}),
])
def test_converts_to_tflite_builtins_and_matches_keras(strategy, shape, extra, tmp_path):
    import upspec
    from upspec.runner.artefacts.export import export
    from upspec.runner.artefacts.export import tflite_predict

    rank = len(shape) - 1
    model = upspec.build_model({"name": "t", "inputs": {"x": shape},
                                "layers": [{"id": "up", "upsample": strategy, "factor": 2, "filters": 2, **extra}]})
    written = export(model, tmp_path, formats=["tflite"], strategies={"up": strategy})
    assert b"Flex" not in written["tflite"].read_bytes()
    x = np.random.default_rng(0).random((2, *shape), dtype="float32")
    expected = model.predict(x, verbose=0)
    got = tflite_predict(written["tflite"], x)
    assert got.shape == expected.shape == (2, *(2 * s for s in shape[:rank]), 2)
    assert np.abs(got - expected).max() < TFLITE_TOLERANCE
