"""Door 1: ``upspec.upsample`` and ``upspec.layers.Upsample`` in plain Keras code.

Parity with the spec path (the conformance kit's promise): for every installed strategy, the same
parameters and the same weights give the same outputs, whichever door built the layers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import upspec
from upspec.registry.registry import get_registry

STRATEGIES = sorted(get_registry().strategies)


def _rank(name: str) -> int:
    ranks = get_registry().strategy(name).ranks
    return 2 if 2 in ranks else ranks[0]


def _shape(name: str) -> tuple[int, ...]:
    return (*(8,) * _rank(name), 3)


def _copy_weights(source, target) -> int:
    """Copy every weight of ``source``'s layers into ``target``'s layers of the same name; return the count."""
    by_name = {layer.name: layer for layer in _flat_layers(target)}
    copied = 0
    for layer in _flat_layers(source):
        if layer.weights and layer.name in by_name:
            by_name[layer.name].set_weights(layer.get_weights())
            copied += len(layer.weights)
    return copied


def _flat_layers(model):
    for layer in model.layers:
        inner = getattr(layer, "inner", None)
        if inner is not None:
            yield from inner.layers
        else:
            yield layer


def _guided(name: str) -> bool:
    return get_registry().strategy(name).takes_guide is not None


def _guide_shape(name: str) -> tuple[int, ...]:
    return (*(16,) * _rank(name), 3)


def _spec_model(name: str):
    inputs = {"x": list(_shape(name)), **({"g": list(_guide_shape(name))} if _guided(name) else {})}
    entry = {"id": "up", "upsample": name, "factor": 2, "filters": 4, "inputs": ["x"],
             **({"guide": "g"} if _guided(name) else {})}
    return upspec.build_model({"name": "parity", "inputs": inputs, "layers": [entry]}, compile=False)


def _data(name: str, seed: int) -> list:
    rng = np.random.default_rng(seed)
    x = rng.random((2, *_shape(name)), dtype="float32")
    return [x, rng.random((2, *_guide_shape(name)), dtype="float32")] if _guided(name) else [x]


@pytest.mark.parametrize("name", STRATEGIES)
def test_upsample_builds_the_spec_paths_layers_and_outputs(name):
    import keras

    spec_model = _spec_model(name)
    x = keras.Input(_shape(name))
    guide = keras.Input(_guide_shape(name)) if _guided(name) else None
    y = upspec.upsample(x, name, factor=2, filters=4, name="up", guide=guide)
    model = keras.Model([x, guide] if guide is not None else x, y)
    inputs = len(model.inputs)
    assert [layer.name for layer in model.layers[inputs:]] == [layer.name for layer in spec_model.layers[inputs:]]
    assert _copy_weights(spec_model, model) == len(spec_model.weights)
    data = _data(name, 0) if _guided(name) else _data(name, 0)[0]
    np.testing.assert_allclose(np.asarray(model(data)), np.asarray(spec_model(data)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", STRATEGIES)
def test_the_upsample_layer_holds_the_strategys_layers_and_equals_the_spec_path(name):
    import keras

    spec_model = _spec_model(name)
    layer = upspec.layers.Upsample(strategy=name, factor=2, filters=4, name="up")
    if _guided(name):  # a guided strategy's layer is called on [x, guide]: a functional model, not Sequential
        x, guide = keras.Input(_shape(name)), keras.Input(_guide_shape(name))
        model = keras.Model([x, guide], layer([x, guide]))
    else:
        model = keras.Sequential([keras.Input(_shape(name)), layer])
    assert len(model.weights) == len(spec_model.weights)
    assert _copy_weights(spec_model, model) == len(spec_model.weights)
    data = _data(name, 1)
    data = data if _guided(name) else data[0]
    np.testing.assert_allclose(np.asarray(model(data)), np.asarray(spec_model(data)), rtol=1e-5, atol=1e-6)
    assert tuple(model.output_shape) == (None, *(16,) * _rank(name), 4)


def test_a_misspelt_parameter_names_it_with_a_did_you_mean_and_the_schema():
    import keras

    with pytest.raises(upspec.SpecError) as caught:
        upspec.upsample(keras.Input((8, 8, 3)), "dysample", factor=2, filter=64)
    text = str(caught.value)
    assert "strategy 'dysample' has no parameter 'filter'" in text
    assert "did you mean 'filters'?" in text
    assert "parameters of 'dysample': factor: positive int | list[positive int] (required)" in text
    assert "Traceback" not in text


def test_a_wrong_value_names_the_parameter_and_its_type():
    import keras

    with pytest.raises(upspec.SpecError, match=r"filters='many'.*\n  hint: expected positive int"):
        upspec.upsample(keras.Input((8, 8, 3)), "transpose", factor=2, filters="many")
    with pytest.raises(upspec.SpecError, match="kernel_size: '3' is a string, not a number"):
        upspec.upsample(keras.Input((8, 8, 3)), "transpose", factor=2, filters=4, kernel_size="3")
    with pytest.raises(upspec.SpecError, match="needs the parameter 'factor'"):
        upspec.upsample(keras.Input((8, 8, 3)), "transpose", filters=4)


def test_an_unknown_strategy_is_a_spec_error_with_the_available_names():
    import keras

    with pytest.raises(upspec.SpecError, match=r"unknown upsampling strategy 'bilnear'\n  hint: did you mean 'bilinear'\?"):
        upspec.upsample(keras.Input((8, 8, 3)), "bilnear", factor=2, filters=4)
    with pytest.raises(upspec.SpecError, match="did you mean 'pixel_shuffle'"):
        upspec.layers.Upsample(strategy="pixel_shufle", factor=2, filters=4)


def test_the_layer_validates_its_parameters_when_it_is_made():
    with pytest.raises(upspec.SpecError, match="strategy 'nearest' has no parameter 'icnr'"):
        upspec.layers.Upsample(strategy="nearest", factor=2, filters=4, icnr=True)


def test_a_guide_for_a_strategy_that_takes_none_is_refused():
    import keras

    x = keras.Input((8, 8, 3))
    with pytest.raises(upspec.SpecError, match="strategy 'bilinear' takes no guide"):
        upspec.upsample(x, "bilinear", factor=2, filters=4, guide=x)


def test_a_guided_strategy_receives_the_guide():
    import keras

    class Guided(upspec.Strategy):
        name = "guided_test"
        takes_guide = "required"

        def build(self, x, *, factor, filters, kernel_size=3, activation=None, use_bias=True,
                  kernel_initializer="glorot_uniform", guide=None, name):
            up = keras.layers.UpSampling2D(factor, name=f"{name}_resize")(x)
            return keras.layers.Concatenate(name=name)([up, guide])[..., :filters]

    x, guide = keras.Input((4, 4, 2)), keras.Input((8, 8, 2))
    y = upspec.upsample(x, Guided(), factor=2, filters=4, guide=guide, name="up")
    assert tuple(y.shape) == (None, 8, 8, 4)


def test_a_rank_the_strategy_does_not_support_is_a_spec_error():
    import keras

    with pytest.raises(upspec.SpecError, match="strategy 'lanczos' supports 2-D inputs, not 1-D"):
        upspec.upsample(keras.Input((8, 3)), "lanczos", factor=2, filters=4)


def test_without_a_name_each_call_gets_its_own_layers():
    import keras

    x = keras.Input((8, 8, 3))
    y = upspec.upsample(upspec.upsample(x, "nearest", factor=2, filters=4), "nearest", factor=2, filters=4)
    names = [layer.name for layer in keras.Model(x, y).layers[1:]]
    assert len(set(names)) == len(names) == 4


@pytest.mark.slow
def test_the_layer_trains_in_a_subclassed_model():
    import keras

    class Decoder(keras.Model):
        def __init__(self):
            super().__init__()
            self.up = upspec.layers.Upsample(strategy="bilinear", factor=2, filters=1, name="up")

        def call(self, x):
            return self.up(x)

    keras.utils.set_random_seed(0)
    model = Decoder()
    x = np.random.default_rng(0).random((8, 8, 8, 1), dtype="float32")
    y = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    losses = model.fit(x, y, epochs=6, batch_size=8, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    assert [w.path for w in model.trainable_weights] == ["decoder/up/up/kernel", "decoder/up/up/bias"]


_RELOAD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import upspec
    import keras
    out = {}
    for name in json.loads(sys.argv[1]):
        model = keras.saving.load_model(f"{sys.argv[2]}/{name}.keras")
        saved = np.load(f"{sys.argv[2]}/{name}.npz")
        data = [saved[k] for k in sorted(saved.files)]
        out[name] = np.asarray(model.predict(data if len(data) > 1 else data[0], verbose=0)).tolist()
        assert "Upsample" in [type(layer).__name__ for layer in model.layers], model.layers
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_every_strategys_layer_saves_and_reloads_in_a_fresh_process_with_plain_keras(tmp_path):
    import keras

    expected = {}
    for name in STRATEGIES:
        layer = upspec.layers.Upsample(strategy=name, factor=2, filters=2, name="up")
        if _guided(name):
            x, guide = keras.Input(_shape(name)), keras.Input(_guide_shape(name))
            model = keras.Model([x, guide], layer([x, guide]))
        else:
            model = keras.Sequential([keras.Input(_shape(name)), layer])
        data = [d[:1] for d in _data(name, 2)]
        expected[name] = np.asarray(model.predict(data if len(data) > 1 else data[0], verbose=0))
        model.save(tmp_path / f"{name}.keras")
        np.savez(tmp_path / f"{name}.npz", *data)
    done = subprocess.run([sys.executable, "-c", _RELOAD, json.dumps(STRATEGIES), str(tmp_path)],
                          capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    for name in STRATEGIES:
        np.testing.assert_allclose(np.asarray(got[name]), expected[name], rtol=1e-5, atol=1e-6, err_msg=name)


_JAX = textwrap.dedent("""
    import sys
    import numpy as np
    import keras
    import upspec
    assert keras.backend.backend() == "jax"
    for name in sys.argv[1].split(","):
        x = keras.Input((8, 8, 3))
        functional = keras.Model(x, upspec.upsample(x, name, factor=2, filters=4, name="up"))
        layer_model = keras.Sequential([keras.Input((8, 8, 3)),
                                        upspec.layers.Upsample(strategy=name, factor=2, filters=4, name="up")])
        for source, target in zip(functional.layers[1:], layer_model.layers[0].inner.layers[1:]):
            target.set_weights(source.get_weights())
        data = np.random.default_rng(0).random((2, 8, 8, 3), dtype="float32")
        a, b = np.asarray(functional(data)), np.asarray(layer_model(data))
        assert a.shape == (2, 16, 16, 4) and np.allclose(a, b, atol=1e-6), name
        layer_model.save(sys.argv[2] + f"/{name}.keras")
        again = keras.saving.load_model(sys.argv[2] + f"/{name}.keras")
        assert np.allclose(np.asarray(again(data)), b, atol=1e-6), name
    print("ok")
""")


@pytest.mark.slow
def test_both_work_on_the_jax_backend(tmp_path):
    pytest.importorskip("jax")
    # the guided strategies' own JAX run is in tests/test_guided_layers.py
    names = ",".join(n for n in STRATEGIES if 2 in get_registry().strategy(n).ranks and not _guided(n))
    done = subprocess.run([sys.executable, "-c", _JAX, names, str(tmp_path)], capture_output=True, text=True,
                          env={**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]
