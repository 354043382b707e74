"""What ``upspec tune`` searches: the spec's ``search:`` section, ranges from the command line, or the default
(the learning rate), each checked against the spec before any training.

The section's shape (one kind per path, low < high, a log range above 0, a choice of one type) is checked
when the spec loads (:mod:`upspec.modelspec.search_section`). Here each path is tried on the spec itself,
with both ends of its range or each of its choices: a path the spec does not have, or a value that does not
fit there (a string for ``train.batch_size``, an optimizer argument Keras does not know), is an error at the
range's ``FILE:LINE:COL`` (or in the ``--search`` argument), before the tune folder is created.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from typing import Iterable
from typing import Sequence

from pydantic import ValidationError

from ..errors import Diagnostic
from ..errors import SpecError
from ..graph.graph import build_graph
from ..modelspec.load import load_spec
from ..modelspec.model import Spec
from ..modelspec.search_section import KINDS
from ..modelspec.search_section import SearchRange
from ..modelspec.yaml_source import parse_yaml
from ..registry.registry import Registry

#: searched when neither the spec nor the command line says what to search
DEFAULT_SEARCH = {"train.learning_rate": SearchRange(loguniform=[1e-4, 1e-2])}


@dataclass(frozen=True)
class Dimension:
    """One searched value: a ``--set`` path and its range; ``origin`` says where it was declared."""

    path: str
    range: SearchRange
    origin: str = "spec"

    @property
    def kind(self) -> str:
        return self.range.kind

    def candidates(self) -> list[Any]:
        """The values checked against the spec: both ends of a range, or every choice."""
        return self.range.values

    def describe(self) -> str:
        values = self.range.values
        if self.kind == "choice":
            return f"{self.path}: one of {', '.join(map(str, values))}"
        return f"{self.path}: {self.kind} in [{values[0]:g}, {values[1]:g}]"


@dataclass(frozen=True)
class SearchSpace:
    dimensions: tuple[Dimension, ...]

    @property
    def paths(self) -> list[str]:
        return [d.path for d in self.dimensions]

    def to_json(self) -> dict[str, Any]:
        return {d.path: d.range.as_yaml() for d in self.dimensions}

    @classmethod
    def from_json(cls, data: dict[str, Any], origin: str = "tune.json") -> SearchSpace:
        return cls(tuple(Dimension(path, SearchRange.model_validate(value), origin) for path, value in data.items()))

    def describe(self) -> str:
        return "; ".join(d.describe() for d in self.dimensions)


def as_overrides(params: dict[str, Any]) -> list[str]:
    """``--set`` texts for sampled values (JSON is YAML: floats keep every digit, strings stay strings)."""
    return [f"{path}={json.dumps(value)}" for path, value in params.items()]


def parse_search_options(texts: Iterable[str]) -> dict[str, tuple[SearchRange, str]]:
    """``--search 'PATH={loguniform: [1e-4, 1e-2]}'`` arguments: their ranges, errors inside the argument."""
    found: dict[str, tuple[SearchRange, str]] = {}
    problems = []
    for text in texts:
        where = f"--search {text}"
        path, sep, raw = text.partition("=")
        column = len("--search ") + len(path) + 2
        if not sep or not path.strip() or not raw.strip():
            problems.append(Diagnostic(where, 1, 1, "a search range must look like PATH=RANGE",
                                       "for example: --search 'train.batch_size={choice: [8, 16]}' or "
                                       "--search 'train.learning_rate={loguniform: [1.0e-4, 1.0e-2]}'"))
            continue
        try:
            value = parse_yaml(raw, source=where).data
        except SpecError as error:
            problems += [Diagnostic(where, 1, column, d.message, d.hint) for d in error.diagnostics]
            continue
        try:
            found[path.strip()] = (SearchRange.model_validate(value), where)
        except ValidationError as exc:
            for item in exc.errors():
                message = str(item["msg"]).removeprefix("Value error, ")
                problems.append(Diagnostic(where, 1, column, f"invalid search range for {path.strip()}: {message}",
                                           f"a range is one of {', '.join(KINDS)}, e.g. {{choice: [8, 16, 32]}}"))
    if problems:
        raise SpecError(problems)
    return found


def declared_space(spec: Spec, options: dict[str, tuple[SearchRange, str]]) -> SearchSpace:
    """The spec's ``search:`` with the command line's ranges over it (a path given on both: the command
    line's), or the default (the learning rate) when neither declares any."""
    dimensions = {path: Dimension(path, value) for path, value in (spec.search or {}).items()}
    dimensions.update({path: Dimension(path, value, where) for path, (value, where) in options.items()})
    if not dimensions:
        dimensions = {path: Dimension(path, value, "default") for path, value in DEFAULT_SEARCH.items()}
    return SearchSpace(tuple(dimensions.values()))


def check_space(space: SearchSpace, source: Any, strategies: Sequence[str], overrides: Sequence[str],
                registry: Registry) -> None:
    """Try every candidate value of every dimension on the spec of every strategy; ``SpecError`` with one
    diagnostic per value that does not fit (at the range in the spec or the ``--search`` argument)."""
    problems: list[Diagnostic] = []
    for dimension in space.dimensions:
        for index, value in enumerate(dimension.candidates()):
            for strategy in strategies:
                why = _misfit(source, strategy, [*overrides, *as_overrides({dimension.path: value})], registry)
                if why is not None:
                    problems.append(_at(dimension, index, value, strategy, why, source, registry))
                    break
            else:
                continue
            if dimension.kind != "choice":
                break  # one bad end of a range says enough
    if problems:
        raise SpecError(problems)


def _misfit(source: Any, strategy: str, overrides: list[str], registry: Registry) -> str | None:
    """Why the spec with ``overrides`` does not load, build its graph or make its optimizer (None: it does)."""
    try:
        spec = load_spec(source, strategy=strategy, overrides=overrides, registry=registry)
        build_graph(spec, registry)
    except SpecError as error:
        return error.diagnostics[0].message
    return _optimizer_problem(spec)


def _optimizer_problem(spec: Spec) -> str | None:
    import keras

    optimizer = spec.compile.optimizer
    try:
        keras.optimizers.get({"class_name": optimizer.name, "config": optimizer.arguments})
    except (ValueError, TypeError) as exc:
        return f"the optimizer {optimizer.name!r} does not take these arguments: {exc}"
    return None


def _at(dimension: Dimension, index: int, value: Any, strategy: str, why: str, source: Any,
        registry: Registry) -> Diagnostic:
    what = "choice" if dimension.kind == "choice" else ("low bound" if index == 0 else "high bound")
    message = f"search: {dimension.path} cannot take its {what} {value!r} (with strategy {strategy!r}): {why}"
    hint = "a search path is a --set path of this spec (train.learning_rate, compile.optimizer.learning_rate, " \
           "train.batch_size, layers.ID.PARAM, ...), each value one it accepts"
    if dimension.origin.startswith("--search"):
        return Diagnostic(dimension.origin, 1, len("--search ") + 1, message, hint)
    if dimension.origin == "spec":
        spec = load_spec(source, registry=registry)
        key = "int" if dimension.kind == "int" else dimension.kind
        return spec.diagnostic(("search", dimension.path, key, index), message, hint)
    return Diagnostic(dimension.origin, 0, 0, message, hint)
