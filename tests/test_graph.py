from __future__ import annotations

import pytest

from conftest import SPECS
from upspec import SpecError
from upspec import load_spec
from upspec.graph.graph import build_graph


def graph_of(layers, inputs=None, outputs=None):
    data = {"name": "g", "inputs": inputs or {"x": [16, 16, 3]}, "layers": layers}
    if outputs is not None:
        data["outputs"] = outputs
    return build_graph(load_spec(data))


def test_plain_chain_needs_no_wiring_and_gets_ids():
    graph = graph_of([
        {"layer": "Conv2D", "filters": 8, "kernel_size": 3, "padding": "same"},
        {"upsample": "nearest", "factor": 2, "filters": 4},
    ])
    assert list(graph.nodes) == ["x", "conv2_d_0", "nearest_1"]
    assert graph.nodes["nearest_1"].inputs == ["conv2_d_0"]
    assert graph.outputs == ["nearest_1"]
    assert graph.nodes["nearest_1"].shape == (32, 32, 4)


def test_entries_are_ordered_topologically_not_by_listing():
    graph = graph_of([
        {"id": "join", "layer": "Add", "inputs": ["a", "b"]},
        {"id": "a", "layer": "Conv2D", "filters": 3, "kernel_size": 1, "inputs": "x"},
        {"id": "b", "layer": "Conv2D", "filters": 3, "kernel_size": 1, "inputs": "x"},
    ], outputs=["join"])
    order = list(graph.nodes)
    assert order.index("join") > order.index("a") and order.index("join") > order.index("b")
    assert graph.nodes["join"].shape == (16, 16, 3)


def test_several_inputs_and_outputs():
    graph = graph_of([
        {"id": "both", "layer": "Concatenate", "inputs": ["x", "y"]},
        {"id": "up", "upsample": "transpose", "factor": [2, 3], "filters": 5},
        {"id": "side", "layer": "Conv2D", "filters": 2, "kernel_size": 3, "inputs": "both"},
    ], inputs={"x": [16, 16, 3], "y": [16, 16, 1]}, outputs=["up", "side"])
    assert graph.nodes["both"].shape == (16, 16, 4)
    assert graph.nodes["up"].shape == (32, 48, 5)
    assert graph.nodes["side"].shape == (14, 14, 2)
    assert [n.id for n in graph.inputs] == ["x", "y"]


def test_unused_entry_is_a_warning():
    graph = graph_of([
        {"id": "a", "layer": "Conv2D", "filters": 3, "kernel_size": 1},
        {"id": "dead", "layer": "Conv2D", "filters": 3, "kernel_size": 1, "inputs": "x"},
        {"id": "out", "layer": "ReLU", "inputs": "a"},
    ])
    (warning,) = graph.warnings
    assert warning.severity == "warning"
    assert warning.message == "entry 'dead' is not used by any output"


@pytest.mark.parametrize("layer, params, shape", [
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2}, (7, 7, 4)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (8, 8, 4)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, (12, 12, 4)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2}, (33, 33, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"}, (32, 32, 2)),
    ("MaxPooling2D", {"pool_size": 3}, (5, 5, 3)),
    ("AveragePooling2D", {"pool_size": 2, "strides": 1}, (15, 15, 3)),
    ("GlobalAveragePooling2D", {}, (3,)),
    ("UpSampling2D", {"size": [2, 3]}, (32, 48, 3)),
    ("ZeroPadding2D", {"padding": [[1, 2], [0, 1]]}, (19, 17, 3)),
    ("Cropping2D", {"cropping": 2}, (12, 12, 3)),
    ("Flatten", {}, (768,)),
    ("Reshape", {"target_shape": [-1, 3]}, (256, 3)),
    ("Dense", {"units": 7}, (16, 16, 7)),
    ("BatchNormalization", {}, (16, 16, 3)),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, (14, 14, 6)),
    ("Permute", {"dims": [3, 1, 2]}, (3, 16, 16)),
])
def test_static_shapes_of_common_layers(layer, params, shape):
    graph = graph_of([{"id": "l", "layer": layer, **params}])
    assert graph.nodes["l"].shape == shape


def test_static_shapes_match_keras():
    import keras

    for layer, params in [("Conv2D", {"filters": 4, "kernel_size": 5, "strides": 3}),
                          ("Conv2DTranspose", {"filters": 2, "kernel_size": 5, "strides": 3}),
                          ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"})]:
        graph = graph_of([{"id": "l", "layer": layer, **params}], inputs={"x": [17, 11, 3]})
        keras_shape = getattr(keras.layers, layer)(**params).compute_output_shape((None, 17, 11, 3))
        assert graph.nodes["l"].shape == tuple(keras_shape[1:]), layer


def test_unknown_sizes_propagate():
    graph = graph_of([{"id": "up", "upsample": "nearest", "factor": 2, "filters": 4}], inputs={"x": [None, None, 3]})
    assert graph.nodes["up"].shape == (None, None, 4)


def test_unet_shapes():
    graph = build_graph(load_spec(SPECS / "unet.yaml"))
    assert graph.nodes["skip2"].shape == (32, 32, 64)
    assert graph.nodes["mask"].shape == (64, 64, 1)


def test_unet_with_odd_input_reports_the_pooling_that_lost_a_row():
    with pytest.raises(SpecError) as caught:
        build_graph(load_spec(SPECS / "unet.yaml", overrides=["inputs.image=[62, 62, 3]"]))
    (d,) = caught.value.diagnostics
    assert d.message.startswith("entry 'skip2': Concatenate needs equal sizes")
    assert "'up2' (30, 30, 32), 'enc2' (31, 31, 32)" in d.message
    assert "entry 'pool2' rounds 31 down to 15" in d.hint
    skip2_line = next(i for i, line in enumerate((SPECS / "unet.yaml").read_text().splitlines(), 1) if "id: skip2" in line)
    assert d.line == skip2_line


def test_three_dimensional_and_one_dimensional_specs():
    assert build_graph(load_spec(SPECS / "volume_3d.yaml")).nodes["out"].shape == (32, 32, 32, 1)
    assert build_graph(load_spec(SPECS / "signal_1d.yaml")).nodes["out"].shape == (256, 2)


@pytest.mark.parametrize("first, second, axes", [
    ((5,), (5,), 1), ((3, 4), (4, 6), [2, 1]), ((3, 4), (3, 6), [1, 1]), ((2, 3, 4), (2, 4), [-1, -1]),
    ((7, 3), (7, 3), 1), ((2, 3, 4), (2, 5, 4), [3, 3]),
])
def test_dot_output_shapes_are_keras_own(first, second, axes):
    import keras

    text = f"""name: dot
inputs: {{a: {list(first)}, b: {list(second)}}}
layers:
  - {{id: d, layer: Dot, axes: {axes}, inputs: [a, b]}}
"""
    graph = build_graph(load_spec(text))
    expected = keras.layers.Dot(axes=axes).compute_output_shape([(None, *first), (None, *second)])
    assert graph.nodes["d"].shape == tuple(expected[1:])
