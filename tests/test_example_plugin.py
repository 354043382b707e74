"""The example plugin package, examples/upspec-carafe, installed with pip (the README's test command does it)
and driven through the upspec command line as its users would."""

from __future__ import annotations

import importlib.metadata
import json

import numpy as np
import pytest

from conftest import ROOT
from conftest import invoke_upspec
from conftest import run_upspec

SPEC = ROOT / "examples" / "upspec-carafe" / "specs" / "seed_carafe.yaml"
pytestmark = pytest.mark.example_plugin

FAST = ["--set", "train.epochs=1", "--set", "train.steps_per_epoch=3", "--set", "train.batch_size=4",
        "--set", "data.test_patches=4", "--set", "data.validation_patches=4"]


def test_the_package_is_installed_through_its_entry_point():
    try:
        distribution = importlib.metadata.distribution("upspec-carafe")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("examples/upspec-carafe is not installed: pip install -e examples/upspec-carafe")
    (entry,) = [e for e in distribution.entry_points if e.group == "upspec"]
    assert (entry.name, entry.value) == ("carafe", "upspec_carafe")


def test_plugins_lists_it_with_its_parameters_and_schema_completes_it(tmp_path):
    listed = invoke_upspec("plugins", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    (carafe,) = [p for p in json.loads(listed.stdout)["plugins"] if p["name"] == "carafe"]
    assert carafe["distribution"] == "upspec-carafe" and carafe["version"] == "0.1.0"
    text = invoke_upspec("plugins", cwd=tmp_path).stdout
    assert "up_kernel: positive int = 5, encoder_kernel: positive int = 3" in text
    schema = json.loads(invoke_upspec("schema", cwd=tmp_path).stdout)
    assert "carafe" in json.dumps(schema) and "up_kernel" in json.dumps(schema)


@pytest.mark.slow
def test_validate_build_train_and_reload_through_the_cli(tmp_path):
    validated = invoke_upspec("validate", str(SPEC), cwd=tmp_path)
    assert validated.returncode == 0 and "ok: seed-carafe" in validated.stdout, validated.stderr
    built = invoke_upspec("build", str(SPEC), cwd=tmp_path)
    assert built.returncode == 0 and "up_reassemble" in built.stdout, built.stderr

    out = tmp_path / "run"
    trained = invoke_upspec("run", str(SPEC), "--quiet", "--out", str(out), *FAST, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert json.loads((out / "metrics.json").read_text())["model"]["psnr"] > 0

    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype="float32")
    np.savez(tmp_path / "x.npz", x=x)
    first = run_upspec("predict", str(out / "model.keras"), str(tmp_path / "x.npz"), "-o", str(tmp_path / "a.npz"))
    second = invoke_upspec("predict", str(out / "model.keras"), str(tmp_path / "x.npz"), "-o", str(tmp_path / "b.npz"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    from upspec.runner.artefacts.models import load_model

    here = load_model(out / "model.keras").predict(x, verbose=0)
    # `predict` runs an input-size-agnostic copy of the model (and a fresh process TensorFlow's default
    # kernels, this one the deterministic ones that `run` switched on): equal up to float32 rounding (1 ulp seen)
    np.testing.assert_allclose(np.load(tmp_path / "a.npz")["y"], here, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "b.npz")["y"], here, rtol=0, atol=1e-6)
