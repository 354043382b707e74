"""Safe YAML loading that keeps a ``line:col`` mark for every value.

PyYAML's safe loader keeps the last of duplicate keys without a word and
forgets positions once it has built Python objects. We compose the node tree
ourselves instead: duplicate keys and non-standard tags are refused, and every
value and key is mapped to where it stands in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import yaml

from upspec.errors import Diagnostic
from upspec.errors import SpecError

Path = tuple[Any, ...]

_FLOAT_WITHOUT_DOT = re.compile(r"^[-+]?[0-9]+[eE][-+]?[0-9]+$")

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:merge",
}


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based
    source: str | None = None  # set when the value came from elsewhere (``--set``)


@dataclass
class Document:
    """Plain Python data from a YAML text plus where each piece came from."""

    data: Any
    source: str
    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)

    def mark(self, path: Path, *, key: bool = False) -> Mark | None:
        """The mark of ``path``, or of its closest ancestor that has one.

        ``key=True`` prefers the mark of the mapping key over its value, which
        is where "unknown key" errors should point.
        """
        path = tuple(path)
        while True:
            found = (self.keys.get(path) if key else None) or self.values.get(path)
            if found is not None or not path:
                return found
            path = path[:-1]

    def diagnostic(self, path: Path, message: str, hint: str = "", *, key: bool = False) -> Diagnostic:
        mark = self.mark(path, key=key)
        if mark is None:
            return Diagnostic(self.source, 0, 0, message, hint)
        return Diagnostic(mark.source or self.source, mark.line, mark.column, message, hint)


def _mark_of(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, source: str) -> None:
        self.doc = Document(data=None, source=source)
        self.errors: list[Diagnostic] = []
        self._constructor = yaml.SafeLoader("")

    def error(self, node: yaml.Node, message: str, hint: str = "") -> None:
        mark = _mark_of(node)
        self.errors.append(Diagnostic(self.doc.source, mark.line, mark.column, message, hint))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.doc.values[path] = _mark_of(node)
        if node.tag not in _STANDARD_TAGS:
            self.error(
                node,
                f"YAML tag {node.tag!r} is not allowed",
                "specs are plain data; only standard YAML types (str, int, float, bool, null, lists, mappings) are accepted",
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if node.tag == "tag:yaml.org,2002:str" and node.style is None and _FLOAT_WITHOUT_DOT.match(node.value):
            return float(node.value)  # YAML 1.1 reads 1e-3 as a string; nobody means that
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict:
        result: dict = {}
        first_seen: dict[Any, Mark] = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.update(self._merge_source(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, "mapping keys must be plain scalars")
                continue
            key = self.build(key_node, path + ("<key>",))
            self.doc.values.pop(path + ("<key>",), None)
            if key in first_seen:
                seen = first_seen[key]
                self.error(
                    key_node,
                    f"duplicate key {key!r}",
                    f"first defined at line {seen.line}, column {seen.column}; YAML would silently keep only the last one",
                )
                continue
            first_seen[key] = _mark_of(key_node)
            self.doc.keys[path + (key,)] = _mark_of(key_node)
            result[key] = self.build(value_node, path + (key,))
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_source(self, node: yaml.Node, path: Path) -> dict:
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict = {}
        for item in nodes:
            if not isinstance(item, yaml.MappingNode):
                self.error(item, "a merge key '<<' must refer to a mapping or a list of mappings")
                continue
            for key, value in self._mapping(item, path).items():
                merged.setdefault(key, value)
        return merged


def parse_yaml(text: str, source: str = "<string>") -> Document:
    """Parse one YAML document into plain data with marks.

    Raises :class:`SpecError` for syntax errors, duplicate keys, unsafe tags
    and multi-document streams.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = "invalid YAML: " + " ".join(part for part in (exc.context, exc.problem) if part)
        raise SpecError([Diagnostic(source, line, column, message)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Diagnostic(source, 0, 0, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    builder = _Builder(source)
    builder.doc.values[()] = Mark(1, 1)
    if node is not None:
        builder.doc.data = builder.build(node, ())
    if builder.errors:
        raise SpecError(builder.errors)
    return builder.doc
