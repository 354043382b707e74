from __future__ import annotations

import subprocess
import sys

import pytest

from upspec import SpecError
from upspec import load_spec
from upspec.registry.plugins import BUILTIN_PLUGINS

GOOD = '''
import upspec

class Twice(upspec.Strategy):
    """Nearest resize by the factor then a 1x1 convolution."""
    name = "{name}"
    ranks = (2,)

    def build(self, x, *, factor, filters, kernel_size=3, activation=None, use_bias=True,
              kernel_initializer="glorot_uniform", smooth: bool = False, levels: int = 2, name):
        import keras
        x = keras.layers.UpSampling2D(factor, name=name + "_resize")(x)
        return keras.layers.Conv2D(filters, 1, name=name)(x)

@upspec.hookimpl
def upspec_strategies():
    return [Twice()]
'''
BUILTIN_STRATEGIES = ["alias_free", "bicubic", "bilinear", "bilinear_additive", "dysample", "fade", "jbu", "lanczos",
                      "nearest", "pixel_shuffle", "sapa", "transpose", "transpose_zoh"]
SPEC = {"name": "m", "inputs": {"x": [8, 8, 1]}, "layers": [{"id": "up", "upsample": "twice", "factor": 2, "filters": 3}]}


def test_builtins_register_before_anything_else(fresh_registry):
    registry = fresh_registry.get_registry(refresh=True)
    assert list(registry.plugins)[: len(BUILTIN_PLUGINS)] == [m.rsplit(".", 1)[-1] for m in BUILTIN_PLUGINS]
    builtin = sorted(n for n, provided in registry.strategies.items() if provided.plugin.builtin)
    assert builtin == BUILTIN_STRATEGIES
    assert registry.strategies["transpose"].plugin.distribution == "upspec"
    assert "Conv2D" in registry.layers and "Lambda" not in registry.layers
    assert registry.problems == []


def test_importing_upspec_builds_no_plugin_manager_and_no_tensorflow():
    code = ("import sys, upspec, upspec.registry.registry as r; "
            "assert r._current is None; assert 'tensorflow' not in sys.modules; print('clean')")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "clean"


def test_local_plugin_strategy_parameters_come_from_its_signature(fresh_registry, write_plugin):
    fresh_registry.use_local_plugins([str(write_plugin("twice_plugin", GOOD.format(name="twice")))])
    registry = fresh_registry.get_registry()
    params = registry.parameters("twice")
    assert params["levels"].default == 2 and params["levels"].type_text == "int"
    assert params["smooth"].type_text == "bool"
    assert params["filters"].required
    spec = load_spec({**SPEC, "layers": [{**SPEC["layers"][0], "levels": 4}]})
    assert spec.layers[0].params["levels"] == 4
    with pytest.raises(SpecError) as caught:
        load_spec({**SPEC, "layers": [{**SPEC["layers"][0], "levels": "many"}]})
    assert "levels: expected int, got 'many'" in caught.value.messages[0]


def test_two_plugins_with_one_strategy_name_make_it_unusable_naming_both(fresh_registry, write_plugin):
    first = write_plugin("first_plugin", GOOD.format(name="twice"))
    second = write_plugin("second_plugin", GOOD.format(name="twice"))
    fresh_registry.use_local_plugins([str(first), str(second)])
    registry = fresh_registry.get_registry()
    assert [i.name for i in registry.strategy_conflicts["twice"]] == ["first_plugin", "second_plugin"]
    with pytest.raises(SpecError) as caught:
        load_spec(SPEC)
    message = caught.value.messages[0]
    assert 'plugin "first_plugin"' in message and 'plugin "second_plugin"' in message


def test_plugin_that_fails_to_import_is_named_and_others_keep_working(fresh_registry, write_plugin):
    broken = write_plugin("broken_plugin", "import upspec\nraise RuntimeError('boom at import')\n")
    good = write_plugin("good_plugin", GOOD.format(name="twice"))
    fresh_registry.use_local_plugins([str(broken), str(good)])
    registry = fresh_registry.get_registry()
    (problem,) = registry.problems
    assert problem.format() == ('plugin "broken_plugin" (distribution <local file> -): '
                                "failed to import: RuntimeError: boom at import")
    assert "twice" in registry.strategies and "nearest" in registry.strategies


def test_hook_that_raises_or_returns_junk_is_named(fresh_registry, write_plugin):
    raising = write_plugin("raising_plugin", "import upspec\n@upspec.hookimpl\ndef upspec_strategies():\n    raise ValueError('nope')\n")
    junk = write_plugin("junk_plugin", "import upspec\n@upspec.hookimpl\ndef upspec_strategies():\n    return ['not a strategy']\n")
    fresh_registry.use_local_plugins([str(raising), str(junk)])
    registry = fresh_registry.get_registry()
    messages = [p.format() for p in registry.problems]
    assert messages[0] == 'plugin "raising_plugin" (distribution <local file> -): hook upspec_strategies() raised ValueError: nope'
    assert messages[1].startswith('plugin "junk_plugin" (distribution <local file> -): upspec_strategies() returned \'not a strategy\'')
    assert {n for n, provided in registry.strategies.items() if provided.plugin.builtin} == set(BUILTIN_STRATEGIES)
    assert not [n for n, provided in registry.strategies.items() if provided.plugin.name in ("raising_plugin", "junk_plugin")]


def test_misspelt_hook_name_is_reported(fresh_registry, write_plugin):
    typo = write_plugin("typo_plugin", "import upspec\n@upspec.hookimpl\ndef upspec_stratgies():\n    return []\n")
    fresh_registry.use_local_plugins([str(typo)])
    (problem,) = fresh_registry.get_registry().problems
    assert "unknown hook 'upspec_stratgies'" in problem.message
    assert "did you mean 'upspec_strategies'?" in problem.message


def test_strategy_without_common_parameters_is_refused(fresh_registry, write_plugin):
    source = ("import upspec\nclass S(upspec.Strategy):\n    name = 'thin'\n"
              "    def build(self, x, *, factor, filters, name):\n        return x\n"
              "@upspec.hookimpl\ndef upspec_strategies():\n    return [S()]\n")
    fresh_registry.use_local_plugins([str(write_plugin("thin_plugin", source))])
    registry = fresh_registry.get_registry()
    assert "thin" not in registry.strategies
    assert "missing: kernel_size, activation, use_bias, kernel_initializer" in registry.problems[0].message


def test_disable_plugins_by_name(fresh_registry, monkeypatch, write_plugin):
    monkeypatch.setenv("UPSPEC_DISABLE_PLUGINS", "pixel_shuffle, twice_plugin")
    fresh_registry.use_local_plugins([str(write_plugin("twice_plugin", GOOD.format(name="twice")))])
    registry = fresh_registry.get_registry()
    assert "pixel_shuffle" not in registry.strategies
    assert "twice" not in registry.strategies
    assert "nearest" in registry.strategies


def test_strategy_refusing_per_axis_factors(fresh_registry, write_plugin):
    source = GOOD.format(name="twice").replace("ranks = (2,)", "ranks = (2,)\n    per_axis_factors = False")
    fresh_registry.use_local_plugins([str(write_plugin("twice_plugin", source))])
    with pytest.raises(SpecError) as caught:
        load_spec({**SPEC, "layers": [{**SPEC["layers"][0], "factor": [2, 3]}]})
    assert caught.value.messages == ["strategy 'twice' does not support a different factor per axis (got [2, 3])"]
