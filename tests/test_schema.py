"""``upspec schema`` read by a real validator (Python ``jsonschema``): shipped specs pass, mistakes are named."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import ROOT
from tests.conftest import SPECS

SHIPPED = sorted(SPECS.glob("*.yaml")) + sorted((ROOT / "examples").glob("*/specs/*.yaml"))


@pytest.fixture(scope="module")
def validator(tmp_path_factory):
    from upspec.cli.main import make_cli

    cli = make_cli([])
    out = tmp_path_factory.mktemp("schema") / "upspec.schema.json"
    result = CliRunner().invoke(cli, ["schema", "-o", str(out)])
    assert result.exit_code == 0, result.output
    schema = json.loads(out.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator, spec: dict) -> list[str]:
    return sorted(error.message for error in validator.iter_errors(spec))


def _seed() -> dict:
    return yaml.safe_load((SPECS / "seed_transpose.yaml").read_text())


def test_one_document_with_every_reference_at_the_root(validator):
    text = json.dumps(validator.schema)
    assert validator.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    refs = {r.split('"')[0] for r in text.split('"$ref": "')[1:]}
    assert refs and all(r.startswith("#/$defs/") and r[len("#/$defs/"):] in validator.schema["$defs"] for r in refs)
    assert '"$defs": {' not in json.dumps(validator.schema["$defs"])  # no nested definitions to dangle


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_spec_is_valid(validator, path):
    assert _errors(validator, yaml.safe_load(path.read_text())) == []


def test_a_misspelt_strategy_parameter_is_named(validator):
    spec = _seed()
    spec["layers"][0]["kernal_size"] = spec["layers"][0].pop("kernel_size")
    assert _errors(validator, spec) == ["Additional properties are not allowed ('kernal_size' was unexpected)"]


def test_strategy_parameters_are_checked_per_strategy(validator):
    spec = _seed()
    spec["layers"][0]["icnr"] = True  # a pixel_shuffle parameter, not a transpose one
    assert _errors(validator, spec) == ["Additional properties are not allowed ('icnr' was unexpected)"]
    spec["layers"][0]["upsample"] = "pixel_shuffle"
    assert _errors(validator, spec) == []
    spec["layers"][0]["factor"] = 0
    assert any("factor" in e or "0" in e for e in _errors(validator, spec))


def test_unknown_strategy_and_both_kinds_are_rejected(validator):
    spec = _seed()
    spec["layers"][0]["upsample"] = "nearset"
    assert any("'nearset' is not one of" in e for e in _errors(validator, spec))
    spec = _seed()
    spec["layers"][0]["layer"] = "Conv2D"
    assert _errors(validator, spec)
    del spec["layers"][0]["upsample"]
    assert any("'factor'" in e and "unexpected" in e for e in _errors(validator, spec))


def test_keras_layer_arguments_are_checked_per_class(validator):
    spec = _seed()
    spec["layers"][1]["padding_mode"] = spec["layers"][1].pop("padding")
    assert _errors(validator, spec) == ["Additional properties are not allowed ('padding_mode' was unexpected)"]
    spec = _seed()
    del spec["layers"][1]["filters"]
    assert _errors(validator, spec) == ["'filters' is a required property"]
    spec = _seed()
    spec["layers"][1]["name"] = "conv"
    assert _errors(validator, spec) == ["Additional properties are not allowed ('name' was unexpected)"]


@pytest.mark.parametrize("optimizer", ["adam", {"name": "adam", "learning_rate": 0.001}])
def test_optimizer_by_name_or_mapping(validator, optimizer):
    spec = _seed()
    spec["compile"]["optimizer"] = optimizer
    spec["compile"]["metrics"] = "psnr"
    assert _errors(validator, spec) == []
    spec["compile"]["optimizer"] = 3
    assert _errors(validator, spec)


def test_the_schema_rejects_what_validate_rejects(validator):
    caught = ["05", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "18", "32", "33", "34"]
    for number in caught:
        (path,) = (ROOT / "tests" / "bad_specs").glob(f"{number}_*.yaml")
        assert _errors(validator, yaml.safe_load(path.read_text())), path.name


def test_train_and_data_sections_are_checked(validator):
    spec = _seed()
    spec["train"] = {"epochs": 2, "batch_size": 8}
    spec["data"] = {"source": "photos", "degradation": "area"}
    assert _errors(validator, spec) == []
    spec["train"] = {"epochz": 2}
    assert _errors(validator, spec) == ["Additional properties are not allowed ('epochz' was unexpected)"]
    spec["train"] = {"epochs": 0}
    assert _errors(validator, spec)
