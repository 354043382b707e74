"""`train.precision` (Keras mixed precision, float32 outputs) and `train.jit_compile`."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from conftest import SPECS

DATA = ["data.test_patches=4", "data.validation_patches=4"]


def test_mixed_precision_builds_16_bit_layers_with_float32_outputs():
    import keras

    from upspec import build_model
    from upspec.builder.precision import dtype_policy

    with dtype_policy("mixed_bfloat16"):
        model = build_model(SPECS / "unet.yaml")
    assert keras.config.dtype_policy().name == "float32"  # restored afterwards
    names = {layer.name: layer.dtype_policy.name for layer in model.layers if layer.weights}
    output = model.layers[-1].name
    assert names.pop(output) == "float32"
    assert set(names.values()) == {"mixed_bfloat16"}
    assert model.output.dtype == "float32"


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"])
def test_a_mixed_precision_run_trains_saves_and_reloads(tmp_path, precision):
    import keras

    from upspec.builder.precision import dtype_policy
    from upspec.run.runner import run

    result = run(SPECS / "seed_transpose.yaml", overrides=DATA, out=str(tmp_path / "run"), verbose=0,
                 train_overrides={"epochs": 1, "steps_per_epoch": 3, "batch_size": 4, "precision": precision,
                                  "jit_compile": True})
    assert math.isfinite(result.metrics["model"]["psnr"]) and result.metrics["model"]["psnr"] > 5
    model = keras.saving.load_model(tmp_path / "run" / "model.keras")
    assert model.get_layer("up").dtype_policy.name == precision
    assert model.layers[-1].dtype_policy.name == "float32"
    prediction = model.predict(np.zeros((1, 28, 28, 1), "float32"), verbose=0)
    assert prediction.dtype == np.float32
    with warnings.catch_warnings():  # resuming loads the checkpoint under the run's policy: all state restored
        warnings.simplefilter("error")
        with dtype_policy(precision):
            resumed = keras.saving.load_model(tmp_path / "run" / "checkpoints" / "last.keras")
    if precision == "mixed_float16":  # Keras scales the loss against float16 underflow
        assert isinstance(resumed.optimizer, keras.optimizers.LossScaleOptimizer)
    assert "precision: " + precision in (tmp_path / "run" / "spec.yaml").read_text()
    assert keras.config.dtype_policy().name == "float32"


def test_precision_and_distribute_are_checked_with_the_spec(tmp_path):
    from upspec.errors import SpecError
    from upspec.modelspec.sections import train_settings
    from upspec.modelspec.load import load_spec

    text = ("name: p\ninputs:\n  x: [8, 8, 1]\nlayers:\n  - layer: Conv2D\n    filters: 1\n    kernel_size: 1\n"
            "train:\n  precision: float16\n  distribute: mirored\n")
    with pytest.raises(SpecError) as caught:  # load_spec checks train: as validate does (both errors at once)
        train_settings(load_spec(text))
    text = "\n".join(d.format() for d in caught.value.diagnostics)
    assert "train.precision" in text and "'float32', 'mixed_float16' or 'mixed_bfloat16'" in text
    assert "train.distribute" in text and "'none', 'mirrored' or 'multi_worker'" in text
