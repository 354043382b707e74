"""The corpus of bad specs in tests/bad_specs: each file's first line says
where its first error must point and what it must say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import invoke_upspec
from upspec import SpecError
from upspec import load_spec
from upspec.graph.graph import build_graph

CORPUS = sorted((Path(__file__).parent / "bad_specs").glob("*.yaml"))
EXPECT = re.compile(r"# expect: (\d+):(\d+): (.+)")


def expectation(path: Path) -> tuple[int, int, str]:
    match = EXPECT.match(path.read_text().splitlines()[0])
    assert match, f"{path.name} has no '# expect: LINE:COL: MESSAGE' first line"
    return int(match[1]), int(match[2]), match[3]


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_bad_spec_points_at_the_cause(path):
    line, column, message = expectation(path)
    with pytest.raises(SpecError) as caught:
        build_graph(load_spec(path))
    first = caught.value.diagnostics[0]
    assert (first.source, first.line, first.column) == (str(path), line, column)
    assert first.message.startswith(message)


@pytest.mark.parametrize("name", ["07_unknown_strategy", "19_duplicate_id", "24_skip_mismatch_odd_size", "03_syntax_error"])
def test_cli_reports_bad_spec_with_exit_2_and_no_traceback(name):
    path = Path(__file__).parent / "bad_specs" / f"{name}.yaml"
    line, column, message = expectation(path)
    done = invoke_upspec("validate", str(path))
    assert done.returncode == 2
    assert f"{path}:{line}:{column}: error: {message}" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.rstrip().endswith("invalid")
