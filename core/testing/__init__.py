"""``upspec.testing``: the conformance kit every strategy must pass.

``check_strategy(strategy)`` runs all checks and raises
:class:`ConformanceError` naming the failed check with the shapes or values
involved. Plugin authors call it from their own tests.
"""

from __future__ import annotations

from upspec.testing.conformance import CHECKS
from upspec.testing.conformance import ConformanceError
from upspec.testing.conformance import check_strategy

__all__ = ["CHECKS", "ConformanceError", "check_strategy"]
