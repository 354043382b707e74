"""docs/plugins.md and the tests cannot drift from the hook specifications."""

from __future__ import annotations

import inspect
import re

import upspec.hookspecs as hookspecs
from conftest import ROOT

DOC = (ROOT / "docs" / "plugins.md").read_text()


def _hookspecs() -> dict[str, object]:
    return {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("upspec_")}


def _signature(fn) -> str:
    """``def name(param: Type, ...) -> Return``, annotations as written in hookspecs.py, without quotes."""
    text = f"def {fn.__name__}{inspect.signature(fn)}"
    return text.replace('"', "").replace("'", "")


def test_the_hooks_are_the_ones_we_document():
    assert sorted(_hookspecs()) == ["upspec_callbacks", "upspec_commands", "upspec_datasets", "upspec_layers",
                                    "upspec_metrics", "upspec_model_built", "upspec_strategies"]
    documented = re.findall(r"^### (upspec_\w+)$", DOC, flags=re.M)
    assert sorted(documented) == sorted(_hookspecs()), "docs/plugins.md has a section per hook, and no others"


def test_every_hook_is_documented_with_its_exact_signature_when_returns_and_an_example():
    sections = dict(re.findall(r"^### (upspec_\w+)\n(.*?)(?=^### |^## |\Z)", DOC, flags=re.M | re.S))
    for name, fn in _hookspecs().items():
        section = sections[name]
        assert f"```python\n{_signature(fn)}\n```" in section, f"{name}: signature differs from hookspecs.py"
        assert "**When:**" in section and "**Returns:**" in section, name
        for parameter in inspect.signature(fn).parameters:
            assert f"`{parameter}`" in section, f"{name}: parameter {parameter!r} is not described"
        assert f"@upspec.hookimpl\ndef {name}(" in section, f"{name}: no example implementation"


def test_every_hook_is_implemented_by_a_plugin_the_tests_use():
    sources = "\n".join(p.read_text() for folder in (ROOT / "tests", ROOT / "examples")
                        for p in folder.rglob("*.py") if "/build/" not in p.as_posix())
    for name in _hookspecs():
        assert re.search(rf"def {name}\(", sources), f"no test plugin implements {name}"
