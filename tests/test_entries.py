"""A ``layers:`` entry is one of two kinds, each with its own type, and every message names it the same way."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import upspec
from upspec.modelspec.model import LayerEntry
from upspec.modelspec.model import UpsampleEntry
from upspec.modelspec.model import parse_entry


def test_an_entry_is_a_layer_entry_or_an_upsample_entry():
    up = parse_entry({"id": "up", "upsample": "nearest", "factor": 2, "filters": 4})
    conv = parse_entry({"layer": "Conv2D", "filters": 1, "kernel_size": 3, "inputs": "up"})
    assert isinstance(up, UpsampleEntry) and isinstance(conv, LayerEntry)
    assert (up.kind, up.type_name, up.params) == ("upsample", "nearest", {"factor": 2, "filters": 4})
    assert (conv.kind, conv.type_name, conv.inputs) == ("layer", "Conv2D", ["up"])
    assert up.layer is None and conv.upsample is None  # the other kind's key reads as absent


@pytest.mark.parametrize("data", [{"layer": "Conv2D", "upsample": "nearest"}, {"id": "x"}, {"layer": None}])
def test_an_entry_needs_exactly_one_kind(data):
    with pytest.raises(ValidationError, match="an entry needs exactly one of 'layer:' or 'upsample:'"):
        parse_entry(data)


def test_an_entry_must_be_a_mapping():
    with pytest.raises(ValidationError, match="an entry must be a mapping with 'layer:' or 'upsample:'"):
        parse_entry("Conv2D")


def test_a_spec_keeps_each_entrys_kind():
    spec = upspec.load_spec({"name": "s", "inputs": {"x": [8, 8, 1]}, "layers": [
        {"id": "up", "upsample": "bilinear", "factor": 2, "filters": 2},
        {"layer": "Conv2D", "filters": 1, "kernel_size": 3, "padding": "same"}]})
    assert [type(e) for e in spec.layers] == [UpsampleEntry, LayerEntry]
    assert spec.layers[0].params["factor"] == 2
    again = upspec.load_spec(spec, strategy="nearest")  # a Spec re-validated keeps its kinds
    assert [e.type_name for e in again.layers] == ["nearest", "Conv2D"]


def test_messages_name_an_entry_by_id_or_by_position_and_type():
    assert parse_entry({"id": "up", "upsample": "nearest"}).label(0) == "entry 'up'"
    assert parse_entry({"layer": "Conv2D"}).label(3) == "layers[3] (Conv2D)"
    assert parse_entry({"layer": "Conv2D"}).label(3, with_type=False) == "layers[3]"


def test_the_graph_and_the_builder_name_entries_alike():
    text = ("name: b\ninputs: {x: [8, 8, 1]}\nlayers:\n"
            "  - {layer: Conv2D, filters: 2, kernel_size: 3, activation: sideways}\n"
            "  - {layer: Conv2D, filters: 2, kernel_size: 3, inputs: nope}\n")
    with pytest.raises(upspec.SpecError) as graph_error:
        upspec.build_model(text)
    assert [d.message for d in graph_error.value.diagnostics] == [
        "layers[1] (Conv2D) takes input 'nope', which is not defined"]
    with pytest.raises(upspec.SpecError) as keras_error:
        upspec.build_model(text.replace(", inputs: nope", ""))
    assert keras_error.value.diagnostics[0].message.startswith("Keras rejected layers[0] (Conv2D): ")
