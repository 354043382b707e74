"""Property tests: mutated YAML text and mutated spec trees never raise anything but SpecError.

A longer run is ``python benchmarks/fuzz_specs.py`` (see benchmarks/README.md).
"""

from __future__ import annotations

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings

from upspec.testing.fuzz import check_spec
from upspec.testing.fuzz import mutated_text
from upspec.testing.fuzz import mutated_tree

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@FAST
@given(mutated_text())
def test_mutated_yaml_text_gives_spec_errors_only(text):
    check_spec(text)


@FAST
@given(mutated_tree())
def test_mutated_spec_trees_give_spec_errors_only(tree):
    check_spec(tree)
