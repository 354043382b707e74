"""The typed form of a spec: what each section may contain.

Only the structure lives here. Which layer types and strategies exist, and
which parameters they take, is the registry's business (see ``entries.py``).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Annotated
from typing import Any
from typing import Callable
from typing import ClassVar
from typing import Literal
from typing import Optional
from typing import Union

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Discriminator
from pydantic import Field
from pydantic import PrivateAttr
from pydantic import StrictInt
from pydantic import Tag
from pydantic import TypeAdapter
from pydantic import field_validator
from pydantic import model_validator

from .limits import MAX_DIM
from .limits import MAX_MEMORY
from .limits import MAX_PARAMS
from .limits import parse_size
from .limits import MAX_RANK
from .search_section import SearchRange
from .sections import DataSettings
from .sections import TrainSettings

from ..errors import Diagnostic

if TYPE_CHECKING:
    from ..registry.registry import Registry
    from .yaml_source import Document

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$"  # dots: the ids of expanded blocks (body.3.conv1)
ENTRY_KEYS = ("id", "inputs", "layer", "upsample", "allow", "guide")
#: the best-practice warnings of ``upspec.graph.lint`` that an entry's ``allow:`` may silence
Lint = Literal["uneven_overlap"]
LINTS: tuple[str, ...] = typing.get_args(Lint)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class OptimizerSpec(_Section):
    """``adam`` or ``{name: adam, learning_rate: 1e-3, ...}``."""

    model_config = ConfigDict(extra="allow")
    name: str

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @model_validator(mode="after")
    def _positive_learning_rate(self) -> "OptimizerSpec":
        rate = (self.model_extra or {}).get("learning_rate")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0):
            raise ValueError(f"the optimizer's learning_rate must be a positive number, got {rate!r}")
        return self


class CompileSpec(_Section):
    optimizer: OptimizerSpec = Field(default_factory=lambda: OptimizerSpec(name="adam"))
    loss: Union[str, dict[str, str]] = "mean_squared_error"
    metrics: list[str] = Field(default_factory=list)

    @field_validator("optimizer", mode="before")
    @classmethod
    def _optimizer_by_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("metrics", mode="before")
    @classmethod
    def _one_metric(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class LimitsSpec(_Section):
    """Budgets of the static estimates; ``--max-params`` / ``--max-memory`` set them from the command line."""

    max_params: Annotated[StrictInt, Field(gt=0)] = MAX_PARAMS
    #: bytes of activations per example: an integer, or a string such as "8 GiB"
    max_memory: Union[StrictInt, str] = MAX_MEMORY

    @field_validator("max_memory")
    @classmethod
    def _size(cls, value: Any) -> int:
        return parse_size(value)


class _EntryBase(BaseModel):
    """What every item of ``layers:`` has; keys other than ``ENTRY_KEYS`` are parameters."""

    model_config = ConfigDict(extra="allow")

    id: Optional[str] = Field(default=None, pattern=ID_PATTERN)
    inputs: Optional[list[str]] = None
    #: best-practice warnings this entry silences (``upspec.graph.lint``)
    allow: Optional[list[Lint]] = None
    kind: ClassVar[str]

    @field_validator("inputs", mode="before")
    @classmethod
    def _one_input(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _exactly_one_kind(cls, data: Any) -> Any:
        if isinstance(data, _EntryBase):
            return data
        if not isinstance(data, dict):
            raise ValueError("an entry must be a mapping with 'layer:' or 'upsample:'")
        if (data.get("layer") is None) == (data.get("upsample") is None):
            raise ValueError("an entry needs exactly one of 'layer:' or 'upsample:'")
        return data

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @property
    def type_name(self) -> str:
        """The layer type or the strategy name."""
        raise NotImplementedError

    def label(self, index: int, *, with_type: bool = True) -> str:
        """How messages name this entry: ``entry 'up'``, or ``layers[3] (Conv2D)`` when it has no id."""
        if self.id:
            return f"entry {self.id!r}"
        return f"layers[{index}] ({self.type_name})" if with_type else f"layers[{index}]"


class LayerEntry(_EntryBase):
    """``layer: TYPE``: a registered layer class, its arguments as parameters."""

    layer: str
    kind: ClassVar[Literal["layer"]] = "layer"

    @property
    def type_name(self) -> str:
        return self.layer

    @property
    def upsample(self) -> None:
        """Always None (so ``entry.upsample`` reads the same on every entry)."""
        return None


class UpsampleEntry(_EntryBase):
    """``upsample: STRATEGY``: a registered strategy, its ``build`` parameters as parameters."""

    upsample: str
    #: the entry whose output guides this one (an encoder skip, the input image): its spatial size is this
    #: entry's output size; only for strategies that take a guide (``Strategy.takes_guide``)
    guide: Optional[str] = None
    kind: ClassVar[Literal["upsample"]] = "upsample"

    @property
    def type_name(self) -> str:
        return self.upsample

    @property
    def layer(self) -> None:
        """Always None (so ``entry.layer`` reads the same on every entry)."""
        return None


def _entry_kind(data: Any) -> str:
    if isinstance(data, _EntryBase):
        return f"{data.kind}-entry"
    return "upsample-entry" if isinstance(data, dict) and data.get("upsample") is not None else "layer-entry"


#: one item of ``layers:``, told apart by its ``layer:`` or ``upsample:`` key
#: (the tags contain "-" so that error paths never mistake them for keys)
Entry = Annotated[
    Union[Annotated[LayerEntry, Tag("layer-entry")], Annotated[UpsampleEntry, Tag("upsample-entry")]],
    Discriminator(_entry_kind),
]
_ENTRY: TypeAdapter[LayerEntry | UpsampleEntry] = TypeAdapter(Entry)


def parse_entry(data: Any) -> LayerEntry | UpsampleEntry:
    """One validated entry (raises pydantic's ``ValidationError``)."""
    return _ENTRY.validate_python(data)


#: a dimension: a positive integer (not a boolean, not a string) up to MAX_DIM, or null for "any size"
Dim = Optional[Annotated[StrictInt, Field(gt=0, le=MAX_DIM)]]


class Spec(_Section):
    """A validated model spec.

    ``document`` keeps the parsed YAML with its marks so that later stages
    (graph, build) can point errors at the file.
    """

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    inputs: dict[str, Annotated[list[Dim], Field(max_length=MAX_RANK)]] = Field(min_length=1)
    layers: list[Entry] = Field(min_length=1)
    outputs: Optional[list[str]] = None
    compile: CompileSpec = Field(default_factory=CompileSpec)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    #: how the runner trains it and on what data (``sections.py``; a kind may use subclasses of both)
    train: TrainSettings = Field(default_factory=TrainSettings)
    data: DataSettings = Field(default_factory=DataSettings)
    #: what ``upspec tune`` searches: a range per ``--set`` path (``search_section.py``); nothing else reads it
    search: Optional[dict[str, SearchRange]] = None
    #: the spec's kind (``kinds.py``): chosen once at load time, from the sections the spec has
    kind: ClassVar[str] = "supervised"

    _document: Any = PrivateAttr(default=None)
    _notes: tuple[str, ...] = PrivateAttr(default=())

    @property
    def notes(self) -> tuple[str, ...]:
        """What loading changed on the way (``--strategy``: parameters dropped, guides ignored), for the user."""
        return self._notes

    @property
    def document(self) -> Any:
        """The parsed source with its marks (``upspec.modelspec.yaml_source.Document``)."""
        return self._document

    @property
    def source(self) -> str:
        return self._document.source if self._document is not None else "<spec>"

    def resolved(self, **sections: Any) -> "Spec":
        """A new spec with ``sections`` (``train=TrainSettings(...)``, ...) in place of its own: how the runner
        records the values it resolved. The loaded spec is never changed; the new one keeps the source marks."""
        copy = self.model_copy(update=sections)
        copy._document = self._document
        copy._notes = self._notes
        return copy

    @property
    def expansion(self) -> Any:
        """What ``extends:`` / ``blocks:`` did (``upspec.modelspec.reuse.Expansion``: entries written and
        expanded, base files), or None for a spec written flat."""
        return getattr(self._document, "expansion", None)

    def expanded_yaml(self) -> str:
        """The flat spec as YAML (``upspec show --resolved``): bases merged, parameters evaluated, blocks
        expanded, each entry preceded by comments naming the file, line and column it was written at and
        how it got into the spec (``in:`` lines). Loading the text gives the same model."""
        from .reuse import expanded_yaml

        if self._document is None:
            from .yaml_source import Document

            return expanded_yaml(Document(self.model_dump(exclude_none=True), self.source))
        return expanded_yaml(self._document)

    def diagnostic(self, path: tuple, message: str, hint: str = "", *, key: bool = False) -> Any:
        """A diagnostic at ``path`` in the source; without a document (a ``Spec`` built in code), at no position."""
        if self._document is None:
            return Diagnostic(self.source, 0, 0, message, hint)
        return self._document.diagnostic(path, message, hint, key=key)

    @field_validator("outputs", mode="before")
    @classmethod
    def _one_output(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


@dataclass(frozen=True)
class SpecKind:
    """One kind of spec (see ``kinds.py``).

    ``spec_class`` is the typed spec, a :class:`Spec` subclass whose ``kind`` is ``name``, whose ``train`` /
    ``data`` fields may be subclasses of the shared sections and which may add sections of its own;
    ``selected_by`` are the top-level keys whose presence chooses this kind; ``sub_specs`` the sections that
    are specs of their own (a GAN's ``discriminator:``: inputs, layers, outputs, compile), validated where
    they are written and loaded with ``load.sub_spec``; ``check`` validates whatever else the section models
    cannot, returning positioned diagnostics.
    """

    name: str
    spec_class: type[Spec]
    selected_by: tuple[str, ...] = ()
    sub_specs: tuple[str, ...] = ()
    description: str = ""
    check: Callable[["Document", "Registry"], list["Diagnostic"]] | None = field(default=None, compare=False)

    @property
    def section_models(self) -> dict[str, type[BaseModel]]:
        """The sections validated one by one, so that each error names its dotted key (``train.epochs``)."""
        return {key: self.spec_class.model_fields[key].annotation for key in SECTION_KEYS}  # type: ignore[misc]


#: the sections every kind has
SECTION_KEYS = ("train", "data")
SUPERVISED = SpecKind("supervised", Spec, description="a model trained on input/target pairs")
