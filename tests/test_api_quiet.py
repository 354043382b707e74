"""The Python API: quiet like the command line, explicit typed keyword parameters, one form for overrides
(issue #27, item 6)."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

from conftest import SPECS

NOISE = ("absl::InitializeLog", "oneDNN", "cuInit", "cuda drivers", "cpu_feature_guard", "TF Select ops",
         "tf_tfl_flatbuffer_helpers", "retracing")


def test_build_and_export_from_python_print_nothing_of_tensorflows(tmp_path):
    code = (
        "import upspec\n"
        f"model = upspec.build_model({str(SPECS / 'seed_transpose.yaml')!r}, strategy='bicubic')\n"
        "model.save('m.keras')\n"
        "report = upspec.export('m.keras')\n"
        "print(sorted(report), sorted(report.failed))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "UPSPEC_VERBOSE_TF")}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "['saved_model'] ['tflite']" in done.stdout
    for noise in NOISE:
        assert noise not in done.stderr, (noise, done.stderr)


def test_run_sweep_and_export_show_their_options_in_help():
    import upspec

    for function, expected in ((upspec.run, {"strategy", "overrides", "out", "train_overrides", "verbose"}),
                               (upspec.sweep, {"strategies", "overrides", "seeds", "train_overrides", "executor"}),
                               (upspec.export, {"out", "formats", "overwrite", "select_tf_ops"}),
                               (upspec.build_model, {"strategy", "overrides", "compile"})):
        parameters = inspect.signature(function).parameters
        assert expected <= set(parameters), function.__name__
        assert all(p.kind is not p.VAR_KEYWORD for p in parameters.values()), function.__name__
        assert all(p.annotation is not p.empty for p in parameters.values()), function.__name__
        assert "overrides" not in expected or "layers.up.filters" in (function.__doc__ or ""), function.__name__


def test_overrides_are_a_mapping_or_a_list_of_strings_and_mean_the_same():
    import upspec
    from upspec.modelspec.overrides import override_strings

    as_dict = {"layers.up.filters": 8, "compile.optimizer": "sgd", "train.epochs": 2}
    strings = override_strings(as_dict)
    assert strings == ['layers.up.filters=8', 'compile.optimizer="sgd"', 'train.epochs=2']
    a = upspec.load_spec(SPECS / "seed_transpose.yaml", overrides=as_dict)
    b = upspec.load_spec(SPECS / "seed_transpose.yaml", overrides=strings)
    assert a.model_dump() == b.model_dump()
    assert override_strings(["a=1"]) == ["a=1"] and override_strings(None) == []


def test_quiet_leaves_tensorflows_onednn_kernels_on(tmp_path):
    # TF_ENABLE_ONEDNN_OPTS=0 hid a start-up notice (TF_CPP_MIN_LOG_LEVEL hides it too) and doubled the main
    # job's step time through the Python API (19-20 ms against the command line's 10 ms on two cores)
    code = (
        "import os, upspec\n"
        f"upspec.build_model({str(SPECS / 'seed_transpose.yaml')!r})\n"
        "print(repr(os.environ.get('TF_ENABLE_ONEDNN_OPTS')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "UPSPEC_VERBOSE_TF",
                                                            "TF_ENABLE_ONEDNN_OPTS")}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"
    assert "oneDNN" not in done.stderr
