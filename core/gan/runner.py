"""A GAN run: build both networks, play the game with a checkpoint every epoch, judge the samples, report.

The run folder holds what any run's does (``spec.yaml``, ``model.keras`` (the generator), ``history.csv``,
``metrics.json``, ``tensorboard/``, ``report.md``, ``checkpoints/``) plus ``discriminator.keras``,
``samples/epoch-NNNN.png`` (the fixed latent batch after each epoch), ``samples_over_epochs.png``,
``spectrum.png`` and ``spectrum.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from typing import Callable

from ..errors import SpecError
from ..errors import NotFoundError
from ..files import write_bytes
from .train import SAMPLES
from .train import Game
from .train import GanState
from .train import load_checkpoint
from ..run.data import DataError
from ..modelspec.sections import DataSettings
from ..modelspec.sections import TrainSettings
from ..modelspec.sections import data_settings
from ..modelspec.sections import train_settings
from ..modelspec.model import Spec


def networks(spec: Spec, registry: Any) -> tuple[Any, Any]:
    """The generator and the discriminator, each compiled with its own ``compile:`` (its optimizer)."""
    from ..builder.builder import build_model
    from ..modelspec.load import sub_spec

    generator = build_model(spec, registry=registry)
    discriminator = build_model(sub_spec(spec, "discriminator", registry), registry=registry)
    return generator, discriminator


def load_real(spec: Spec, generator: Any, data: DataSettings, train: TrainSettings, registry: Any) -> Any:
    from .data import real_images

    shape = tuple(generator.output_shape[1:])
    try:
        return real_images(data.source, data.options, shape, registry, train_count=train.steps_per_epoch * train.batch_size,
                           held_out_count=data.test_patches, seed=train.seed)
    except (DataError, NotFoundError) as exc:
        raise SpecError([spec.diagnostic(("data",), f"the data cannot feed this GAN: {exc}",
                                         "see docs/runner.md for data sources")]) from None


def check_gan_data(spec: Spec, registry: Any) -> None:
    """Fail early (before a sweep folder exists) when the GAN's data settings or source are wrong."""
    from ..run.data import get_source

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


def play(spec: Spec, generator: Any, discriminator: Any, real: Any, train: TrainSettings, run_dir: Path,
         state: GanState, registry: Any, announce: Callable[[str], None]) -> list[dict[str, Any]]:
    game = Game(generator, discriminator, real.train, train, run_dir, _callbacks(spec, run_dir, registry))
    return game.play(state, announce)


def judge_generator(spec: Spec, generator: Any, real: Any, train: TrainSettings, registry: Any,
                    announce: Callable[[str], None] = lambda line: None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The generator's numbers beside the held-out floor and the untrained ceiling, and the radial spectra."""
    from ..builder.builder import build_model
    from .classifier import feature_classifier
    from .evaluate import Reference
    from .evaluate import evaluate_generator
    from .evaluate import upsampling_factor
    from ..run.train import seed_everything

    classifier = feature_classifier(real, announce)
    seed_everything(train.seed)  # the untrained generator is the run's starting point
    untrained = build_model(spec, registry=registry, compile=False)
    return evaluate_generator(generator, untrained, Reference.of(real, classifier), upsampling_factor(spec))


def evaluate_gan_run(run_dir: str | Path, registry: Any = None,
                     announce: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """A finished GAN run's numbers again, in this process (as in its metrics.json, less the warnings)."""
    from ..registry.registry import get_registry
    from ..run.models import load_model
    from ..modelspec.load import load_spec

    registry = registry or get_registry()
    run_dir = Path(run_dir)
    spec = load_spec(run_dir / "spec.yaml", registry=registry)
    generator = load_model(run_dir / "model.keras", registry)
    train, data = train_settings(spec), data_settings(spec)
    real = load_real(spec, generator, data, train, registry)
    return judge_generator(spec, generator, real, train, registry, announce)[0]


def finish(spec: Spec, generator: Any, discriminator: Any, real: Any, train: TrainSettings, data: DataSettings,
           run_dir: Path, rows: list[dict[str, Any]], registry: Any,
           announce: Callable[[str], None]) -> tuple[Path, dict[str, Any]]:
    """Judge the trained generator, write the pictures and the report; ``model.keras`` last (it marks the run done)."""
    from .evaluate import upsampling_factor
    from .pictures import curves_png
    from .pictures import grid_over_epochs
    from .pictures import spectrum_plot
    from .report import write_gan_report
    from ..run.models import save_model
    from ..run.rundir import write_json

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
    return run_dir, metrics


def run_gan(spec: Spec, *, registry: Any, root: str, out: str | None, train_overrides: dict[str, Any] | None,
            verbose: int, announce: Callable[[str], None]) -> tuple[Path, dict[str, Any]]:
    from ..run.rundir import new_run_dir
    from ..run.rundir import write_spec
    from ..run.train import seed_everything

    train = train_settings(spec, **(train_overrides or {}))
    data = data_settings(spec)
    seed_everything(train.seed)
    generator, discriminator = networks(spec, registry)
    real = load_real(spec, generator, data, train, registry)
    run_dir = new_run_dir(spec, root=root, out=out)
    announce(f"run folder: {run_dir}")
    spec = spec.resolved(train=train)  # the run's spec records every train setting it used
    write_spec(run_dir, spec)
    progress = announce if verbose else (lambda line: None)
    rows = play(spec, generator, discriminator, real, train, run_dir, GanState(), registry, progress)
    return finish(spec, generator, discriminator, real, train, data, run_dir, rows, registry, announce)


def resume_gan(spec: Spec, run_dir: Path, *, registry: Any, verbose: int,
               announce: Callable[[str], None]) -> tuple[Path, dict[str, Any]]:
    from ..run.task_data import history_rows
    from ..run.train import seed_everything

    train = train_settings(spec)
    data = data_settings(spec)
    state = GanState.read(run_dir)
    seed_everything(train.seed)
    if state.checkpoint:
        generator, discriminator, state = load_checkpoint(run_dir, registry)
    else:
        generator, discriminator = networks(spec, registry)
    real = load_real(spec, generator, data, train, registry)
    progress = announce if verbose else (lambda line: None)
    if state.epoch < train.epochs:
        rows = play(spec, generator, discriminator, real, train, run_dir, state, registry, progress)
    else:
        rows = history_rows(run_dir / "history.csv")
    return finish(spec, generator, discriminator, real, train, data, run_dir, rows, registry, announce)
