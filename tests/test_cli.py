"""The command line: in-process through click's CliRunner, and in a real subprocess where start-up,
imports and exit codes are what is tested."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import SPECS
from conftest import invoke_upspec
from conftest import run_upspec

#: the verbs DESIGN.md promises (plugins may add more)
VERBS = ["build", "checkerboard", "evaluate", "export", "new-plugin", "plugins", "predict", "run", "schema", "show",
         "specs", "sweep", "train", "validate"]


def _listed_commands(help_text: str) -> list[str]:
    return [line.split()[0] for line in help_text.split("Commands:\n", 1)[1].splitlines() if line.strip()]


def test_help_lists_every_verb():
    done = run_upspec("--help")
    assert done.returncode == 0
    listed = _listed_commands(done.stdout)
    assert listed == sorted(set(listed))
    assert set(VERBS) <= set(listed), sorted(set(VERBS) - set(listed))


def test_every_verb_has_its_own_help():
    for verb in _listed_commands(invoke_upspec("--help").stdout):
        done = invoke_upspec(verb, "--help")
        assert done.returncode == 0, (verb, done.stderr)
        assert done.stdout.startswith(f"Usage: upspec {verb} [OPTIONS]"), verb
        assert "-h, --help" in done.stdout, verb


def test_version():
    done = run_upspec("--version")
    assert done.returncode == 0 and done.stdout.startswith("upspec, version ")


def test_fast_commands_do_not_import_tensorflow(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: b\ninputs: {x: [8, 8, 1]}\nlayers:\n  - {upsample: nope, factor: 2, filters: 1}\n")
    existing = tmp_path / "existing.keras"
    existing.write_bytes(b"keep me")
    code = (
        "import sys\n"
        "from upspec.cli.main import main\n"
        "for argv in (['--help'], ['--version'], ['plugins'], ['plugins', '--json'], ['schema'],\n"
        f"             ['validate', {str(SPECS / 'unet.yaml')!r}, {str(SPECS / 'seed_transpose.yaml')!r}],\n"
        f"             ['validate', {str(bad)!r}], ['show', {str(SPECS / 'unet.yaml')!r}], ['specs'],\n"
        f"             ['build', 'seed_transpose', '-o', {str(existing)!r}]):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    assert 'tensorflow' not in sys.modules, argv\n"
        "    assert 'keras' not in sys.modules, argv\n"
        "print('no tensorflow')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip().endswith("no tensorflow"), done.stderr
    assert "existing.keras already exists; refusing to overwrite it" in done.stderr
    assert existing.read_bytes() == b"keep me"


def test_validate_prints_one_line_per_spec():
    specs = sorted(str(p) for p in SPECS.glob("*.yaml"))
    done = invoke_upspec("validate", *specs)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(specs)
    assert f"{SPECS / 'seed_transpose.yaml'}: ok: seed-transpose: 2 entries, (28, 28, 1) -> (56, 56, 1)" in lines


def test_validate_mixed_good_and_bad_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: b\ninputs: {x: [8, 8, 1]}\nlayers:\n  - {upsample: nearest, factor: 2}\n")
    done = invoke_upspec("validate", str(SPECS / "seed_transpose.yaml"), str(bad))
    assert done.returncode == 2
    assert "seed_transpose.yaml: ok" in done.stdout
    assert f"{bad}:4:5: error: layers[0] (upsample: nearest) is missing the required key 'filters'" in done.stderr


def test_show_table_has_shapes_and_parameter_counts():
    done = invoke_upspec("show", str(SPECS / "seed_upsample_conv.yaml"), "--exact-params")
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("up "))
    assert row.split()[-7:] == ["(56,", "56,", "64)", "640", "640", "1.5", "MiB"]  # transpose: an exact estimate
    assert "total parameters: 640" in done.stdout


def test_show_mermaid_and_dot():
    mermaid = invoke_upspec("show", str(SPECS / "unet.yaml"), "--format", "mermaid").stdout
    assert mermaid.startswith("flowchart TD")
    assert "up2 --> skip2" in mermaid and "enc2 --> skip2" in mermaid
    dot = invoke_upspec("show", str(SPECS / "unet.yaml"), "--format", "dot", "--strategy", "bilinear").stdout
    assert '"enc1" -> "skip1";' in dot and "upsample: bilinear x2" in dot


def test_build_saves_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "model.keras"
    done = invoke_upspec("build", str(SPECS / "seed_transpose.yaml"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "Total params: 609" in done.stdout
    assert out.stat().st_size > 0
    before = out.read_bytes()
    again = invoke_upspec("build", str(SPECS / "seed_transpose.yaml"), "--strategy", "nearest", "-o", str(out))
    assert again.returncode == 2
    assert "already exists; refusing to overwrite it" in again.stderr
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_build_with_set_override_error_exits_2():
    done = invoke_upspec("build", str(SPECS / "seed_transpose.yaml"), "--set", "layers.up.factor=zero")
    assert done.returncode == 2
    assert "--set layers.up.factor=zero:1:24: error: invalid value for entry 'up': factor" in done.stderr
    assert "Traceback" not in done.stderr


def test_debug_shows_the_traceback():
    plain = invoke_upspec("build", "nope.yaml")
    debug = invoke_upspec("--debug", "build", "nope.yaml")
    assert plain.returncode == debug.returncode == 2
    assert plain.stderr == "nope.yaml: error: no such spec file\n1 error\n"
    assert debug.stderr.startswith(plain.stderr + "Traceback (most recent call last):\n")
    assert debug.stderr.endswith("upspec.errors.SpecError: nope.yaml: error: no such spec file\n")
    assert 'in read_source\n    raise SpecError(' in debug.stderr


def test_an_unexpected_error_is_one_line_unless_debug(tmp_path, write_plugin):
    plugin = write_plugin("crash_plugin", "import upspec\n@upspec.hookimpl\ndef upspec_commands(cli):\n"
                                          "    @cli.command()\n    def crash():\n        raise KeyError('boom')\n")
    plain = invoke_upspec("--plugin", str(plugin), "crash")
    assert plain.returncode == 1
    assert plain.stderr == "upspec: error: KeyError: 'boom'\n(run with --debug for the traceback)\n"
    debug = invoke_upspec("--debug", "--plugin", str(plugin), "crash")
    assert debug.returncode == 1
    assert "Traceback (most recent call last):" in debug.stderr and debug.stderr.endswith("KeyError: 'boom'\n")


def test_bad_usage_exits_2():
    assert run_upspec("validate").returncode == 2
    assert run_upspec("frobnicate").returncode == 2


def test_plugins_json_lists_builtins_with_parameters():
    done = invoke_upspec("plugins", "--json")
    report = json.loads(done.stdout)
    by_name = {p["name"]: p for p in report["plugins"]}
    assert by_name["pixel_shuffle"]["distribution"] == "upspec"
    params = by_name["pixel_shuffle"]["strategies"]["pixel_shuffle"]
    assert params["icnr"] == {"type": "bool", "default": True}
    assert params["filters"] == {"type": "positive int", "required": True}
    assert "upspec_strategies" in by_name["transpose"]["hooks"]
    assert report["problems"] == []


def test_plugins_text_shows_signatures():
    done = invoke_upspec("plugins")
    assert "strategy pixel_shuffle(factor: positive int | list[positive int], filters: positive int, " in done.stdout


def test_schema_covers_strategies_and_layers(tmp_path):
    out = tmp_path / "schema.json"
    done = invoke_upspec("schema", "-o", str(out))
    assert done.returncode == 0
    schema = json.loads(out.read_text())
    assert schema["properties"]["layers"]["items"] == {"$ref": "#/$defs/Entry"}
    defs = schema["$defs"]
    assert defs["upsample_pixel_shuffle"]["title"] == "upsample: pixel_shuffle" and "layer_Conv2D" in defs
    ps = defs["upsample_pixel_shuffle"]
    assert set(ps["required"]) == {"upsample", "factor", "filters"}
    assert "icnr" in ps["properties"]


def test_local_plugin_option(tmp_path):
    plugin = tmp_path / "echo_plugin.py"
    plugin.write_text("import click, upspec\n@upspec.hookimpl\ndef upspec_commands(cli):\n"
                      "    @cli.command()\n    def hello():\n        click.echo('hello from a plugin')\n")
    done = invoke_upspec("--plugin", str(plugin), "hello")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello from a plugin"


def test_broken_plugin_is_a_warning_not_a_crash(tmp_path):
    plugin = tmp_path / "broken.py"
    plugin.write_text("raise ImportError('missing dependency foo')\n")
    done = invoke_upspec("--plugin", str(plugin), "validate", str(SPECS / "seed_transpose.yaml"))
    assert done.returncode == 0
    assert ('upspec: warning: plugin "broken" (distribution <local file> -): '
            "failed to import: ImportError: missing dependency foo") in done.stderr
