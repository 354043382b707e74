"""Names a package exports without importing them at start-up: a module ``__getattr__`` from a table."""

from __future__ import annotations

import importlib
from typing import Any
from typing import Callable
from typing import Mapping
from typing import Union

#: ``name -> "module"`` (the attribute of the same name) or ``name -> ("module", "attribute")``
LazyTable = Mapping[str, Union[str, "tuple[str, str]"]]


def lazy_getattr(package: str, table: LazyTable, namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``table``'s names on first use and keeps them in ``namespace``
    (the package's ``globals()``), so later lookups cost nothing; other names raise ``AttributeError``."""

    def __getattr__(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = (target, name) if isinstance(target, str) else target
        value = getattr(importlib.import_module(module), attribute)
        namespace[name] = value
        return value

    return __getattr__
