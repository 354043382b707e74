"""``tune``: search each strategy's settings before a comparison."""

from __future__ import annotations

import click

from .completion import complete_strategy_list
from .options import SpecArgument
from .options import spec_overrides


@click.command()
@click.argument("spec", type=SpecArgument(exists=True))
@spec_overrides
@click.option("--strategies", required=True, shell_complete=complete_strategy_list,
              help="Comma-separated strategy names (each gets a search of its own), or 'all'.")
@click.option("--trials", default=10, show_default=True, type=click.IntRange(1, 100_000),
              help="Finished trials (complete or pruned) per strategy.")
@click.option("--seeds", default=1, show_default=True, type=click.IntRange(1, 100),
              help="Seeds each trial trains with (0..K-1); its value is the mean over them.")
@click.option("--epochs", type=click.IntRange(1), help="Override train.epochs for every trial.")
@click.option("--steps", "steps_per_epoch", type=click.IntRange(1), help="Override train.steps_per_epoch.")
@click.option("--batch-size", type=click.IntRange(1), help="Override train.batch_size (unless searched).")
@click.option("--search", "search", multiple=True, metavar="PATH=RANGE",
              help="A searched value, e.g. 'train.batch_size={choice: [8, 16]}' or "
                   "'compile.optimizer.learning_rate={loguniform: [1.0e-4, 1.0e-2]}'; repeatable; over the "
                   "spec's search: section (default: train.learning_rate, loguniform 1e-4..1e-2).")
@click.option("--metric", default="val_loss", show_default=True,
              help="The validation value each trial is scored and pruned on (val_psnr, val_ssim are maximised).")
@click.option("--sampler", type=click.Choice(["tpe", "grid"]), default="tpe", show_default=True,
              help="Optuna's TPE, or every combination of the choices.")
@click.option("--pruner", type=click.Choice(["asha", "none"]), default="asha", show_default=True,
              help="Successive halving on the metric after each epoch, or none.")
@click.option("--out", type=click.Path(file_okay=False),
              help="Tune folder (default: runs/<spec name>/tune-<timestamp>/); an existing one continues.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Optuna in this process (SQLite study in the folder), or Ray Tune (pip install 'upspec[ray]').")
@click.option("--address", help="Ray cluster to join (default: start a local one). For --executor ray.")
@click.option("--cpus-per-trial", type=click.FloatRange(min=0), help="CPUs Ray reserves per trial (default 1).")
@click.option("--gpus-per-trial", type=click.FloatRange(min=0), help="GPUs Ray reserves per trial (default 0).")
def tune(spec: str, strategy: str | None, overrides: tuple[str, ...], strategies: str, trials: int, seeds: int,
         epochs: int | None, steps_per_epoch: int | None, batch_size: int | None, search: tuple[str, ...],
         metric: str, sampler: str, pruner: str, out: str | None, executor: str, address: str | None,
         cpus_per_trial: float | None, gpus_per_trial: float | None) -> None:
    """Search each strategy's settings (learning rate by default) on the validation set; writes the best
    settings per strategy as spec overlays, a table, a figure and the search's cost."""
    from ..tune import run_tune

    if strategy:
        raise click.UsageError("upspec tune takes --strategies a,b (each strategy gets its own search)")
    run_tune(spec, strategies=strategies, trials=trials, seeds=seeds, epochs=epochs, steps_per_epoch=steps_per_epoch,
             batch_size=batch_size, overrides=overrides, search=search, metric=metric, out=out, executor=executor,
             sampler=sampler, pruner=pruner, address=address, cpus_per_trial=cpus_per_trial,
             gpus_per_trial=gpus_per_trial, announce=click.echo)


def register(cli: click.Group) -> None:
    cli.add_command(tune)
