"""Plugins go through pluggy (wrappers, ordering) and cannot take the tool down, even with SystemExit."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import SPECS
from conftest import run_upspec
from upspec.cli.main import make_cli

STRATEGY = '''
import upspec

class S(upspec.Strategy):
    name = "{name}"

    def build(self, x, *, factor, filters, kernel_size=3, activation=None, use_bias=True,
              kernel_initializer="glorot_uniform", name):
        raise NotImplementedError

@upspec.hookimpl{marker}
def upspec_strategies():
    {body}
    return [S()]
'''


def test_sys_exit_at_import_is_a_named_plugin_failure(tmp_path, write_plugin):
    plugin = write_plugin("exits_at_import", "import sys\nsys.exit(0)\n")
    done = run_upspec("--plugin", str(plugin), "validate", str(SPECS / "seed_transpose.yaml"))
    assert done.returncode == 0, done.stderr
    assert 'plugin "exits_at_import" (distribution <local file> -): failed to import: SystemExit(0)' in done.stderr
    assert "seed_transpose.yaml: ok" in done.stdout


def test_sys_exit_in_a_hook_is_a_named_plugin_failure(fresh_registry, write_plugin):
    plugin = write_plugin("exits_in_hook", STRATEGY.format(name="quits", marker="", body="raise SystemExit(3)"))
    result = CliRunner().invoke(make_cli(["--plugin", str(plugin)]),
                                ["--plugin", str(plugin), "validate", str(SPECS / "seed_transpose.yaml")])
    assert result.exit_code == 0, result.output
    assert 'plugin "exits_in_hook" (distribution <local file> -): hook upspec_strategies() raised SystemExit(3)' \
        in result.stderr
    assert "seed_transpose.yaml: ok" in result.stdout


def test_hooks_go_through_pluggy_wrappers_and_ordering(fresh_registry, write_plugin):
    first = write_plugin("early", STRATEGY.format(name="early", marker="(tryfirst=True)", body="pass"))
    late = write_plugin("late", STRATEGY.format(name="late", marker="(trylast=True)", body="pass"))
    wrapper = write_plugin("wrapping", '''
import upspec

@upspec.hookimpl(wrapper=True)
def upspec_strategies():
    results = yield
    return [r for r in results if all(s.name != "lanczos" for s in r)]
''')
    fresh_registry.use_local_plugins([str(late), str(wrapper), str(first)])
    registry = fresh_registry.get_registry()
    called = [info.name for info, _ in registry.call("upspec_strategies")]
    assert called[0] == "early" and called[-1] == "late"
    assert "lanczos" not in registry.strategies and "literature" not in called  # the wrapper removed its list
    assert {"early", "late", "nearest"} <= set(registry.strategies)


def test_trace_shows_import_times_and_hook_calls(write_plugin):
    done = run_upspec("plugins", env={"UPSPEC_TRACE_PLUGINS": "1"})
    assert done.returncode == 0, done.stderr
    assert 'upspec: trace: imported plugin "transpose" (distribution upspec' in done.stderr
    assert " ms" in done.stderr
    assert "upspec_strategies [hook]" in done.stderr and "finish upspec_strategies -->" in done.stderr


def test_slow_plugin_is_named(write_plugin):
    plugin = write_plugin("slow_import", "import time\ntime.sleep(3.5)\n")
    done = run_upspec("--plugin", str(plugin), "validate", str(SPECS / "seed_transpose.yaml"))
    assert done.returncode == 0, done.stderr
    assert 'still importing plugin "slow_import" (distribution <local file> -) after 3 s' in done.stderr
    assert "UPSPEC_DISABLE_PLUGINS=slow_import" in done.stderr


BUILD_FAILS = '''
import sys
import upspec

class Broken(upspec.Strategy):
    name = "broken"

    def build(self, x, *, factor, filters, kernel_size=3, activation=None, use_bias=True,
              kernel_initializer="glorot_uniform", name):
        {body}

@upspec.hookimpl
def upspec_strategies():
    return [Broken()]
'''


def test_an_exception_in_a_strategys_build_names_the_strategy_and_its_plugin(tmp_path, write_plugin):
    from conftest import invoke_upspec

    plugin = write_plugin("divides", BUILD_FAILS.format(body="return 1 / 0"))
    done = invoke_upspec("--plugin", str(plugin), "build", str(SPECS / "seed_transpose.yaml"), "--strategy", "broken")
    assert done.returncode == 1, done.stderr
    assert ('upspec: error: plugin "divides" (distribution <local file> -): strategy \'broken\' failed in build() '
            "for entry 'up': ZeroDivisionError: division by zero") in done.stderr


def test_sys_exit_in_a_strategys_build_is_a_named_failure_not_an_exit_0(tmp_path, write_plugin):
    plugin = write_plugin("quits_in_build", BUILD_FAILS.format(body="sys.exit(0)"))
    done = run_upspec("--plugin", str(plugin), "build", str(SPECS / "seed_transpose.yaml"), "--strategy", "broken")
    assert done.returncode == 1, done.stderr
    assert 'plugin "quits_in_build" (distribution <local file> -): strategy \'broken\' failed in build() for entry ' \
           "'up': SystemExit(0)" in done.stderr


@pytest.mark.slow
def test_a_sweep_records_a_strategy_that_exits_in_build_as_failed_and_trains_the_others(tmp_path, write_plugin):
    plugin = write_plugin("quits_in_sweep", BUILD_FAILS.format(body="sys.exit(0)"))
    done = run_upspec("--plugin", str(plugin), "sweep", str(SPECS / "seed_transpose.yaml"), "--strategies",
                      "broken,nearest", "--out", str(tmp_path / "sweep"), "--set", "train.epochs=1",
                      "--set", "train.steps_per_epoch=2", "--set", "train.batch_size=4",
                      "--set", "data.validation_patches=4", "--set", "data.test_patches=4", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "failed in build() for entry 'up': SystemExit(0)" in done.stdout + done.stderr
    assert (tmp_path / "sweep" / "nearest" / "seed-0" / "model.keras").is_file()  # the other strategy trained
