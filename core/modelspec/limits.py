"""Bounds on what a spec may ask for, checked before anything large is allocated.

A spec is input from anyone; these keep ``validate`` (and everything after it)
within seconds and a few hundred megabytes whatever the YAML says. Each
bound names itself in its error, with how to raise it where that makes sense.
"""

from __future__ import annotations

#: bytes of spec text
MAX_SPEC_BYTES = 4 * 1024 * 1024
#: YAML nodes after alias expansion (libyaml-based loaders refuse billion-laughs the same way)
MAX_NODES = 100_000
#: nesting of lists and mappings
MAX_DEPTH = 64
#: the size of one input dimension
MAX_DIM = 65_536
#: axes of one input, channels included (3-D volumes have 4)
MAX_RANK = 5
#: default budgets of the static estimates (``--max-params``, ``--max-memory``, ``limits:`` in a spec)
MAX_PARAMS = 200_000_000
MAX_MEMORY = 4 * 1024 ** 3  # bytes of activations per example

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_size(value: object) -> int:
    """Bytes from an int or a string such as ``"8 GiB"`` / ``"500MB"``; ``ValueError`` otherwise."""
    if isinstance(value, bool):
        raise ValueError("a size is a number of bytes or a string such as '8 GiB', not a boolean")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("a size must be positive")
        return value
    if isinstance(value, str):
        import re

        match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", value)
        if match and match[2].lower() in _UNITS and float(match[1]) > 0:
            return int(float(match[1]) * _UNITS[match[2].lower()])
    raise ValueError(f"{value!r} is not a size; write bytes (an integer) or e.g. '8 GiB', '500 MB'")
