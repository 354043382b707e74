"""``upspec.testing``: the conformance kit every strategy must pass.

``check_strategy(strategy)`` runs all checks and raises
:class:`ConformanceError` naming the failed check with the shapes or values
involved. Plugin authors call it from their own tests, or write
``test_conformance = conformance_tests("my_strategy")`` to get one pytest
test per check. The pytest plugin (``upspec.testing.pytest_plugin``,
registered through the ``pytest11`` entry point) adds the fixtures
``upspec_conformance`` and ``upspec_strategy_name``.
"""

from __future__ import annotations

from .conformance import CHECKS
from .conformance import ConformanceError
from .conformance import check_strategy
from .conformance import resolve_strategy
from .generated import conformance_tests

__all__ = ["CHECKS", "ConformanceError", "check_strategy", "conformance_tests", "resolve_strategy"]
