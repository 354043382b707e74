"""Hypothesis strategies for fuzzing specs, shared by the test suite and ``benchmarks/fuzz_specs.py``.

Two kinds of input: mutated YAML *text* (bytes inserted, deleted, replaced,
lines duplicated or cut) and mutated spec *trees* (values swapped for
booleans, strings, huge or negative numbers, nested junk; keys renamed,
dropped or added). Both go through load -> graph -> shapes -> estimates, where
the only exception allowed is :class:`upspec.SpecError`.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

SEEDS = [
    "name: t\ninputs:\n  x: [8, 8, 1]\nlayers:\n  - id: up\n    upsample: nearest\n    factor: 2\n    filters: 4\n",
    "name: u\ninputs: {image: [16, 16, 3]}\nlayers:\n  - {id: c, layer: Conv2D, filters: 8, kernel_size: 3, padding: same}\n"
    "  - {id: p, layer: MaxPooling2D, pool_size: 2}\n  - {id: up, upsample: transpose, factor: 2, filters: 8}\n"
    "  - {id: s, layer: Concatenate, inputs: [up, c]}\n  - {id: o, layer: Conv2D, filters: 1, kernel_size: 1}\n"
    "train: {epochs: 2, batch_size: 4}\ndata: {source: photos, task: super_resolution}\n",
    "name: v\ninputs:\n  x: [16, 2]\nlayers:\n  - {id: d, layer: Conv1D, filters: 4, kernel_size: 3, strides: 2}\n"
    "  - {id: up, upsample: pixel_shuffle, factor: [4], filters: 2}\n"
    "base: &b {factor: 2, filters: 3}\n",
]

JUNK_TEXT = ["[", "]", "{", "}", ":", "- ", "&a ", "*a", "<<: *a", "!!python/object ", "~", "\x00", "\t", "'", '"',
             "\n", "  ", "#", "true", "1e9", "-1", "0", "null", "?", "|", ">", "%YAML 1.1\n", "---\n", "\ufeff", "é"]

JUNK_VALUES: list[Any] = [True, False, None, 0, -1, 1, 2, 10**12, 1.5, -0.0, float("nan"), float("inf"), "", "2", "x",
                          "same", [], [0], [True, 1], [[1]], {}, {"a": 1}, ["x"] * 3, "relu", 10**100]


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "cut"]))
        if action == "insert":
            text = text[:at] + draw(st.one_of(st.sampled_from(JUNK_TEXT), st.text(max_size=4))) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        elif action == "replace":
            text = text[:at] + draw(st.sampled_from(JUNK_TEXT)) + text[at + 1:]
        elif action == "duplicate" and text:
            lines = text.splitlines(keepends=True)
            i = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
        elif action == "cut":
            text = text[:at]
    return text


def _paths(tree: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _paths(value, path + (key,))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _paths(value, path + (index,))
    return found


@st.composite
def mutated_tree(draw: st.DrawFn) -> Any:
    from ..modelspec.yaml_source import parse_yaml

    tree = copy.deepcopy(parse_yaml(draw(st.sampled_from(SEEDS))).data)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(tree)
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent = tree
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = draw(st.sampled_from(["value", "drop", "add", "rename"]))
        if action == "value":
            parent[key] = copy.deepcopy(draw(st.sampled_from(JUNK_VALUES)))
        elif action == "drop":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["id", "inputs", "layer", "upsample", "factor", "filters", "kernel_size",
                                         "strides", "padding", "zz", "train", "data", "limits"]))] = \
                copy.deepcopy(draw(st.sampled_from(JUNK_VALUES)))
        elif action == "rename" and isinstance(parent, dict):
            parent[str(key) + draw(st.sampled_from(["s", "_", "X"]))] = parent.pop(key)
    return tree


def check_spec(source: Any) -> None:
    """load -> graph (shapes, estimates, budgets); only ``SpecError`` may come out."""
    from .. import SpecError
    from .. import load_spec
    from ..graph.graph import build_graph

    try:
        build_graph(load_spec(source))
    except SpecError as error:
        for d in error.diagnostics:
            assert isinstance(d.line, int) and isinstance(d.column, int) and d.message, d
