"""Spec kinds: what sort of model a spec describes, chosen once when it is loaded.

A kind owns the typed spec class it validates into (its sections and their models) and the top-level keys
that select it. ``supervised`` is the default (an input -> output model trained on pairs); ``gan``
(``gan.py`` beside this file) is chosen by a ``discriminator:`` section. Later stages never look at the
sections to guess: they read ``spec.kind`` (the runner maps it to a lane, the graph to its extra checks).

A plugin adds a kind with :func:`register_kind` (Ludwig's ``register_model_type``, MMEngine's registries):
a :class:`SpecKind` naming its selecting keys, its ``Spec`` subclass and, where its own sections need more
than their pydantic models, a ``check`` that returns positioned diagnostics.
"""

from __future__ import annotations

from typing import Any

from .gan import GAN_KIND
from .model import SUPERVISED
from .model import Spec
from .model import SpecKind

_KINDS: dict[str, SpecKind] = {SUPERVISED.name: SUPERVISED, GAN_KIND.name: GAN_KIND}


def register_kind(kind: SpecKind) -> SpecKind:
    """Make ``kind`` known (a plugin calls this at import, or from a hook); replacing a kind is refused."""
    if not issubclass(kind.spec_class, Spec) or kind.spec_class.kind != kind.name:
        raise TypeError(f"spec kind {kind.name!r}: spec_class must subclass upspec.Spec with kind = {kind.name!r}")
    known = _KINDS.get(kind.name)
    if known is not None and known != kind:
        raise ValueError(f"a spec kind named {kind.name!r} is already registered")
    taken = {key: other.name for other in _KINDS.values() if other.name != kind.name for key in other.selected_by}
    clash = [key for key in kind.selected_by if key in taken]
    if clash:
        raise ValueError(f"spec kind {kind.name!r}: the key {clash[0]!r} already selects kind {taken[clash[0]]!r}")
    _KINDS[kind.name] = kind
    return kind


def kinds() -> dict[str, SpecKind]:
    """Every registered kind by name (the built-in ones first)."""
    return dict(_KINDS)


def get_kind(name: str) -> SpecKind:
    return kinds()[name]


def kind_of(data: Any) -> SpecKind:
    """The kind that the top-level keys of a spec's ``data`` select (the default when none does)."""
    table = kinds()
    if isinstance(data, dict):
        for kind in table.values():
            if any(key in data for key in kind.selected_by):
                return kind
    return SUPERVISED


def top_level_keys() -> list[str]:
    """Every top-level key of every kind (did-you-mean hints: a misspelt ``discriminator`` is still found)."""
    return list(dict.fromkeys(key for kind in kinds().values() for key in kind.spec_class.model_fields))
