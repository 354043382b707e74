"""The runner: data, training, evaluation, reports, export.

``upspec.run`` is this package and, called, the main job: ``upspec.run(spec, ...)`` is
:func:`upspec.run.runner.run` (the package name and the verb are the same word, so the module is callable).
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallableRunPackage(types.ModuleType):
    def __call__(self, source: Any, **options: Any) -> Any:
        """Train, evaluate and report ``source`` in a new run folder (see :func:`upspec.run.runner.run`)."""
        from .runner import run

        return run(source, **options)


sys.modules[__name__].__class__ = _CallableRunPackage
