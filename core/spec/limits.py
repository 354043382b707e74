"""Bounds on what a spec may ask for, checked before anything large is allocated.

A spec is input from anyone; these keep ``validate`` (and everything after it)
within seconds and a few hundred megabytes whatever the YAML says. Each
bound names itself in its error, with how to raise it where that makes sense.
"""

from __future__ import annotations

#: bytes of spec text
MAX_SPEC_BYTES = 4 * 1024 * 1024
#: YAML nodes after alias expansion (libyaml-based loaders refuse billion-laughs the same way)
MAX_NODES = 200_000
#: nesting of lists and mappings
MAX_DEPTH = 64
#: the size of one input dimension
MAX_DIM = 65_536
#: axes of one input, channels included (3-D volumes have 4)
MAX_RANK = 5
#: default budgets of the static estimates (``--max-params``, ``--max-memory``, ``limits:`` in a spec)
MAX_PARAMS = 200_000_000
MAX_MEMORY = 4 * 1024 ** 3  # bytes of activations per example
