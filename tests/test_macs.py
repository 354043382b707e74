"""Analytic multiply-accumulates per layer, by hand and against TensorFlow's profiler."""

from __future__ import annotations

import pytest

from tests.conftest import SPECS
from tests.test_saved_models import STRATEGIES


def _mixed_model(use_bias: bool):
    import keras

    x = keras.Input((12, 10, 3), name="image")
    y = keras.layers.Conv2D(8, 3, padding="same", use_bias=use_bias, name="conv")(x)
    y = keras.layers.Conv2D(8, 3, strides=2, padding="valid", use_bias=use_bias, groups=2, name="grouped")(y)
    y = keras.layers.Conv2DTranspose(5, 3, strides=2, padding="same", use_bias=use_bias, name="deconv")(y)
    y = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", use_bias=use_bias, name="depthwise")(y)
    y = keras.layers.SeparableConv2D(4, 3, padding="same", use_bias=use_bias, name="separable")(y)
    y = keras.layers.UpSampling2D(2, interpolation="bilinear", name="resize")(y)
    y = keras.layers.Dense(6, use_bias=use_bias, name="dense")(y)
    return keras.Model(x, y)


def test_each_layer_kind_by_hand():
    from upspec.analysis.macs import per_layer_macs

    assert per_layer_macs(_mixed_model(True)) == {
        "image": 0,
        "conv": 12 * 10 * 9 * 3 * 8,          # output positions x taps x in x out
        "grouped": 5 * 4 * 9 * (8 // 2) * 8,   # valid, stride 2: 5x4 outputs, 4 input channels per group
        "deconv": 5 * 4 * 9 * 8 * 5,           # input positions x taps x in x out
        "depthwise": 10 * 8 * 9 * 5 * 2,
        "separable": 10 * 8 * 9 * 10 + 10 * 8 * 10 * 4,
        "resize": 0,
        "dense": 20 * 16 * 4 * 6,
    }


def test_seed_transpose_by_hand():
    import upspec
    from upspec.analysis.macs import multiply_accumulates

    model = upspec.build_model(SPECS / "seed_transpose.yaml")
    assert multiply_accumulates(model) == 28 * 28 * 9 * 1 * 32 + 56 * 56 * 9 * 32 * 1


def _profiled(model) -> int:
    pytest.importorskip("tensorflow")
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("TensorFlow's profiler needs the TensorFlow backend")
    from upspec.analysis.cost import profiled_multiply_accumulates

    return profiled_multiply_accumulates(model)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_equals_the_profiler_on_bias_free_convolutions(rank):
    import keras

    conv = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D, 3: keras.layers.Conv3D}[rank]
    transpose = {1: keras.layers.Conv1DTranspose, 2: keras.layers.Conv2DTranspose, 3: keras.layers.Conv3DTranspose}
    x = keras.Input((9,) * rank + (3,))
    y = conv(6, 3, padding="same", use_bias=False)(x)
    if rank < 3:  # the profiler has no float-operation count for Conv3DBackpropInputV2 (it counts 0)
        y = transpose[rank](4, 3, strides=2, padding="same", use_bias=False)(y)
    y = conv(2, 3, strides=2, padding="valid", use_bias=False)(y)
    y = keras.layers.Dense(5, use_bias=False)(y)
    model = keras.Model(x, y)
    from upspec.analysis.macs import multiply_accumulates

    assert multiply_accumulates(model) == _profiled(model)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_close_to_the_profiler_for_every_strategy(strategy):
    """The profiler also counts bias additions, resizes and pooling: a little more, never less."""
    import upspec
    from upspec.analysis.macs import multiply_accumulates

    from test_saved_models import guided_seed_spec
    from upspec.registry.registry import get_registry

    guided = bool(get_registry().strategy(strategy).takes_guide)
    model = upspec.build_model(guided_seed_spec() if guided else SPECS / "seed_transpose.yaml", strategy=strategy)
    analytic, profiled = multiply_accumulates(model), _profiled(model) + _einsum_and_batched_matmul_macs(model)
    assert analytic <= profiled <= 1.25 * analytic


def _einsum_and_batched_matmul_macs(model) -> int:
    """What TensorFlow's profiler leaves out (it has no count for Einsum and batched MatMul, which the guided
    layers' similarities and reassembly use): read from the traced graph, each contraction's index sizes."""
    import math

    import tensorflow as tf

    specs = [tf.TensorSpec((1, *t.shape[1:]), tf.float32) for t in model.inputs]
    graph = tf.function(lambda *x: model(list(x) if len(x) > 1 else x[0], training=False)) \
        .get_concrete_function(*specs).graph
    total = 0
    for op in graph.get_operations():
        shapes = [tuple(int(n) for n in i.shape) for i in op.inputs]
        if op.type == "Einsum":
            sizes: dict[str, int] = {}
            for letters, shape in zip(op.get_attr("equation").decode().split("->")[0].split(","), shapes):
                sizes.update(zip(letters, shape))
            total += math.prod(sizes.values())
        elif op.type in ("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"):
            (*batch, m, k), n = shapes[0], shapes[1][-1]
            total += math.prod(batch) * m * k * n
    return total


@pytest.mark.parametrize("layer, kwargs", [
    ("FadeUpsample", {"lite": True}), ("FadeUpsample", {"factor": 4, "embedding_dim": 16}),
    ("SapaUpsample", {"variant": "G"}), ("SapaUpsample", {"variant": "cat", "kernel_size": 3}),
    ("JointBilateralUpsample", {"factor": 4, "final_fixup": False})])
def test_a_guided_layers_count_matches_its_traced_graph_in_every_variant(layer, kwargs):
    import keras

    import upspec.layers
    from upspec.analysis.macs import multiply_accumulates

    factor = kwargs.get("factor", 2)
    x, guide = keras.Input((6, 5, 8)), keras.Input((6 * factor, 5 * factor, 8))
    model = keras.Model([x, guide], getattr(upspec.layers, layer)(**kwargs)([x, guide]))
    analytic, counted = multiply_accumulates(model), _profiled(model) + _einsum_and_batched_matmul_macs(model)
    assert analytic > 0
    assert analytic <= counted <= 1.25 * analytic
