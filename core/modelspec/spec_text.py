"""A spec's raw text before the YAML parser sees it: decoding its bytes, bounding its size, refusing characters
YAML does not allow, each a positioned spec error."""

from __future__ import annotations

import re

from ..errors import Diagnostic
from ..errors import SpecError
from .limits import MAX_SPEC_BYTES


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def check_text(text: str, source: str) -> None:
    """Size and characters, before the parser sees the text."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError([Diagnostic(source, 1, 1, f"the spec is {len(text):,} characters long; the limit is {MAX_SPEC_BYTES:,}",
                                    "a model spec is a few kilobytes; check that this is the right file")])
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line, column = _position(text, bad.start())
        char = bad.group()
        what = "a NUL byte" if char == "\0" else f"the control character U+{ord(char):04X}"
        raise SpecError([Diagnostic(source, line, column, f"the spec contains {what}, which YAML does not allow",
                                    "a spec is UTF-8 text; is this a binary file?")])


# YAML's printable set (PyYAML's reader), less the BOM, which decoding removes
_NON_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def decode_spec(raw: bytes, source: str) -> str:
    """UTF-8 text from a spec file's bytes; other encodings are a positioned spec error."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpecError([Diagnostic(source, 1, 1, "the spec is UTF-16 text; specs are UTF-8",
                                    "save the file as UTF-8 (most editors: 'Save with encoding')")])
    if len(raw) > MAX_SPEC_BYTES:
        check_text(" " * len(raw), source)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8", errors="replace")
        line, column = _position(good, len(good))
        raise SpecError([Diagnostic(source, line, column, f"the spec is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                                    "save the file as UTF-8")]) from None


#: what to do about PyYAML's syntax errors, by a phrase of its message ("{column}": the column of the key above)
_INDENT = "this line is indented differently from the one above: line its key up with column {column}"
_YAML_HINTS = (
    ("mapping values are not allowed", "this line holds 'key: value' where a plain value was expected: indent it like "
                                       "its siblings (the keys of one entry line up), or quote a value that contains "
                                       "': '"),
    ("could not find expected ':'", "a key needs ': ' after it; or quote a value that spans lines"),
    ("did not find expected key", _INDENT),
    ("did not find expected '-' indicator", _INDENT),
    ("expected <block end>", _INDENT),
    ("found unexpected end of stream", "a quote or bracket opened here is never closed"),
)


def yaml_hint(problem: str, text: str, line: int) -> str:
    """What to do about a PyYAML syntax error at ``line`` of ``text``, or ''."""
    lines = text.splitlines()
    current = lines[line - 1] if 1 <= line <= len(lines) else ""
    if "\t" in current[: len(current) - len(current.lstrip())] or "cannot start any token" in problem and "\t" in current:
        return "YAML indents with spaces, never tabs: replace the tab(s) on this line with spaces"
    above = next((l for l in reversed(lines[: max(line - 1, 0)]) if l.strip() and not l.lstrip().startswith("#")), "")
    indent = len(above) - len(above.lstrip(" -")) + 1
    for phrase, hint in _YAML_HINTS:
        if phrase in problem:
            return hint.format(column=indent)
    return ""


def excerpt(text: str, line: int, column: int) -> str:
    """The source line ``line`` (1-based) and a caret under ``column``, indented, tabs shown as one space."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    shown = lines[line - 1].expandtabs(1)
    return f"  {line:>4} | {shown}\n       | {' ' * (column - 1)}^"
