"""Doors 2 and 3: ``upspec import`` / ``upspec.spec_from_model`` and ``upspec swap`` / ``upspec.swap``."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import upspec
from upspec.cli.main import make_cli
from upspec.interop.from_keras import UnsupportedModelError
from upspec.interop.from_keras import spec_from_model

from tests.conftest import SPECS

SHIPPED = sorted(p.stem for p in SPECS.glob("*.yaml"))


def _data(model, seed=0):
    """A batch of two for each input of ``model`` (free sizes 16): one array, or a list for several inputs."""
    rng = np.random.default_rng(seed)
    arrays = [rng.random((2, *[d or 16 for d in tensor.shape[1:]]), dtype="float32") for tensor in model.inputs]
    return arrays[0] if len(arrays) == 1 else arrays


def _round_trip(model, **options):
    imported = spec_from_model(model, **options)
    rebuilt = upspec.build_model(imported.spec)
    assert imported.copy_weights(model, rebuilt) == len(model.weights)
    x = _data(model)
    np.testing.assert_allclose(np.asarray(rebuilt(x)), np.asarray(model(x)), rtol=1e-5, atol=1e-6)
    return imported, rebuilt


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_specs_model_round_trips_with_equal_outputs(name):
    original = upspec.build_model(SPECS / f"{name}.yaml")
    imported, rebuilt = _round_trip(original)
    spec = upspec.load_spec(SPECS / f"{name}.yaml")
    # known gap: a guided strategy's own layers (SapaUpsample + its convolution) import as plain layer entries
    # on [x, guide], so the round trip is exact but they are not named as upsample entries yet
    guided = {e.id for e in spec.layers if e.upsample and getattr(e, "guide", None)}
    assert sorted(imported.upsample_entries) == sorted(e.id for e in spec.layers if e.upsample and e.id not in guided)
    assert [(l.name, type(l).__name__) for l in rebuilt.layers] == [(l.name, type(l).__name__) for l in original.layers] \
        or sorted(l.name for l in rebuilt.layers) == sorted(l.name for l in original.layers)
    assert spec_from_model(rebuilt).spec == imported.spec  # spec -> model -> spec -> model -> spec is stable


def _keras_io_unet(size=32, classes=3):
    """keras.io's "Image segmentation with a U-Net-like architecture" (Oxford pets), smaller."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(size, size, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous = x
    for filters in (16, 32):
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous)
        x = layers.add([x, residual])
        previous = x
    for filters in (32, 16, 8):
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous = x
    outputs = layers.Conv2D(classes, 3, activation="softmax", padding="same")(x)
    return keras.Model(inputs, outputs, name="pets-unet")


def _transpose_unet():
    import keras
    from keras import layers

    inputs = keras.Input((16, 16, 3), name="image")
    e1 = layers.Conv2D(8, 3, padding="same", activation="relu", name="enc1")(inputs)
    p1 = layers.MaxPooling2D(name="pool1")(e1)
    b = layers.Conv2D(16, 3, padding="same", activation="relu", name="bottom")(p1)
    u1 = layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu", name="up1")(b)
    c1 = layers.Concatenate(name="skip1")([u1, e1])
    outputs = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(c1)
    return keras.Model(inputs, outputs, name="unet")


def test_a_keras_io_unet_with_residual_adds_round_trips():
    import keras

    keras.utils.set_random_seed(0)
    model = _keras_io_unet()
    imported, _ = _round_trip(model)
    entries = {e["id"]: e for e in imported.spec["layers"]}
    ups = [entries[i] for i in imported.upsample_entries]
    # the residual path's UpSampling2D + 1x1 Conv2D is a nearest resize-convolution; the main path's
    # UpSampling2D after BatchNormalization is a resize only; stride-1 Conv2DTranspose stays a layer
    assert sorted(e["upsample"] for e in ups) == ["nearest"] * 6
    assert sum(1 for e in ups if e["filters"] is None) == 3
    assert sum(1 for e in entries.values() if e.get("layer") == "Conv2DTranspose") == 3
    assert sum(1 for e in entries.values() if e.get("layer") == "Add") == 5


def test_an_espcn_with_keras_ios_depth_to_space_layer_becomes_pixel_shuffle():
    import keras
    from keras import layers
    from keras import ops

    class DepthToSpace(layers.Layer):  # keras.io's ESPCN example, not registered anywhere
        def __init__(self, block_size, **kwargs):
            super().__init__(**kwargs)
            self.block_size = block_size

        def call(self, x):
            batch, height, width, depth = ops.shape(x)
            depth = depth // (self.block_size ** 2)
            x = ops.reshape(x, [batch, height, width, self.block_size, self.block_size, depth])
            x = ops.transpose(x, [0, 1, 3, 2, 4, 5])
            return ops.reshape(x, [batch, height * self.block_size, width * self.block_size, depth])

    inputs = keras.Input(shape=(12, 12, 1))
    x = layers.Conv2D(16, 5, activation="relu", padding="same", kernel_initializer="orthogonal")(inputs)
    x = layers.Conv2D(8, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(1 * 3 ** 2, 3, padding="same")(x)
    outputs = DepthToSpace(3, name="shuffle")(x)
    model = keras.Model(inputs, outputs, name="espcn")
    imported, rebuilt = _round_trip(model)
    assert imported.spec["layers"][-1] == {"id": "shuffle", "upsample": "pixel_shuffle", "factor": 3, "filters": 1,
                                           "kernel_size": 3, "icnr": False}
    assert imported.spec["layers"][0]["kernel_initializer"] == "orthogonal"


def test_a_sequential_denoising_autoencoder_round_trips():
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input((16, 16, 1)),
        layers.Conv2D(8, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2, padding="same"),
        layers.Conv2DTranspose(8, 3, strides=2, activation="relu", padding="same"),
        layers.Conv2D(1, 3, activation="sigmoid", padding="same"),
    ], name="denoiser")
    imported, _ = _round_trip(model)
    assert [e.get("upsample") or e["layer"] for e in imported.spec["layers"]] == ["Conv2D", "MaxPooling2D", "transpose", "Conv2D"]


def test_keep_upsampling_leaves_the_layers_plain():
    model = _transpose_unet()
    imported, _ = _round_trip(model, keep_upsampling=True)
    assert imported.upsample_entries == []
    up1 = next(e for e in imported.spec["layers"] if e["id"] == "up1")
    assert up1 == {"id": "up1", "layer": "Conv2DTranspose", "activation": "relu", "filters": 8, "kernel_size": 3,
                   "padding": "same", "strides": 2}


def test_layers_a_spec_cannot_hold_are_named_one_by_one():
    import keras
    from keras import layers

    class Custom(layers.Layer):
        def call(self, x):
            return x * 2

    inputs = keras.Input((8, 8, 2))
    x = layers.Lambda(lambda t: t + 1, name="plus_one")(inputs)
    x = Custom(name="doubler")(x)
    shared = layers.Conv2D(2, 3, padding="same", name="shared")
    x = shared(shared(x))
    with pytest.raises(UnsupportedModelError) as caught:
        spec_from_model(keras.Model(inputs, x))
    text = str(caught.value)
    assert "layer 'plus_one' (Lambda): runs Python code" in text
    assert "layer 'doubler' (" in text and "Custom): a custom layer no plugin provides" in text
    assert "layer 'shared' (Conv2D): is called 2 times (a shared layer)" in text
    assert "3 layers to change" in text


def test_a_subclassed_model_is_refused_with_what_to_do():
    import keras

    class Net(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(UnsupportedModelError, match="subclassed model has no graph of layers"):
        spec_from_model(Net())


def test_the_import_command_writes_a_spec_that_builds(tmp_path):
    _transpose_unet().save(tmp_path / "unet.keras")
    runner = CliRunner()
    result = runner.invoke(make_cli([]), ["import", str(tmp_path / "unet.keras"), "-o", str(tmp_path / "unet.yaml")])
    assert result.exit_code == 0, result.output
    assert "upsampling: up1 (transpose)" in result.output
    assert upspec.build_model(tmp_path / "unet.yaml").count_params() == _transpose_unet().count_params()
    again = runner.invoke(make_cli([]), ["import", str(tmp_path / "unet.keras"), "-o", str(tmp_path / "unet.yaml")])
    assert again.exit_code == 2 and "already exists" in again.output


def test_the_import_command_reports_unsupported_layers_and_writes_nothing(tmp_path):
    import keras
    from keras import layers

    inputs = keras.Input((8, 8, 1))
    outputs = layers.Conv2D(1, 3, padding="same", name="conv")(layers.Lambda(lambda t: t * 2, name="double")(inputs))
    keras.Model(inputs, outputs).save(tmp_path / "m.keras")
    result = CliRunner().invoke(make_cli([]), ["import", str(tmp_path / "m.keras"), "-o", str(tmp_path / "m.yaml")])
    assert result.exit_code == 2
    assert "upspec: error:" in result.output and "layer 'double' (Lambda)" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "m.yaml").exists()


@pytest.mark.slow
def test_swap_puts_bilinear_in_place_of_a_saved_unets_transpose_convolutions(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    original = _transpose_unet()
    original.save(tmp_path / "unet.keras")
    result = CliRunner().invoke(make_cli([]), ["swap", str(tmp_path / "unet.keras"), "--strategy", "bilinear",
                                               "-o", str(tmp_path / "out.keras")])
    assert result.exit_code == 0, result.output
    up1 = original.get_layer("up1").count_params()
    bilinear = 3 * 3 * 16 * 8 + 8
    assert f"up1: transpose -> bilinear, {up1:,} -> {bilinear:,} parameters ({bilinear - up1:+,})" in result.output
    swapped = keras.saving.load_model(tmp_path / "out.keras")
    assert type(swapped.get_layer("up1_resize")).__name__ == "UpSampling2D"
    for name in ("enc1", "bottom", "mask"):
        for a, b in zip(original.get_layer(name).get_weights(), swapped.get_layer(name).get_weights()):
            assert a.tobytes() == b.tobytes()
    x = np.random.default_rng(0).random((8, 16, 16, 3), dtype="float32")
    y = (x.mean(axis=-1, keepdims=True) > 0.5).astype("float32")
    swapped.compile(optimizer="adam", loss="binary_crossentropy")
    losses = swapped.fit(x, y, epochs=5, batch_size=8, verbose=0).history["loss"]
    assert losses[-1] < losses[0]


def test_swap_limited_to_some_entries_keeps_the_others():
    import keras
    from keras import layers

    inputs = keras.Input((4, 4, 2))
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same", name="up1")(inputs)
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same", name="up2")(x)
    model = keras.Model(inputs, x)
    result = upspec.swap(model, "nearest", entries=["up2"])
    assert result.changed == {"up2": ("transpose", "nearest")}
    assert type(result.model.get_layer("up1")).__name__ == "Conv2DTranspose"
    for a, b in zip(model.get_layer("up1").get_weights(), result.model.get_layer("up1").get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(upspec.SpecError, match="'up3' is not an upsampling entry of the model"):
        upspec.swap(model, "nearest", entries=["up3"])
    with pytest.raises(upspec.SpecError, match="did you mean 'bilinear'"):
        upspec.swap(model, "bilnear")


@pytest.mark.slow
def test_an_imported_keras_unet_runs_and_sweeps_like_a_hand_written_spec(tmp_path):
    from conftest import invoke_upspec

    _transpose_unet().save(tmp_path / "unet.keras")
    done = invoke_upspec("import", str(tmp_path / "unet.keras"), "-o", str(tmp_path / "unet.yaml"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    fast = ["--set", "data.source=shapes", "--set", "data.task=segmentation", "--set", "train.epochs=1",
            "--set", "train.steps_per_epoch=2", "--set", "train.batch_size=4", "--set", "data.test_patches=4",
            "--set", "data.validation_patches=4"]
    done = invoke_upspec("run", "unet.yaml", "--quiet", *fast, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (next((tmp_path / "runs" / "unet").iterdir()) / "metrics.json").exists()
    done = invoke_upspec("sweep", "unet.yaml", "--strategies", "transpose,bilinear", *fast, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "bilinear" in done.stdout and "transpose" in done.stdout


def test_upspecs_own_upsample_layers_import_as_upsample_entries_a_guided_one_with_its_guide():
    import keras

    from upspec.layers import Upsample

    low, high = keras.Input((8, 8, 4), name="low"), keras.Input((16, 16, 4), name="high")
    plain = Upsample("bilinear", factor=2, filters=4, name="plain")(low)
    guided = Upsample("fade", factor=2, filters=4, name="guided")([low, high])
    out = keras.layers.Conv2D(1, 3, padding="same", name="out")(keras.layers.Concatenate(name="cat")([plain, guided]))
    model = keras.Model([low, high], out)
    imported = spec_from_model(model)
    rebuilt = upspec.build_model(imported.spec)
    assert imported.copy_weights(model, rebuilt) == len(model.weights)
    rng = np.random.default_rng(0)
    x = [rng.random((2, 8, 8, 4), dtype="float32"), rng.random((2, 16, 16, 4), dtype="float32")]
    np.testing.assert_allclose(np.asarray(rebuilt(x)), np.asarray(model(x)), rtol=1e-5, atol=1e-6)
    entries = {e["id"]: e for e in imported.spec["layers"]}
    assert entries["plain"] == {"id": "plain", "upsample": "bilinear", "factor": 2, "filters": 4, "inputs": "low"}
    assert entries["guided"]["upsample"] == "fade" and entries["guided"]["guide"] == "high"
    assert entries["guided"]["inputs"] == "low" and sorted(imported.upsample_entries) == ["guided", "plain"]
    # the guided entry takes another guided strategy like a written one
    switched = upspec.build_model(imported.spec, overrides={"layers.guided.upsample": "sapa"})
    assert "SapaUpsample" in {type(layer).__name__ for layer in switched.layers}
