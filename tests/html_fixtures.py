"""A run folder as a run leaves it (spec, history, metrics, pictures), written without training, for the
tests of report.html; and the hostile text a spec or a file name may carry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

#: what a spec's name, description or a file name may smuggle in; the report must show it, never run it
SCRIPT = "<script>window.pwned = 1; alert(1)</script>"
HANDLER = '<img src=x onerror="window.pwned = 2">'


def fake_run(folder: Path, *, name: str = "espcn", description: str = "ESPCN x2 on the luminance.",
             images: int = 4, epochs: int = 3) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    spec = {"name": name, "description": description, "inputs": {"image": [None, None, 1]},
            "layers": [{"id": "up", "upsample": "pixel_shuffle", "factor": 2, "filters": 1}],
            "data": {"source": "photos", "task": "super_resolution"},
            "train": {"epochs": epochs, "steps_per_epoch": 2, "batch_size": 4, "seed": 0}}
    (folder / "spec.yaml").write_text(json.dumps(spec))  # JSON is YAML
    rng = np.random.default_rng(0)
    rows = [{"name": f"image-{i}", "model": {"psnr": float(20 + rng.random() * 10), "ssim": float(rng.random())},
             "bicubic": {"psnr": 25.0 + i, "ssim": 0.8}} for i in range(images)]
    metrics = {"task": "super_resolution", "test_images": images, "convention": "whole held-out images, Y channel",
               "degradation": "bicubic", "model": {"psnr": 25.0, "ssim": 0.5}, "bicubic": {"psnr": 26.0, "ssim": 0.8},
               "gain": {"psnr": -1.0, "ssim": -0.3}, "images": rows}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    history = ["epoch,loss,val_loss"] + [f"{e},{1 / e:.4f},{1.5 / e:.4f}" for e in range(1, epochs + 1)]
    (folder / "history.csv").write_text("\n".join(history) + "\n")
    for picture in ("learning_curves.png", "samples.png"):
        Image.fromarray((rng.random((60, 90, 3)) * 255).astype("uint8")).save(folder / picture)
    (folder / "model.keras").write_bytes(b"not read by the report")
    return folder
