"""Start-up of the commands that never touch TensorFlow, and of shell completion, against ``python -c pass``
and ``python -c "import tensorflow"``.

    python benchmarks/cli_startup.py [--rounds 10]

Every candidate is a fresh process, run in turn with the others (the order reversed every other round); wall
time and the process's CPU time (user + system) are both reported, since CPU time moves less when the
machine is shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT  # noqa: E402
from common import interleaved  # noqa: E402
from common import machine  # noqa: E402
from common import ratios  # noqa: E402
from common import run_command  # noqa: E402
from common import write_section  # noqa: E402


def completion(words: str) -> dict[str, str]:
    return {"_UPSPEC_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    python = sys.executable
    upspec = [shutil.which("upspec") or python, *([] if shutil.which("upspec") else ["-m", "upspec"])]
    env = {"TF_CPP_MIN_LOG_LEVEL": "3"}
    spec = str(ROOT / "specs" / "seed_transpose.yaml")
    candidates = {
        "`python -c pass`": run_command([python, "-c", "pass"]),
        "`upspec --version`": run_command([*upspec, "--version"]),
        "`upspec --help`": run_command([*upspec, "--help"]),
        "TAB: `upspec <TAB>`": run_command(upspec, completion("upspec ")),
        "TAB: `--strategy <TAB>`": run_command(upspec, completion("upspec run x.yaml --strategy ")),
        "TAB: `--set data.source=<TAB>`": run_command(upspec, completion("upspec run x.yaml --set data.source=")),
        "TAB: `--set layers.up.layer=<TAB>`": run_command(upspec, completion("upspec run x.yaml --set layers.up.layer=")),
        "`upspec plugins`": run_command([*upspec, "plugins"]),
        "`upspec validate SPEC`": run_command([*upspec, "validate", spec]),
        "`python -c \"import tensorflow\"`": run_command([python, "-c", "import tensorflow"], env),
    }
    results = interleaved(candidates, rounds=args.rounds, warmup=1)
    base, tf = "`python -c pass`", "`python -c \"import tensorflow\"`"
    lines = ["| command | wall min (s) | wall median (s) | CPU median (s) | x `python -c pass` (paired median) | "
             "x `import tensorflow` (paired median) |", "|---|---|---|---|---|---|"]
    for name, times in results.items():
        lines.append(f"| {name} | {min(times['wall']):.3f} | {statistics.median(times['wall']):.3f} | "
                     f"{statistics.median(times['cpu']):.3f} | {statistics.median(ratios(results, name, base)):.1f} | "
                     f"{statistics.median(ratios(results, name, tf)):.2f} |")
    over = {name: statistics.median(t["wall"]) - statistics.median(results[base]["wall"]) for name, t in results.items()}
    body = f"""`python benchmarks/cli_startup.py` ({args.rounds} interleaved rounds after one warm-up round; every
candidate a fresh process; the installed `upspec` script with this checkout's plugins, the example
`upspec-carafe` plugin included).

{machine()}

""" + "\n".join(lines) + f"""

Above `python -c pass` (wall medians): `--help` {over['`upspec --help`']:+.3f} s, `--version`
{over['`upspec --version`']:+.3f} s, `--strategy <TAB>` {over['TAB: `--strategy <TAB>`']:+.3f} s.
`--help`, `--version` and completion import neither NumPy, pydantic nor TensorFlow
(tests/test_completion.py checks it); `plugins` and `validate` need pydantic (the strategies' parameter types
and the spec's model).
"""
    print(body)
    if not args.no_write:
        write_section("cli_startup", "CLI start-up and shell completion", body)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
