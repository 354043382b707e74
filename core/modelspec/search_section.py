"""The typed ``search:`` section: what ``upspec tune`` searches, one range per ``--set`` path.

::

    search:
      compile.optimizer.learning_rate: {loguniform: [1.0e-4, 1.0e-2]}
      train.batch_size: {choice: [8, 16, 32]}
      layers.up.filters: {int: [16, 64]}
      train.learning_rate: {uniform: [1.0e-4, 1.0e-3]}

Each value names exactly one kind of range. What the section model checks (every problem at its
``FILE:LINE:COL``): one kind per path, two bounds with low < high, a log range above 0, a non-empty choice of
one type. Whether a path exists and each value fits there is checked against the spec itself by
:mod:`upspec.tune.search_space` (it needs the spec's other sections and the registry).
"""

from __future__ import annotations

from typing import Any
from typing import Optional
from typing import Union

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import StrictBool
from pydantic import StrictFloat
from pydantic import StrictInt
from pydantic import StrictStr
from pydantic import field_validator
from pydantic import model_validator

#: the kinds of range, as written in a spec or on the command line
KINDS = ("loguniform", "uniform", "int", "choice")

Number = Union[StrictInt, StrictFloat]
Choice = Union[StrictBool, StrictInt, StrictFloat, StrictStr]


def _bounds(value: list, kind: str) -> list:
    if len(value) != 2:
        raise ValueError(f"a {kind} range is [low, high]: two numbers, not {len(value)}")
    low, high = value
    if not low < high:
        raise ValueError(f"a{'n' if kind == 'int' else ''} {kind} range needs low < high")
    return value


class SearchRange(BaseModel):
    """One searched value: ``{loguniform: [low, high]}``, ``{uniform: [low, high]}``, ``{int: [low, high]}``
    (both ends included) or ``{choice: [a, b, ...]}``."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    loguniform: Optional[list[Number]] = None
    uniform: Optional[list[Number]] = None
    integer: Optional[list[StrictInt]] = Field(default=None, alias="int")
    choice: Optional[list[Choice]] = None

    @field_validator("loguniform")
    @classmethod
    def _positive_log_range(cls, value: Optional[list]) -> Optional[list]:
        if value is None:
            return value
        _bounds(value, "loguniform")
        if not value[0] > 0:
            raise ValueError("a loguniform range must lie above 0 (its logarithm is searched): use a low bound "
                             "such as 1.0e-6, or a uniform range")
        return value

    @field_validator("uniform")
    @classmethod
    def _uniform(cls, value: Optional[list]) -> Optional[list]:
        return value if value is None else _bounds(value, "uniform")

    @field_validator("integer")
    @classmethod
    def _integer(cls, value: Optional[list]) -> Optional[list]:
        return value if value is None else _bounds(value, "int")

    @field_validator("choice")
    @classmethod
    def _one_type(cls, value: Optional[list]) -> Optional[list]:
        if value is None:
            return value
        if not value:
            raise ValueError("a choice needs at least one value")
        kinds = {type(v).__name__ for v in value} - ({"int"} if any(isinstance(v, float) for v in value) else set())
        if len(kinds) > 1:
            raise ValueError(f"a choice's values must be of one type (here {', '.join(sorted(kinds))})")
        if len(set(map(repr, value))) != len(value):
            raise ValueError("a choice repeats a value")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> "SearchRange":
        given = [kind for kind in KINDS if self.values_of(kind) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(KINDS)} (here {', '.join(given) or 'none'})")
        return self

    def values_of(self, kind: str) -> Any:
        return self.integer if kind == "int" else getattr(self, kind)

    @property
    def kind(self) -> str:
        return next(kind for kind in KINDS if self.values_of(kind) is not None)

    @property
    def values(self) -> list:
        """The bounds (``[low, high]``) or the choices."""
        return list(self.values_of(self.kind))

    def as_yaml(self) -> dict[str, list]:
        return {self.kind: self.values}
