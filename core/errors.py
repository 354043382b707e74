"""The exceptions upspec raises, and the diagnostics a spec error carries."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable
from typing import Sequence


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a spec, pointing at the place that causes it.

    ``line`` and ``column`` are 1-based; 0 means "unknown" (a spec given as a
    dict has no positions).
    """

    source: str
    line: int
    column: int
    message: str
    hint: str = ""
    severity: str = "error"
    #: how an expanded value got where it is, innermost first: ``"FILE:LINE:COL: in block 'res', instance 7 of
    #: 16 of entry 'body'"``, ``"--set params.width=0:1:14: via parameter 'width'"`` (``upspec.modelspec.reuse``)
    trail: tuple[str, ...] = ()
    #: the source line with a caret under the column (YAML syntax errors), as yamllint shows it
    excerpt: str = ""

    def format(self) -> str:
        where = self.source
        if self.line:
            where += f":{self.line}:{self.column}"
        text = f"{where}: {self.severity}: {self.message}"
        if self.excerpt:
            text += "\n" + self.excerpt
        for step in self.trail:
            text += f"\n  in: {step}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UpspecError(Exception):
    """Base class of every error upspec raises on purpose."""


class SpecError(UpspecError, ValueError):
    """A spec (file, text, dict or override) is invalid.

    Carries every problem found, so a user fixes them all in one pass.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    @property
    def messages(self) -> list[str]:
        return [d.message for d in self.diagnostics]


class NotFoundError(UpspecError, LookupError):
    """A name (strategy, layer type, dataset) that no loaded plugin provides."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(message + (f" ({hint})" if hint else ""))


class BadInputError(UpspecError):
    """A file or folder given to a command cannot be used (a truncated image, a damaged model, an output path
    that is a file, a folder that is not a run folder): exit 2, like a bad spec. The message names the path,
    says what is wrong and what to do; a library's own message is kept as ``__cause__``."""

    def __init__(self, path: object, problem: str, hint: str = "") -> None:
        self.path = path
        self.problem = problem
        self.hint = hint
        joined = f"{path} {problem}" if problem.startswith("is ") else f"{path}: {problem}"  # "run is a folder..."
        super().__init__(joined + (f"\n  hint: {hint}" if hint else ""))


class DamagedFileError(BadInputError):
    """A file upspec wrote earlier (a model, a checkpoint) exists but cannot be read back: truncated or
    corrupt."""


class PluginError(UpspecError):
    """A plugin failed to load, raised in a hook, or returned something unusable."""

    def __init__(self, plugin: str, distribution: str, message: str) -> None:
        self.plugin = plugin
        self.distribution = distribution
        super().__init__(f'plugin "{plugin}" (distribution {distribution}): {message}')


class ParameterError(UpspecError, ValueError):
    """A strategy's static check refuses a parameter (``Strategy.check``): ``key`` names the spec key to point
    at (``"cutoff"``, ``"factor"``, ``"guide"``; None: the entry), ``hint`` says how to fix it."""

    def __init__(self, message: str, key: str | None = None, hint: str = "") -> None:
        self.message = message
        self.key = key
        self.hint = hint
        super().__init__(message + (f" ({hint})" if hint else ""))


def available(choices: Iterable[str], word: str | None = None, listed_by: str = "upspec plugins --json") -> str:
    """"did you mean 'x'? available: a, b, c", shortened when there are many choices (then pointing at the
    command ``listed_by`` that lists them all)."""
    choices = sorted(set(choices))
    close = difflib.get_close_matches(str(word), choices, n=3, cutoff=0.75) if word is not None else []
    mean = "did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ""
    if len(choices) > 30:
        listing = f"{len(choices)} available (see `{listed_by}`)"
    else:
        listing = "available: " + ", ".join(choices)
    return f"{mean} {listing}".strip()
