"""Guided strategies in the contract: ``guide: ENTRY`` validated (positioned errors naming both entries), shown
(table, mermaid, dot, json), built, switched with ``--strategy``; the schema and ``upspec plugins`` list guides;
a third-party guided strategy written from docs/plugins.md alone; EQ-T in ``upspec checkerboard``; export."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from conftest import SPECS
from conftest import invoke_upspec

import upspec
from upspec.graph.graph import build_graph
from upspec.registry.registry import get_registry

GUIDED = ["fade", "sapa", "jbu"]

BASE = """name: guided
inputs:
  x: [8, 8, 4]
layers:
  - {id: hr, layer: UpSampling2D, size: 2}
  - {id: low, layer: Conv2D, filters: 4, kernel_size: 3, padding: same, inputs: x}
  - {id: up, upsample: %s}
"""


def problems(entry: str, text: str = BASE) -> list[str]:
    """The formatted diagnostics of the spec with ``up`` written as ``entry``."""
    try:
        build_graph(upspec.load_spec(text % entry))
    except upspec.SpecError as error:
        return [d.format() for d in error.diagnostics]
    return []


def test_a_guided_entry_validates_and_builds_with_its_guide():
    spec = upspec.load_spec(BASE % "fade, factor: 2, filters: 3, guide: hr")
    graph = build_graph(spec)
    assert graph.nodes["up"].guide == "hr" and graph.nodes["up"].shape == (16, 16, 3)
    assert graph.consumers("hr") == ["up"]
    model = upspec.build_model(spec)
    assert model.output_shape == (None, 16, 16, 3)


def column(entry: str, key: str, *, at_key: bool = False) -> int:
    """The column of ``key``'s value (or of the key) in the line ``  - {id: up, upsample: ENTRY}``."""
    line = "  - {id: up, upsample: " + entry + "}"
    if key == "upsample":
        return line.index("upsample: ") + len("upsample: ") + 1
    at = line.index(f" {key}: ") + 1
    return at + 1 if at_key else at + len(key) + 3


@pytest.mark.parametrize("entry,key,at_key,words", [
    ("fade, factor: 2, filters: 3, guide: nope", "guide", False, "entry 'up' takes guide 'nope', which is not defined"),
    ("fade, factor: 2, filters: 3, guide: up", "guide", False, "entry 'up' names itself as its guide"),
    ("fade, factor: 2, filters: 3, guide: low", "guide", False,
     "entry 'up': its guide, entry 'low', is 8 x 8 (shape (8, 8, 4)) but the output is 16 x 16"),
    ("sapa, factor: 2, filters: 3, guide: x", "guide", False, "its guide, input 'x', is 8 x 8"),
    ("transpose, factor: 2, filters: 3, guide: hr", "guide", True,
     "strategy 'transpose' takes no guide (entry 'up' names guide 'hr')"),
    ("jbu, factor: 2, filters: 3", "upsample", False, "strategy 'jbu' needs a guide (entry 'up')"),
    ("alias_free, factor: 2, filters: 3, cutoff: 0.7", "cutoff", False, "cutoff=0.7 is above the input's Nyquist"),
    ("alias_free, factor: 3, filters: 3, taps: 18", "taps", False, "taps=18 on axis 0 is even but factor 3 needs odd"),
    ("fade, factor: 2, filters: 3, up_kernel_size: 4, guide: hr", "up_kernel_size", False,
     "up_kernel_size=4 must be an odd"),
    ("jbu, factor: 2, filters: 3, radius: 20, guide: hr", "radius", False, "radius=20 does not fit an input side of 8"),
    ("jbu, factor: 3, filters: 3, guide: hr", "factor", False, "factor must be 2, 4, 8"),
])
def test_bad_guides_and_parameters_are_positioned_errors_before_keras(entry, key, at_key, words):
    text = BASE if "factor: 3" not in entry else BASE.replace("size: 2}", "size: 3}")
    found = problems(entry, text)
    where = f"<string>:7:{column(entry, key, at_key=at_key)}: error: "
    assert len(found) == 1 and found[0].startswith(where) and words in found[0], found


def test_fade_refuses_a_guide_of_other_channels_only_without_align():
    text = BASE.replace("size: 2}", "size: 2}\n  - {id: hr3, layer: Conv2D, filters: 3, kernel_size: 1, inputs: hr}")
    entry = "fade, factor: 2, filters: 3, align: false, inputs: low, guide: hr3"
    (found,) = problems(entry, text)
    assert found.startswith(f"<string>:8:{column(entry, 'align')}: error: ")
    assert "the guide has 3 channels and the input 4" in found and "set align: true" in found
    assert problems(entry.replace("false", "true"), text) == []


def test_a_guide_of_the_wrong_rank_names_both_entries():
    text = BASE.replace("  - {id: up", "  - {id: flat, layer: Reshape, target_shape: [256, 4], inputs: hr}\n  - {id: up")
    found = problems("sapa, factor: 2, filters: 3, inputs: low, guide: flat", text)
    assert len(found) == 1 and "entry 'up': its guide, entry 'flat', has shape (256, 4) (1-D) but the output " \
                               "(16, 16, 3) is 2-D" in found[0]


def test_a_guide_that_comes_later_is_refused():
    text = BASE.replace("  - {id: hr, layer: UpSampling2D, size: 2}\n", "") + \
        "  - {id: hr, layer: UpSampling2D, size: 2, inputs: x}\n  - {id: out, layer: Add, inputs: [up, hr]}\n"
    found = problems("sapa, factor: 2, filters: 4, inputs: low, guide: hr", text)
    assert len(found) == 1 and "entry 'up' takes guide 'hr', which comes later" in found[0]


def test_a_layer_entry_cannot_take_a_guide():
    found = problems("nearest, factor: 2, filters: 3", BASE.replace("size: 2}", "size: 2, guide: x}"))
    assert len(found) == 1 and "only upsample entries take 'guide:'; entry 'hr' is a layer (UpSampling2D)" in found[0]


@pytest.mark.parametrize("strategy", GUIDED + ["alias_free", "transpose"])
def test_the_guided_unet_builds_with_every_strategy(strategy):
    model = upspec.build_model(SPECS / "unet_guided.yaml", strategy=strategy)
    assert model.output_shape == (None, 64, 64, 1)
    assert model(np.zeros((1, 64, 64, 3), "float32")).shape == (1, 64, 64, 1)


def test_switching_to_an_unguided_strategy_says_which_entries_ignored_their_guides():
    done = invoke_upspec("validate", str(SPECS / "unet_guided.yaml"), "--strategy", "transpose")
    assert done.returncode == 0, done.stderr
    assert "note: layers[5] (up2): ignores its guide 'enc2', which 'transpose' does not take" in done.stderr
    assert "note: layers[8] (up1): ignores its guide 'enc1', which 'transpose' does not take" in done.stderr
    kept = invoke_upspec("validate", str(SPECS / "unet_guided.yaml"), "--strategy", "jbu")
    assert kept.returncode == 0 and "ignores" not in kept.stderr


def test_show_marks_the_guide_edge_in_every_format():
    table = invoke_upspec("show", str(SPECS / "unet_guided.yaml")).stdout
    assert any(line.startswith("up2 ") and "bottom, guide: enc2" in line for line in table.splitlines())
    assert "    enc2 -. guide .-> up2" in invoke_upspec("show", str(SPECS / "unet_guided.yaml"), "--format", "mermaid").stdout
    assert '    "enc1" -> "up1" [style=dashed, label="guide"];' in \
        invoke_upspec("show", str(SPECS / "unet_guided.yaml"), "--format", "dot").stdout
    rows = json.loads(invoke_upspec("show", str(SPECS / "unet_guided.yaml"), "--format", "json").stdout)
    assert {r["id"]: r.get("guide") for r in rows if r["id"].startswith("up")} == {"up2": "enc2", "up1": "enc1"}


def test_schema_and_plugins_list_guides_and_never_the_guide_parameter():
    from upspec.modelspec.schema import spec_schema

    registry = get_registry()
    defs = spec_schema(registry)["$defs"]
    assert "guide" in defs["upsample_fade"]["required"] and "guide" in defs["upsample_fade"]["properties"]
    assert "guide" not in defs["upsample_transpose"]["properties"]
    assert all("guide" not in registry.parameters(name) for name in GUIDED)
    listing = invoke_upspec("plugins").stdout
    assert "  strategy jbu(" in listing and "); guide: required" in listing
    assert not any("guide: guide" in line or "guide: any" in line for line in listing.splitlines())


# -- a third-party guided strategy, as docs/plugins.md writes it -------------------------------------------


class GuideGate(upspec.Strategy):
    """Nearest resize, then a convolution of the resized input and the guide, side by side."""

    name = "guide_gate"
    ranks = (1, 2, 3)
    takes_guide = "required"

    def build(self, x, *, factor, filters, kernel_size=3, activation=None, use_bias=True,
              kernel_initializer="glorot_uniform", guide, name):
        import keras

        up = getattr(keras.layers, f"UpSampling{len(factor)}D")(factor if len(factor) > 1 else factor[0],
                                                                name=f"{name}_resize")(x)
        both = keras.layers.Concatenate(name=f"{name}_join")([up, guide])
        return upspec.convolution_class(len(factor))(filters, kernel_size, padding="same", activation=activation,
                                                     use_bias=use_bias, kernel_initializer=kernel_initializer,
                                                     name=name)(both)


def test_a_third_party_guided_strategy_passes_the_kit_and_builds():
    from upspec.registry.plugins import PluginInfo
    from upspec.testing import check_strategy

    assert check_strategy(GuideGate(), checks=["signature", "shapes", "gradients", "unsupported rank", "guide"])
    registry = get_registry().with_strategy(GuideGate(), PluginInfo("mine", "-", "-", "-"))
    model = upspec.build_model(BASE % "guide_gate, factor: 2, filters: 3, guide: hr", registry=registry)
    assert model.output_shape == (None, 16, 16, 3)


def test_a_strategy_that_takes_a_guide_must_accept_it_in_build():
    from upspec.registry.strategy import strategy_parameters

    class Forgetful(upspec.Strategy):
        name = "forgetful"
        takes_guide = "optional"

        def build(self, x, *, factor, filters, kernel_size=3, activation=None, use_bias=True,
                  kernel_initializer="glorot_uniform", name):
            return x

    with pytest.raises(TypeError, match="must accept the keyword-only parameter 'guide'"):
        strategy_parameters(Forgetful())


# -- EQ-T in the checkerboard measurements -------------------------------------------------------------------


def _eqt(strategy: str) -> Any:
    from upspec.analysis.measure import measure

    spec = upspec.load_spec({"name": "eqt", "inputs": {"x": [16, 16, 2]},
                             "layers": [{"id": "up", "upsample": strategy, "factor": 2, "filters": 2}]})
    (report,) = measure(spec, seeds=(0,))
    return report.eqt_init


def test_eqt_of_alias_free_is_higher_than_transposes_at_initialisation():
    alias_free, transpose = _eqt("alias_free"), _eqt("transpose")
    assert alias_free[0] > 60 and transpose[0] > 60  # integer shifts: both equivariant away from the borders
    assert alias_free[1] > transpose[1] + 10, (alias_free, transpose)  # sub-pixel: the low-pass removes aliasing


def test_checkerboard_reports_eqt_for_guided_entries(tmp_path):
    from upspec.runner.checkerboard import format_report
    from upspec.runner.checkerboard import run_checkerboard

    result = run_checkerboard(SPECS / "unet_guided.yaml", seeds=(0,), out=str(tmp_path / "cb"), strategy="jbu")
    entries = result.report["entries"]
    assert [e["entry"] for e in entries] == ["up2", "up1"]
    assert all(isinstance(e["eqt_frac_init"], float) and e["eqt_trained"] is None for e in entries)
    assert "EQ-T init (int/frac)" in format_report(result.report)


# -- export ----------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("strategy", GUIDED + ["alias_free"])
def test_saved_model_and_tflite_export_and_tflite_matches_keras(strategy, tmp_path):
    from test_saved_models import guided_seed_spec

    from upspec.runner.artefacts.export import export
    from upspec.runner.artefacts.export import tflite_predict

    model = upspec.build_model(upspec.load_spec(guided_seed_spec(), strategy=strategy))
    written = export(model, tmp_path, strategies={"up": strategy})  # SavedModel and TFLite
    assert (written["saved_model"] / "saved_model.pb").exists()
    x = np.random.default_rng(1).random((2, 28, 28, 1), dtype="float32")
    expected = model.predict(x, verbose=0)
    got = tflite_predict(written["tflite"], x)
    assert got.shape == expected.shape == (2, 56, 56, 1)
    assert np.abs(got - expected).max() < 1e-5
