"""``run``, ``train``, ``evaluate``, ``predict``: the runner from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from upspec.cli.options import SpecArgument
from upspec.cli.options import spec_overrides


def _print_metrics(metrics: dict[str, Any]) -> None:
    rows = [(name, scores) for name, scores in metrics.items() if isinstance(scores, dict)]
    click.echo(f"test set ({metrics['test_images']} patches, task {metrics['task']}):")
    for name, scores in rows:
        click.echo(f"  {name:<12} " + "  ".join(f"{k.upper()} {v:.4f}" if k != "psnr" else f"PSNR {v:.2f} dB"
                                                for k, v in scores.items()))
    for warning in metrics.get("warnings", []):
        click.echo(f"upspec: warning: {warning}", err=True)


@click.command()
@click.argument("spec", type=SpecArgument())
@spec_overrides
@click.option("--out", type=click.Path(file_okay=False), help="Run folder (default: runs/<spec name>/<timestamp>/).")
@click.option("--epochs", type=int, help="Override train.epochs.")
@click.option("--steps", "steps_per_epoch", type=int, help="Override train.steps_per_epoch.")
@click.option("--batch-size", type=int, help="Override train.batch_size.")
@click.option("--seed", type=int, help="Override train.seed.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run(spec: str, strategy: str | None, overrides: tuple[str, ...], out: str | None, epochs: int | None,
        steps_per_epoch: int | None, batch_size: int | None, seed: int | None, quiet: bool) -> None:
    """Train, evaluate and report a spec on its data (default: super-resolution on real photos)."""
    from upspec.run.runner import run as run_spec

    result = run_spec(spec, strategy=strategy, overrides=list(overrides), out=out, verbose=0 if quiet else 1,
                      train_overrides={"epochs": epochs, "steps_per_epoch": steps_per_epoch, "batch_size": batch_size,
                                       "seed": seed},
                      announce=click.echo)
    _print_metrics(result.metrics)
    click.echo(f"report: {result.run_dir / 'report.md'}")


@click.command()
@click.argument("spec", required=False, type=SpecArgument())
@spec_overrides
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False, exists=True),
              help="Continue an interrupted run from its last checkpoint.")
@click.option("--out", type=click.Path(file_okay=False))
@click.option("--epochs", type=int)
@click.option("--quiet", is_flag=True)
def train(spec: str | None, strategy: str | None, overrides: tuple[str, ...], resume_dir: str | None,
          out: str | None, epochs: int | None, quiet: bool) -> None:
    """Train a spec (like run), or --resume RUN_DIR after an interruption."""
    from upspec.run.runner import resume
    from upspec.run.runner import run as run_spec

    if resume_dir:
        result = resume(resume_dir, verbose=0 if quiet else 1)
    elif spec:
        result = run_spec(spec, strategy=strategy, overrides=list(overrides), out=out, verbose=0 if quiet else 1,
                          train_overrides={"epochs": epochs}, announce=click.echo)
    else:
        raise click.UsageError("give a SPEC, or --resume RUN_DIR")
    _print_metrics(result.metrics)
    click.echo(f"report: {result.run_dir / 'report.md'}")


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True)
def evaluate(run_dir: str, as_json: bool) -> None:
    """Evaluate a finished run's saved model on its spec's test data, in this process."""
    from upspec.registry.registry import get_registry
    from upspec.run.evaluate import evaluate as evaluate_model
    from upspec.run.models import load_model
    from upspec.run.train import evaluation_data
    from upspec.spec.load import load_spec

    registry = get_registry()
    spec = load_spec(Path(run_dir) / "spec.yaml", registry=registry)
    model = load_model(Path(run_dir) / "model.keras")
    dataset = evaluation_data(spec, model, registry)
    metrics = evaluate_model(model, dataset.shapes, dataset.test)
    if as_json:
        click.echo(json.dumps(metrics, indent=2))
    else:
        _print_metrics(metrics)


def _check_input(shape: tuple, model: Any, path: str) -> None:
    want = tuple(model.input_shape[1:])
    if len(shape) != len(want) or any(w is not None and w != h for w, h in zip(want, shape)):
        raise click.BadParameter(f"{path}: the input is {tuple(shape)} but the model takes {want} "
                                 "(crop or resize it to the model's input first)", param_hint="INPUTS")


@click.command()
@click.argument("model_path", type=click.Path(dir_okay=False, exists=True))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", required=True, type=click.Path(), help="A folder for images, or a .npz file.")
def predict(model_path: str, inputs: tuple[str, ...], output: str) -> None:
    """Run a saved model on image files or an .npz (array 'x'); write images or an .npz."""
    import numpy as np

    from upspec.files import atomic_path
    from upspec.run.data import to_channels
    from upspec.run.models import load_model

    model = load_model(model_path)
    channels = model.input_shape[-1]
    if len(inputs) == 1 and inputs[0].endswith(".npz"):
        x = np.load(inputs[0])["x"].astype("float32")
        names = [f"{i:04d}" for i in range(len(x))]
    else:
        from PIL import Image

        images = [to_channels(np.asarray(Image.open(p).convert("RGB"), "float32") / 255.0, channels) for p in inputs]
        for path, image in zip(inputs, images):
            _check_input(image.shape, model, path)
        x = np.stack(images)
        names = [Path(p).stem for p in inputs]
    _check_input(x.shape[1:], model, inputs[0])
    y = np.asarray(model.predict(x, verbose=0))
    if output.endswith(".npz"):
        with atomic_path(output, overwrite=False) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, x=x, y=y)
        click.echo(f"wrote {output} ({len(y)} predictions)")
        return
    from PIL import Image

    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    for name, image in zip(names, y):
        pixels = (np.clip(image, 0, 1) * 255).round().astype("uint8")
        pixels = pixels[..., 0] if pixels.shape[-1] == 1 else pixels[..., :3]
        with atomic_path(folder / f"{name}.png", overwrite=False) as tmp:
            Image.fromarray(pixels).save(tmp, format="PNG")
    click.echo(f"wrote {len(y)} images to {folder}")


def _model_and_strategies(source: str) -> tuple[Path, dict[str, str]]:
    """A run folder (its model.keras and spec.yaml) or a .keras file (with a spec.yaml beside it, if any)."""
    from upspec.run.rundir import run_files

    model_path, spec_path = run_files(source)
    if model_path is None or not model_path.is_file():
        raise click.BadParameter(f"{source} holds no model.keras (is it a finished run folder?)", param_hint="MODEL")
    strategies: dict[str, str] = {}
    if spec_path.is_file():
        from upspec.spec.load import load_spec

        try:
            spec = load_spec(spec_path)
            strategies = {e.id: e.upsample for e in spec.layers if e.upsample and e.id}
        except Exception:  # noqa: BLE001 - the names only improve an error message
            strategies = {}
    return model_path, strategies


@click.command()
@click.argument("model", type=click.Path(exists=True))
@click.option("-o", "--out", type=click.Path(file_okay=False),
              help="Folder for saved_model/ and model.tflite (default: RUN_DIR/export or beside the .keras file).")
@click.option("--format", "formats", multiple=True, type=click.Choice(["saved_model", "tflite"]),
              help="What to write (repeatable; default both).")
@click.option("--select-tf-ops", is_flag=True, help="Let TFLite fall back to TensorFlow ops (needs the Flex delegate).")
@click.option("--force", is_flag=True, help="Replace an earlier export.")
def export(model: str, out: str | None, formats: tuple[str, ...], select_tf_ops: bool, force: bool) -> None:
    """Export a saved model (a .keras file or a run folder) to a TensorFlow SavedModel and TFLite."""
    from upspec.run.export import FORMATS
    from upspec.run.export import export as export_model
    from upspec.run.models import load_model

    model_path, strategies = _model_and_strategies(model)
    target = Path(out) if out else model_path.parent / "export"
    written = export_model(load_model(model_path), target, formats=formats or FORMATS, overwrite=force,
                           select_tf_ops=select_tf_ops, strategies=strategies)
    for fmt, path in written.items():
        click.echo(f"wrote {path} ({fmt})")


def register(cli: click.Group) -> None:
    for command in (run, train, evaluate, predict, export):
        cli.add_command(command)
