"""Static estimates (parameters, activation memory) and the budgets that refuse a model before Keras allocates it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import SPECS
from upspec import SpecError
from upspec import load_spec
from upspec.cli.main import make_cli
from upspec.graph.graph import build_graph

SMALL = "name: t\ninputs:\n  x: [8, 8, 3]\nlayers:\n"


def first_error(text: str, **kwargs):
    with pytest.raises(SpecError) as caught:
        build_graph(load_spec(text, **kwargs))
    return caught.value.diagnostics[0]


@pytest.mark.parametrize("spec", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_layer_estimates_equal_keras_counts_and_upsample_estimates_bound_them(spec):
    from upspec.builder.builder import assemble
    from upspec.registry.registry import get_registry

    graph = build_graph(load_spec(spec))
    model, names = assemble(graph, get_registry())
    for node in graph.entries:
        actual = sum(model.get_layer(n).count_params() for n in names[node.id])
        if node.kind == "upsample":
            assert node.estimate.params >= actual, node.id
        elif node.estimate.params is not None:
            assert node.estimate.params == actual, node.id
        assert node.estimate.memory == 4 * __import__("math").prod(node.shape) * (2 if node.kind == "upsample" else 1)


@pytest.mark.parametrize(("entries", "where", "start"), [
    ("  - {id: up, upsample: pixel_shuffle, factor: 100000, filters: 4}\n", (5, 47),
     "the model would have about"),
    ("  - {id: up, upsample: nearest, factor: 2, filters: 4}\n  - {id: c, layer: Conv2D, kernel_size: 3, filters: 1000000000}\n",
     (6, 53), "the model would have about 37,000,000,"),
    ("  - {id: up, upsample: nearest, factor: 2, filters: 4}\n  - {id: d, layer: Dense, units: 900000000}\n",
     (6, 34), "the model would have about 4,500,000,"),
], ids=["factor", "filters", "units"])
def test_over_the_parameter_budget_names_the_entry(entries, where, start):
    d = first_error(SMALL + entries)
    assert (d.line, d.column) == where
    assert d.message.startswith(start) and "over the budget of 200,000,000" in d.message
    assert "--max-params" in d.hint


def test_over_the_memory_budget_names_the_entry_and_can_be_raised():
    text = "name: t\ninputs:\n  x: [65536, 65536, 3]\nlayers:\n  - {id: up, upsample: nearest, factor: 2, filters: 4}\n"
    d = first_error(text)
    assert (d.line, d.column) == (5, 41)
    assert d.message == ("the model's activations would take about 560.0 GiB per example, over the budget of 4.0 GiB; "
                         "entry 'up' alone takes 512.0 GiB")
    assert build_graph(load_spec(text, overrides=["limits.max_memory=1 TiB"])).outputs == ["up"]
    assert build_graph(load_spec(text.replace("layers:", "limits: {max_memory: 600 GiB}\nlayers:"))).outputs == ["up"]


def test_cli_budget_options(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(SMALL + "  - {id: up, upsample: nearest, factor: 2, filters: 4}\n  - {id: d, layer: Dense, units: 9000000}\n")
    cli = make_cli([])
    refused = CliRunner().invoke(cli, ["validate", str(path), "--max-params", "1000"])
    assert refused.exit_code == 2
    assert f"{path}:6:34: error: the model would have about 45,000," in refused.stderr
    allowed = CliRunner().invoke(cli, ["validate", str(path), "--max-params", "100000000", "--max-memory", "16 GiB"])
    assert allowed.exit_code == 0, allowed.output
    bad = CliRunner().invoke(cli, ["validate", str(path), "--max-memory", "lots"])
    assert bad.exit_code == 2 and "'lots' is not a size" in bad.stderr


def test_show_prints_the_estimates():
    result = CliRunner().invoke(make_cli([]), ["show", str(SPECS / "unet.yaml"), "--no-params", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["enc1"]["estimated_params"] == 3 * 3 * 3 * 16 + 16
    assert rows["enc1"]["activation_bytes"] == 64 * 64 * 16 * 4
    table = CliRunner().invoke(make_cli([]), ["show", str(SPECS / "unet.yaml"), "--no-params"]).stdout
    assert "est. params" in table and "activations" in table
    assert "estimated: 69,777 parameters, 2.5 MiB of activations per example" in table  # exact: transposes
