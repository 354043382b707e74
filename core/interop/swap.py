"""``upspec.swap``: another strategy in place of a Keras model's upsampling, every other weight kept.

The model is read as a spec (:func:`upspec.spec_from_model`), the chosen ``upsample:`` entries are switched
to the new strategy as ``--strategy`` switches them (parameters the new strategy does not take are dropped),
the spec is built, and the original's weights are copied into every layer that did not change.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Iterable

from ..errors import Diagnostic
from ..errors import SpecError
from ..errors import available
from ..registry.registry import Registry
from ..registry.registry import get_registry
from ..registry.strategy import keeps_channels
from .from_keras import ImportedModel
from .keras_graph import _flat_layers
from .from_keras import spec_from_model


@dataclass
class SwapResult:
    """The new compiled ``model``, its ``spec``, the ``changed`` entries (id -> ``(old strategy, new)``) and
    their parameter counts (id -> ``(before, after)``); ``notes`` say what was dropped or kept."""

    model: Any
    spec: dict[str, Any]
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    parameters: dict[str, tuple[int, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def parameter_change(self) -> int:
        """Parameters added (positive) or removed (negative), over all changed entries."""
        return sum(after - before for before, after in self.parameters.values())

    def summary(self) -> list[str]:
        lines = []
        for entry, (old, new) in self.changed.items():
            before, after = self.parameters[entry]
            lines.append(f"{entry}: {old} -> {new}, {before:,} -> {after:,} parameters ({after - before:+,})")
        lines.append(f"{len(self.changed)} entr{'y' if len(self.changed) == 1 else 'ies'} changed, "
                     f"{self.parameter_change:+,} parameters; every other layer's weights kept")
        return lines + [f"note: {n}" for n in self.notes]


def _error(message: str, hint: str = "") -> SpecError:
    return SpecError([Diagnostic("upspec.swap", 0, 0, message, hint)])


def _switch(spec: dict[str, Any], imported: ImportedModel, strategy: str, entries: list[str] | None,
            params: dict[str, Any], registry: Registry) -> tuple[dict[str, Any], dict[str, tuple[str, str]], list[str]]:
    try:
        accepted = set(registry.parameters(strategy))
    except LookupError as exc:
        raise _error(getattr(exc, "message", str(exc)), getattr(exc, "hint", "")) from None
    unknown = [p for p in params if p not in accepted]
    if unknown:
        raise _error(f"strategy {strategy!r} has no parameter {unknown[0]!r}", available(accepted, unknown[0]))
    upsampling = imported.upsample_entries
    if not upsampling:
        raise _error("the model has no upsampling step upspec recognises",
                     "see docs/keras_code.md for the layers recognised as upsampling")
    if entries is not None:
        missing = [e for e in entries if e not in upsampling]
        if missing:
            raise _error(f"{missing[0]!r} is not an upsampling entry of the model", available(upsampling, missing[0]))
    chosen = upsampling if entries is None else entries
    resizes_only = keeps_channels(registry.strategy(strategy))
    spec = copy.deepcopy(spec)
    changed: dict[str, tuple[str, str]] = {}
    notes: list[str] = []
    for entry in spec["layers"]:
        if entry.get("id") not in chosen:
            continue
        if entry.get("filters", 0) is None and not resizes_only:
            if entries is not None:
                raise _error(f"entry {entry['id']!r} is a fixed resize (filters: null), which {strategy!r} "
                             f"cannot build", "choose a resize strategy (nearest, bilinear, ...) for it")
            notes.append(f"{entry['id']}: kept {entry['upsample']!r} (a fixed resize, filters: null), which "
                         f"{strategy!r} cannot build")
            continue
        changed[entry["id"]] = (entry["upsample"], strategy)
        for key in [k for k in entry if k not in accepted | {"id", "inputs", "upsample"}]:
            notes.append(f"{entry['id']}: dropped {key}={entry[key]!r}, which {strategy!r} does not take")
            del entry[key]
        entry["upsample"] = strategy
        entry.update(params)
    return spec, changed, notes


def _built(spec: dict[str, Any], registry: Registry) -> tuple[Any, dict[str, list[str]]]:
    from ..builder.builder import assemble
    from ..graph.graph import build_graph
    from ..modelspec.load import load_spec

    graph = build_graph(load_spec(spec, registry=registry), registry)
    return assemble(graph, registry)


def swap(model: Any, strategy: str, *, entries: Iterable[str] | None = None, registry: Registry | None = None,
         **params: Any) -> SwapResult:
    """Replace the upsampling of the Keras ``model`` with ``strategy`` (all of it, or the ``entries`` named by
    id, i.e. layer name); ``params`` set the new strategy's own parameters. Every other layer keeps its
    weights exactly. Returns a :class:`SwapResult` whose ``model`` is compiled as the original was (Adam and
    mean squared error when it was not compiled). Raises :class:`upspec.SpecError` for an unknown strategy,
    parameter or entry, and :class:`upspec.interop.UnsupportedModelError` for a model a spec cannot hold.
    """
    from ..builder.compile import compile_model
    from ..modelspec.load import load_spec

    registry = registry or get_registry()
    imported = spec_from_model(model, registry=registry)
    spec, changed, notes = _switch(imported.spec, imported, strategy, None if entries is None else list(entries),
                                   params, registry)
    old_model, old_layers = _built(imported.spec, registry)
    new_model, new_layers = _built(spec, registry)
    kept = {name for entry, names in new_layers.items() if entry not in changed for name in names}
    targets = {layer.name: layer for layer in new_model.layers if layer.name in kept}
    for layer in _flat_layers(model):
        target = targets.get(imported.renamed.get(layer.name, layer.name))
        if layer.weights and target is not None:
            target.set_weights(layer.get_weights())

    def count(m: Any, names: list[str]) -> int:
        return sum(m.get_layer(n).count_params() for n in names)

    parameters = {e: (count(old_model, old_layers[e]), count(new_model, new_layers[e])) for e in changed}
    compile_model(new_model, load_spec(spec, registry=registry), registry)
    registry.call("upspec_model_built", strict=True, model=new_model, spec=load_spec(spec, registry=registry))
    return SwapResult(new_model, spec, changed, parameters, notes)
