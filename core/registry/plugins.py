"""Finding and loading plugins: built-ins, entry points and local modules.

Built-in plugins go through the same path as third-party ones. Nothing here
runs at import time; :func:`load_plugins` builds a fresh plugin manager.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any
from typing import Iterable

import pluggy

from .. import hookspecs
from ..version import __version__
from .hooks import register
from .plugin_info import PluginInfo
from .plugin_info import PluginProblem

#: the built-in plugins, registered before any entry point, in this order
BUILTIN_PLUGINS = (
    "upspec.plugins.keras_layers",
    "upspec.plugins.transpose",
    "upspec.plugins.resize",
    "upspec.plugins.pixel_shuffle",
    "upspec.plugins.literature",
    "upspec.plugins.dysample",
    "upspec.plugins.alias_free",
    "upspec.plugins.guided",
    "upspec.plugins.datasets",
    "upspec.plugins.signal_datasets",
    "upspec.plugins.image_metrics",
)
ENTRY_POINT_GROUP = "upspec"
DISABLE_ENV = "UPSPEC_DISABLE_PLUGINS"
TRACE_ENV = "UPSPEC_TRACE_PLUGINS"
#: seconds after which a plugin still importing is named on stderr (every command waits for it)
SLOW_IMPORT_S = 3.0


def disabled_plugins() -> set[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def _import_file(path: Path) -> ModuleType:
    module_name = f"upspec_local_plugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _candidates(local: Iterable[str]) -> Iterable[tuple[PluginInfo, object]]:
    """(info, loader) pairs; a loader is called to import the plugin object."""
    for module in BUILTIN_PLUGINS:
        short = module.rsplit(".", 1)[-1]
        yield PluginInfo(short, module, "upspec", __version__, builtin=True), lambda m=module: importlib.import_module(m)
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else "unknown"
        dist_version = ep.dist.version if ep.dist else "?"
        yield PluginInfo(ep.name, ep.value, dist, dist_version), ep.load
    for item in local:
        path = Path(item)
        if item.endswith(".py") or path.is_file():
            yield PluginInfo(path.stem, str(path), "<local file>", "-"), lambda p=path: _import_file(p)
        else:
            yield PluginInfo(item, item, "<local module>", "-"), lambda m=item: importlib.import_module(m)


def _timed_import(info: PluginInfo, loader: Any) -> tuple[object, float]:
    """Import a plugin, naming it on stderr if it takes longer than ``SLOW_IMPORT_S`` (and, with
    ``UPSPEC_TRACE_PLUGINS``, printing every plugin's import time)."""
    def still_importing() -> None:
        print(f"upspec: note: still importing {info.label} after {SLOW_IMPORT_S:g} s "
              f"(disable it with {DISABLE_ENV}={info.name})", file=sys.stderr, flush=True)

    watchdog = threading.Timer(SLOW_IMPORT_S, still_importing)
    watchdog.daemon = True
    start = time.perf_counter()
    watchdog.start()
    try:
        plugin = loader()
    finally:
        watchdog.cancel()
    seconds = time.perf_counter() - start
    if os.environ.get(TRACE_ENV, "") not in ("", "0"):
        print(f"upspec: trace: imported {info.label} in {seconds * 1000:.1f} ms", file=sys.stderr)
    elif seconds > SLOW_IMPORT_S:
        print(f"upspec: note: {info.label} took {seconds:.1f} s to import", file=sys.stderr)
    return plugin, seconds


def load_plugins(local: Iterable[str] = ()) -> tuple[pluggy.PluginManager, dict[str, PluginInfo], list[PluginProblem]]:
    """Build a plugin manager with every plugin that loads cleanly, each registered guarded
    (:class:`upspec.registry.hooks.GuardedPlugin`).

    A plugin that fails to import (any ``BaseException`` but ``KeyboardInterrupt``), that pluggy refuses,
    or that implements a hook name that does not exist becomes a :class:`PluginProblem` instead of an
    exception.
    """
    pm = pluggy.PluginManager("upspec")
    pm.add_hookspecs(hookspecs)
    infos: dict[str, PluginInfo] = {}
    problems: list[PluginProblem] = []
    disabled = disabled_plugins()
    hook_names = [n for n in dir(hookspecs) if n.startswith("upspec_")]
    for info, loader in _candidates(local):
        if info.name in disabled or info.distribution in disabled:
            continue
        if info.name in infos:
            other = infos[info.name]
            problems.append(PluginProblem(info, f"has the same name as {other.label}; it was not loaded"))
            continue
        try:
            plugin, seconds = _timed_import(info, loader)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - any import failure (SystemExit too) must not take the tool down
            shown = f"SystemExit({exc.code!r})" if isinstance(exc, SystemExit) else f"{type(exc).__name__}: {exc}"
            problems.append(PluginProblem(info, f"failed to import: {shown}"))
            continue
        info = replace(info, import_s=seconds)
        problem = register(pm, plugin, info, hook_names)
        if problem is not None:
            problems.append(problem)
            continue
        infos[info.name] = info
    return pm, infos, problems
