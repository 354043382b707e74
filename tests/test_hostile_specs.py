"""Hostile and broken specs: every one is a spec error at the offending token, in bounded time and memory."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from upspec import SpecError
from upspec import load_spec
from upspec.cli.main import make_cli
from upspec.graph.graph import build_graph
from upspec.modelspec.limits import MAX_DEPTH
from upspec.modelspec.limits import MAX_NODES

SPEC = "name: t\ninputs:\n  x: [8, 8, 1]\nlayers:\n  - {id: up, upsample: nearest, factor: 2, filters: 2}\n"


def alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n" + SPEC


def merge_bomb() -> str:
    lines = ["b0: &b0 {k: 1}"]
    lines += [f"b{i}: &b{i} {{" + ", ".join(f"k{j}: *b{i - 1}" for j in range(9)) + "}" for i in range(1, 10)]
    return "\n".join(lines) + "\nname: t\ninputs: {x: [8, 8, 1]}\nlayers:\n  - {<<: *b9, id: u, upsample: nearest, factor: 2, filters: 2}\n"


def entry_bomb() -> str:
    lines = ["layers:", "  - id: up", "    upsample: nearest", "    factor: 2", "    filters: 2",
             "    a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"    a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "name: t\ninputs: {x: [8, 8, 1]}\n" + "\n".join(lines) + "\n"


def first(source, **kwargs):
    with pytest.raises(SpecError) as caught:
        build_graph(load_spec(source, **kwargs))
    return caught.value.diagnostics[0]


@pytest.mark.parametrize("text", [alias_bomb(), merge_bomb(), entry_bomb()], ids=["list", "merge", "entry"])
def test_alias_bombs_stop_at_the_node_budget(text):
    d = first(text)
    assert d.message == f"the spec expands to more than {MAX_NODES:,} values (aliases included)"
    assert d.line >= 1 and "alias bomb" in d.hint


def test_modest_aliases_and_merges_still_work():
    text = ("name: t\ninputs: {x: [8, 8, 1]}\nlayers:\n  - &up {id: up, upsample: nearest, factor: 2, filters: 2}\n"
            "  - {<<: *up, id: up2, filters: 3}\n")
    spec = load_spec(text)
    assert [e.params for e in spec.layers] == [{"factor": 2, "filters": 2}, {"factor": 2, "filters": 3}]
    assert build_graph(spec).nodes["up2"].shape == (32, 32, 3)


def test_deep_nesting_is_a_spec_error_not_a_recursion_error():
    d = first("name: t\ninputs: {x: " + "[" * 400 + "]" * 400 + "}\n")
    assert d.message == f"the spec nests lists and mappings deeper than {MAX_DEPTH} levels"
    assert (d.line, d.column) == (2, 12 + MAX_DEPTH - 1)


def test_a_10_megabyte_spec_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("name: t\ninputs:\n  x: [" + ", ".join(["1"] * 3_400_000) + "]\n")
    d = first(path)
    assert (d.line, d.column) == (1, 1)
    assert d.message.startswith("the spec is 10,200,022 characters long; the limit is")


def test_a_long_input_shape_is_refused():
    d = first("name: t\ninputs:\n  x: [" + ", ".join(["2"] * 1000) + "]\nlayers:\n  - {layer: ReLU}\n")
    assert (d.line, d.column) == (3, 6)
    assert "at most 5 items" in d.message


@pytest.mark.parametrize(("raw", "where", "message"), [
    (b"name: t\ninputs:\n  x: [8, 8, 1]\x00\n", (3, 15), "the spec contains a NUL byte, which YAML does not allow"),
    (b"name: t\ndescription: caf\xe9\n", (2, 17), "the spec is not valid UTF-8 (byte 0xe9)"),
    ("name: t\n".encode("utf-16"), (1, 1), "the spec is UTF-16 text; specs are UTF-8"),
    (b"name: t\x07\n", (1, 8), "the spec contains the control character U+0007, which YAML does not allow"),
], ids=["nul", "latin-1", "utf-16", "bell"])
def test_bytes_that_are_not_utf8_yaml_are_positioned(tmp_path, raw, where, message):
    path = tmp_path / "s.yaml"
    path.write_bytes(raw)
    d = first(path)
    assert (d.source, d.line, d.column, d.message) == (str(path), *where, message)


def test_a_utf8_bom_is_fine(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + SPEC.encode())
    assert load_spec(path).name == "t"


def test_null_key_is_reported_where_it_is():
    d = first(SPEC + "\n" * 9 + "~: 1\n")
    assert (d.line, d.column) == (15, 1)
    assert d.message == "mapping key ~ (null) is not a string"


def test_boolean_key_is_reported_with_advice():
    d = first(SPEC + "on: 1\n")
    assert (d.line, d.column, d.message) == (6, 1, "mapping key 'on' is not a string")
    assert "quote it" in d.hint


def test_duplicate_id_through_a_merge_key_is_reported_at_the_merge():
    text = ("name: t\ninputs:\n  x: [8, 8, 1]\nlayers:\n  - &e {id: u, upsample: nearest, factor: 2, filters: 2}\n"
            "  - filters: 3\n    <<: *e\n")
    d = first(text)
    assert (d.line, d.column, d.message) == (7, 5, "duplicate id 'u'")


def test_own_keys_keep_their_marks_when_a_merge_follows():
    from upspec.modelspec.yaml_source import Mark
    from upspec.modelspec.yaml_source import parse_yaml

    doc = parse_yaml("base: &b {a: 1, b: 2}\nm:\n  a: 5\n  <<: *b\n")
    assert doc.data["m"] == {"a": 5, "b": 2}
    assert doc.values[("m", "a")] == Mark(3, 6)
    assert doc.keys[("m", "b")] == Mark(4, 3)


@pytest.mark.parametrize(("override", "where", "message"), [
    ("..=3", (1, 7), "the path '..' has an empty part"),
    ("layers.-1.filters=-1", (1, 25), "Conv2DTranspose: filters must be positive, got -1"),
    ("layers.nope.filters=2", (1, 14), "layers has no entry with id 'nope'"),
    ("train.epochs=[", (1, 21), "invalid YAML"),
    ("layers.up.factor=true", (1, 24), "invalid value for entry 'up': factor: true is a boolean, not a number"),
], ids=["empty-part", "negative", "unknown-id", "bad-yaml", "bool"])
def test_override_errors_point_into_the_argument(override, where, message):
    from conftest import SPECS

    d = first(SPECS / "seed_transpose.yaml", overrides=[override])
    assert d.source == f"--set {override}"
    assert (d.line, d.column) == where
    assert d.message.startswith(message)


def test_validate_keeps_checking_after_a_broken_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"name: t\x00\n")
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: " + "[" * 5000 + "\n")
    good = tmp_path / "good.yaml"
    good.write_text(SPEC)
    result = CliRunner().invoke(make_cli([]), ["validate", str(bad), str(deep), str(good)])
    assert result.exit_code == 2
    assert f"{bad}:1:8: error: the spec contains a NUL byte" in result.stderr
    assert f"{deep}:1:{6 + MAX_DEPTH}: error: the spec nests" in result.stderr
    assert f"{good}: ok: t: 1 entries" in result.stdout
    assert "Traceback" not in result.output
