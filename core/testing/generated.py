"""``conformance_tests``: the conformance checks as parametrised pytest tests, one per check."""

from __future__ import annotations

from typing import Any

from ..registry.strategy import Strategy
from .conformance import CHECKS
from .conformance import check_strategy


def conformance_tests(strategy: Strategy | str, checks: list[str] | None = None) -> Any:
    """A pytest test function, parametrised over the checks; assign it to a ``test_*`` name::

        test_conformance = conformance_tests("carafe")   # test_conformance[shapes], [gradients], ...

    ``strategy`` is an instance or a registered name (looked up when the test runs, so a plugin that is not
    installed fails that test with the registry's message rather than breaking collection).
    """
    import pytest

    names = list(CHECKS) if checks is None else list(checks)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown conformance check(s) {unknown}; the checks are {list(CHECKS)}")

    @pytest.mark.upspec_conformance
    @pytest.mark.parametrize("check", names)
    def test_conformance(check: str) -> None:
        check_strategy(strategy, checks=[check])

    return test_conformance
