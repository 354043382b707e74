"""``python -m upspec.capabilities [FILE]``: write docs/capabilities.md (as ``upspec capabilities``); with
``--worker BACKEND``, measure the row specs read as JSON from stdin on this process's backend and print the
cells as JSON (what :func:`upspec.capabilities.matrix.measure_backend` runs in a process of its own)."""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        import contextlib
        import io

        from .checks import measure

        specs = json.loads(sys.stdin.read())
        with contextlib.redirect_stdout(io.StringIO()):
            results = measure(specs, argv[1])
        print(json.dumps(results))
        return 0
    from ..files import write_text
    from ..registry.registry import get_registry
    from .matrix import capability_matrix
    from .matrix import markdown

    output = argv[0] if argv else "docs/capabilities.md"
    rows = capability_matrix(get_registry())
    write_text(output, markdown(rows, command="python -m upspec.capabilities"))
    print(f"wrote {output} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
