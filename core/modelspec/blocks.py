"""``params:`` and ``blocks:``: a spec's parameters evaluated, its block entries expanded into flat entries.

The pass reads a :class:`Document` (data + marks) and writes a new one with no ``params:`` nor
``blocks:``, every value marked where it was *written* (the template, the ``${...}`` use) and carrying
a trail of how it got into the flat spec (``in block 'res', instance 7 of 16 of entry 'body'``,
``via parameter 'width'``). Everything after it (entries, shapes, lint, budgets) runs unchanged on the
flat result. Each value copied counts against ``MAX_NODES``; the copy stops at the entry that crosses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ..errors import Diagnostic
from ..errors import available
from .limits import MAX_DEPTH
from .limits import MAX_NODES
from .limits import MAX_REPEAT
from .block_ids import auto_id
from .block_ids import free_id
from .block_ids import local_ids
from .block_ids import resolve_alias
from .params import ExpressionError
from .params import interpolate
from .params import references
from .yaml_source import Document
from .yaml_source import Mark
from .yaml_source import Path

#: what a block entry may hold besides its block's parameters
USE_KEYS = ("id", "block", "repeat", "inputs")
BLOCK_KEYS = ("params", "inputs", "layers", "description")
RESERVED = ("index", "in")
LOCAL_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class Budget(Exception):
    """The expansion passed a bound; carries the diagnostic (raised at once: the rest would pass it too)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


@dataclass
class Scope:
    """Parameter values and, for each, the trail steps saying where its value was written."""

    names: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: how this scope's values got here (the instance steps), innermost first
    trail: tuple[str, ...] = ()

    def via(self, used: list[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step for name in used for step in self.origins.get(name, ())))


@dataclass
class _EntryList:
    """One ``layers:`` list being written flat: its entries, aliases (``body``, ``body.3``) and the inputs that
    name "the previous entry" by position until the ids are known."""

    path: Path
    out: list = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)


class Expander:
    """Copies ``doc`` into a flat document, evaluating ``${...}`` and expanding block entries."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.blocks: dict[str, dict] = {}
        self.broken: set[str] = set()  # blocks already reported as ill-formed: their uses say nothing more
        self.out = Document(data=None, source=doc.source)
        self.errors: list[Diagnostic] = []
        self.count = 0
        self._reported: set[Path] = set()  # template places already reported (once, not once per instance)

    # -- diagnostics ---------------------------------------------------------

    def mark(self, path: Path) -> Mark | None:
        return self.doc.mark(path)

    def where(self, path: Path) -> str:
        mark = self.mark(path)
        return mark.where(self.doc.source) if mark else self.doc.source

    def diagnostic(self, path: Path, trail: tuple[str, ...], message: str, hint: str = "", key: bool = False) -> Diagnostic:
        mark = self.doc.mark(path, key=key)
        if mark is None:
            return Diagnostic(self.doc.source, 0, 0, message, hint, trail=trail)
        return Diagnostic(mark.source or self.doc.source, mark.line, mark.column, message, hint,
                          trail=trail + mark.trail)

    def error(self, path: Path, trail: tuple[str, ...], message: str, hint: str = "", key: bool = False) -> None:
        if path in self._reported:
            return
        self._reported.add(path)
        self.errors.append(self.diagnostic(path, trail, message, hint, key))

    def _counted(self, path: Path, trail: tuple[str, ...]) -> None:
        self.count += 1
        if self.count > MAX_NODES:
            raise Budget(self.diagnostic(path, trail, f"the spec expands to more than {MAX_NODES:,} values",
                                         "a block repeated this often is not a model; lower 'repeat:' or the nesting"))

    # -- values --------------------------------------------------------------

    def _marked(self, mark: Mark | None, trail: tuple[str, ...]) -> Mark | None:
        if mark is None or (not trail and mark.source is None):
            return mark
        return Mark(mark.line, mark.column, mark.source, trail + mark.trail)

    def value(self, value: Any, src: Path, dst: Path | None, scope: Scope, trail: tuple[str, ...] = ()) -> Any:
        """``value`` (at ``src`` in the document) with ``${...}`` evaluated in ``scope``; with a ``dst``, its
        marks are recorded there in the flat document (``trail`` added)."""
        self._counted(src, trail)
        record = dst is not None
        if isinstance(value, dict):
            if record:
                self._record(dst, self._marked(self.doc.values.get(src), trail))
            result = {}
            for key, item in value.items():
                self._counted(src, trail)
                if record:
                    mark = self.doc.keys.get(src + (key,))
                    if mark is not None:
                        self.out.keys[dst + (key,)] = Mark(mark.line, mark.column, mark.source,  # type: ignore[operator]
                                                           trail + mark.trail) if trail else mark
                result[key] = self.value(item, src + (key,), dst + (key,) if record else None, scope, trail)  # type: ignore[operator]
                if record and isinstance(item, str) and "${" in item:
                    self._key_follows_value(dst + (key,))  # type: ignore[operator]
            return result
        if isinstance(value, list):
            if record:
                self._record(dst, self._marked(self.doc.values.get(src), trail))
            return [self.value(item, src + (i,), dst + (i,) if record else None, scope, trail)  # type: ignore[operator]
                    for i, item in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            try:
                result, used = interpolate(value, scope.names)
            except ExpressionError as problem:
                hint = problem.hint
                if problem.name is not None and problem.name not in scope.names:
                    hint = _unknown_hint(problem.name, scope)
                self.error(src, trail, problem.message, hint)
                return None
            if record:
                mark = self.doc.values.get(src)
                if mark is not None:
                    self.out.values[dst] = Mark(mark.line, mark.column, mark.source,  # type: ignore[index]
                                                scope.via(used) + trail + mark.trail)
            return result
        if record:
            self._record(dst, self._marked(self.doc.values.get(src), trail))
        return value

    def _record(self, path: Path | None, mark: Mark | None) -> None:
        if path is not None and mark is not None:
            self.out.values[path] = mark

    def _key_follows_value(self, path: Path) -> None:
        """A key's mark takes its value's trail (errors about a parameter's value may point at its key)."""
        key, value = self.out.keys.get(path), self.out.values.get(path)
        if key is not None and value is not None and value.trail != key.trail:
            self.out.keys[path] = Mark(key.line, key.column, key.source, value.trail)

    def parameters(self, params: Any, src: Path, scope: Scope, given: dict[str, tuple[Any, Path, Scope]] | None = None,
                   trail: tuple[str, ...] = ()) -> Scope:
        """``scope`` extended with ``params`` (a mapping of defaults at ``src``), each evaluated in order, so that
        a later one may use an earlier one; ``given`` are the values a block entry passes (value, where, in
        which scope)."""
        if params is None:
            return scope
        if not isinstance(params, dict):
            self.error(src, trail, "params: must be a mapping of names to values", "for example: params: {width: 64}")
            return scope
        for name, default in params.items():
            if not isinstance(name, str) or not LOCAL_ID.match(name) or name in RESERVED:
                self.error(src + (name,), trail, f"invalid parameter name {name!r}",
                           "use letters, digits and '_'" + ("; 'index' and 'in' are reserved" if name in RESERVED else ""),
                           key=True)
                continue
            if given is not None and name in given:
                value, where, outer = given[name]
                evaluated = self.value(value, where, None, outer, outer.trail)
                steps = (f"{self.where(where)}: via parameter {name!r}",) + outer.via(_used(value, outer))
            else:
                evaluated = self.value(default, src + (name,), None, scope, trail)
                steps = (f"{self.where(src + (name,))}: via parameter {name!r}",) + scope.via(_used(default, scope))
            scope.names[name] = evaluated
            scope.origins[name] = steps
        return scope

    # -- entries -------------------------------------------------------------

    def layers(self, entries: Any, src: Path, dst: Path, scope: Scope, single_input: str | None) -> _EntryList:
        """A top-level ``layers:`` list, flat."""
        listing = _EntryList(dst)
        if not isinstance(entries, list):
            listing.out = self.value(entries, src, dst, scope)
            return listing
        self.out.values[dst] = self.doc.values.get(src, Mark(1, 1))
        previous: str | tuple[int] | None = single_input
        for index, entry in enumerate(entries):
            path = src + (index,)
            if isinstance(entry, dict) and "block" in entry:
                first = None if "inputs" in entry else ([previous] if previous is not None else None)
                previous = self.use(entry, path, scope, "", first, None, listing, (), path)
            else:
                flat = self.value(entry, path, dst + (len(listing.out),), scope)
                listing.out.append(flat)
                previous = flat.get("id") if isinstance(flat, dict) and isinstance(flat.get("id"), str) else (len(listing.out) - 1,)
        self._finish(listing)
        return listing

    def use(self, entry: dict, path: Path, scope: Scope, prefix: str, first: list | None,
            local: dict[str, Any] | None, listing: _EntryList, trail: tuple[str, ...], top: Path, depth: int = 0) -> str | None:
        """Expand the block entry ``entry``; returns the flat name of its output (an alias)."""
        name = entry.get("block")
        if name in self.broken:
            return None
        if not isinstance(name, str) or name not in self.blocks:
            self.error(path + ("block",), trail, f"unknown block {name!r}", available(self.blocks, str(name)))
            return None
        if depth >= MAX_DEPTH:
            raise Budget(self.diagnostic(path, trail, f"blocks nest deeper than {MAX_DEPTH} levels"))
        block = self.blocks[name]
        use_id = entry.get("id")
        if not isinstance(use_id, str) or not LOCAL_ID.match(use_id):
            self.error(path + ("id",) if "id" in entry else path, trail,
                       "a block entry needs an 'id:' (letters, digits, '_' and '-'): its entries are named ID.N.NAME",
                       f"for example: {{id: body, block: {name}, ...}}")
            return None
        declared: dict = block["params"] if isinstance(block.get("params"), dict) else {}
        for key in entry:
            if key not in USE_KEYS and key not in declared:
                self.error(path + (key,), trail, f"block {name!r} has no parameter {key!r}",
                           available([*declared, *USE_KEYS], key), key=True)
        repeat = self._repeat(entry, path, scope, trail)
        if repeat is None:
            return None
        names = block.get("inputs", ["in"])
        names = [names] if isinstance(names, str) else names
        written_inputs = entry.get("inputs")
        base = prefix + use_id
        output: str | None = None
        block_src = ("blocks", name)
        for k in range(repeat or 1):
            shown = f"instance {k + 1} of {repeat} of entry {use_id!r}" if repeat else f"entry {use_id!r}"
            step = (f"{self.where(path)}: in block {name!r}, {shown}",) + trail
            outer = Scope(dict(scope.names), dict(scope.origins), trail)
            if repeat:
                outer.names["index"] = k
                outer.origins["index"] = ()
            if k == 0 or output is None:
                callers = first if written_inputs is None else self._names(written_inputs, path + ("inputs",), outer,
                                                                           trail, local, prefix)
            else:
                rest = self._names(written_inputs, path + ("inputs",), outer, trail, local, prefix) or []
                callers = [output] + list(rest[1:])
            if callers is None or len(callers) != len(names):
                got = "none" if callers is None else len(callers)
                self.error(path, trail, f"block {name!r} takes {len(names)} input(s) ({', '.join(map(str, names))}); "
                           f"entry {use_id!r} gives {got}", "list them: inputs: [...]")
                return None
            given = {key: (value, path + (key,), outer) for key, value in entry.items() if key in declared}
            inner = self.parameters(declared, block_src + ("params",), Scope({"index": k}, {"index": ()}, step),
                                    given, step)
            instance = f"{base}.{k + 1}" if repeat else base
            mapping = dict(zip(names, callers))
            output = self._instance(block, block_src, inner, instance + ".", mapping, listing, step, top, depth)
            if repeat and output is not None:
                listing.aliases[instance] = output
        if output is not None and repeat:
            listing.aliases[base] = output
        elif output is not None:
            listing.aliases[base] = output
        return base if output is not None else None

    def _repeat(self, entry: dict, path: Path, scope: Scope, trail: tuple[str, ...]) -> int | None:
        if "repeat" not in entry:
            return 0
        value = self.value(entry["repeat"], path + ("repeat",), None, scope, trail)
        if type(value) is not int or not 1 <= value <= MAX_REPEAT:
            self.error(path + ("repeat",), trail, f"repeat: expected an integer from 1 to {MAX_REPEAT:,}, got {value!r}",
                       "how many instances of the block to chain")
            return None
        return value

    def _instance(self, block: dict, src: Path, scope: Scope, prefix: str, mapping: dict[str, Any],
                  listing: _EntryList, trail: tuple[str, ...], top: Path, depth: int) -> str | None:
        """One instance of ``block``; returns the flat name of its output (its last entry)."""
        entries = block["layers"]
        local = {name: prefix + name for name in local_ids(entries)}
        local.update(mapping)
        previous: Any = next(iter(mapping.values())) if len(mapping) == 1 else None
        output = None
        for j, entry in enumerate(entries):
            path = src + ("layers", j)
            if "block" in entry:
                first = None if "inputs" in entry else ([previous] if previous is not None else None)
                if first is None and "inputs" not in entry:
                    self.error(path, trail, "the first entry of a block with several inputs needs 'inputs:'")
                    return None
                output = self.use(entry, path, scope, prefix, first, local, listing, trail, top, depth + 1)
            else:
                dst = listing.path + (len(listing.out),)
                flat = self.value(entry, path, dst, scope, trail)
                local_id = flat.get("id") if isinstance(flat.get("id"), str) else auto_id(entry, j)
                flat["id"] = prefix + local_id
                self.out.values.setdefault(dst + ("id",), self.out.values.get(dst))  # type: ignore[arg-type]
                if "inputs" in flat:
                    written = flat["inputs"] if isinstance(flat["inputs"], list) else [flat["inputs"]]
                    flat["inputs"] = [self._local(n, local, path + ("inputs", i) if isinstance(entry["inputs"], list)
                                                  else path + ("inputs",), trail) for i, n in enumerate(written)]
                elif previous is None:
                    self.error(path, trail, "the first entry of a block with several inputs needs 'inputs:'",
                               "name them: " + ", ".join(mapping))
                else:
                    flat["inputs"] = [previous]
                    self.out.values[dst + ("inputs",)] = self.out.values.get(dst)  # type: ignore[assignment]
                listing.out.append(flat)
                output = flat["id"]
            previous = output
        return output

    def _local(self, name: Any, local: dict[str, Any], path: Path, trail: tuple[str, ...]) -> Any:
        if isinstance(name, str):
            if name in local:
                return local[name]
            head, _, tail = name.partition(".")
            if head in local and tail:
                return f"{local[head]}.{tail}" if isinstance(local[head], str) else name
        self.error(path, trail, f"input {name!r} is not defined in the block",
                   available([n for n in local], str(name)))
        return name

    def _names(self, written: Any, path: Path, scope: Scope, trail: tuple[str, ...], local: dict[str, Any] | None,
               prefix: str = "") -> list | None:
        """A block entry's ``inputs:`` evaluated in ``scope`` and named in the caller's namespace."""
        if written is None:
            return None
        value = self.value(written, path, None, scope, trail)
        items = value if isinstance(value, list) else [value]
        if local is None:
            return items
        return [self._local(n, local, path + (i,) if isinstance(written, list) else path, trail)
                for i, n in enumerate(items)]

    def _finish(self, listing: _EntryList) -> None:
        """Aliases replaced by the ids they stand for; "the previous entry" by its id (one given if it has none)."""
        taken = {e.get("id") for e in listing.out if isinstance(e, dict)}
        aliases = listing.aliases

        def resolve(name: Any) -> Any:
            if isinstance(name, tuple):  # the previous top-level entry, which had no id: give it the graph's
                entry = listing.out[name[0]]
                if not isinstance(entry.get("id"), str):
                    entry["id"] = free_id(entry, name[0], taken)
                    taken.add(entry["id"])
                return entry["id"]
            return resolve_alias(name, aliases)

        for entry in listing.out:
            if not isinstance(entry, dict):
                continue
            refs = entry.get("inputs")
            if isinstance(refs, list):
                entry["inputs"] = [resolve(r) for r in refs]
            elif isinstance(refs, (str, tuple)):
                entry["inputs"] = resolve(refs)
            if isinstance(entry.get("guide"), str):
                entry["guide"] = resolve(entry["guide"])


def _used(value: Any, scope: Scope) -> list[str]:
    if isinstance(value, str) and "${" in value:
        return references(value)
    if isinstance(value, list):
        return [n for item in value for n in _used(item, scope)]
    if isinstance(value, dict):
        return [n for item in value.values() for n in _used(item, scope)]
    return []


def _unknown_hint(name: str, scope: Scope) -> str:
    known = [n for n in scope.names if n != "index" or scope.names.get("index") is not None]
    hint = available(known, name) if known else "this spec has no params:"
    if name == "index":
        hint = "'index' is defined inside a block and in the values of an entry with 'repeat:'"
    return hint
