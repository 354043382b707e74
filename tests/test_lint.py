"""The uneven-overlap lint of `validate` and `show` (Odena et al. 2016): a warning, an error with --strict,
silenced per entry with `allow: [uneven_overlap]`."""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner

from conftest import SPECS
from upspec import SpecError
from upspec import load_spec
from upspec.graph.graph import build_graph
from upspec.graph.lint import lint_graph
from upspec.graph.lint import overlap_ratio
from upspec.graph.lint import taps_per_phase


def invoke(*args):
    from upspec.cli.main import make_cli

    return CliRunner().invoke(make_cli(), list(args))


@pytest.mark.parametrize("kernel, stride, ratio", [
    ((3, 3), (2, 2), 4.0), ((4, 4), (2, 2), 1.0), ((3,), (2,), 2.0), ((5, 5), (2, 2), 2.25), ((3, 3), (3, 3), 1.0),
    ((3, 4, 3), (2, 2, 2), 4.0), ((1,), (2,), math.inf),
])
def test_overlap_ratio_is_odenas_max_over_min(kernel, stride, ratio):
    assert overlap_ratio(kernel, stride) == ratio


def test_taps_per_phase_counts_kernel_taps_on_each_output_phase():
    assert taps_per_phase(3, 2) == [2, 1]
    assert taps_per_phase(5, 3) == [2, 2, 1]
    assert taps_per_phase(3, 2, dilation=2) == [3, 0]


def test_seed_spec_warns_but_validates():
    result = invoke("validate", str(SPECS / "seed_transpose.yaml"))
    assert result.exit_code == 0
    assert "seed_transpose.yaml: ok: seed-transpose" in result.stdout
    assert (f"{SPECS / 'seed_transpose.yaml'}:11:18: warning: entry 'up': transpose convolution with kernel_size 3 "
            "and stride 2 overlaps unevenly, max/min overlap ratio 4") in result.stderr
    for alternative in ("kernel_size: 4", "'transpose_zoh'", "'nearest'", "'pixel_shuffle' (ICNR)",
                        "allow: [uneven_overlap]"):
        assert alternative in result.stderr


def test_strict_turns_the_warning_into_an_error():
    result = invoke("validate", "--strict", str(SPECS / "seed_transpose.yaml"), str(SPECS / "signal_1d.yaml"))
    assert result.exit_code == 2
    assert "11:18: error: entry 'up': transpose convolution" in result.stderr
    assert "seed_transpose.yaml: invalid" in result.stderr and "signal_1d.yaml: ok" in result.stdout


def test_show_warns_and_strict_show_fails():
    shown = invoke("show", "--no-params", str(SPECS / "unet.yaml"))
    assert shown.exit_code == 0 and "up2" in shown.stdout
    assert shown.stderr.count("warning: entry 'up") == 2
    assert invoke("show", "--no-params", "--strict", str(SPECS / "unet.yaml")).exit_code == 2


def _graph(entry, shape=(8, 8, 2)):
    return build_graph(load_spec({"name": "l", "inputs": {"x": list(shape)}, "layers": [entry]}))


def test_allow_silences_one_entry():
    assert lint_graph(_graph({"upsample": "transpose", "factor": 2, "filters": 2, "allow": ["uneven_overlap"]})) == []
    assert len(lint_graph(_graph({"upsample": "transpose", "factor": 2, "filters": 2}))) == 1


def test_allow_survives_a_strategy_switch_and_unknown_lints_are_spec_errors(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\ninputs: {x: [8, 8, 1]}\nlayers:\n"
                    "  - {upsample: transpose, factor: 2, filters: 2, allow: [uneven_overlap]}\n")
    assert load_spec(spec, strategy="nearest").layers[0].allow == ["uneven_overlap"]
    spec.write_text(spec.read_text().replace("allow: [uneven_overlap]", "allow: [uneven]"))
    with pytest.raises(SpecError, match=r"s.yaml:4:58: error: invalid value for layers\[0\].allow\[0\]: input should be 'uneven_overlap', got 'uneven'"):
        load_spec(spec)


@pytest.mark.parametrize("entry, warns", [
    ({"layer": "Conv2DTranspose", "filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, True),
    ({"layer": "Conv2DTranspose", "filters": 2, "kernel_size": 3, "padding": "same"}, False),
    ({"upsample": "transpose", "factor": 2, "filters": 2, "kernel_size": 4}, False),
    ({"upsample": "transpose", "factor": [2, 3], "filters": 2, "kernel_size": [4, 3]}, False),
    ({"upsample": "transpose_zoh", "factor": 2, "filters": 2}, False),
    ({"upsample": "nearest", "factor": 2, "filters": 2}, False),
])
def test_which_entries_warn(entry, warns):
    found = lint_graph(_graph(entry))
    assert bool(found) == warns
    if warns:
        assert "as an 'upsample:' entry" in found[0].hint


def test_one_dimensional_transpose_reports_its_own_ratio():
    (warning,) = lint_graph(_graph({"upsample": "transpose", "factor": 2, "filters": 2}, shape=(16, 1)))
    assert "max/min overlap ratio 2 " in warning.message
