"""Safe YAML loading that keeps a ``line:col`` mark for every value.

PyYAML's safe loader keeps the last of duplicate keys without a word and
forgets positions once it has built Python objects. We compose the node tree
ourselves instead: duplicate keys and non-standard tags are refused, and every
value and key is mapped to where it stands in the text.
"""

from __future__ import annotations

import contextlib
import gc
import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Iterator

import yaml

from ..errors import Diagnostic
from ..errors import SpecError
from .limits import MAX_DEPTH
from .spec_text import check_text
from .spec_text import excerpt
from .spec_text import yaml_hint
from .spec_text import decode_spec  # noqa: F401 - read a file, then parse_yaml: one module to import
from .limits import MAX_NODES

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


#: the two tags of ``extends:`` (``upspec.modelspec.extends``), accepted only where ``parse_yaml(reuse_tags=True)``
DELETE_TAG = "!delete"
REPLACE_TAG = "!replace"


class Deleted:
    """A value tagged ``!delete``: the key is removed from what the spec extends."""

    def __repr__(self) -> str:
        return "!delete"


DELETE = Deleted()


class Replace(dict):
    """A mapping tagged ``!replace``: it replaces the base's mapping instead of merging into it."""


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based
    source: str | None = None  # set when the value came from elsewhere (``--set``, a base spec)
    #: how an expanded value got here, innermost first (``upspec.modelspec.reuse``); empty for written values
    trail: tuple[str, ...] = ()

    def where(self, source: str) -> str:
        """``FILE:LINE:COL`` of this mark, ``source`` being the document's own file."""
        return f"{self.source or source}:{self.line}:{self.column}"


@dataclass
class Document:
    """Plain Python data from a YAML text plus where each piece came from."""

    data: Any
    source: str
    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)
    #: what the reuse layer expanded (``upspec.modelspec.reuse.Expansion``), None for a spec written flat
    expansion: Any = None

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
        return Diagnostic(mark.source or self.source, mark.line, mark.column, message, hint, trail=mark.trail)


def _mark_of(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Limit(Exception):
    """A bound of ``upspec.modelspec.limits`` was passed; carries the diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


# -- composing: events -> nodes, without recursion and within bounds ----------

_PARSER = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader  # libyaml when installed, else pure Python
_RESOLVER = yaml.resolver.Resolver()
_PLAIN_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"^-?(0|[1-9][0-9]{0,17})$")


def _resolve_scalar(value: str, implicit: tuple) -> str:
    # the common case first: a plain word that no implicit resolver claims (yes/no/on/off/null/true... are few)
    if implicit[0] and _PLAIN_WORD.match(value) and value.lower() not in _IMPLICIT_WORDS:
        return _STR
    return _RESOLVER.resolve(yaml.ScalarNode, value, implicit)


_IMPLICIT_WORDS = {"yes", "no", "true", "false", "on", "off", "y", "n", "null", "nan", "inf", "_"}


def _compose(text: str, source: str, parser: Any = _PARSER) -> yaml.Node | None:
    """The node tree of the one document in ``text``.

    Built from the parser's event stream with an explicit stack (so that deep
    nesting is a spec error, never a ``RecursionError`` or a C stack overflow),
    counting nodes as they are made; aliases stay shared here and are
    counted when the tree is turned into data (:class:`_Builder`).
    """
    anchors: dict[str, yaml.Node] = {}
    stack: list[tuple[yaml.Node, list]] = []  # (collection node, its items; mapping items as flat key/value list)
    root: yaml.Node | None = None
    documents = 0
    count = 0

    def limit(mark: Any, message: str, hint: str) -> _Limit:
        return _Limit(Diagnostic(source, mark.line + 1, mark.column + 1, message, hint))

    def attach(node: yaml.Node) -> None:
        nonlocal root
        if stack:
            stack[-1][1].append(node)
        else:
            root = node

    scalar_event, alias_event, sequence_start = yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent
    ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    starts = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    scalar_node, mapping_node = yaml.ScalarNode, yaml.MappingNode
    for event in yaml.parse(text, Loader=parser):
        kind = event.__class__
        if kind is scalar_event:
            count += 1
            tag = event.tag if event.tag not in (None, "!") else _resolve_scalar(event.value, event.implicit)
            node = scalar_node(tag, event.value, event.start_mark, event.end_mark, style=event.style or None)
            if stack:
                stack[-1][1].append(node)
            else:
                root = node
        elif kind in ends:
            node, items = stack.pop()
            node.value = list(zip(items[::2], items[1::2])) if node.__class__ is mapping_node else items
            node.end_mark = event.end_mark
            continue
        elif kind is alias_event:
            if event.anchor not in anchors:
                raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
            attach(anchors[event.anchor])
            continue
        elif kind in starts:
            count += 1
            if len(stack) >= MAX_DEPTH:
                raise limit(event.start_mark, f"the spec nests lists and mappings deeper than {MAX_DEPTH} levels",
                            "a spec needs a handful of levels; look for unclosed '[' or '{'")
            node_kind = yaml.SequenceNode if kind is sequence_start else mapping_node
            tag = event.tag if event.tag not in (None, "!") else _RESOLVER.resolve(node_kind, None, event.implicit)
            node = node_kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
            attach(node)
            stack.append((node, []))
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise yaml.composer.ComposerError("expected a single document in the stream", None,
                                                  "but found another document", event.start_mark)
            continue
        else:  # stream start / end, document end
            continue
        if count > MAX_NODES:
            raise limit(event.start_mark, f"the spec has more than {MAX_NODES:,} YAML nodes",
                        "a model spec is a few hundred lines; split it, or check for a runaway generator")
        if event.anchor is not None:
            anchors[event.anchor] = node
    return root


class _Builder:
    """Nodes -> plain data with marks; aliases are expanded here, within ``MAX_NODES`` in all."""

    def __init__(self, source: str, reuse_tags: bool = False) -> None:
        self.doc = Document(data=None, source=source)
        self.reuse_tags = reuse_tags
        self.errors: list[Diagnostic] = []
        self._constructor = yaml.SafeLoader("")
        self._built = 0
        self._record = True  # False while building the source of a merge key

    def error(self, node: yaml.Node, message: str, hint: str = "") -> None:
        mark = _mark_of(node)
        self.errors.append(Diagnostic(self.doc.source, mark.line, mark.column, message, hint))

    def _count(self, node: yaml.Node) -> None:
        self._built += 1
        if self._built > MAX_NODES:
            mark = _mark_of(node)
            raise _Limit(Diagnostic(self.doc.source, mark.line, mark.column,
                                    f"the spec expands to more than {MAX_NODES:,} values (aliases included)",
                                    "aliases (*name) and merge keys (<<) repeat what they refer to; "
                                    "this many copies is an alias bomb, not a model"))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self._count(node)
        if self._record:
            self.doc.values[path] = _mark_of(node)
        if self.reuse_tags and node.tag == DELETE_TAG and isinstance(node, yaml.ScalarNode) and not node.value:
            return DELETE
        if self.reuse_tags and node.tag == REPLACE_TAG and isinstance(node, yaml.MappingNode):
            return Replace(self._mapping(node, path))
        if node.tag not in _STANDARD_TAGS:
            self.error(
                node,
                f"YAML tag {node.tag!r} is not allowed",
                "specs are plain data; only standard YAML types (str, int, float, bool, null, lists, mappings) are accepted"
                + (", and in a spec's file !delete (alone, as a value) and !replace (on a mapping)"
                   if node.tag in (DELETE_TAG, REPLACE_TAG) else ""),
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if node.tag == "tag:yaml.org,2002:str" and node.style is None and _FLOAT_WITHOUT_DOT.match(node.value):
            return float(node.value)  # YAML 1.1 reads 1e-3 as a string; nobody means that
        if node.tag == _STR:
            return node.value
        if node.tag == _INT and _DECIMAL.match(node.value):
            return int(node.value)
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            self.error(node, f"cannot read the value {node.value!r}: {exc}")
            return None

    def _key(self, key_node: yaml.Node, path: Path) -> Any:
        """The key's value, or ``_BAD_KEY`` after reporting a key that is not a string."""
        if not isinstance(key_node, yaml.ScalarNode):
            self.error(key_node, "mapping keys must be plain scalars")
            return _BAD_KEY
        self._count(key_node)
        key = self._constructor.construct_object(key_node, deep=True) if key_node.tag in _STANDARD_TAGS else key_node.value
        if not isinstance(key, str):
            shown = "~ (null)" if key is None else repr(key_node.value)
            self.error(key_node, f"mapping key {shown} is not a string",
                       "keys are names; quote it if it is meant as one (YAML reads yes/no/on/off as booleans)")
            return _BAD_KEY
        return key

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict:
        result: dict = {}
        first_seen: dict[Any, Mark] = {}
        merges = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merges.append((key_node, value_node))
                continue
            key = self._key(key_node, path)
            if key is _BAD_KEY:
                continue
            if key in first_seen:
                seen = first_seen[key]
                self.error(
                    key_node,
                    f"duplicate key {key!r}",
                    f"first defined at line {seen.line}, column {seen.column}; YAML would silently keep only the last one",
                )
                continue
            first_seen[key] = _mark_of(key_node)
            if self._record:
                self.doc.keys[path + (key,)] = _mark_of(key_node)
            result[key] = self.build(value_node, path + (key,))
        for key_node, value_node in merges:
            # what a merge key brings in is reported at the merge ('<<'), where it enters this mapping
            record, self._record = self._record, False
            try:
                merged = self._merge_source(value_node, path)
            finally:
                self._record = record
            for key, value in merged.items():
                if key in result:
                    continue
                result[key] = value
                if self._record:
                    self.doc.keys[path + (key,)] = _mark_of(key_node)
                    self.doc.values[path + (key,)] = _mark_of(key_node)
        return result

    def _merge_source(self, node: yaml.Node, path: Path) -> dict:
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict = {}
        for item in nodes:
            if not isinstance(item, yaml.MappingNode):
                self.error(item, "a merge key '<<' must refer to a mapping or a list of mappings")
                continue
            self._count(item)
            for key, value in self._mapping(item, path).items():
                merged.setdefault(key, value)
        return merged


_BAD_KEY = object()


def parse_yaml(text: str, source: str = "<string>", *, reuse_tags: bool = False) -> Document:
    """Parse one YAML document into plain data with marks.

    ``reuse_tags`` accepts ``!delete`` (an empty scalar: :data:`DELETE`) and ``!replace`` (a mapping:
    :class:`Replace`), which only ``extends:`` gives a meaning. Raises :class:`SpecError` for syntax errors, duplicate keys, unsafe tags,
    multi-document streams and specs past the bounds of ``upspec.modelspec.limits``.
    """
    check_text(text, source)
    with _no_gc():
        return _parse(text, source, reuse_tags)


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Cyclic GC off while building the trees: they hold no cycles, and its passes over tens of thousands
    of new nodes made parsing superlinear (3,000 entries took 5x the time of 1,000)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse(text: str, source: str, reuse_tags: bool = False) -> Document:
    try:
        try:
            node = _compose(text, source)
        except yaml.MarkedYAMLError as exc:
            if "nesting depth" not in str(exc.problem) or _PARSER is yaml.SafeLoader:
                raise
            # libyaml (PyYAML >= 6.0.2) stops at its own depth limit while scanning ahead; the pure-Python
            # parser streams, so the composer's limit names the bracket that crosses MAX_DEPTH
            node = _compose(text, source, yaml.SafeLoader)
    except _Limit as exc:
        raise SpecError([exc.diagnostic]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = "invalid YAML: " + " ".join(part for part in (exc.context, exc.problem) if part)
        raise SpecError([Diagnostic(source, line, column, message, yaml_hint(message, text, line),
                                    excerpt=excerpt(text, line, column))]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Diagnostic(source, 0, 0, f"invalid YAML: {exc}")]) from None
    builder = _Builder(source, reuse_tags)
    builder.doc.values[()] = Mark(1, 1)
    if node is not None:
        try:
            builder.doc.data = builder.build(node, ())
        except _Limit as exc:
            raise SpecError([exc.diagnostic]) from None
    if builder.errors:
        raise SpecError(builder.errors)
    return builder.doc
