"""Can the seed transpose model beat bicubic interpolation on the default photos? An upper bound.

The seed model (transpose 3x3 stride 2, then a 3x3 convolution) sees, per output
pixel, a 2x3 or 3x3 window of low-resolution pixels depending on the output's
phase. This script fits the best *linear* predictor with exactly that window
(least squares, per phase, on the training patches) and compares it with
bicubic on the test patches, for two downsampling filters. A trained model
rarely gets near its linear bound in the run's two minutes.

    python benchmarks/seed_vs_bicubic.py
"""

from __future__ import annotations

import platform
import time

import numpy as np


def receptive_offsets(model, size=28):
    """Low-resolution offsets each output phase depends on, found by perturbing one input pixel."""
    x0 = np.full((1, size, size, 1), 0.5, "float32")
    rng = np.random.default_rng(0)
    for weight in model.weights:
        weight.assign(rng.normal(size=weight.shape).astype("float32") * 0.3)
    base = model.predict(x0, verbose=0)
    x1 = x0.copy()
    centre = size // 2
    x1[0, centre, centre, 0] = 1.0
    rows = np.nonzero(np.abs(model.predict(x1, verbose=0) - base)[0, :, :, 0].sum(1) > 1e-6)[0]
    offsets = {0: [], 1: []}
    for r in rows:
        offsets[int(r) % 2].append(int(centre - r // 2))
    return {phase: sorted(v) for phase, v in offsets.items()}


def window_features(x, rows, cols):
    pad = 3
    xp = np.pad(x[..., 0], ((0, 0), (pad, pad), (pad, pad)), mode="edge")
    _, h, w = x.shape[:3]
    cols_ = [xp[:, pad + i:pad + i + h, pad + j:pad + j + w] for i in rows for j in cols]
    return np.c_[np.stack(cols_, -1).reshape(-1, len(cols_)), np.ones(len(x) * h * w)]


def linear_bound(train, test, offsets):
    (xtr, ytr), (xt, yt) = train, test
    prediction = np.zeros_like(yt)
    for a in (0, 1):
        for b in (0, 1):
            weights, *_ = np.linalg.lstsq(window_features(xtr, offsets[a], offsets[b]),
                                          ytr[:, a::2, b::2, 0].reshape(-1), rcond=None)
            prediction[:, a::2, b::2, 0] = (window_features(xt, offsets[a], offsets[b]) @ weights).reshape(
                xt.shape[0], xt.shape[1], xt.shape[2])
    return np.clip(prediction, 0, 1)


def main() -> None:
    import upspec
    from upspec.registry.registry import get_registry
    from upspec.run.data import downsample
    from upspec.run.data import upsample_bicubic
    from upspec.run.evaluate import image_scores
    from upspec.modelspec.sections import data_settings
    from upspec.modelspec.sections import train_settings
    from upspec.run.task_data import prepare_data

    registry = get_registry()
    spec = upspec.load_spec("specs/seed_transpose.yaml", registry=registry)
    model = upspec.build_model(spec, registry=registry)
    dataset = prepare_data(spec, model, data_settings(spec), train_settings(spec, steps_per_epoch=125), registry)
    offsets = receptive_offsets(model)
    ytr, yt = dataset.train[1], dataset.test[1]
    print(f"# {time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"seed model's low-resolution window per output phase: rows/cols {offsets}")
    print(f"training patches {len(ytr)}, test patches {len(yt)} (56x56, grey)")
    print("| downsampling | bicubic PSNR | best linear, seed's window | best linear, 3x3 window |")
    print("|---|---|---|---|")
    xtr, xt = downsample(ytr, (2, 2)), downsample(yt, (2, 2))
    bicubic = image_scores(yt, upsample_bicubic(xt, yt.shape[1:3]))["psnr"]
    seed = image_scores(yt, linear_bound((xtr, ytr), (xt, yt), offsets))["psnr"]
    full = image_scores(yt, linear_bound((xtr, ytr), (xt, yt), {0: [-1, 0, 1], 1: [-1, 0, 1]}))["psnr"]
    print(f"| block mean (the runner's) | {bicubic:.2f} | {seed:.2f} | {full:.2f} |")


if __name__ == "__main__":
    main()
