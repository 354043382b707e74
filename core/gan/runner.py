"""A GAN run: build both networks, play the game with a checkpoint every epoch, judge the samples, report.

The run folder holds what any run's does (``spec.yaml``, ``model.keras`` (the generator), ``history.csv``,
``metrics.json``, ``tensorboard/``, ``report.md``, ``checkpoints/``; with ``train.ema`` the generator is the
average of its weights) plus ``discriminator.keras``,
``samples/epoch-NNNN.png`` (the fixed latent batch after each epoch), ``samples_over_epochs.png``,
``spectrum.png`` and ``spectrum.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from typing import Callable

from ..builder.builder import build_model
from ..errors import NotFoundError
from ..errors import SpecError
from ..files import write_bytes
from ..registry.registry import get_registry
from ..modelspec.sections import DataSettings
from ..modelspec.gan import GanTrainSettings
from ..modelspec.sections import data_settings
from ..modelspec.gan import gan_train_settings
from ..runner.artefacts.models import load_model
from ..runner.artefacts.models import save_model
from ..runner.artefacts.rundir import new_run_dir
from ..runner.artefacts.rundir import write_json
from ..runner.artefacts.rundir import write_spec
from ..runner.data.sources import DataError
from ..runner.reporting.report import write_divergence_report
from ..runner.reporting.run_html import write_run_html
from ..runner.data.sources import get_source
from ..runner.training.framework import seed_everything
from ..runner.training.fit import TrainingDiverged
from ..runner.training.history import history_rows
from ..modelspec.gan import SECTION
from ..modelspec.load import load_spec
from ..modelspec.load import sub_spec
from ..modelspec.model import Spec
from .classifier import feature_classifier
from .condition import check_labels
from .condition import classes
from .data import real_images
from .ema import average_of
from .evaluate import Reference
from .evaluate import evaluate_generator
from .evaluate import upsampling_factor
from .pictures import curves_png
from .pictures import grid_over_epochs
from .pictures import spectrum_plot
from .report import write_gan_report
from .train import Game
from .train import GanState
from .train import SAMPLES
from .train import load_checkpoint


def networks(spec: Spec, registry: Any) -> tuple[Any, Any]:
    """The generator and the discriminator, each compiled with its own ``compile:`` (its optimizer)."""
    generator = build_model(spec, registry=registry)
    discriminator = build_model(sub_spec(spec, SECTION, registry), registry=registry)
    return generator, discriminator


def load_real(spec: Spec, shape: tuple[int, int, int], data: DataSettings, train: GanTrainSettings, registry: Any,
              classes: int | None = None) -> Any:
    """The real images for a generator whose samples have ``shape`` (batch axis left out) and, conditional, take
    ``classes`` classes: a positioned error when the source's labels do not fit them (``check_labels``)."""
    try:
        real = real_images(data.source, data.options, shape, registry, train_count=train.steps_per_epoch * train.batch_size,
                           held_out_count=data.test_patches, seed=train.seed)
    except (DataError, NotFoundError) as exc:
        raise SpecError([spec.diagnostic(("data",), f"the data cannot feed this GAN: {exc}",
                                         "see `upspec help data` for data sources")]) from None
    check_labels(spec, classes, real)
    return real


def image_shape(generator: Any) -> tuple[int, int, int]:
    """The shape of a generator's samples (height, width, channels)."""
    height, width, channels = generator.output_shape[1:]
    return height, width, channels


def check_gan_data(spec: Spec, registry: Any) -> None:
    """Fail early (before a sweep folder exists) when the GAN's data settings or source are wrong."""
    data = data_settings(spec)
    try:
        get_source(data.source, registry)
    except NotFoundError as exc:
        raise SpecError([spec.diagnostic(("data", "source"), f"{exc.message}", exc.hint)]) from None


def _callbacks(spec: Spec, run_dir: Path, registry: Any) -> list[Any]:
    found: list[Any] = []
    for _info, extra in registry.call("upspec_callbacks", strict=True, spec=spec, run_dir=str(run_dir)):
        found.extend(extra or ())
    return found


def play(spec: Spec, generator: Any, discriminator: Any, real: Any, train: GanTrainSettings, run_dir: Path,
         state: GanState, registry: Any, announce: Callable[[str], None], average: Any = None) -> list[dict[str, Any]]:
    game = Game(generator, discriminator, real.train, train, run_dir, _callbacks(spec, run_dir, registry), average,
                real.train_labels)
    try:
        return game.play(state, announce)
    except TrainingDiverged as diverged:  # report.md says so, as a supervised run's does
        write_divergence_report(run_dir, spec, diverged.record, train.learning_rate, generator)
        raise


def judge_generator(spec: Spec, generator: Any, real: Any, train: GanTrainSettings, registry: Any,
                    announce: Callable[[str], None] = lambda line: None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The generator's numbers beside the held-out floor and the untrained ceiling, and the radial spectra."""
    classifier = feature_classifier(real, announce)
    seed_everything(train.seed)  # the untrained generator is the run's starting point
    untrained = build_model(spec, registry=registry, compile=False)
    return evaluate_generator(generator, untrained, Reference.of(real, classifier), upsampling_factor(spec))


def evaluate_gan_run(run_dir: str | Path, registry: Any = None,
                     announce: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """A finished GAN run's numbers again, in this process (as in its metrics.json, less the warnings)."""
    registry = registry or get_registry()
    run_dir = Path(run_dir)
    spec = load_spec(run_dir / "spec.yaml", registry=registry)
    generator = load_model(run_dir / "model.keras", registry)
    train, data = gan_train_settings(spec), data_settings(spec)
    real = load_real(spec, image_shape(generator), data, train, registry, classes(generator))
    return judge_generator(spec, generator, real, train, registry, announce)[0]


def finish(spec: Spec, generator: Any, discriminator: Any, real: Any, train: GanTrainSettings, data: DataSettings,
           run_dir: Path, rows: list[dict[str, Any]], registry: Any,
           announce: Callable[[str], None]) -> tuple[Path, dict[str, Any]]:
    """Judge the trained generator, write the pictures and the report; ``model.keras`` last (it marks the run done)."""
    metrics, spectra = judge_generator(spec, generator, real, train, registry, announce)
    factor = upsampling_factor(spec)
    state = GanState.read(run_dir)
    if state.warnings:
        metrics["warnings"] = list(state.warnings)
    write_json(run_dir / "metrics.json", metrics)
    write_json(run_dir / "spectrum.json", {name: {"frequency": f.tolist(), "power": p.tolist()}
                                            for name, (f, p) in spectra.items()})
    size = generator.output_shape[1]
    spectrum_plot(spectra, run_dir / "spectrum.png", [k / factor[0] for k in range(1, factor[0] // 2 + 1)],
                  title=f"{spec.name}: azimuthally averaged power spectrum")
    if rows:
        curves_png(rows, run_dir / "learning_curves.png")
    epochs = sorted((run_dir / SAMPLES).glob("epoch-*.npy"))
    grid_over_epochs(epochs, run_dir / "samples_over_epochs.png")
    last = sorted((run_dir / SAMPLES).glob("epoch-*.png"))
    if last:
        write_bytes(run_dir / "samples.png", last[-1].read_bytes())
    write_gan_report(run_dir, spec, metrics, {**train.model_dump(), "source": data.source,
                                              "gan_loss": train.gan_loss or "non_saturating"}, size)
    save_model(discriminator, run_dir / "discriminator.keras", overwrite=True)
    save_model(generator, run_dir / "model.keras")
    write_run_html(run_dir)
    return run_dir, metrics


def run_gan(spec: Spec, *, registry: Any, root: str, out: str | None, train_overrides: dict[str, Any] | None,
            verbose: int, announce: Callable[[str], None]) -> tuple[Path, dict[str, Any]]:
    train = gan_train_settings(spec, **(train_overrides or {}))
    data = data_settings(spec)
    seed_everything(train.seed)
    generator, discriminator = networks(spec, registry)
    real = load_real(spec, image_shape(generator), data, train, registry, classes(generator))
    run_dir = new_run_dir(spec, root=root, out=out)
    announce(f"run folder: {run_dir}")
    spec = spec.resolved(train=train)  # the run's spec records every train setting it used, as a new spec
    write_spec(run_dir, spec)
    progress = announce if verbose else (lambda line: None)
    average = average_of(generator) if train.ema else None
    rows = play(spec, generator, discriminator, real, train, run_dir, GanState(), registry, progress, average)
    return finish(spec, average or generator, discriminator, real, train, data, run_dir, rows, registry, announce)


def resume_gan(spec: Spec, run_dir: Path, *, registry: Any, verbose: int,
               announce: Callable[[str], None]) -> tuple[Path, dict[str, Any]]:
    train = gan_train_settings(spec)
    data = data_settings(spec)
    state = GanState.read(run_dir)
    seed_everything(train.seed)
    if state.checkpoint:
        generator, discriminator, average, state = load_checkpoint(run_dir, registry)
    else:
        generator, discriminator = networks(spec, registry)
        average = None
    if train.ema and average is None:  # no checkpoint yet: the average starts as a copy
        average = average_of(generator)
    real = load_real(spec, image_shape(generator), data, train, registry, classes(generator))
    progress = announce if verbose else (lambda line: None)
    if state.epoch < train.epochs:
        rows = play(spec, generator, discriminator, real, train, run_dir, state, registry, progress, average)
    else:
        rows = history_rows(run_dir / "history.csv")
    return finish(spec, average or generator, discriminator, real, train, data, run_dir, rows, registry, announce)
