"""Export to ONNX: every built-in strategy that converts is run by ONNX Runtime and compared with Keras; the one
that does not is refused with its operator, entry and what to use instead; bad input leaves nothing behind."""

from __future__ import annotations

import os

import numpy as np
import pytest

from conftest import SPECS
from conftest import invoke_upspec

pytest.importorskip("onnxruntime", reason="ONNX export needs the onnx extra: pip install 'upspec[onnx]'")
pytest.importorskip("tf2onnx", reason="ONNX export needs the onnx extra: pip install 'upspec[onnx]'")


def _model(strategy):
    import upspec

    return upspec.build_model(upspec.load_spec(SPECS / "seed_transpose.yaml", strategy=strategy))


def _run_folder(tmp_path, strategy="pixel_shuffle"):
    """A run folder as a finished run leaves it, for what export reads: model.keras and spec.yaml."""
    built = invoke_upspec("build", str(SPECS / "seed_transpose.yaml"), "--strategy", strategy,
                          "-o", str(tmp_path / "run" / "model.keras"), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    (tmp_path / "run" / "spec.yaml").write_text((SPECS / "seed_transpose.yaml").read_text().replace(
        "upsample: transpose", f"upsample: {strategy}"))
    return tmp_path / "run"


@pytest.mark.parametrize("strategy", ["transpose", "nearest", "bilinear", "bicubic", "pixel_shuffle",
                                      "bilinear_additive", "transpose_zoh", "dysample"])
def test_onnx_runtime_matches_keras_for_each_builtin_strategy_that_converts(strategy, tmp_path):
    from upspec.runner.artefacts.onnx_export import CONVERTIBLE
    from upspec.runner.artefacts.onnx_export import ONNX_TOLERANCE
    from upspec.runner.artefacts.onnx_export import describe_onnx
    from upspec.runner.artefacts.onnx_export import export_onnx
    from upspec.runner.artefacts.onnx_export import onnx_predict

    assert strategy in CONVERTIBLE
    model = _model(strategy)
    path = export_onnx(model, tmp_path / "model.onnx", strategies={"up": strategy})
    x = np.random.default_rng(1).random((3, 28, 28, 1), dtype="float32")
    got = onnx_predict(path, [x])
    assert got.shape == (3, 56, 56, 1)
    assert np.abs(got - model.predict(x, verbose=0)).max() < ONNX_TOLERANCE
    facts = describe_onnx(path)
    assert facts["opset"] == "17" and facts["layout"] == "NHWC"
    assert float(facts["max_error"]) < ONNX_TOLERANCE
    assert "ONNX Runtime matches Keras on 8 random inputs" in facts["check"]


def test_lanczos_is_refused_with_its_operator_entry_and_what_to_use_instead(tmp_path):
    from upspec.runner.artefacts.onnx_export import OnnxExportError
    from upspec.runner.artefacts.onnx_export import export_onnx

    with pytest.raises(OnnxExportError) as caught:
        export_onnx(_model("lanczos"), tmp_path / "model.onnx", strategies={"up": "lanczos"})
    message = str(caught.value)
    assert ("entry 'up' (strategy 'lanczos'), layer 'up_resize' (ResizeByFactor): operator ScaleAndTranslate "
            "is not an ONNX operator (opset 17)") in message
    assert "use bicubic (ONNX Resize, cubic mode) or pixel_shuffle instead of lanczos" in message
    assert not list(tmp_path.iterdir())


def test_a_missing_extra_is_named_with_the_install_command(tmp_path, monkeypatch):
    import sys

    from upspec.runner.artefacts.onnx_export import OnnxExportError
    from upspec.runner.artefacts.onnx_export import export_onnx

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if it were not installed
    with pytest.raises(OnnxExportError, match=r"ONNX export needs onnxruntime: pip install 'upspec\[onnx\]'"):
        export_onnx(_model("nearest"), tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_a_run_is_checked_on_its_own_test_inputs_and_never_overwritten(tmp_path):
    run = _run_folder(tmp_path)
    done = invoke_upspec("export", str(run), "--format", "onnx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"onnx: wrote {run / 'export' / 'model.onnx'}"
    assert lines[1].startswith("  ONNX opset 17, layout NHWC, converted by ")
    assert "ONNX Runtime matches Keras on 8 test patches of the run's own test set" in lines[1]
    before = (run / "export" / "model.onnx").read_bytes()

    again = invoke_upspec("export", str(run), "--format", "onnx", cwd=tmp_path)
    assert again.returncode == 2
    assert "model.onnx already exists; refusing to overwrite it (pass --force to replace it)" in again.stderr
    assert (run / "export" / "model.onnx").read_bytes() == before
    forced = invoke_upspec("export", str(run), "--format", "onnx", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr


def test_the_python_api_exports_onnx_checked_on_the_run_data(tmp_path):
    import upspec
    from upspec.runner.artefacts.onnx_export import describe_onnx

    run = _run_folder(tmp_path, "nearest")
    written = upspec.export(run, tmp_path / "out", formats=["onnx"])
    assert written == {"onnx": tmp_path / "out" / "model.onnx"}
    assert "test patches of the run's own test set" in describe_onnx(written["onnx"])["check"]


def test_a_misspelt_format_is_a_usage_error_naming_the_choices(tmp_path):
    run = _run_folder(tmp_path)
    done = invoke_upspec("export", str(run), "--format", "onx", cwd=tmp_path)
    assert done.returncode == 2
    assert "'onx' is not one of 'saved_model', 'tflite', 'onnx'" in done.stderr
    assert not (run / "export").exists()


def test_a_misspelt_format_in_the_python_api_names_the_choices(tmp_path):
    from upspec.runner.artefacts.export import ExportError
    from upspec.runner.artefacts.export import export

    with pytest.raises(ExportError, match=r"unknown export format 'onx'; did you mean 'onnx'\? available: onnx, saved_model, tflite"):
        export(_model("nearest"), tmp_path / "out", formats=["onx"])
    assert not (tmp_path / "out").exists()


def test_a_corrupt_model_is_named_and_nothing_is_written(tmp_path):
    run = _run_folder(tmp_path)
    data = (run / "model.keras").read_bytes()
    (run / "model.keras").write_bytes(data[: len(data) // 2])  # truncated, as by a full disk
    done = invoke_upspec("export", str(run), "--format", "onnx", cwd=tmp_path)
    assert done.returncode == 2  # a damaged input file, as every command reports one
    assert f"{run / 'model.keras'}: the file is damaged (truncated" in done.stderr
    assert f"re-run the spec: upspec run {run / 'spec.yaml'}" in done.stderr and "Traceback" not in done.stderr
    assert not (run / "export").exists()


def test_a_missing_model_is_named(tmp_path):
    run = _run_folder(tmp_path)
    (run / "model.keras").unlink()
    done = invoke_upspec("export", str(run), "--format", "onnx", cwd=tmp_path)
    assert done.returncode == 2
    assert f"{run} is an unfinished run folder (no model.keras)" in done.stderr
    assert f"finish it with: upspec train --resume {run}" in done.stderr and "Traceback" not in done.stderr


def test_a_read_only_folder_is_named_and_left_as_it_was(tmp_path, monkeypatch):
    import errno
    import tempfile

    run = _run_folder(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    real = tempfile.mkstemp

    def read_only(*args, **kwargs):  # as on a read-only mount (chmod does not stop root, who runs CI)
        if os.fspath(kwargs.get("dir", "")) == os.fspath(locked):
            raise OSError(errno.EROFS, "Read-only file system")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    done = invoke_upspec("export", str(run), "--format", "onnx", "-o", str(locked), cwd=tmp_path)
    assert done.returncode == 1
    assert f"cannot write {locked / 'model.onnx'}: Read-only file system" in done.stderr
    assert "the file system is read-only; write somewhere else" in done.stderr
    assert list(locked.iterdir()) == []


def test_tf2onnx_converts_where_keras_own_export_fails(tmp_path, monkeypatch):
    from upspec.runner.artefacts.onnx_export import describe_onnx
    from upspec.runner.artefacts.onnx_export import export_onnx

    model = _model("pixel_shuffle")

    def refuse(*args, **kwargs):
        raise ValueError("this Keras cannot export to ONNX")

    monkeypatch.setattr(model, "export", refuse)
    path = export_onnx(model, tmp_path / "model.onnx")
    converter = describe_onnx(path)["converter"]
    assert converter.startswith("tf2onnx ") and "Keras's export failed: this Keras cannot export to ONNX" in converter


def test_a_keras_export_with_a_wrong_output_shape_is_converted_again_by_tf2onnx(tmp_path, monkeypatch):
    """Seen now and then in CI: ONNX Runtime ran Keras's conversion to an output with an extra leading axis
    ((1, 8, 56, 56, 1) against (8, 56, 56, 1)); the file is then made by tf2onnx and checked again."""
    from upspec.runner.artefacts import onnx_export

    real, calls = onnx_export.onnx_predict, []

    def first_call_gains_an_axis(path, arrays):
        calls.append(path)
        out = real(path, arrays)
        return out[None] if len(calls) == 1 else out

    monkeypatch.setattr(onnx_export, "onnx_predict", first_call_gains_an_axis)
    model = _model("nearest")
    path = onnx_export.export_onnx(model, tmp_path / "model.onnx")
    assert len(calls) == 2
    converter = onnx_export.describe_onnx(path)["converter"]
    assert converter.startswith("tf2onnx ") and "Keras's export gave the wrong output shape: ONNX Runtime's output " \
        "has shape (1, 8, 56, 56, 1), Keras's (8, 56, 56, 1)" in converter, converter
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype="float32")
    assert np.abs(real(path, [x]) - model.predict(x, verbose=0)).max() < 1e-4


def test_a_difference_that_is_not_a_number_says_what_it_is():
    from upspec.runner.artefacts.onnx_export import why_different

    keras_out = np.zeros((2, 4, 4, 1), "float32")
    onnx_out = keras_out.copy()
    onnx_out[1, 2, 3, 0] = np.nan
    onnx_out[1, 3, 0, 0] = np.inf
    assert why_different(onnx_out, keras_out) == (
        "ONNX Runtime's output has 2 NaN or infinite value(s) of 32 (the first at index (1, 2, 3, 0): nan)")
    assert why_different(keras_out[:1], keras_out) == (
        "ONNX Runtime's output has shape (1, 4, 4, 1), Keras's (2, 4, 4, 1)")
    assert why_different(keras_out + 1, keras_out) == ""


def test_an_onnx_runtime_output_with_nan_is_refused_naming_it_and_nothing_is_written(tmp_path, monkeypatch):
    from upspec.runner.artefacts import onnx_export

    real = onnx_export.onnx_predict

    def poisoned(path, arrays):
        out = real(path, arrays)
        out[0, 0, 0, 0] = np.nan
        return out

    monkeypatch.setattr(onnx_export, "onnx_predict", poisoned)
    with pytest.raises(onnx_export.OnnxExportError) as caught:
        onnx_export.export_onnx(_model("nearest"), tmp_path / "model.onnx")
    assert str(caught.value) == (
        "ONNX Runtime's output differs from Keras's on random inputs (no run data beside the model): "
        "ONNX Runtime's output has 1 NaN or infinite value(s) of 25088 (the first at index (0, 0, 0, 0): nan); "
        "nothing written")
    assert not list(tmp_path.iterdir())
