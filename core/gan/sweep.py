"""What a sweep does differently for a GAN spec: its rows, its pictures.

A row holds, beside the run's metrics (the generator against the held-out floor and the untrained ceiling),
the generator's size and cost and the CB and EQ-T of its upsample entries at initialisation and after
training.
The sweep folder gets ``samples.png`` (the same latents through every strategy's generator) and
``spectrum.png`` (every strategy's radial spectrum over the training images').
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.cost import inference_ms
from ..analysis.cost import multiply_accumulates
from ..analysis.intervals import interval
from ..analysis.measure import cb_at_init
from ..analysis.measure import entry_cb
from ..analysis.measure import eqt_measurements
from ..analysis.measure import upsample_entries
from ..runner.artefacts.models import load_model
from ..runner.reporting.image_grid import image_grid
from ..runner.reporting.sweep_folder import first_seed
from ..runner.reporting.sweep_folder import overlaid_curves
from ..runner.reporting.sweep_folder import run_folder
from .condition import classes
from .condition import feed
from .condition import in_turn
from .condition import latent_shape
from .condition import one_hot
from .evaluate import sample
from .pictures import spectrum_plot

CB_SEEDS = (0, 1, 2)
SAMPLES = 8


def measure_gan(trained: Any, spec: Any, registry: Any) -> dict[str, Any]:
    """The costs, CB and EQ-T of one finished GAN run (``trained``: its generator)."""
    entries = upsample_entries(spec, registry)
    init = cb_at_init(spec, CB_SEEDS, registry)
    latents = np.random.default_rng(0).standard_normal((16, *latent_shape(trained))).astype("float32")
    number = classes(trained)
    return {
        "parameters": int(trained.count_params()),
        "macs": multiply_accumulates(trained),
        "train_step_ms": None,  # a GAN step is two networks' steps: see each run's history.csv (seconds)
        "inference_ms": inference_ms(trained, feed(trained, latents, one_hot(in_turn(16, number), number)
                                                   if number else None)),
        "cb_init": float(np.median([np.median(v) for v in init.values()])) if init else None,
        "cb_trained": float(np.median(entry_cb(trained, entries, registry))) if entries else None,
        **eqt_measurements(spec, registry, trained),
    }


def gan_pictures(folder: Path, rows: list[dict[str, Any]], registry: Any) -> None:
    """``samples.png``: one column per strategy (its first seed), the same latents; ``spectrum.png``: their
    radial spectra overlaid."""
    if not rows:
        return
    columns = []
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for row in first_seed(rows):
        run = run_folder(folder, row)
        columns.append((row["strategy"], sample(load_model(run / "model.keras", registry), SAMPLES, 0)))
        spectra = json.loads((run / "spectrum.json").read_text())
        if not curves:
            real = spectra["training images"]
            curves["training images"] = (np.asarray(real["frequency"]), np.asarray(real["power"]))
        mine = spectra["generator"]
        curves[row["strategy"]] = (np.asarray(mine["frequency"]), np.asarray(mine["power"]))
    image_grid(columns, folder / "samples.png")
    factor = rows[0]["metrics"].get("upsampling_factor", [1, 1])[0]
    spectrum_plot(curves, folder / "spectrum.png", [k / factor for k in range(1, factor // 2 + 1)],
                  title="generated samples per strategy: azimuthally averaged power spectrum")


def gan_curves(folder: Path, rows: list[dict[str, Any]]) -> Path:
    """D and G losses of each strategy's first seed, overlaid (linear axes: hinge and WGAN losses go negative)."""
    return overlaid_curves(folder, rows, (("d_loss", "discriminator loss"), ("g_loss", "generator loss")), log=False)


#: the generator's numbers a sweep reports over seeds, and whether lower is better
SEED_METRICS = (("fd", "FD", True), ("classes_covered", "classes", False), ("kl_uniform", "KL to uniform", True),
                ("spectral_distance", "spectral distance", True), ("peak_ratio", "peak ratio", False))


def gan_statistics(rows: list[dict[str, Any]]) -> str:
    """comparison.md's section for a GAN sweep: each strategy's generator numbers, mean [95% t-interval]
    over its seeds, and the held-out real images' for reference."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["strategy"], []).append(row["metrics"])
    keys = [m for m in SEED_METRICS if all(m[0] in r["metrics"].get("generator", {}) for r in rows)]
    lines = ["## Generator over seeds", "",
             "| strategy | seeds | " + " | ".join(f"{title} {'(lower is better) ' if low else ''}mean [95% CI]"
                                                 for _, title, low in keys) + " |",
             "|---|---|" + "---|" * len(keys)]
    for name, group in groups.items():
        cells = [interval([g["generator"][key] for g in group]).format(3) for key, _, _ in keys]
        lines.append(f"| `{name}` | {len(group)} | " + " | ".join(cells) + " |")
    real = rows[0]["metrics"].get("held_out_real", {}) if rows else {}
    if real:
        lines.append("| held-out real images | - | " + " | ".join(f"{real.get(key, float('nan')):.3f}"
                                                                    for key, _, _ in keys) + " |")
    lines += ["", "Peak ratio: power at the upsampling frequencies over their neighbours' (about 1 without "
              "periodic artifacts); see docs/runner.md (Generation) for every number.", ""]
    return "\n".join(lines) + "\n"
