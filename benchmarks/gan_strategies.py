"""Regenerate docs/generation.md (and the generation section of docs/strategies.md): the DCGAN digits spec trained once per (generator strategy, seed).

    python benchmarks/gan_strategies.py                       # 3 strategies x 3 seeds, 10 epochs each
    python benchmarks/gan_strategies.py --epochs 30 --seeds 5 --strategies transpose,nearest,bilinear

Each run is an ordinary `upspec run specs/dcgan_digits_unconditional.yaml --strategy S --seed N` folder under
runs/gan-strategies/ (a finished one is kept, an interrupted one resumed). The table gives, per strategy, the
mean over seeds and a 95% t-interval of the trained generator's Fréchet distance, mode coverage, spectral
distance and peak ratio, and the peak ratio of the same generator before training. The same text replaces
the block between the generation-section markers of docs/strategies.md; the rest of that file is untouched.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "dcgan_digits_unconditional.yaml"
COLUMNS = [("fd", "FD", "{:.1f}"), ("classes_covered", "classes", "{:.1f}"), ("kl_uniform", "KL to uniform", "{:.3f}"),
           ("confidence", "confidence", "{:.3f}"), ("spectral_distance", "spectral distance", "{:.3f}"),
           ("peak_ratio", "peak ratio", "{:.2f}"), ("cb", "CB", "{:.4f}")]


def interval(values: list[float], pattern: str) -> str:
    from scipy import stats

    mean = float(np.mean(values))
    if len(values) < 2:
        return pattern.format(mean)
    half = float(stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / np.sqrt(len(values)))
    return f"{pattern.format(mean)} ± {pattern.format(half)}"


def run_all(strategies: list[str], seeds: int, epochs: int, root: Path) -> dict[str, list[dict]]:
    import upspec.runner.run as runner

    found: dict[str, list[dict]] = {}
    for strategy in strategies:
        for seed in range(seeds):
            folder = root / f"{strategy}-seed{seed}"
            started = time.perf_counter()
            if not (folder / "metrics.json").exists() or not (folder / "model.keras").exists():
                if (folder / "checkpoints" / "state.json").exists():
                    runner.resume(folder, verbose=0)
                else:
                    if folder.exists():
                        import shutil

                        shutil.rmtree(folder)
                    runner.run(SPEC, strategy=strategy, out=str(folder), verbose=0,
                               train_overrides={"epochs": epochs, "seed": seed})
                print(f"{strategy} seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
            metrics = json.loads((folder / "metrics.json").read_text())
            metrics["seconds"] = sum(float(r.split(",")[-1]) for r in (folder / "history.csv").read_text().splitlines()[1:])
            found.setdefault(strategy, []).append(metrics)
    return found


def table(results: dict[str, list[dict]]) -> str:
    header = ["generator upsampling"] + [title for _, title, _ in COLUMNS] + ["peak ratio at init", "training (s)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for strategy, runs in results.items():
        cells = [f"`{strategy}`"]
        cells += [interval([m["generator"][key] for m in runs], pattern) for key, _, pattern in COLUMNS]
        cells.append(interval([m["untrained_generator"]["peak_ratio"] for m in runs], "{:.2f}"))
        cells.append(f"{np.mean([m['seconds'] for m in runs]):.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    floor = next(iter(results.values()))[0]["held_out_real"]
    cells = ["held-out real digits (floor)"] + [pattern.format(floor[key]) for key, _, pattern in COLUMNS] + ["", ""]
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def findings(results: dict[str, list[dict]]) -> str:
    """What the table says about the spectral finding, in numbers (written from the results, not by hand)."""
    def mean(strategy: str, row: str) -> float:
        return float(np.mean([m[row]["peak_ratio"] for m in results[strategy]]))

    def order(row: str) -> list[str]:
        return sorted(results, key=lambda s: -mean(s, row))

    def bounds(key: str, strategy: str) -> tuple[float, float]:
        values = [m["generator"][key] for m in results[strategy]]
        centre, half = float(np.mean(values)), 0.0
        if len(values) > 1:
            from scipy import stats

            half = float(stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / np.sqrt(len(values)))
        return centre - half, centre + half

    def overlapping(key: str) -> bool:
        spans = [bounds(key, s) for s in results]
        return max(low for low, _ in spans) <= min(high for _, high in spans)

    real = next(iter(results.values()))[0]["held_out_real"]["peak_ratio"]
    init = ", ".join(f"`{s}` {mean(s, 'untrained_generator'):.2f}" for s in results)
    trained = ", ".join(f"`{s}` {mean(s, 'generator'):.2f}" for s in results)
    closest = min(results, key=lambda s: np.mean([m["generator"]["spectral_distance"] for m in results[s]]))
    peaked = [s for s in results if mean(s, "untrained_generator") > 2]
    flat = [s for s in results if mean(s, "untrained_generator") < 1.5]
    def names(items: list[str]) -> str:
        return ", ".join(f"`{s}`" for s in items)

    lines = [f"Peak ratio at initialisation: {init}. "
             + (f"Peaks at the upsampling frequencies before training: {names(peaked)}; none (ratio below 1.5): "
                f"{names(flat) or 'no strategy'} (ICNR initialises pixel shuffle as a copy per sub-pixel, that is "
                "nearest-neighbour upsampling)." if peaked else "No strategy peaks at initialisation."),
             f"After training: {trained} (held-out real digits: {real:.2f}; above the real images' value means "
             "excess power at the upsampling frequencies). "
             + ("Training keeps the ordering at initialisation." if order("generator") == order("untrained_generator")
                else f"Training changes the ordering (now {' > '.join(order('generator'))})."),
             f"Closest spectrum to the real digits after training (spectral distance): `{closest}`.",
             "Sample quality: the FD intervals of " + ("all strategies overlap: this budget does not separate them."
                                                        if overlapping("fd") else "some strategies do not overlap.")]
    return "\n".join(f"- {line}" for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="transpose,nearest,pixel_shuffle")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--root", default=str(ROOT / "runs" / "gan-strategies"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "generation.md"))
    parser.add_argument("--strategies-doc", default=str(ROOT / "docs" / "strategies.md"),
                        help="also update the delimited generation section of this file ('' to skip)")
    args = parser.parse_args()
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    results = run_all(strategies, args.seeds, args.epochs, Path(args.root))
    first = next(iter(results.values()))[0]
    text = f"""<!-- generated by benchmarks/gan_strategies.py up to the hand-written part at the end; do not edit the tables by hand -->
## Generation: the generator's upsampling in a GAN

`specs/dcgan_digits_unconditional.yaml` (DCGAN: 7 -> 14 -> 28 with two x2 upsample entries, batch normalisation, ReLU;
the discriminator is fixed) trained with `--strategy S --seed N` for {args.epochs} epochs x 100 steps of batch
64 (the spec's loss, optimizers and `train.ema`), seeds 0..{args.seeds - 1}: mean and 95% t-interval over
seeds. Every number is computed on {first['test_images']} samples against the `digits` training images
through a classifier trained on the same source ({first['features']}); the last row is the same for
held-out real digits, the best a generator can do.

{table(results)}

{findings(results)}

- FD: Fréchet distance of the classifier's 64 features (lower is better; it depends on the sample count, so
  compare rows only). Classes: how many of the 10 digit classes the classifier finds among the samples; KL
  to uniform: of that class histogram (0 = every class equally often); confidence: the classifier's mean top
  probability.
- Spectral distance: mean absolute difference, in decades, between the normalised azimuthally averaged power
  spectra of the samples and of the training digits. Peak ratio: power at the upsampling frequencies (multiples
  of 28/4 = 7 cycles per image) over that of their neighbours; about 1 or below without periodic artifacts.
  CB: phase variance of the samples with period 4.

Measured on {platform.machine()} ({platform.processor() or 'CPU'}), Python {sys.version.split()[0]},
{datetime.date.today().isoformat()}; training time is the sum of the epochs' wall-clock seconds on a shared
two-core machine.
"""
    Path(args.out).write_text(text + kept_part(Path(args.out)), encoding="utf-8")
    print(f"wrote {args.out}")
    if args.strategies_doc:
        update_block(Path(args.strategies_doc), text)
        print(f"updated the generation section of {args.strategies_doc}")


#: docs/generation.md from this line on is written by hand (the game's train: keys) and kept when regenerating
KEPT = "<!-- written by hand from here on; benchmarks/gan_strategies.py keeps it when regenerating -->"


def kept_part(path: Path) -> str:
    """The hand-written end of ``path`` (from the :data:`KEPT` line on), with a blank line before it; or ''."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    return "\n" + current[current.index(KEPT):] if KEPT in current else ""

BEGIN = "<!-- generation section: written by benchmarks/gan_strategies.py (docs/generation.md); keep when regenerating -->"
END = "<!-- end of the generation section -->"


def update_block(path: Path, text: str) -> None:
    """Replace the delimited generation section of ``path`` (append it when missing); the rest stays."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    body = text.split("\n", 1)[1]  # without the "generated by" comment line
    block = f"{BEGIN}\n{body.rstrip()}\n{END}\n"
    if BEGIN in current and END in current:
        head, _, rest = current.partition(BEGIN)
        _, _, tail = rest.partition(END)
        current = head + block + tail.lstrip("\n")
    else:
        current = current.rstrip("\n") + "\n\n" + block
    path.write_text(current, encoding="utf-8")


if __name__ == "__main__":
    main()
