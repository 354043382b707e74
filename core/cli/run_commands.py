"""``run``, ``train``, ``evaluate``, ``predict``: the runner from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .options import RunArgument
from .options import SpecArgument
from .options import force_option
from .options import output_option
from .options import progress_option
from .options import spec_overrides
from .terminal import keras_verbosity
from ..errors import UpspecError
from ..files import WouldOverwrite
from ..runner.artefacts.export import EXPORT_FORMATS
from ..wording import plural


DISTRIBUTE = click.option(
    "--distribute", type=click.Choice(["none", "mirrored", "multi_worker"]),
    help="Override train.distribute: mirrored (local GPUs; UPSPEC_CPU_DEVICES=N splits the CPU) or "
         "multi_worker (the cluster in TF_CONFIG; run the same command on every worker).")


def _print_metrics(metrics: dict[str, Any]) -> None:
    rows = [(name, scores) for name, scores in metrics.items() if isinstance(scores, dict)]
    from ..wording import number

    if metrics["task"] == "generation":
        click.echo(f"samples against the training images ({metrics['test_images']} per set; {metrics['features']}):")
    else:
        kind = ("whole image", "whole images") if "convention" in metrics else ("test patch", "test patches")
        click.echo(f"test set ({plural(metrics['test_images'], *kind)}, task {metrics['task']}):")
    for name, scores in rows:
        sign = "+" if name == "gain" else ""
        click.echo(f"  {name:<12} " + "  ".join(
            f"PSNR {v:{sign}.2f} dB" if k == "psnr" else f"{k.upper()} {v:{sign}.4f}" if isinstance(v, float)
            else f"{k.upper()} {number(v)}" for k, v in scores.items() if isinstance(v, (int, float))))
    for warning in metrics.get("warnings", []):
        click.echo(f"upspec: warning: {warning}", err=True)


@click.command()
@click.argument("spec", type=SpecArgument())
@spec_overrides
@output_option(file_okay=False, help="Run folder, new or empty (default: runs/<spec name>/<timestamp>/, with "
                                     "runs/<spec name>/latest pointing at it).")
@click.option("--epochs", type=int, help="Override train.epochs.")
@click.option("--steps", "steps_per_epoch", type=int, help="Override train.steps_per_epoch.")
@click.option("--batch-size", type=int, help="Override train.batch_size.")
@click.option("--seed", type=int, help="Override train.seed.")
@DISTRIBUTE
@progress_option(default=True)
def run(spec: str, strategy: str | None, overrides: tuple[str, ...], output: str | None, epochs: int | None,
        steps_per_epoch: int | None, batch_size: int | None, seed: int | None, distribute: str | None,
        progress: bool) -> None:
    """Train, evaluate and report a spec on its data (default: super-resolution on real photos)."""
    from ..runner.run import run as run_spec

    result = run_spec(spec, strategy=strategy, overrides=list(overrides), out=output, verbose=keras_verbosity(progress),
                      train_overrides={"epochs": epochs, "steps_per_epoch": steps_per_epoch, "batch_size": batch_size,
                                       "seed": seed, "distribute": distribute},
                      announce=click.echo)
    _print_result(result)


def _print_result(result: Any) -> None:
    if not result.chief:
        click.echo("trained as a worker of a multi_worker run; the chief wrote the run folder and its report")
        return
    _print_metrics(result.metrics)
    click.echo(f"report: {result.run_dir / 'report.md'}")


@click.command()
@click.argument("spec", required=False, type=SpecArgument())
@spec_overrides
@click.option("--resume", "resume_dir", type=RunArgument(file_okay=False),
              help="Continue an interrupted run from its last checkpoint (a run folder, or runs/NAME/latest).")
@output_option(file_okay=False, help="Run folder, new or empty (default: runs/<spec name>/<timestamp>/).")
@click.option("--epochs", type=int)
@DISTRIBUTE
@progress_option(default=True)
def train(spec: str | None, strategy: str | None, overrides: tuple[str, ...], resume_dir: str | None,
          output: str | None, epochs: int | None, distribute: str | None, progress: bool) -> None:
    """Train a spec (like run), or --resume RUN_DIR after an interruption."""
    from ..runner.run import resume
    from ..runner.run import run as run_spec

    if resume_dir:
        result = resume(resume_dir, verbose=keras_verbosity(progress), announce=click.echo)
    elif spec:
        result = run_spec(spec, strategy=strategy, overrides=list(overrides), out=output, verbose=keras_verbosity(progress),
                          train_overrides={"epochs": epochs, "distribute": distribute}, announce=click.echo)
    else:
        raise click.UsageError("give a SPEC, or --resume RUN_DIR")
    _print_result(result)


@click.command()
@click.argument("run_dir", type=RunArgument(file_okay=False))
@click.option("--json", "as_json", is_flag=True)
def evaluate(run_dir: str, as_json: bool) -> None:
    """Evaluate a finished run's saved model on its spec's whole test images, in this process."""
    from ..runner.run import evaluate_run

    from ..runner.training.checkpoint import unfinished_message
    from ..runner.training.checkpoint import CHECKPOINT

    if not (Path(run_dir) / "model.keras").exists():
        if not (Path(run_dir) / "spec.yaml").exists():
            raise click.BadParameter(f"{run_dir} is not a run folder (no spec.yaml)", param_hint="RUN_DIR")
        raise UpspecError(unfinished_message(Path(run_dir), Path(run_dir) / CHECKPOINT))
    metrics = evaluate_run(run_dir)
    if as_json:
        click.echo(json.dumps(metrics, indent=2))
    else:
        _print_metrics(metrics)


@click.command()
@click.argument("model_path", type=RunArgument())
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@output_option(required=True, help="A folder for images, or a .npz file.")
@force_option
def predict(model_path: str, inputs: tuple[str, ...], output: str, force: bool) -> None:
    """Run a saved model (a run folder, runs/NAME/latest, or a .keras file) on images of any size, or an .npz
    (array 'x'); write PNGs in the inputs' channel layout, or an .npz."""
    import numpy as np

    from ..runner.evaluation.predict import predict as predict_images
    from ..files import atomic_path
    from ..runner.artefacts.inputs import output_folder
    from ..runner.evaluation.predict import write_image

    if len(inputs) == 1 and inputs[0].endswith(".npz"):
        if Path(output).exists() and not force:
            raise WouldOverwrite(Path(output))
        x = np.load(inputs[0])["x"].astype("float32")
        y = np.stack(predict_images(model_path, list(x)))
        with atomic_path(output, overwrite=force) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, x=x, y=y)
        click.echo(f"wrote {output} ({len(y)} predictions)")
        return
    folder = output_folder(output)
    targets = [folder / f"{Path(p).stem}.png" for p in inputs]
    taken = [t for t in targets if t.exists()]
    if taken and not force:
        raise WouldOverwrite(taken[0], f"{', '.join(map(str, taken))} already exist(s); refusing to overwrite "
                                       "(pass --force to replace, or pick another -o)")
    outputs = predict_images(model_path, list(inputs))
    folder.mkdir(parents=True, exist_ok=True)
    for target, image in zip(targets, outputs):
        write_image(target, image)
    click.echo(f"wrote {plural(len(outputs), 'image')} to {folder}")


@click.command()
@click.argument("model", type=RunArgument(exists=True))
@output_option(file_okay=False, help="Folder for saved_model/ and model.tflite (default: RUN/export, or export/ "
                                     "beside the .keras file).")
@click.option("--format", "formats", multiple=True, type=click.Choice(list(EXPORT_FORMATS)),
              help="What to write (repeatable; default SavedModel and TFLite, each where it can hold the model; onnx needs upspec[onnx] and is checked by ONNX Runtime).")
@click.option("--select-tf-ops", is_flag=True,
              help="TFLite's fallback: allow TensorFlow ops (the app then needs TFLite's Flex delegate).")
@force_option
def export(model: str, output: str | None, formats: tuple[str, ...], select_tf_ops: bool, force: bool) -> None:
    """Export a saved model (a run folder, `latest`, or a .keras file) to every format that can hold it.

    SavedModel is always written; each other format reports on one line whether it was written, and if not
    why and what to try. Fully convolutional models are exported with free height and width."""
    from ..runner.artefacts.export import FORMATS
    from ..runner.run import export as export_checked

    report = export_checked(model, output, formats=formats or FORMATS, overwrite=force, select_tf_ops=select_tf_ops)
    for line in report.lines():
        click.echo(line)


@click.command()
@click.argument("run_dir", type=RunArgument())
@click.option("-n", "count", default=64, show_default=True, type=click.IntRange(1), help="Number of samples.")
@output_option(required=True, help="An .npz file (array 'images', N x H x W x C in [0, 1]) or a folder for PNGs.")
@click.option("--seed", default=0, show_default=True, type=int, help="Latent seed: the same seed, the same samples.")
@click.option("--label", type=click.IntRange(0), default=None,
              help="A class-conditional generator's class to draw (default: every class in turn).")
@force_option
def generate(run_dir: str, count: int, output: str, seed: int, label: int | None, force: bool) -> None:
    """Samples from a trained GAN run's generator (a run folder or its model.keras)."""
    from ..gan.generate import generate as generate_samples

    images = generate_samples(run_dir, count, seed=seed, output=output, overwrite=force, label=label)
    click.echo(f"wrote {len(images)} samples {tuple(images.shape[1:])} to {output}")


def register(cli: click.Group) -> None:
    for command in (run, train, evaluate, predict, export, generate):
        cli.add_command(command)
