"""``extends:``: a spec built on one or more base specs, every value still marked where it was written.

Mappings merge recursively, scalars and lists are replaced, and ``layers:`` lists merge by id: an entry
whose id the base has updates that entry, a new one is appended or placed with ``after: ID`` /
``before: ID``, ``{id: ID, delete: true}`` removes one. ``!delete`` as a value removes a key; ``!replace``
on a mapping replaces the base's instead of merging into it. Two bases that set one key differently are
an error naming both places. A base is a shipped spec's name or a ``.yaml`` path relative to the spec
that extends it, inside the folder of the spec being loaded (or of the shipped specs).
"""

from __future__ import annotations

import os
from pathlib import Path as FilePath
from typing import Any

from ..errors import Diagnostic
from ..errors import SpecError
from ..errors import available
from .limits import MAX_BASES
from .limits import MAX_EXTENDS_DEPTH
from .limits import MAX_NODES
from .yaml_source import DELETE
from .yaml_source import Deleted
from .yaml_source import Document
from .yaml_source import Mark
from .yaml_source import Path
from .yaml_source import Replace
from .yaml_source import decode_spec
from .yaml_source import parse_yaml

#: keys of a ``layers:`` entry that only ``extends:`` reads
PLACEMENT_KEYS = ("after", "before", "delete")
_SUFFIXES = (".yaml", ".yml")


class _Stop(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class _Merger:
    """Reads bases (each file once), merges them and the spec into one document with marks and trails."""

    def __init__(self, root: Document) -> None:
        self.root = root
        self.folder = _folder_of(root.source)
        self.cache: dict[FilePath, Document] = {}
        self.errors: list[Diagnostic] = []
        self.copied = 0
        self.merges = 0
        self.bases: list[str] = []

    # -- where bases are -------------------------------------------------------

    def locate(self, item: Any, doc: Document, path: Path, trail: tuple[str, ...]) -> tuple[FilePath, str] | None:
        from ..shipped import _folder as shipped_folder
        from ..shipped import shipped_spec
        from ..shipped import shipped_specs

        if not isinstance(item, str) or not item.strip():
            self.error(doc, path, trail, f"extends: expected a spec's name or a .yaml path, got {item!r}")
            return None
        shipped_root = shipped_folder().resolve()
        bare = "/" not in item and os.sep not in item and "." not in item
        if not bare:
            if os.path.isabs(item):
                self.error(doc, path, trail, f"extends: {item!r} is an absolute path",
                           "a base is a shipped spec's name or a path relative to the spec that extends it")
                return None
            if not item.endswith(_SUFFIXES):
                self.error(doc, path, trail, f"extends: {item!r} is not a .yaml file", "a base is a spec: NAME.yaml")
                return None
            here = _folder_of(doc.source)
            found = (here / item).resolve()
            inside = [self.folder, shipped_root] if _within(here.resolve(), shipped_root) else [self.folder]
            if not any(_within(found, folder) for folder in inside):
                self.error(doc, path, trail, f"extends: {item!r} is outside the spec's folder {str(self.folder)!r}",
                           "bases must lie in the folder of the spec being loaded or below it")
                return None
            if found.is_file():
                shown = item if doc.source.startswith("<") else os.path.join(os.path.dirname(doc.source), item)
                return found, os.path.normpath(shown)
            if "/" in item or os.sep in item:
                self.error(doc, path, trail, f"extends: no such spec file {item!r}")
                return None
        shipped = shipped_spec(item)
        if shipped is None:
            self.error(doc, path, trail, f"extends: {item!r} is neither a file nor a shipped spec",
                       available(shipped_specs(), item[: -len(".yaml")] if item.endswith(".yaml") else item))
            return None
        return shipped.resolve(), str(shipped)

    def read(self, file: FilePath, shown: str, doc: Document, path: Path, trail: tuple[str, ...],
             step: tuple[str, ...]) -> Document | None:
        if file not in self.cache:
            try:
                self.cache[file] = parse_yaml(decode_spec(file.read_bytes(), shown), source=shown, reuse_tags=True)
            except OSError as exc:
                self.error(doc, path, trail, f"extends: cannot read {shown!r}: {exc.strerror or exc}")
                return None
            except SpecError as error:
                self.errors += [d.__class__(**{**d.__dict__, "trail": d.trail + step}) for d in error.diagnostics]
                return None
        base = self.cache[file]
        if not isinstance(base.data, dict):
            kind = "empty" if base.data is None else f"a {type(base.data).__name__}"
            self.error(doc, path, trail, f"extends: {shown!r} is not a spec: it is {kind}",
                       "a base is a spec: a mapping with name, inputs, layers ...")
            return None
        return base

    # -- merging -------------------------------------------------------------

    def resolve(self, doc: Document, chain: tuple[FilePath, ...], trail: tuple[str, ...]) -> Document:
        """``doc`` with its bases merged in (recursively); marks of base values name their file."""
        data = doc.data
        if not isinstance(data, dict) or "extends" not in data:
            return doc
        written = data["extends"]
        items = written if isinstance(written, list) else [written]
        merged: Document | None = None
        for i, item in enumerate(items):
            path: Path = ("extends", i) if isinstance(written, list) else ("extends",)
            located = self.locate(item, doc, path, trail)
            if located is None:
                continue
            file, shown = located
            if file in chain:
                names = [str(p.name) for p in chain[chain.index(file):]] + [file.name]
                self.error(doc, path, trail, "extends: the specs extend each other in a cycle: " + " -> ".join(names),
                           "a spec may not extend itself, directly or not")
                continue
            if len(chain) >= MAX_EXTENDS_DEPTH:
                raise _Stop(self.diagnostic(doc, path, trail, f"extends: the chain of bases is deeper than "
                                                               f"{MAX_EXTENDS_DEPTH} specs", "a chain of a few bases is plenty"))
            self.merges += 1
            if self.merges > MAX_BASES:
                raise _Stop(self.diagnostic(doc, path, trail, f"extends: more than {MAX_BASES} bases in all"))
            step = (f"{self.where(doc, path)}: via 'extends: {item}'",) + trail
            base = self.read(file, shown, doc, path, trail, step)
            if base is None:
                continue
            if shown not in self.bases:
                self.bases.append(shown)
            resolved = self.resolve(base, chain + (file,), step)
            marked = Document(None, doc.source)
            marked.data = self.copy(resolved, (), resolved.data, marked, (), step)
            merged = marked if merged is None else self.combine(merged, marked)
        out = Document(None, doc.source)
        body = {k: v for k, v in data.items() if k != "extends"}
        if merged is None:
            out.data = self.copy(doc, (), body, out, (), ())
        else:
            out.data = self.merge(merged, (), merged.data, doc, (), body, out, (), conflicts=False)
        if () in doc.values:
            out.values[()] = self._marked(doc, doc.values[()], ()) if doc is not self.root else doc.values[()]
        return out

    def combine(self, first: Document, second: Document) -> Document:
        """Two bases merged; a key they set differently is an error naming both places."""
        out = Document(None, first.source)
        out.data = self.merge(first, (), first.data, second, (), second.data, out, (), conflicts=True)
        return out

    def merge(self, base: Document, bpath: Path, bval: Any, top: Document, tpath: Path, tval: Any,
              out: Document, opath: Path, conflicts: bool) -> Any:
        if isinstance(tval, Replace) or not isinstance(tval, dict) or not isinstance(bval, dict):
            if isinstance(tval, list) and isinstance(bval, list) and opath[-1:] == ("layers",):
                return self.merge_layers(base, bpath, bval, top, tpath, tval, out, opath, conflicts)
            if conflicts and tval != bval:
                other = self.where(base, bpath)
                self.error(top, tpath, (), f"{'.'.join(map(str, tpath))} is set by two bases differently: "
                           f"{_short(bval)} at {other} and {_short(tval)} here",
                           "bases must agree; set it in one of them, or in the spec that extends both")
            return self.copy(top, tpath, tval, out, opath, ())
        self._mark(base, bpath, out, opath)
        result: dict[str, Any] = {}
        for key, value in bval.items():
            if key in tval:
                if tval[key] is DELETE:
                    continue
                self._key(top, tpath + (key,), out, opath + (key,))
                result[key] = self.merge(base, bpath + (key,), value, top, tpath + (key,), tval[key], out,
                                         opath + (key,), conflicts)
            else:
                self._key(base, bpath + (key,), out, opath + (key,))
                result[key] = self.copy(base, bpath + (key,), value, out, opath + (key,), ())
        for key, value in tval.items():
            if key in bval:
                continue
            if value is DELETE:
                self.error(top, tpath + (key,), (), f"!delete: the base has no key {key!r} to delete",
                           available([k for k in bval if isinstance(k, str)], key))
                continue
            self._key(top, tpath + (key,), out, opath + (key,))
            result[key] = self.copy(top, tpath + (key,), value, out, opath + (key,), ())
        return result

    def merge_layers(self, base: Document, bpath: Path, bval: list, top: Document, tpath: Path, tval: list,
                     out: Document, opath: Path, conflicts: bool) -> list:
        """``layers:`` merged by id (see the module's docstring)."""
        slots: list[list] = [["base", i, None] for i in range(len(bval))]
        ids = {e.get("id"): i for i, e in enumerate(bval) if isinstance(e, dict) and isinstance(e.get("id"), str)}
        deleted: dict[str, Path] = {}
        for j, entry in enumerate(tval):
            path = tpath + (j,)
            eid = entry.get("id") if isinstance(entry, dict) else None
            slot = next((s for s in slots if s[0] == "base" and s[1] == ids.get(eid)), None) if eid in ids else None
            if isinstance(entry, dict) and entry.get("delete") is True:
                if slot is None:
                    self.error(top, path + ("delete",), (), f"delete: the base has no entry with id {eid!r}",
                               available([str(i) for i in ids if i not in deleted], str(eid)))
                else:
                    slots.remove(slot)
                    deleted[str(eid)] = path
                continue
            if slot is not None:
                slot[2] = j
                new = slot
                if "after" not in entry and "before" not in entry:
                    continue
                slots.remove(slot)
            else:
                new = ["top", None, j]
            self.place(slots, new, entry, path, top, base, bval)
        result = []
        self._mark(base, bpath, out, opath)
        for k, (side, i, j) in enumerate(slots):
            at = opath + (k,)
            if side == "top":
                entry = {key: v for key, v in tval[j].items() if key not in PLACEMENT_KEYS}
                result.append(self.copy(top, tpath + (j,), entry, out, at, ()))
            elif j is None:
                result.append(self.copy(base, bpath + (i,), bval[i], out, at, ()))
            else:
                update = {key: v for key, v in tval[j].items() if key not in PLACEMENT_KEYS}
                result.append(self.merge(base, bpath + (i,), bval[i], top, tpath + (j,), update, out, at, conflicts))
        self.dangling(result, deleted, top, out, opath)
        return result

    def place(self, slots: list[list], new: list, entry: Any, path: Path, top: Document, base: Document,
              bval: list) -> None:
        anchor_key = "after" if isinstance(entry, dict) and "after" in entry else "before" if isinstance(entry, dict) \
            and "before" in entry else None
        if anchor_key is None:
            slots.append(new)
            return
        anchor = entry[anchor_key]
        for k, (side, i, j) in enumerate(slots):
            eid = bval[i].get("id") if side == "base" and isinstance(bval[i], dict) else None
            if eid is None and j is not None and side == "top":
                eid = None
            if eid == anchor:
                slots.insert(k + 1 if anchor_key == "after" else k, new)
                return
        names = [bval[i].get("id") for side, i, _ in slots if side == "base" and isinstance(bval[i], dict)]
        self.error(top, path + (anchor_key,), (), f"{anchor_key}: the base has no entry with id {anchor!r}",
                   available([n for n in names if isinstance(n, str)], str(anchor)))
        slots.append(new)

    def dangling(self, entries: list, deleted: dict[str, Path], top: Document, out: Document, opath: Path) -> None:
        """Every input that names a deleted entry, reported where it is written."""
        if not deleted:
            return
        for k, entry in enumerate(entries):
            refs = entry.get("inputs") if isinstance(entry, dict) else None
            for m, ref in enumerate(refs if isinstance(refs, list) else [refs] if isinstance(refs, str) else []):
                if ref in deleted:
                    where = opath + (k, "inputs", m) if isinstance(refs, list) else opath + (k, "inputs")
                    mark = out.mark(where)
                    name = entry.get("id", f"layers[{k}]")
                    by = self.where(top, deleted[ref])
                    self.errors.append(Diagnostic(
                        (mark.source if mark else None) or out.source, mark.line if mark else 0, mark.column if mark else 0,
                        f"entry {name!r} takes input {ref!r}, which {by} deletes",
                        "give it another input, or delete it too", trail=mark.trail if mark else ()))

    # -- copies with marks ---------------------------------------------------

    def copy(self, src: Document, spath: Path, value: Any, out: Document, opath: Path, trail: tuple[str, ...]) -> Any:
        self.copied += 1
        if self.copied > MAX_NODES:
            raise _Stop(self.diagnostic(src, spath, trail, f"extends: merging the bases copies more than "
                                                            f"{MAX_NODES:,} values"))
        self._mark(src, spath, out, opath, trail)
        if isinstance(value, Deleted):
            self.error(src, spath, trail, "!delete: there is nothing here to delete",
                       "!delete removes a key that a base (extends:) sets")
            return None
        if isinstance(value, dict):
            result = {}
            for key, item in value.items():
                self._key(src, spath + (key,), out, opath + (key,), trail)
                result[key] = self.copy(src, spath + (key,), item, out, opath + (key,), trail)
            return result
        if isinstance(value, list):
            return [self.copy(src, spath + (i,), item, out, opath + (i,), trail) for i, item in enumerate(value)]
        return value

    @staticmethod
    def _marked(src: Document, mark: Mark, trail: tuple[str, ...]) -> Mark:
        if mark.source is not None and not trail:
            return mark
        return Mark(mark.line, mark.column, mark.source or src.source, mark.trail + trail)

    def _mark(self, src: Document, spath: Path, out: Document, opath: Path, trail: tuple[str, ...] = ()) -> None:
        mark = src.values.get(spath)
        if mark is not None:
            out.values[opath] = self._marked(src, mark, trail) if src is not self.root else mark

    def _key(self, src: Document, spath: Path, out: Document, opath: Path, trail: tuple[str, ...] = ()) -> None:
        mark = src.keys.get(spath)
        if mark is not None:
            out.keys[opath] = self._marked(src, mark, trail) if src is not self.root else mark

    # -- diagnostics ---------------------------------------------------------

    def where(self, doc: Document, path: Path) -> str:
        mark = doc.mark(path)
        return mark.where(doc.source) if mark else doc.source

    def diagnostic(self, doc: Document, path: Path, trail: tuple[str, ...], message: str, hint: str = "") -> Diagnostic:
        mark = doc.mark(path)
        if mark is None:
            return Diagnostic(doc.source, 0, 0, message, hint, trail=trail)
        return Diagnostic(mark.source or doc.source, mark.line, mark.column, message, hint, trail=mark.trail + trail)

    def error(self, doc: Document, path: Path, trail: tuple[str, ...], message: str, hint: str = "") -> None:
        self.errors.append(self.diagnostic(doc, path, trail, message, hint))


def _folder_of(source: str) -> FilePath:
    """The folder of a spec's file; the working directory for a spec given as text or a dict."""
    if source.startswith("<") or not source:
        return FilePath.cwd().resolve()
    return FilePath(source).resolve().parent


def _within(path: FilePath, folder: FilePath) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def resolve_extends(doc: Document) -> tuple[Document, tuple[str, ...]]:
    """``doc`` with its bases (``extends:``) merged in and the tags of merging gone; the bases' files."""
    merger = _Merger(doc)
    try:
        if isinstance(doc.data, dict) and "extends" in doc.data:
            root = () if doc.source.startswith("<") else (FilePath(doc.source).resolve(),)
            result = merger.resolve(doc, root, ())
        elif _has_tags(doc.data):
            result = Document(None, doc.source, expansion=doc.expansion)
            result.keys = dict(doc.keys)
            result.data = merger.copy(doc, (), doc.data, result, (), ())
        else:
            return doc, ()
    except _Stop as stop:
        raise SpecError([stop.diagnostic]) from None
    if merger.errors:
        raise SpecError(merger.errors)
    return result, tuple(merger.bases)


def _has_tags(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (Deleted, Replace)):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
