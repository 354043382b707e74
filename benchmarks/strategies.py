"""Regenerate docs/strategies.md: `upspec sweep` over every installed strategy on three tasks.

    python benchmarks/strategies.py            # about 15 minutes on two CPU cores
    python benchmarks/strategies.py --fresh    # ignore earlier sweeps under runs/strategies/

Super-resolution on `photos` (specs/seed_transpose.yaml), segmentation on `shapes` (specs/unet.yaml),
denoising on `digits` (specs/digits_denoise.yaml), each with its spec's own training settings, the same
data and seed for every strategy. The sweep folders stay under runs/strategies/.
"""

from __future__ import annotations

import datetime
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TASKS = [
    ("Super-resolution x2 on `photos`", "specs/seed_transpose.yaml", "psnr"),
    ("Segmentation on `shapes` (U-Net, two upsample entries)", "specs/unet.yaml", "mean_iou"),
    ("Denoising on `digits` (two upsample entries)", "specs/digits_denoise.yaml", "psnr"),
]


def findings(rows: list[dict], metric: str) -> str:
    ranked = sorted(rows, key=lambda r: r["metrics"]["model"][metric], reverse=True)
    best, worst = ranked[0], ranked[-1]
    artifact_free = sorted(r["strategy"] for r in rows if (r["cb_init"] or 0) < 1e-5)
    periodic = sorted(f"{r['strategy']} ({r['cb_init']:.2g})" for r in rows if (r["cb_init"] or 0) >= 1e-5)
    lines = [f"best {metric}: `{best['strategy']}` ({best['metrics']['model'][metric]:.4f}); "
             f"worst: `{worst['strategy']}` ({worst['metrics']['model'][metric]:.4f})",
             f"artifact-free at initialisation (CB < 1e-5): {', '.join(f'`{n}`' for n in artifact_free) or 'none'}",
             f"periodic pattern at initialisation: {', '.join(f'`{n}`' for n in periodic) or 'none'}"]
    if "bicubic" in best["metrics"]:
        lines.append(f"bicubic interpolation on the same patches: {best['metrics']['bicubic'][metric]:.4f}")
    return "\n".join(f"- {line}" for line in lines)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from upspec.compare.comparison import markdown_table
    from upspec.compare.sweep import run_sweep

    from upspec.spec.load import load_spec

    fresh = "--fresh" in sys.argv[1:]
    sections = []
    for title, spec, metric in TASKS:
        root = ROOT / "runs" / "strategies"
        earlier = sorted((root / load_spec(ROOT / spec).name).glob("sweep-*/sweep.json"))
        if earlier and not fresh:  # an interrupted (or finished) sweep: keep what it has, finish the rest
            result = run_sweep(None, resume=str(earlier[-1].parent), announce=lambda line: print(line, flush=True))
        else:
            result = run_sweep(ROOT / spec, strategies="all", root=str(root),
                               announce=lambda line: print(line, flush=True))
        sections.append(f"## {title}\n\n`upspec sweep {spec}`\n\n{markdown_table(result.rows)}\n\n"
                        f"{findings(result.rows, metric)}\n")
    stamp = datetime.date.today().isoformat()
    machine = f"{platform.machine()}, {__import__('os').cpu_count()} CPU cores, Python {platform.python_version()}"
    intro = (ROOT / "benchmarks" / "strategies_intro.md").read_text()
    text = intro.format(date=stamp, machine=machine) + "\n" + "\n".join(sections)
    (ROOT / "docs" / "strategies.md").write_text(text)
    print("wrote docs/strategies.md")


if __name__ == "__main__":
    main()
