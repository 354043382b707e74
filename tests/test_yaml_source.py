from __future__ import annotations

import pytest

from upspec import SpecError
from upspec.modelspec.yaml_source import Mark
from upspec.modelspec.yaml_source import parse_yaml


def test_values_and_keys_keep_line_and_column():
    doc = parse_yaml("name: a\nlayers:\n  - id: up\n    filters: 8\n", source="s.yaml")
    assert doc.data == {"name": "a", "layers": [{"id": "up", "filters": 8}]}
    assert doc.values[("layers", 0, "filters")] == Mark(4, 14)
    assert doc.keys[("layers", 0, "filters")] == Mark(4, 5)
    assert doc.values[("layers", 0)] == Mark(3, 5)


def test_mark_falls_back_to_closest_ancestor():
    doc = parse_yaml("a:\n  b: 1\n")
    assert doc.mark(("a", "missing", "deeper")) == Mark(2, 3)


def test_nested_duplicate_key_is_refused_with_both_positions():
    with pytest.raises(SpecError) as caught:
        parse_yaml("a:\n  b: 1\n  c: 2\n  b: 3\n", source="f.yaml")
    (d,) = caught.value.diagnostics
    assert (d.line, d.column, d.message) == (4, 3, "duplicate key 'b'")
    assert "first defined at line 2, column 3" in d.hint


def test_every_unsafe_tag_is_reported():
    with pytest.raises(SpecError) as caught:
        parse_yaml("a: !!python/name:os.system\nb: !custom 3\n")
    assert [(d.line, d.column) for d in caught.value.diagnostics] == [(1, 4), (2, 4)]
    assert all("is not allowed" in d.message for d in caught.value.diagnostics)


def test_scientific_notation_without_dot_is_a_float():
    # YAML 1.1 (PyYAML) reads 1e-3 as a string; a learning rate never means that
    assert parse_yaml("lr: 1e-3\nq: '1e-3'\n").data == {"lr": 0.001, "q": "1e-3"}


def test_merge_keys_work_and_explicit_keys_win():
    doc = parse_yaml("base: &b {filters: 8, factor: 2}\nentry:\n  <<: *b\n  filters: 16\n")
    assert doc.data["entry"] == {"filters": 16, "factor": 2}


def test_syntax_error_has_position():
    with pytest.raises(SpecError) as caught:
        parse_yaml("a: [1, 2\nb: 3\n", source="x.yaml")
    (d,) = caught.value.diagnostics
    assert (d.source, d.line) == ("x.yaml", 2)
    assert d.message.startswith("invalid YAML")


def test_format_is_file_line_col_error_message_and_hint():
    with pytest.raises(SpecError) as caught:
        parse_yaml("a: 1\na: 2\n", source="m.yaml")
    assert str(caught.value) == (
        "m.yaml:2:1: error: duplicate key 'a'\n"
        "  hint: first defined at line 1, column 1; YAML would silently keep only the last one"
    )
