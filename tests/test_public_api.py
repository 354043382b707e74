"""The plugin API lives at the package root, and the built-in plugins use nothing else."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

import upspec
from conftest import ROOT

#: what a module may import from upspec: the root, the shared Keras layers and metrics, or its own plugin package
#: (and the test kit, for tests)
ALLOWED = re.compile(r"^upspec(\.plugins(\..*)?|\.layers(\..*)?|\.metrics(\..*)?|\.testing)?$")


def _upspec_imports(source: str) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "upspec":
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names if alias.name.split(".")[0] == "upspec"]
    return modules


def test_every_public_name_resolves():
    for name in upspec.__all__:
        assert getattr(upspec, name) is not None, name
    assert sorted(upspec.__all__) == upspec.__all__
    assert {"DataSource", "Images", "DataError", "Strategy", "hookimpl", "convolution_class"} <= set(upspec.__all__)
    with pytest.raises(AttributeError, match="module 'upspec' has no attribute 'Nope'"):
        upspec.Nope  # noqa: B018


def test_the_plugin_api_module_holds_what_the_root_re_exports_to_plugins():
    from upspec import plugin_api

    assert sorted(plugin_api.__all__) == plugin_api.__all__ and set(plugin_api.__all__) <= set(upspec.__all__)
    for name in plugin_api.__all__:
        assert getattr(plugin_api, name) is getattr(upspec, name), name


def test_the_plugin_base_classes_are_the_ones_the_runner_uses():
    from upspec.runner.data.sources import DataSource
    from upspec.runner.data.sources import Images

    assert upspec.DataSource is DataSource and upspec.Images is Images
    assert upspec.Strategy is upspec.registry.strategy.Strategy


def test_importing_upspec_imports_neither_numpy_nor_keras():
    code = ("import sys, upspec; "
            "print(sorted(m for m in ('numpy', 'keras', 'tensorflow', 'annotated_types') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_positive_int_is_pydantics_and_made_on_first_use():
    import typing

    import annotated_types
    import pydantic

    from upspec import NonNegativeInt
    from upspec import PositiveInt

    assert typing.get_args(PositiveInt) == typing.get_args(pydantic.PositiveInt) == (int, annotated_types.Gt(0))
    assert typing.get_args(NonNegativeInt) == (int, annotated_types.Ge(0))
    assert upspec.PositiveInt is PositiveInt is upspec.registry.strategy.PositiveInt


def test_the_framework_heap_is_frozen_once_before_any_model():
    code = ("import gc; from upspec.runner.training.framework import settle_framework; froze = settle_framework(); "
            "n = gc.get_freeze_count(); import keras; keras.layers.Dense(2); again = settle_framework(); "
            "print(froze, n > 100000, again, gc.get_freeze_count() == n)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "True", "False", "True"], done.stderr


def test_a_process_that_imported_keras_itself_is_not_frozen():
    """A notebook may hold models already: freezing would pin whatever of them becomes garbage."""
    code = ("import gc, keras; model = keras.Sequential([keras.layers.Dense(2)]); "
            "from upspec.runner.training.framework import settle_framework; print(settle_framework(), gc.get_freeze_count())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["False", "0"], done.stderr


@pytest.mark.parametrize("path", sorted((ROOT / "plugins").glob("*.py")), ids=lambda p: p.name)
def test_builtin_plugins_import_only_the_public_api(path):
    assert [m for m in _upspec_imports(path.read_text()) if not ALLOWED.match(m) or m == "upspec.testing"] == []


def test_hookspecs_and_plugin_docs_use_only_the_public_api():
    hookspecs = [m for m in _upspec_imports((ROOT / "core" / "hookspecs.py").read_text()) if m != "upspec"]
    assert hookspecs == []
    doc = (ROOT / "docs" / "plugins.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    pattern = re.compile(r"^\s*(?:from|import) (upspec(?:\.[\w.]+)?)\b(?!_)", flags=re.M)
    imported = [m for block in blocks for m in pattern.findall(block)]
    assert imported and all(ALLOWED.match(m) and not m.startswith("upspec.plugins") for m in imported), imported


def test_convolution_class_by_rank():
    import keras

    assert [upspec.convolution_class(r) for r in (1, 2, 3)] == [keras.layers.Conv1D, keras.layers.Conv2D,
                                                                keras.layers.Conv3D]
    assert upspec.convolution_class(3, transpose=True) is keras.layers.Conv3DTranspose
    with pytest.raises(ValueError, match="Expected 1, 2 or 3. Received rank=4"):
        upspec.convolution_class(4)


def test_strategy_build_documents_its_contract():
    doc = upspec.Strategy.build.__doc__ or ""
    for part in ("x:", "factor:", "filters:", "name:", "Returns:", "keyword-only", "schema", "ranks"):
        assert part in doc, part


def test_the_runner_verbs_are_functions_at_the_root():
    # DESIGN: run, evaluate, predict, export, sweep, generate have Python functions; the runner's package has
    # its own name, upspec.runner
    import inspect
    import types

    import upspec.runner
    import upspec.runner.run

    for verb in ("run", "evaluate", "predict", "export", "sweep", "generate"):
        assert isinstance(getattr(upspec, verb), types.FunctionType), verb
    assert isinstance(upspec.runner, types.ModuleType) and upspec.runner.run.run.__name__ == "run"
    parameters = inspect.signature(upspec.run).parameters
    assert list(parameters)[:3] == ["source", "strategy", "overrides"]
    assert all(p.kind is p.KEYWORD_ONLY for name, p in parameters.items() if name != "source")


def test_run_stays_the_function_after_the_settings_package_is_imported():
    """``from upspec import run`` is the main job, also once the runner package and the spec sections are imported."""
    code = ("import upspec, types; import upspec.modelspec.sections; import upspec.runner.run; from upspec import run; "
            "print(isinstance(run, types.FunctionType), upspec.run is run)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "True"], done.stderr


def test_export_of_a_folder_without_a_model_names_the_folder(tmp_path):
    (tmp_path / "spec.yaml").write_text("name: a\n")
    with pytest.raises(upspec.UpspecError, match=f"{tmp_path} is an unfinished run folder \\(no model.keras\\)(.|\\n)*train --resume"):
        upspec.export(tmp_path)
