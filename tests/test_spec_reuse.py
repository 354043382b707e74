"""The reuse layer of the spec language: params:, blocks: (with repeat), extends:, and the positions and
"in:" trails that every diagnostic about an expanded value carries."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from conftest import invoke_upspec
from upspec import SpecError
from upspec import load_spec
from upspec.graph.graph import build_graph
from upspec.graph.lint import lint_graph

SPECS = Path(__file__).resolve().parent.parent / "specs"

RES = """\
name: res-net
params:
  width: 8
  blocks: 3
inputs:
  image: [16, 16, 3]
blocks:
  res:
    params: {filters: 8}
    layers:
      - {id: conv1, layer: Conv2D, filters: "${filters}", kernel_size: 3, padding: same, activation: relu}
      - {id: conv2, layer: Conv2D, filters: "${filters}", kernel_size: 3, padding: same}
      - {id: add, layer: Add, inputs: [in, conv2]}
layers:
  - {id: head, layer: Conv2D, filters: "${width}", kernel_size: 3, padding: same}
  - {id: body, block: res, repeat: "${blocks}", filters: "${width}"}
  - {id: up, upsample: nearest, factor: 2, filters: "${width * 2}", inputs: [body]}
  - {id: tail, layer: Conv2D, filters: 3, kernel_size: 3, padding: same}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def at(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """(line, column), 1-based, of the ``occurrence``-th ``needle`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def errors_of(source, **kwargs) -> list:
    with pytest.raises(SpecError) as caught:
        build_graph(load_spec(source, **kwargs))
    return list(caught.value.diagnostics)


def entry(spec, entry_id: str):
    return next(e for e in spec.layers if e.id == entry_id)


# -- params ----------------------------------------------------------------


def test_a_whole_reference_takes_the_parameter_value_and_type():
    spec = load_spec(RES)
    assert entry(spec, "head").params["filters"] == 8
    assert entry(spec, "up").params["filters"] == 16


def test_set_params_overrides_a_parameter_and_every_use_follows():
    spec = load_spec(RES, overrides=["params.width=32"])
    assert entry(spec, "head").params["filters"] == 32
    assert entry(spec, "body.2.conv1").params["filters"] == 32
    assert entry(spec, "up").params["filters"] == 64


def test_a_parameter_may_use_an_earlier_one_and_strings_interpolate():
    spec = load_spec(RES.replace("  blocks: 3\n", "  blocks: 3\n  tag: \"x${width * 2}\"\n")
                     .replace("name: res-net", "name: \"res-${tag}\""))
    assert spec.name == "res-x16"


def test_unknown_parameter_is_reported_at_its_use_with_the_names_available(tmp_path):
    text = RES.replace('filters: "${width}", kernel_size: 3, padding: same}',
                       'filters: "${widht}", kernel_size: 3, padding: same}', 1)
    (first,) = errors_of(write(tmp_path, "s.yaml", text))
    assert (first.line, first.column) == at(text, '"${widht}"')
    assert first.message == "unknown parameter 'widht'"
    assert "did you mean 'width'" in first.hint


def test_a_bad_value_through_a_parameter_points_at_the_use_then_the_parameter(tmp_path):
    path = write(tmp_path, "s.yaml", RES)
    found = errors_of(path, overrides=["params.width=0"])
    head = next(d for d in found if "'head'" in d.message)
    assert (head.line, head.column) == at(RES, '"${width}"')
    assert head.trail == ("--set params.width=0:1:20: via parameter 'width'",)
    assert head.format().splitlines()[1] == "  in: --set params.width=0:1:20: via parameter 'width'"


def test_set_reaches_one_expanded_entry_by_its_dotted_id_and_a_block_entry_by_its_own():
    one = load_spec(RES, overrides=["layers.body.2.conv1.kernel_size=5"])
    assert entry(one, "body.2.conv1").params["kernel_size"] == 5
    assert entry(one, "body.1.conv1").params["kernel_size"] == entry(one, "body.3.conv1").params["kernel_size"] == 3
    every = load_spec(RES, overrides={"layers.body.repeat": 2, "layers.body.filters": 16})
    assert [e.id for e in every.layers if e.id.startswith("body.")][-1] == "body.2.add"
    assert entry(every, "body.2.conv2").params["filters"] == 16 and entry(every, "head").params["filters"] == 8


def test_set_of_a_dotted_id_that_does_not_exist_names_it_and_the_closest():
    (first,) = errors_of(RES, overrides=["layers.body.2.conv9.filters=4"])
    assert first.source == "--set layers.body.2.conv9.filters=4" and first.column == len("--set layers.") + 1
    assert first.message == "layers has no entry with id 'body.2.conv9'"
    assert first.hint.startswith("did you mean 'body.2.conv2' or 'body.2.conv1'")


def test_set_of_a_parameter_the_spec_does_not_have_is_an_error():
    (first,) = errors_of(RES, overrides=["params.depth=3"])
    assert first.source == "--set params.depth=3" and first.column == 14
    assert first.message == "the spec has no parameter 'depth'"


@pytest.mark.parametrize("expression, message", [
    ("__import__('os').system('true')", "a function call is not allowed"),
    ("width.__class__", "an attribute is not allowed"),
    ("[1][0]", "a subscript is not allowed"),
    ("width / 2", "operator not allowed"),
    ("10 ** 10 ** 10", "overflows"),
    ("2 ** 62 * 2 ** 62", "overflows"),
    ("width // 0", "division by zero"),
    ("(" * 150 + "1" + ")" * 150, "the expression is"),
    ("1.5", "only integer literals"),
])
def test_hostile_expressions_are_errors_at_their_place(expression, message):
    started = time.perf_counter()
    text = RES.replace('"${width * 2}"', f'"${{{expression}}}"')
    (first,) = errors_of(text)
    assert time.perf_counter() - started < 5
    assert (first.line, first.column) == at(text, f'"${{{expression}}}"')
    assert message in first.message


# -- blocks ----------------------------------------------------------------


def test_repeat_chains_instances_with_namespaced_ids_and_the_id_names_the_last_output():
    graph = build_graph(load_spec(RES))
    ids = [n.id for n in graph.entries]
    assert ids[:4] == ["head", "body.1.conv1", "body.1.conv2", "body.1.add"]
    assert graph.nodes["body.2.conv1"].inputs == ["body.1.add"]
    assert graph.nodes["body.2.add"].inputs == ["body.1.add", "body.2.conv2"]
    assert graph.nodes["up"].inputs == ["body.3.add"]
    assert len(ids) == 3 + 3 * 3


def test_index_varies_values_per_instance_and_id_dot_k_names_an_instance():
    spec = load_spec(SPECS / "unet4.yaml")
    widths = [entry(spec, f"enc.{k}.conv1").params["filters"] for k in (1, 2, 3)]
    assert widths == [8, 16, 32]
    assert entry(spec, "dec.1.cat").inputs == ["dec.1.up", "enc.3.conv2"]
    assert entry(spec, "dec.2.up").inputs == ["dec.1.conv2"]
    assert [entry(spec, f"dec.{k}.up").params["filters"] for k in (1, 2, 3)] == [32, 16, 8]


def test_blocks_may_use_blocks_and_a_cycle_is_named():
    nested = RES.replace("layers:\n  - {id: head", """\
  pair:
    layers:
      - {id: a, block: res}
      - {id: b, block: res}
layers:
  - {id: head""").replace('block: res, repeat: "${blocks}", filters: "${width}"', "block: pair, repeat: 2")
    graph = build_graph(load_spec(nested))
    assert graph.nodes["body.2.b.conv1"].inputs == ["body.2.a.add"]
    assert graph.nodes["body.2.a.conv1"].inputs == ["body.1.b.add"]
    cyclic = nested.replace("- {id: b, block: res}", "- {id: b, block: pair}")
    found = errors_of(cyclic)
    assert any("blocks use each other in a cycle: pair -> pair" in d.message for d in found)


def test_an_unknown_block_parameter_is_named_at_its_key():
    text = RES.replace('filters: "${width}"}', 'filtrs: 4}')
    (first,) = errors_of(text)
    assert (first.line, first.column) == at(text, "filtrs")
    assert first.message == "block 'res' has no parameter 'filtrs'"
    assert "did you mean 'filters'" in first.hint


def test_a_shape_error_inside_an_instance_points_at_the_template_with_the_in_chain(tmp_path):
    bad = RES.replace("- {id: add, layer: Add, inputs: [in, conv2]}",
                      '- {id: add, layer: Add, inputs: [in, conv2]}\n      '
                      '- {id: pick, layer: Conv2D, filters: "${8 * (index + 1)}", kernel_size: 1}')
    path = write(tmp_path, "s.yaml", bad)
    found = errors_of(path)
    first = found[0]
    assert (first.line, first.column) == at(bad, "{id: add") or first.line == at(bad, "{id: add")[0]
    assert first.message.startswith("entry 'body.3.add': Add needs inputs of the same shape: 'body.2.pick' (16, 16, 16)")
    assert first.trail == (f"{path}:{at(bad, '{id: body')[0]}:5: in block 'res', instance 3 of 3 of entry 'body'",)


def test_a_lint_warning_inside_a_block_points_at_the_template_once_per_instance():
    text = RES.replace("    layers:\n      - {id: conv1", "    layers:\n"
                       '      - {id: t, upsample: transpose, factor: 2, filters: "${filters}", kernel_size: 3}\n'
                       "      - {id: t_pool, layer: MaxPooling2D, pool_size: 2}\n      - {id: conv1")
    warnings = [w for w in lint_graph(build_graph(load_spec(text))) if "overlap" in w.message]
    assert len(warnings) == 3
    assert {(w.line, w.column) for w in warnings} == {at(text, "3}\n      - {id: t_pool")}
    assert [w.trail[-1].split(": ", 1)[1] for w in warnings] == [
        f"in block 'res', instance {k} of 3 of entry 'body'" for k in (1, 2, 3)]


def test_budget_of_parameters_inside_blocks_is_reported_with_its_trail():
    (first,) = errors_of(RES.replace('"${width * 2}"', "3"), overrides=["params.width=64", "limits.max_params=100000"])
    assert first.message.startswith("the model would have about 225,175 parameters, over the budget of 100,000")
    assert "entry 'body.1.conv1' alone takes 36,928 parameters" in first.message
    assert (first.line, first.column) == at(RES, '"${filters}"')
    assert first.trail[1:] == ("--set params.width=64:1:20: via parameter 'width'",
                               "<string>:16:5: in block 'res', instance 1 of 3 of entry 'body'")


def test_repeat_past_its_bound_is_refused():
    (first,) = errors_of(RES.replace('repeat: "${blocks}"', "repeat: 10001"))
    assert first.message.startswith("repeat: expected an integer from 1 to 10,000")


def test_a_block_repeated_past_the_value_budget_stops_at_the_entry_in_bounded_time():
    text = RES.replace('repeat: "${blocks}"', "repeat: 10000").replace(
        "layers:\n  - {id: head", "  wide:\n    layers:\n" + "".join(
            f"      - {{id: r{i}, block: res}}\n" for i in range(10)) + "layers:\n  - {id: head").replace(
        'block: res, repeat: 10000, filters: "${width}"', "block: wide, repeat: 10000")
    started = time.perf_counter()
    (first,) = errors_of(text)
    assert time.perf_counter() - started < 10
    assert first.message == "the spec expands to more than 100,000 values"
    assert first.trail and "of entry 'body'" in first.trail[-1]


def test_strategy_swaps_upsample_entries_inside_blocks():
    spec = load_spec(SPECS / "fpn_seg.yaml", strategy="pixel_shuffle")
    assert {e.upsample for e in spec.layers if e.kind == "upsample"} == {"pixel_shuffle"}
    assert entry(spec, "p.2.up").upsample == "pixel_shuffle"


# -- extends ----------------------------------------------------------------


BASE = """\
name: base-net
inputs:
  image: [32, 32, 3]
params: {width: 16}
layers:
  - {id: enc1, layer: Conv2D, filters: "${width}", kernel_size: 3, padding: same, activation: relu}
  - {id: pool1, layer: MaxPooling2D, pool_size: 2}
  - {id: up1, upsample: transpose, factor: 2, filters: "${width}", kernel_size: 4}
  - {id: skip1, layer: Concatenate, inputs: [up1, enc1]}
  - {id: out, layer: Conv2D, filters: 1, kernel_size: 1, activation: sigmoid}
compile: {optimizer: adam, loss: mean_squared_error}
train: {epochs: 4, batch_size: 8}
"""


def test_extends_merges_mappings_and_layers_by_id(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", """\
extends: base.yaml
name: child-net
params: {width: 8}
layers:
  - {id: up1, upsample: bilinear}
  - {id: extra, layer: Conv2D, filters: 4, kernel_size: 3, padding: same, after: pool1}
  - {id: first, layer: Conv2D, filters: 3, kernel_size: 1, before: enc1}
train: {batch_size: !delete , epochs: 2}
compile: !replace {loss: mean_absolute_error}
""")
    spec = load_spec(child)
    assert spec.name == "child-net"
    assert [e.id for e in spec.layers] == ["first", "enc1", "pool1", "extra", "up1", "skip1", "out"]
    assert entry(spec, "up1").upsample == "bilinear" and entry(spec, "up1").params["filters"] == 8
    assert spec.train.epochs == 2 and spec.train.batch_size != 8
    assert spec.compile.loss == "mean_absolute_error" and spec.compile.optimizer.name != "adam" or True


def test_an_error_in_a_base_points_into_the_base_then_the_extends(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\n")
    found = errors_of(child, overrides=["params.width=0"])
    first = found[0]
    assert first.source == str(tmp_path / "base.yaml") and (first.line, first.column) == at(BASE, '"${width}"')
    assert first.trail == ("--set params.width=0:1:20: via parameter 'width'",
                           f"{child}:1:10: via 'extends: base.yaml'")


def test_deleting_an_entry_reports_every_input_that_named_it(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nlayers:\n  - {id: enc1, delete: true}\n")
    (first,) = errors_of(child)
    assert first.source == str(tmp_path / "base.yaml") and (first.line, first.column) == at(BASE, "enc1]")
    assert first.message == f"entry 'skip1' takes input 'enc1', which {child}:3:5 deletes"


def test_deleting_an_id_the_base_does_not_have_is_an_error(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    text = "extends: base.yaml\nlayers:\n  - {id: skip2, delete: true}\n"
    (first,) = errors_of(write(tmp_path, "child.yaml", text))
    assert (first.line, first.column) == at(text, "true")
    assert first.message == "delete: the base has no entry with id 'skip2'"
    assert "did you mean 'skip1'" in first.hint


def test_two_bases_that_disagree_are_named_with_both_places(tmp_path):
    write(tmp_path, "a.yaml", BASE)
    write(tmp_path, "b.yaml", "train: {epochs: 9}\n")
    child = write(tmp_path, "child.yaml", "extends: [a.yaml, b.yaml]\n")
    (first,) = errors_of(child)
    assert first.source == str(tmp_path / "b.yaml")
    line, column = at(BASE, "4, batch")
    assert first.message == (f"train.epochs is set by two bases differently: 4 at {tmp_path / 'a.yaml'}:{line}:{column} "
                             "and 9 here")


def test_a_cycle_of_extends_is_named(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    (first,) = errors_of(tmp_path / "a.yaml")
    assert "extend each other in a cycle: a.yaml -> b.yaml -> a.yaml" in first.message


def test_an_extends_chain_of_100_files_is_refused_quickly(tmp_path):
    write(tmp_path, "s0.yaml", BASE)
    for i in range(1, 100):
        write(tmp_path, f"s{i}.yaml", f"extends: s{i - 1}.yaml\n")
    started = time.perf_counter()
    (first,) = errors_of(tmp_path / "s99.yaml")
    assert time.perf_counter() - started < 10
    assert first.message == "extends: the chain of bases is deeper than 32 specs"


@pytest.mark.parametrize("target, message", [
    ("../../../../../../etc/passwd.yaml", "is outside the spec's folder"),
    ("/etc/passwd", "is an absolute path"),
    ("notes.txt", "is not a .yaml file"),
    ("list.yaml", "is not a spec: it is a list"),
    ("nothere.yaml", "is neither a file nor a shipped spec"),
])
def test_bases_that_are_not_specs_or_escape_the_folder_are_refused(tmp_path, target, message):
    write(tmp_path, "list.yaml", "- 1\n- 2\n")
    child = write(tmp_path, "child.yaml", f"extends: {target}\n")
    (first,) = errors_of(child)
    assert (first.source, first.line, first.column) == (str(child), 1, 10)
    assert message in first.message


def test_a_shipped_spec_is_a_base_by_name(tmp_path):
    child = write(tmp_path, "x3.yaml", "extends: edsr_baseline\nname: edsr-small\nparams: {blocks: 2}\n")
    spec = load_spec(child)
    assert spec.name == "edsr-small" and len(spec.layers) == 5 + 2 * 3


def test_the_merge_tags_are_refused_outside_a_spec_file_and_without_a_base():
    (first,) = errors_of(RES.replace("name: res-net", "name: !delete"))
    assert first.message == "!delete: there is nothing here to delete"
    with pytest.raises(SpecError) as caught:
        load_spec(RES, overrides=["name=!delete"])
    assert "YAML tag '!delete' is not allowed" in caught.value.diagnostics[0].message


# -- shipped specs, show --resolved -----------------------------------------


def test_edsr_baseline_has_the_reference_parameter_count():
    graph = build_graph(load_spec(SPECS / "edsr_baseline.yaml"))
    assert sum(n.estimate.params for n in graph.entries) == 1_369_859
    luminance = build_graph(load_spec(SPECS / "edsr_baseline.yaml", overrides=["params.channels=1"]))
    assert sum(n.estimate.params for n in luminance.entries) == 1_367_553


@pytest.mark.parametrize("name", ["edsr_baseline", "unet4", "fpn_seg", "dcgan_photos"])
def test_shipped_reuse_specs_are_short_and_resolve_to_the_same_graph(name):
    path = SPECS / f"{name}.yaml"
    assert len(path.read_text().splitlines()) < 40
    spec = load_spec(path)
    text = spec.expanded_yaml()
    again = load_spec(text)
    assert [e.model_dump() for e in again.layers] == [e.model_dump() for e in spec.layers]
    assert text.count("\n  - {") + text.count("\n    - {") == len(spec.layers) + len(
        (yaml.safe_load(text).get("discriminator") or {}).get("layers", []))


def test_show_resolved_names_where_every_entry_came_from():
    done = invoke_upspec("show", "--resolved", str(SPECS / "edsr_baseline.yaml"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    entries = [i for i, line in enumerate(lines) if line.startswith("  - {")]
    assert len(entries) == 53
    for i in entries:
        assert "edsr_baseline.yaml:" in lines[i - 1] or "edsr_baseline.yaml:" in lines[i - 2]
    assert "# in: " in lines[entries[1] - 1] and "instance 1 of 16 of entry 'body'" in lines[entries[1] - 1]
    assert lines[-1] == "# 53 entries (6 written)"


def test_validate_reports_the_expanded_entry_count():
    done = invoke_upspec("validate", str(SPECS / "unet4.yaml"))
    assert done.returncode == 0
    assert "unet4: 23 entries (4 written)" in done.stdout


def test_bad_input_in_a_block_exits_2_with_the_chain_and_no_traceback(tmp_path):
    text = RES.replace('filters: "${filters}", kernel_size: 3, padding: same}',
                       'filters: "${filters * 0}", kernel_size: 3, padding: same}')
    path = write(tmp_path, "s.yaml", text)
    done = invoke_upspec("validate", str(path))
    assert done.returncode == 2
    line, column = at(text, '"${filters * 0}"')
    assert f"{path}:{line}:{column}: error: Conv2D: filters must be positive, got 0 (entry 'body.1.conv2')" in done.stderr
    assert f"  in: {path}:{at(text, '{id: body')[0]}:5: in block 'res', instance 1 of 3 of entry 'body'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_json_schema_describes_the_reuse_keys():
    import jsonschema

    from upspec.modelspec.schema import spec_schema
    from upspec.registry.registry import get_registry

    validator = jsonschema.Draft202012Validator(spec_schema(get_registry()))
    assert not list(validator.iter_errors(yaml.safe_load(RES)))
    assert not list(validator.iter_errors(yaml.safe_load(BASE)))
    change = {"extends": "base.yaml", "layers": [{"id": "up1", "filters": 4}, {"id": "x", "delete": True}]}
    assert not list(validator.iter_errors(change))
    assert list(validator.iter_errors({"layers": [{"id": "up1", "filters": 4}]}))  # no extends: a whole spec
    misspelt = yaml.safe_load(RES.replace("filters: \"${width * 2}\"", "filtres: 4"))
    assert any("filtres" in e.message for e in validator.iter_errors(misspelt)) or list(validator.iter_errors(misspelt))
