"""YAML syntax errors show the line with a caret and what to do; --set errors point at the option
(issue #27, item 4)."""

from __future__ import annotations

from conftest import invoke_upspec


def _validate(tmp_path, text):
    (tmp_path / "s.yaml").write_text(text)
    return invoke_upspec("validate", "s.yaml", cwd=tmp_path)


def test_bad_indentation_shows_the_line_a_caret_and_the_column_to_line_up_with(tmp_path):
    done = _validate(tmp_path, "name: x\ninputs:\n  image: [28, 28, 1]\nlayers:\n  - id: up\n    upsample: nearest\n"
                               "   factor: 2\n")
    assert done.returncode == 2
    assert "s.yaml:7:4: error: invalid YAML" in done.stderr
    assert "     7 |    factor: 2\n       |    ^" in done.stderr
    assert "hint: this line is indented differently from the one above: line its key up with column 5" in done.stderr


def test_a_value_holding_a_key_gets_advice_not_only_pyyamls_words(tmp_path):
    done = _validate(tmp_path, "name: x\nlayers:\n  - id: up\n    factor: 2 filters: 3\n")
    assert "mapping values are not allowed" in done.stderr
    assert "hint: this line holds 'key: value' where a plain value was expected" in done.stderr
    assert "       |                      ^" in done.stderr


def test_a_tab_is_named_as_a_tab(tmp_path):
    done = _validate(tmp_path, "name: x\ninputs:\n\timage: [28, 28, 1]\n")
    assert done.returncode == 2
    assert "hint: YAML indents with spaces, never tabs" in done.stderr


def test_an_unknown_key_added_by_set_is_reported_at_the_option():
    done = invoke_upspec("validate", "seed_transpose", "--set", "layer.up.filters=64")
    assert done.returncode == 2
    assert "--set layer.up.filters=64:1:7: error: unknown key 'layer'" in done.stderr
    assert "did you mean 'layers'?" in done.stderr and "seed_transpose.yaml:2:1" not in done.stderr


def test_set_with_a_space_for_the_equals_sign_is_refused_before_the_value_is_read_as_a_spec():
    done = invoke_upspec("validate", "--set", "layers.up.filters", "64")
    assert done.returncode == 2
    assert "write it as one word: --set layers.up.filters=VALUE" in done.stderr
    assert "a spec must be a mapping" not in done.stderr
