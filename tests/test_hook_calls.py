"""How hook calls go through pluggy: each result keeps the plugin that returned it, failures are named, and
upspec writes into none of pluggy's objects (see upspec.registry.hooks)."""

from __future__ import annotations

import pytest

from upspec import PluginError
from upspec.registry.hooks import GuardedPlugin

RETURNS_EMPTY = "import upspec\n@upspec.hookimpl\ndef upspec_strategies():\n    return ()\n"
RAISES = "import upspec\n@upspec.hookimpl\ndef upspec_strategies():\n    raise SystemExit(4)\n"


def test_plugins_returning_the_very_same_object_are_each_named(fresh_registry, write_plugin):
    # every empty tuple is one object in CPython: attribution by identity alone would name one plugin twice
    fresh_registry.use_local_plugins([str(write_plugin("empty_a", RETURNS_EMPTY)),
                                      str(write_plugin("empty_b", RETURNS_EMPTY))])
    called = [info.name for info, result in fresh_registry.get_registry().call("upspec_strategies") if result == ()]
    assert sorted(called) == ["empty_a", "empty_b"]


def test_strict_calls_raise_the_failure_as_the_plugins_error(fresh_registry, write_plugin):
    fresh_registry.use_local_plugins([str(write_plugin("quitter", RAISES))])
    registry = fresh_registry.get_registry(collect=False)
    with pytest.raises(PluginError) as caught:
        registry.call("upspec_strategies", strict=True)
    assert str(caught.value) == 'plugin "quitter" (distribution <local file>): hook upspec_strategies() raised SystemExit(4)'
    assert isinstance(caught.value.__cause__, SystemExit)


def test_registering_leaves_the_plugin_and_pluggys_hook_implementations_as_they_are(fresh_registry, write_plugin):
    path = write_plugin("plain", RETURNS_EMPTY)
    fresh_registry.use_local_plugins([str(path)])
    registry = fresh_registry.get_registry(collect=False)
    stand_in = registry.pm.get_plugin("plain")
    assert isinstance(stand_in, GuardedPlugin) and stand_in.info.name == "plain"
    module = stand_in.plugin
    assert module.upspec_strategies() == () and not hasattr(module.upspec_strategies, "__wrapped__")
    for caller in registry.pm.get_hookcallers(stand_in) or ():
        for impl in caller.get_hookimpls():
            # pluggy's own HookImpl, its function the one pluggy read from the registered object
            assert impl.function is getattr(impl.plugin, impl.function.__name__)
    assert stand_in.upspec_strategies.__wrapped__ is module.upspec_strategies
