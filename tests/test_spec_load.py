from __future__ import annotations

import pytest

from conftest import SPECS
from upspec import SpecError
from upspec import load_spec

SEED = SPECS / "seed_transpose.yaml"
MINIMAL = {"name": "m", "inputs": {"x": [8, 8, 1]}, "layers": [{"id": "up", "upsample": "nearest", "factor": 2, "filters": 4}]}


def test_load_from_path_text_and_dict_agree():
    from_path = load_spec(SEED)
    from_str_path = load_spec(str(SEED))
    from_text = load_spec(SEED.read_text())
    from_dict = load_spec(from_path.model_dump(exclude={"outputs"}, exclude_none=True) | {
        "layers": [e.model_dump(exclude_none=True) for e in from_path.layers]})
    for spec in (from_str_path, from_text, from_dict):
        assert spec.name == "seed-transpose"
        assert [e.params for e in spec.layers] == [e.params for e in from_path.layers]
    assert from_path.source == str(SEED)
    assert from_text.source == "<string>"
    assert from_dict.source == "<dict>"


def test_entry_parameters_and_compile_defaults():
    spec = load_spec(MINIMAL)
    (entry,) = spec.layers
    assert (entry.kind, entry.type_name, entry.params) == ("upsample", "nearest", {"factor": 2, "filters": 4})
    assert spec.compile.optimizer.name == "adam"
    assert spec.compile.loss == "mean_squared_error"


def test_optimizer_with_arguments():
    spec = load_spec({**MINIMAL, "compile": {"optimizer": {"name": "sgd", "learning_rate": 0.1, "momentum": 0.9}}})
    assert spec.compile.optimizer.name == "sgd"
    assert spec.compile.optimizer.arguments == {"learning_rate": 0.1, "momentum": 0.9}


def test_every_error_is_reported_in_one_go():
    text = (SPECS / "seed_transpose.yaml").read_text()
    text = text.replace("filters: 32", "filters: -1").replace("padding: same", "padd: same").replace("loss:", "los:")
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    messages = caught.value.messages
    assert len(messages) == 3
    assert any("filters" in m and "-1" in m for m in messages)
    assert any("no argument 'padd'" in m for m in messages)
    assert any("unknown key 'los'" in m for m in messages)
    lines = [d.line for d in caught.value.diagnostics]
    assert lines == sorted(lines)


def test_dict_errors_have_no_position_but_a_clear_message():
    with pytest.raises(SpecError) as caught:
        load_spec({**MINIMAL, "layers": [{"upsample": "nope", "factor": 2, "filters": 1}]})
    (d,) = caught.value.diagnostics
    assert d.format().startswith("<dict>: error: unknown upsampling strategy 'nope'")


def test_set_override_changes_a_value_by_id():
    spec = load_spec(SEED, overrides=["layers.up.filters=64", "compile.optimizer.learning_rate=1e-4"])
    assert spec.layers[0].params["filters"] == 64
    assert spec.compile.optimizer.arguments == {"learning_rate": 0.0001}


def test_set_override_by_index_and_mapping_form():
    spec = load_spec(SEED, overrides={"layers.1.filters": 3})
    assert spec.layers[1].params["filters"] == 3


def test_bad_override_points_into_the_override_text():
    with pytest.raises(SpecError) as caught:
        load_spec(SEED, overrides=["layers.up.filters=many"])
    (d,) = caught.value.diagnostics
    assert (d.source, d.line, d.column) == ("--set layers.up.filters=many", 1, 25)
    assert "filters" in d.message and "'many'" in d.message


def test_override_of_unknown_id_lists_the_ids():
    with pytest.raises(SpecError) as caught:
        load_spec(SEED, overrides=["layers.upp.filters=3"])
    (d,) = caught.value.diagnostics
    assert d.message == "layers has no entry with id 'upp'"
    assert "did you mean 'up'?" in d.hint


def test_override_without_equals_is_refused():
    with pytest.raises(SpecError, match="PATH=VALUE"):
        load_spec(SEED, overrides=["layers.up.filters"])


def test_strategy_switch_changes_every_upsample_entry():
    spec = load_spec(SPECS / "unet.yaml", strategy="bilinear")
    assert [e.upsample for e in spec.layers if e.kind == "upsample"] == ["bilinear", "bilinear"]
    assert [e.layer for e in spec.layers if e.kind == "layer"][:2] == ["Conv2D", "MaxPooling2D"]


def test_strategy_switch_drops_options_the_new_strategy_does_not_take():
    spec = {**MINIMAL, "layers": [{"upsample": "pixel_shuffle", "factor": 2, "filters": 4, "icnr": False}]}
    assert load_spec(spec).layers[0].params["icnr"] is False
    assert "icnr" not in load_spec(spec, strategy="nearest").layers[0].params


def test_unknown_strategy_switch_is_reported_at_the_option():
    with pytest.raises(SpecError) as caught:
        load_spec(SEED, strategy="bilinaer")
    (d,) = caught.value.diagnostics
    assert d.source == "--strategy bilinaer"
    assert "did you mean 'bilinear'?" in d.hint


def test_missing_file_is_a_spec_error():
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec("does/not/exist.yaml")
