"""Shell completion from the registry, and start-up paths that stay light (``--help``, ``--version``, TAB)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from upspec.cli.main import make_cli


def complete(words: str) -> list[str]:
    """What ``upspec`` offers for the last word of ``words`` (bash protocol: ``type,value`` lines)."""
    parts = words.split(" ")
    env = {"_UPSPEC_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)}
    done = CliRunner().invoke(make_cli([]), [], env=env, prog_name="upspec")
    assert done.exit_code == 0, done.output
    return [line.partition(",")[2] for line in done.output.splitlines()]


def test_strategy_option_completes_registered_strategy_names():
    offered = complete("upspec run specs/seed_transpose.yaml --strategy bi")
    assert offered == ["bicubic", "bilinear", "bilinear_additive"]
    assert "carafe" in complete("upspec build x.yaml --strategy ")  # a third-party plugin's strategy


def test_sweep_strategies_complete_as_a_comma_list():
    assert complete("upspec sweep s.yaml --strategies nearest,pix") == ["nearest,pixel_shuffle"]
    assert "all" in complete("upspec sweep s.yaml --strategies ")


def test_set_completes_sources_tasks_strategies_and_layer_types():
    assert "data.source=photos" in complete("upspec run s.yaml --set data.source=")
    assert complete("upspec run s.yaml --set data.task=de") == ["data.task=denoise"]
    assert complete("upspec run s.yaml --set layers.up.upsample=near") == ["layers.up.upsample=nearest"]
    assert complete("upspec build s.yaml --set layers.out.layer=Conv2DT") == ["layers.out.layer=Conv2DTranspose"]
    assert complete("upspec build s.yaml --set data.") == ["data.source=", "data.task="]


def test_commands_complete_including_plugin_commands():
    assert complete("upspec sw") == ["swap", "sweep"]
    assert "new-plugin" in complete("upspec ")


@pytest.mark.parametrize("argv, env", [
    (["--help"], {}),
    (["--version"], {}),
    ([], {"_UPSPEC_COMPLETE": "bash_complete", "COMP_WORDS": "upspec run --strategy b", "COMP_CWORD": "3"}),
    ([], {"_UPSPEC_COMPLETE": "bash_complete", "COMP_WORDS": "upspec run --set data.source=", "COMP_CWORD": "3"}),
    ([], {"_UPSPEC_COMPLETE": "bash_complete", "COMP_WORDS": "upspec run --set layers.a.layer=C", "COMP_CWORD": "3"}),
])
def test_help_version_and_completion_import_no_numpy_pydantic_or_tensorflow(argv, env):
    code = ("import json, os, sys\n"
            f"os.environ.update({env!r})\n"
            "from upspec.cli.main import main\n"
            "try:\n"
            f"    main({argv!r} or None)\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(json.dumps(sorted(m for m in ('numpy', 'pydantic', 'tensorflow', 'keras', 'yaml') if m in sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    *output, modules = done.stdout.strip().splitlines()
    assert output, "nothing was printed"
    assert json.loads(modules) == []
