from __future__ import annotations

import keras
import numpy as np
import pytest

from conftest import SPECS
from upspec import SpecError
from upspec import build_model
from upspec import load_spec

BASE = {"name": "b", "inputs": {"x": [8, 8, 1]}, "layers": [{"id": "up", "upsample": "nearest", "factor": 2, "filters": 2}]}


def test_optimizer_arguments_and_metrics_are_applied():
    model = build_model({**BASE, "compile": {"optimizer": {"name": "sgd", "learning_rate": 0.25, "momentum": 0.5},
                                             "loss": "mae", "metrics": ["mse", "psnr"]}})
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.25)
    assert float(model.optimizer.momentum) == pytest.approx(0.5)
    assert model.loss == "mae"
    rng = np.random.default_rng(0)
    x, y = rng.random((4, 8, 8, 1), dtype="float32"), rng.random((4, 16, 16, 2), dtype="float32")
    scores = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    assert sorted(scores) == ["loss", "mse", "psnr"]
    prediction = model.predict(x, verbose=0)
    assert scores["loss"] == pytest.approx(np.mean(np.abs(prediction - y)), rel=1e-5)
    assert scores["mse"] == pytest.approx(np.mean((prediction - y) ** 2), rel=1e-5)
    per_image = 10 * np.log10(1 / np.mean((np.clip(prediction, 0, 1) - y) ** 2, axis=(1, 2, 3)))
    assert scores["psnr"] == pytest.approx(np.mean(per_image), rel=1e-4)


def test_unknown_optimizer_and_metric_are_spec_errors_at_their_keys():
    text = ("name: b\ninputs: {x: [8, 8, 1]}\nlayers:\n  - {upsample: nearest, factor: 2, filters: 2}\n"
            "compile:\n  optimizer: adamm\n  metrics: [psnrr]\n")
    with pytest.raises(SpecError) as caught:
        build_model(text)
    first, second = caught.value.diagnostics
    assert (first.line, first.column) == (6, 14) and "unknown optimizer 'adamm'" in first.message
    assert "adam" in first.hint
    assert (second.line, second.column) == (7, 13) and second.message == "unknown metric 'psnrr'"


def test_keras_rejection_points_at_the_entry():
    text = "name: b\ninputs: {x: [8, 8, 1]}\nlayers:\n  - {id: c, layer: Conv2D, filters: 2, kernel_size: 3, activation: sideways}\n"
    with pytest.raises(SpecError) as caught:
        build_model(text)
    (d,) = caught.value.diagnostics
    assert (d.line, d.column) == (4, 5)
    assert d.message.startswith("Keras rejected entry 'c':")
    assert "sideways" in d.message


def test_keras_argument_checks_run_at_validation_and_point_at_the_argument():
    text = "name: b\ninputs: {x: [8, 8, 1]}\nlayers:\n  - {id: c, layer: Conv2D, filters: 2, kernel_size: 3, padding: sideways}\n"
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    (d,) = caught.value.diagnostics
    assert (d.line, d.column) == (4, 65)
    assert d.message == "Conv2D: padding must be one of 'valid', 'same', got 'sideways' (entry 'c')"


def test_overrides_through_the_api():
    model = build_model(SPECS / "seed_transpose.yaml", overrides={"layers.up.filters": 8})
    assert model.get_layer("up").filters == 8


def test_multi_output_model():
    model = build_model({"name": "two", "inputs": {"x": [8, 8, 1]}, "outputs": ["up", "side"], "layers": [
        {"id": "up", "upsample": "transpose", "factor": 2, "filters": 2},
        {"id": "side", "layer": "Conv2D", "filters": 3, "kernel_size": 1, "inputs": "x"}]})
    outputs = model(np.zeros((1, 8, 8, 1), "float32"))
    assert [tuple(o.shape) for o in outputs] == [(1, 16, 16, 2), (1, 8, 8, 3)]


def test_one_and_three_dimensional_models_run():
    for name, shape, expected in (("signal_1d.yaml", (2, 64, 2), (2, 256, 2)),
                                  ("volume_3d.yaml", (1, 16, 16, 16, 1), (1, 32, 32, 32, 1))):
        model = build_model(SPECS / name)
        out = model(np.random.default_rng(0).random(shape, dtype="float32"))
        assert tuple(out.shape) == expected, name
        assert np.isfinite(np.asarray(out)).all() and float(np.std(np.asarray(out))) > 0, name


def test_model_built_hook_sees_every_model(fresh_registry, write_plugin):
    seen = write_plugin("seen_plugin", "import upspec\nSEEN = []\n@upspec.hookimpl\n"
                        "def upspec_model_built(model, spec):\n    SEEN.append((model.name, spec.name))\n")
    fresh_registry.use_local_plugins([str(seen)])
    build_model(BASE)
    import sys

    assert sys.modules["upspec_local_plugin_seen_plugin"].SEEN == [("b", "b")]


def test_model_built_hook_that_raises_fails_the_build_naming_the_plugin(fresh_registry, write_plugin):
    from upspec import PluginError

    bad = write_plugin("angry_plugin", "import upspec\n@upspec.hookimpl\ndef upspec_model_built(model):\n    raise RuntimeError('no')\n")
    fresh_registry.use_local_plugins([str(bad)])
    with pytest.raises(PluginError, match='plugin "angry_plugin" .*upspec_model_built\\(\\) raised RuntimeError: no'):
        build_model(BASE)


SHRINKING = '''
import upspec


class Shrink(upspec.Strategy):
    name = "shrink"

    def build(self, x, *, factor, filters, kernel_size=3, activation=None, use_bias=True,
              kernel_initializer="glorot_uniform", name):
        import keras
        return keras.layers.Conv2D(filters + 1, 1, name=name)(x)   # forgets to upsample, one channel too many


@upspec.hookimpl
def upspec_strategies():
    return [Shrink()]
'''


def test_a_strategy_that_breaks_the_shape_contract_is_named_and_others_keep_working(tmp_path, write_plugin):
    from conftest import invoke_upspec

    plugin = write_plugin("shrink_plugin", SHRINKING)
    done = invoke_upspec("--plugin", str(plugin), "build", str(SPECS / "seed_transpose.yaml"), "--strategy", "shrink",
                         cwd=tmp_path)
    assert done.returncode == 1
    assert ('plugin "shrink_plugin" (distribution <local file>): strategy \'shrink\' broke the upsample contract in '
            "entry 'up': expected output shape (56, 56, 32), got (28, 28, 33)") in done.stderr
    others = invoke_upspec("--plugin", str(plugin), "build", str(SPECS / "seed_transpose.yaml"), "--strategy", "nearest",
                           cwd=tmp_path)
    assert others.returncode == 0, others.stderr


def test_trace_logs_every_hook_call(tmp_path, fresh_registry):
    from conftest import invoke_upspec

    done = invoke_upspec("validate", str(SPECS / "seed_transpose.yaml"), cwd=tmp_path, env={"UPSPEC_TRACE_PLUGINS": "1"})
    assert done.returncode == 0, done.stderr
    assert 'upspec: trace: imported plugin "transpose" (distribution upspec 0.1.0) in ' in done.stderr
    assert "upspec: trace:   upspec_strategies [hook]" in done.stderr
    assert "<Transpose 'transpose'>" in done.stderr.split("finish upspec_strategies -->", 1)[1].splitlines()[0]
    fresh_registry.use_local_plugins(())
    quiet = invoke_upspec("validate", str(SPECS / "seed_transpose.yaml"), cwd=tmp_path)
    assert "trace" not in quiet.stderr
