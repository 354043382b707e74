"""The package as another environment gets it: an sdist with what its tests need, a wheel that runs from anywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from tests.conftest import SPECS

_IGNORED_ANYWHERE = shutil.ignore_patterns(".git", ".venv", "*.egg-info", "__pycache__", ".pytest_cache", "*.keras")


def IGNORED(folder: str, names: list[str]) -> set[str]:
    top = {"build", "dist", "runs"} & set(names) if Path(folder) == ROOT else set()
    return set(_IGNORED_ANYWHERE(folder, names)) | top


def _see_dependencies_of_this_environment(python: Path, folder: Path) -> None:
    """Make this environment's installed packages, except upspec itself and its example plugin, importable by
    ``python`` (a folder of links to them, named in a ``.pth`` file of its site-packages)."""
    folder.mkdir()
    ours = ("upspec", "__editable__", "_upspec", "upspec_carafe", "__pycache__")
    for place in [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and Path(p).is_dir()]:
        for item in Path(place).iterdir():
            if not item.name.lower().startswith(ours) and item.suffix != ".pth" and not (folder / item.name).exists():
                (folder / item.name).symlink_to(item)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    Path(site, "dependencies.pth").write_text(f"{folder}\n")


def test_specs_lists_the_shipped_specs_and_commands_take_their_names(tmp_path, monkeypatch):
    from upspec.cli.main import make_cli

    monkeypatch.chdir(tmp_path)
    cli = make_cli([])
    listed = CliRunner().invoke(cli, ["specs", "--json"])
    assert listed.exit_code == 0, listed.output
    import json

    names = [item["name"] for item in json.loads(listed.output)]
    assert names == sorted(p.stem for p in SPECS.glob("*.yaml"))
    validated = CliRunner().invoke(cli, ["validate", "seed_transpose"])
    assert validated.exit_code == 0, validated.output
    assert "ok: seed-transpose" in validated.output
    misspelt = CliRunner().invoke(cli, ["validate", "seed_transpse"])
    assert misspelt.exit_code == 2
    assert "'seed_transpse' is neither a file nor a shipped spec; did you mean 'seed_transpose'?" in misspelt.output


def test_a_file_beats_a_shipped_name(tmp_path, monkeypatch):
    from upspec.shipped import resolve_spec_argument

    monkeypatch.chdir(tmp_path)
    assert resolve_spec_argument("unet") == str(SPECS / "unet.yaml")
    (tmp_path / "unet").write_text("name: mine\n")
    assert resolve_spec_argument("unet") == "unet"


def test_license_matches_setup_cfg():
    assert "license = Apache-2.0" in (ROOT / "setup.cfg").read_text()
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text


@pytest.mark.slow
def test_sdist_and_wheel_installed_in_a_fresh_venv_run_from_another_folder(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=IGNORED)
    dist = tmp_path / "dist"
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    built = subprocess.run([sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(dist)!r})"],
                           cwd=source, capture_output=True, text=True, timeout=300, env=env)
    assert built.returncode == 0, built.stderr[-3000:]
    (sdist,) = dist.glob("upspec-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in ("LICENSE", "specs/seed_transpose.yaml", "docs/spec.md", "tests/conftest.py",
                   "tests/bad_specs/11_unknown_strategy_param.yaml", "examples/upspec-carafe/setup.cfg"):
        assert needed in members, needed

    wheel_built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                                  "-w", str(dist), str(source)], capture_output=True, text=True, timeout=300, env=env)
    assert wheel_built.returncode == 0, wheel_built.stderr[-3000:]
    (wheel,) = dist.glob("upspec-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "upspec/specs/seed_transpose.yaml" in names and "upspec/registry/keras_layers.json" in names
    assert any(n.endswith(".dist-info/LICENSE") or "/licenses/LICENSE" in n for n in names), sorted(names)[-8:]

    # a fresh venv without pip (the outer pip installs) that sees this environment's dependencies but none of its
    # upspec: not --system-site-packages, which shows the *base* interpreter's packages, and the base of a fresh
    # machine has none of upspec's dependencies
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    _see_dependencies_of_this_environment(python, tmp_path / "dependencies")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                                str(wheel)], capture_output=True, text=True, timeout=300, env=env)
    assert installed.returncode == 0, installed.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    clean = {k: v for k, v in env.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    where = subprocess.run([str(python), "-c", "import upspec; print(upspec.__file__)"], cwd=elsewhere,
                           capture_output=True, text=True, timeout=120, env=clean)
    assert where.stdout.strip().startswith(str(venv)), where.stdout + where.stderr
    listed = subprocess.run([str(venv / "bin" / "upspec"), "specs"], cwd=elsewhere, capture_output=True, text=True,
                            timeout=120, env=clean)
    assert listed.returncode == 0, listed.stderr
    assert "seed_transpose" in listed.stdout and str(venv) in listed.stdout
    validated = subprocess.run([str(venv / "bin" / "upspec"), "validate", "seed_transpose"], cwd=elsewhere,
                               capture_output=True, text=True, timeout=120, env=clean)
    assert validated.returncode == 0, validated.stderr
    assert "ok: seed-transpose: 2 entries, (28, 28, 1) -> (56, 56, 1)" in validated.stdout
