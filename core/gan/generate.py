"""``generate``: samples from a trained generator, deterministic for a seed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UpspecError
from ..files import atomic_path
from ..files import WouldOverwrite
from ..modelspec.gan import LABEL


def _generator(source: str | os.PathLike) -> Any:
    from ..runner.artefacts.models import load_model
    from ..runner.artefacts.rundir import run_files

    path = Path(source)
    model_path, _ = run_files(path)
    if model_path is None or not model_path.is_file():
        checkpoint = path / "checkpoints"
        hint = (f"; it holds checkpoints: finish it with `upspec train --resume {path}`" if checkpoint.is_dir() else "")
        raise UpspecError(f"{path} holds no trained generator (model.keras){hint}")
    from .condition import classes
    from .condition import input_name

    model = load_model(model_path)
    latents = [t for t in model.inputs if input_name(t) != LABEL]
    if len(latents) != 1 or len(latents[0].shape) != 2 or len(model.inputs) != 1 + (classes(model) is not None):
        shapes = [tuple(t.shape) for t in model.inputs]
        raise UpspecError(f"{model_path} is not a generator: it takes {shapes[0] if len(shapes) == 1 else shapes}, "
                          f"not a latent vector (and, class-conditional, a {LABEL!r}) (generate samples a GAN run's "
                          "generator; see specs/dcgan_digits.yaml)")
    return model


def generate(source: str | os.PathLike, n: int = 64, *, seed: int = 0, output: str | os.PathLike | None = None,
             overwrite: bool = False, label: int | None = None) -> np.ndarray:
    """``n`` samples ``(n, H, W, C)`` in [0, 1] from a GAN run folder's generator (or its ``.keras``), from
    standard-normal latents drawn with ``seed``: the same seed gives the same images. A class-conditional
    generator draws class ``label``, or every class in turn (``0, 1, ..., 9, 0, ...``) without one.

    ``output``: an ``.npz`` (array ``images``) or a folder for PNGs (``sample-0000.png``, ...); an existing
    file is not replaced unless ``overwrite``.
    """
    from .evaluate import sample

    if n < 1:
        raise UpspecError(f"the number of samples must be at least 1, not {n}")
    if output is not None and Path(output).suffix == ".npz" and Path(output).exists() and not overwrite:
        raise WouldOverwrite(Path(output))  # before loading anything
    images = sample(_generator(source), n, seed, label)
    if output is not None:
        write_images(images, Path(output), overwrite=overwrite)
    return images


def write_images(images: np.ndarray, output: Path, *, overwrite: bool = False) -> None:
    if output.suffix == ".npz":
        with atomic_path(output, overwrite=overwrite) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, images=images)
        return
    from .pictures import save_png

    if output.suffix:
        raise UpspecError(f"{output}: write samples to an .npz file or to a folder (a path without a suffix)")
    names = [output / f"sample-{i:04d}.png" for i in range(len(images))]
    taken = [p for p in names if p.exists()]
    if taken and not overwrite:
        raise WouldOverwrite(taken[0])
    output.mkdir(parents=True, exist_ok=True)
    for path, image in zip(names, images):
        pixels = (np.clip(image, 0, 1) * 255).round().astype("uint8")
        save_png(pixels[..., 0] if pixels.shape[-1] == 1 else pixels[..., :3], path)
