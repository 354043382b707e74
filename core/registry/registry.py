"""The registry: what the loaded plugins provide, and who provided it."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Iterable

import pluggy

from ..errors import NotFoundError
from ..errors import available
from .hooks import call_hook
from .layer_signatures import FORBIDDEN_LAYERS
from .layer_signatures import LayerSignature
from .layer_signatures import keras_layer_signature
from .layer_signatures import resolve
from .layer_signatures import signature_of
from .plugin_info import PluginInfo
from .plugin_info import PluginProblem
from .plugins import load_plugins
from .strategy import Parameter
from .strategy import Strategy
from .strategy import strategy_parameters

TRACE_ENV = "UPSPEC_TRACE_PLUGINS"


@dataclass(frozen=True)
class Provided:
    """Something a plugin provides, with the plugin that provided it."""

    name: str
    value: Any
    plugin: PluginInfo


@dataclass
class Registry:
    pm: pluggy.PluginManager
    plugins: dict[str, PluginInfo]
    problems: list[PluginProblem] = field(default_factory=list)
    _parameters: dict[str, dict[str, Parameter]] = field(default_factory=dict)
    #: strategies, layers and their conflicts, collected from the plugins on first use (``--help`` and most
    #: shell completions never need them)
    _offers: dict[str, Any] | None = field(default=None, repr=False)

    def _offered(self) -> dict[str, Any]:
        if self._offers is None:
            self._offers = {}
            strategies, strategy_conflicts = self._collect(_strategies_from(self.call("upspec_strategies"), self))
            layers, layer_conflicts = self._collect(_layers_from(self.call("upspec_layers"), self))
            order = list(self.plugins)
            for conflicts in (strategy_conflicts, layer_conflicts):
                for offering in conflicts.values():
                    offering.sort(key=lambda info: order.index(info.name))  # messages name them in registration order
            self._offers.update(strategies=strategies, strategy_conflicts=strategy_conflicts, layers=layers,
                                layer_conflicts=layer_conflicts)
        return self._offers

    @staticmethod
    def _offer(key: str) -> Any:
        return property(lambda self: self._offered()[key],
                        lambda self, value: self._offered().__setitem__(key, value))

    strategies = _offer("strategies")  #: dict[str, Provided]
    layers = _offer("layers")  #: dict[str, Provided]
    #: names offered by several plugins, with every offering plugin
    strategy_conflicts = _offer("strategy_conflicts")  #: dict[str, list[PluginInfo]]
    layer_conflicts = _offer("layer_conflicts")  #: dict[str, list[PluginInfo]]

    # -- hooks ---------------------------------------------------------------

    def call(self, hook: str, *, strict: bool = False, **kwargs: Any) -> list[tuple[PluginInfo, Any]]:
        """Call ``hook`` through pluggy (``pm.hook.<name>(...)``: wrappers, ``tryfirst`` / ``trylast`` and
        pluggy's order apply) and return ``(plugin, result)`` in the order pluggy called them.

        Each plugin's implementation is guarded (see :mod:`upspec.registry.hooks`): one that raises, even
        ``SystemExit``, becomes a :class:`PluginProblem` (or, with ``strict``, a :class:`PluginError`)
        while the others keep working. ``KeyboardInterrupt`` still interrupts.
        """
        return call_hook(self.pm, hook, kwargs, strict=strict, problems=self.problems)

    def with_strategy(self, strategy: Strategy, info: PluginInfo) -> "Registry":
        """A copy of this registry that also provides ``strategy`` (for conformance checks)."""
        offers = {**self._offered(), "strategies": {**self.strategies, strategy.name: Provided(strategy.name, strategy, info)}}
        return dataclasses.replace(self, _parameters={}, _offers=offers)

    @staticmethod
    def _collect(offered: Iterable[tuple[str, Any, PluginInfo]]) -> tuple[dict[str, Provided], dict[str, list[PluginInfo]]]:
        found: dict[str, Provided] = {}
        conflicts: dict[str, list[PluginInfo]] = {}
        for name, value, info in offered:
            if name in conflicts:
                conflicts[name].append(info)
            elif name in found:
                conflicts[name] = [found.pop(name).plugin, info]
            else:
                found[name] = Provided(name, value, info)
        return found, conflicts

    # -- strategies ----------------------------------------------------------

    def strategy(self, name: str) -> Strategy:
        """The strategy called ``name``; ``LookupError`` with the available names."""
        if name in self.strategy_conflicts:
            raise NotFoundError(self.conflict_message(name, self.strategy_conflicts))
        if name not in self.strategies:
            raise NotFoundError(f"unknown upsampling strategy {name!r}", self.missing_hint(self.strategies, name))
        return self.strategies[name].value

    def parameters(self, name: str) -> dict[str, Parameter]:
        if name not in self._parameters:
            self._parameters[name] = strategy_parameters(self.strategy(name))
        return self._parameters[name]

    # -- layers --------------------------------------------------------------

    def layer_signature(self, name: str) -> LayerSignature:
        if name in self.layer_conflicts:
            raise NotFoundError(self.conflict_message(name, self.layer_conflicts))
        if name not in self.layers and name in FORBIDDEN_LAYERS:
            raise NotFoundError(f"layer type {name!r} is not allowed in specs",
                                "specs are data: layers that run code (Lambda) or wrap other layers are excluded")
        if name not in self.layers:
            raise NotFoundError(f"unknown layer type {name!r}", self.missing_hint(self.layers, name))
        target = self.layers[name].value
        if isinstance(target, str) and target.startswith("keras.layers:"):
            return keras_layer_signature(target.partition(":")[2])
        return signature_of(resolve(target))

    def layer_class(self, name: str) -> type:
        self.layer_signature(name)  # raises the same LookupError for unknown names
        return resolve(self.layers[name].value)

    # -- messages ------------------------------------------------------------

    @staticmethod
    def conflict_message(name: str, conflicts: dict[str, list[PluginInfo]]) -> str:
        who = " and ".join(info.label for info in conflicts[name])
        return f"{name!r} is provided by more than one plugin: {who}"

    def missing_hint(self, table: dict[str, Provided], name: str) -> str:
        hint = available(table, name)
        broken = [p.format() for p in self.problems]
        if broken:
            hint += "; plugins that failed to load: " + "; ".join(broken)
        return hint


def _strategies_from(results: list[tuple[PluginInfo, Any]], registry: Registry) -> Iterable[tuple[str, Any, PluginInfo]]:
    for info, returned in results:
        for item in returned or ():
            if not isinstance(item, Strategy) or not item.name:
                registry.problems.append(PluginProblem(
                    info, f"upspec_strategies() returned {item!r}, which is not an upspec.Strategy instance with a name"
                ))
                continue
            try:
                strategy_parameters(item)
            except TypeError as exc:
                registry.problems.append(PluginProblem(info, f"strategy {item.name!r}: {exc}"))
                continue
            yield item.name, item, info


def _layers_from(results: list[tuple[PluginInfo, Any]], registry: Registry) -> Iterable[tuple[str, Any, PluginInfo]]:
    for info, returned in results:
        if not hasattr(returned, "items"):
            registry.problems.append(PluginProblem(info, f"upspec_layers() must return a mapping, not {returned!r}"))
            continue
        for name, target in returned.items():
            yield name, target, info


def _trace(pm: pluggy.PluginManager) -> None:
    """``UPSPEC_TRACE_PLUGINS=1``: pluggy's own tracing of every hook call and result, on stderr."""
    if os.environ.get(TRACE_ENV, "") in ("", "0"):
        return
    pm.trace.root.setwriter(lambda text: sys.stderr.write("upspec: trace: " + text))
    pm.enable_tracing()


def build_registry(local_plugins: Iterable[str] = ()) -> Registry:
    pm, infos, problems = load_plugins(local_plugins)
    _trace(pm)
    return Registry(pm=pm, plugins=infos, problems=problems)


_current: Registry | None = None
_local_plugins: tuple[str, ...] = ()


def use_local_plugins(paths: Iterable[str]) -> None:
    """Add unpublished plugins (module names or ``.py`` files); resets the registry."""
    global _local_plugins, _current
    _local_plugins = tuple(paths)
    _current = None


def local_plugins() -> tuple[str, ...]:
    """The unpublished plugins given to :func:`use_local_plugins` (a worker process loads the same)."""
    return _local_plugins


def get_registry(*, refresh: bool = False, collect: bool = True) -> Registry:
    """The process-wide registry, built on first use; ``collect=False`` leaves the strategies and layers to be
    collected when first asked for (the CLI's ``--help`` and shell completion only need the plugins)."""
    global _current
    if _current is None or refresh:
        _current = build_registry(_local_plugins)
    if collect:
        _current._offered()
    return _current
