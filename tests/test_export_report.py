"""Export writes every format that can hold the model, one line per format, free spatial dimensions where the
model allows them, and replaces nothing without --force (issue #27, item 1)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SPECS
from conftest import invoke_upspec


def _saved(tmp_path, spec, *args):
    built = invoke_upspec("build", str(spec), *args, "-o", str(tmp_path / "run" / "model.keras"), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    (tmp_path / "run" / "spec.yaml").write_text(spec.read_text())
    return tmp_path / "run"


def test_the_main_jobs_model_exports_a_saved_model_and_says_why_tflite_is_missing(tmp_path):
    run = _saved(tmp_path, SPECS / "espcn_residual.yaml")
    done = invoke_upspec("export", str(run), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (run / "export" / "saved_model").is_dir()
    assert not (run / "export" / "model.tflite").exists()
    lines = done.stdout.splitlines()
    assert any(line.startswith("saved_model: wrote") for line in lines)
    tflite = next(line for line in lines if line.startswith("tflite: not written"))
    assert "entry 'skip' (strategy 'bicubic')" in tflite and "ResizeBicubic" in tflite
    assert "--select-tf-ops" in done.stdout  # the named fallback
    assert "input (None, 32, 32, 1): fixed size" in done.stdout  # said, since this graph cannot trace free sizes
    assert "neither a custom op nor a flex op" not in done.stdout + done.stderr  # no converter noise

    # the fallback adds TFLite and keeps the SavedModel as it is
    before = (run / "export" / "saved_model" / "saved_model.pb").stat().st_mtime_ns
    again = invoke_upspec("export", str(run), "--select-tf-ops", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "tflite: wrote" in again.stdout and "saved_model: kept" in again.stdout
    assert (run / "export" / "saved_model" / "saved_model.pb").stat().st_mtime_ns == before

    # everything there: a re-export is a usage error without --force
    third = invoke_upspec("export", str(run), cwd=tmp_path)
    assert third.returncode == 2 and "--force" in third.stderr
    forced = invoke_upspec("export", str(run), "--force", cwd=tmp_path)
    assert forced.returncode == 0 and "saved_model: wrote" in forced.stdout


def test_a_fully_convolutional_model_is_exported_with_free_height_and_width(tmp_path):
    import tensorflow as tf

    from upspec.runner.artefacts.export import export_run
    from upspec.runner.artefacts.tflite import tflite_predict

    run = _saved(tmp_path, SPECS / "seed_transpose.yaml", "--strategy", "pixel_shuffle")
    report = export_run(run)
    assert set(report) == {"saved_model", "tflite"}
    assert "any height and width" in report.input_note
    x = np.random.default_rng(0).random((1, 40, 52, 1), dtype="float32")
    loaded = tf.saved_model.load(str(report["saved_model"]))  # kept: its variables live as long as it does
    served = loaded.serve(x).numpy()
    assert served.shape == (1, 80, 104, 1)
    assert tflite_predict(report["tflite"], x).shape == (1, 80, 104, 1)


def test_the_python_api_exports_the_main_jobs_model_without_raising(tmp_path):
    import upspec

    run = _saved(tmp_path, SPECS / "espcn_residual.yaml")
    report = upspec.export(run)
    assert list(report) == ["saved_model"]
    assert "ResizeBicubic" in report.failed["tflite"]


def test_every_export_format_is_one_entry_of_the_table_and_an_option_of_the_command():
    from upspec.cli.run_commands import export as command
    from upspec.runner.artefacts.export import EXPORT_FORMATS

    choices = next(p for p in command.params if p.name == "formats").type.choices
    assert list(choices) == list(EXPORT_FORMATS)
    assert all(":" in fmt.writer for fmt in EXPORT_FORMATS.values())


@pytest.mark.parametrize("name", ["saved_model"])
def test_asking_only_for_a_format_that_cannot_hold_the_model_fails_with_the_reason(tmp_path, name):
    run = _saved(tmp_path, SPECS / "espcn_residual.yaml")
    done = invoke_upspec("export", str(run), "--format", "tflite", cwd=tmp_path)
    assert done.returncode == 1
    assert "nothing exported" in done.stderr and "ResizeBicubic" in done.stderr and "Traceback" not in done.stderr
