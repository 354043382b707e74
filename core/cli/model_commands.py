"""``import`` and ``swap``: existing Keras models into specs, and another strategy in a trained model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ..errors import UpspecError
from ..files import WouldOverwrite
from .options import force_option

EXIT_BAD_INPUT = 2


class ModelFileError(UpspecError):
    """A ``.keras`` file that cannot be read; ``problems`` name the layers responsible, if known."""


def _unknown_layers(path: str) -> list[str]:
    """Layers of a saved model's config that Keras cannot rebuild here: Lambdas and unknown custom classes."""
    import json
    import zipfile

    import keras

    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return []
    found = []
    for layer in (config.get("config") or {}).get("layers", []):
        name = (layer.get("config") or {}).get("name", "?")
        class_name = layer.get("class_name", "?")
        if class_name == "Lambda":
            found.append(f"layer {name!r} (Lambda): runs Python code a spec cannot hold; replace it with a Keras "
                         f"layer or a plugin's layer (an upspec_layers hook)")
            continue
        registered = layer.get("registered_name") or class_name
        try:
            keras.saving.get_registered_object(registered) or getattr(keras.layers, class_name)
        except AttributeError:
            found.append(f"layer {name!r} ({registered}): a custom layer no installed plugin provides; install the "
                         f"package that defines it, or provide it from a plugin's upspec_layers hook")
    return found


def load_keras_model(path: str) -> Any:
    """A saved ``.keras`` model, read safely (no Lambda code is run); upspec's and plugins' layers known."""
    import keras

    import upspec

    upspec.register_keras_objects()
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as exc:
        problems = _unknown_layers(path)
        if problems:
            raise _Unsupported(path, problems) from exc
        raise ModelFileError(f"cannot read the Keras model {path}: {str(exc).strip().splitlines()[0]}") from exc


class _Unsupported(UpspecError):
    def __init__(self, path: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{path} cannot be written as a spec; {len(problems)} layer"
                         f"{'s' if len(problems) != 1 else ''} to change:\n" + "\n".join(f"  {p}" for p in problems))


def _fail(error: Exception) -> None:
    click.echo(f"upspec: error: {error}", err=True)
    raise click.exceptions.Exit(EXIT_BAD_INPUT)


def _refuse_existing(output: str, force: bool) -> None:
    if os.path.exists(output) and not force:  # bad usage: exit status 2
        _fail(WouldOverwrite(Path(output)))


@click.command("import")
@click.argument("model_file", metavar="MODEL.keras", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The spec to write (.yaml).")
@click.option("--keep-upsampling", is_flag=True, help="Leave upsampling layers as plain layers, not upsample: entries.")
@force_option
def import_model(model_file: str, output: str, keep_upsampling: bool, force: bool) -> None:
    """Write a saved functional or Sequential Keras model as a spec.

    One entry per layer with its non-default arguments; transpose convolutions, resize + convolution and
    convolution + depth-to-space become upsample: entries of the matching strategy, so --strategy and
    sweep work on the model. Layers a spec cannot hold are listed and nothing is written (exit status 2).
    """
    from ..files import write_text
    from ..interop.from_keras import UnsupportedModelError
    from ..interop.from_keras import spec_from_model
    from ..modelspec.load import load_spec

    _refuse_existing(output, force)
    try:
        imported = spec_from_model(load_keras_model(model_file), keep_upsampling=keep_upsampling)
    except (_Unsupported, UnsupportedModelError, ModelFileError) as error:
        _fail(error)
        return
    load_spec(imported.spec)  # a spec that does not load is never written
    write_text(output, imported.to_yaml(), overwrite=True)
    entries = imported.spec["layers"]
    upsampling = ", ".join(f"{e['id']} ({e['upsample']})" for e in entries if "upsample" in e) or "none recognised"
    click.echo(f"wrote {output}: {len(entries)} entries; upsampling: {upsampling}")


@click.command()
@click.argument("model_file", metavar="MODEL.keras", type=click.Path(exists=True, dir_okay=False))
@click.option("--strategy", required=True, metavar="NAME", help="The strategy to put in place of the upsampling.")
@click.option("--entries", metavar="ID,ID", help="Only these upsampling entries (layer names), comma-separated.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The model to write (.keras).")
@force_option
def swap(model_file: str, strategy: str, entries: str | None, output: str, force: bool) -> None:
    """Replace the upsampling steps of a saved Keras model with another strategy.

    Every other layer keeps its weights; prints which entries changed and how many parameters were added
    or removed. Train the result in your own code, or with `upspec import OUT.keras -o spec.yaml` and
    `upspec run spec.yaml --set ...`.
    """
    from ..files import atomic_path
    from ..interop.from_keras import UnsupportedModelError
    from ..interop.swap import swap as swap_model

    if not output.endswith(".keras"):
        raise click.BadParameter("the file name must end in .keras", param_hint="--output")
    _refuse_existing(output, force)
    chosen = [e.strip() for e in entries.split(",") if e.strip()] if entries else None
    try:
        result = swap_model(load_keras_model(model_file), strategy, entries=chosen)
    except (_Unsupported, UnsupportedModelError, ModelFileError) as error:
        _fail(error)
        return
    with atomic_path(output, overwrite=True) as tmp:
        result.model.save(tmp)
    for line in result.summary():
        click.echo(line)
    click.echo(f"saved {output}")


def register(cli: click.Group) -> None:
    for command in (import_model, swap):
        cli.add_command(command)
