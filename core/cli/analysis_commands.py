"""``checkerboard`` and ``sweep``: comparing strategies."""

from __future__ import annotations

import json

import click

from .completion import complete_strategy_list
from .options import SpecArgument
from .options import force_option
from .options import output_option
from .options import progress_option
from .options import spec_overrides
from .terminal import keras_verbosity


@click.command()
@click.argument("source", type=SpecArgument(exists=True, dir_okay=True, runs=True))
@spec_overrides
@click.option("--seeds", default=5, show_default=True, type=click.IntRange(1, 100),
              help="Initialisations to measure (seeds 0..N-1).")
@output_option(file_okay=False, help="Folder for the PNGs and checkerboard.json (default: RUN/checkerboard for a "
                                     "run, runs/<spec name>/checkerboard-<timestamp>/ for a spec).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@force_option
def checkerboard(source: str, strategy: str | None, overrides: tuple[str, ...], seeds: int, output: str | None,
                 as_json: bool, force: bool) -> None:
    """Checkerboard measurements for each upsample entry of a SPEC, a run folder or a .keras model."""
    from ..runner.checkerboard import format_report
    from ..runner.checkerboard import run_checkerboard

    result = run_checkerboard(source, seeds=tuple(range(seeds)), out=output, strategy=strategy,
                              overrides=list(overrides), overwrite=force)
    click.echo(json.dumps(result.report, indent=2) if as_json else format_report(result.report))
    if not as_json:
        click.echo(f"pictures and checkerboard.json: {result.out}")


@click.command()
@click.argument("spec", required=False, type=SpecArgument(exists=True))
@spec_overrides
@click.option("--strategies", default="all", show_default=True, shell_complete=complete_strategy_list,
              help="Comma-separated strategy names, or 'all' (every registered one, plugins included).")
@click.option("--epochs", type=int, help="Override train.epochs for every strategy.")
@click.option("--steps", "steps_per_epoch", type=int, help="Override train.steps_per_epoch.")
@click.option("--batch-size", type=int, help="Override train.batch_size.")
@output_option(file_okay=False, help="Sweep folder (default: runs/<spec name>/sweep-<timestamp>/).")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False, exists=True),
              help="Continue an interrupted sweep; finished strategies are kept, not retrained.")
@click.option("--seeds", type=click.IntRange(1, 1000), help="Train each strategy with seeds 0..N-1 (default: the "
              "spec's train.seed); seed s gives every strategy the same data order.")
@click.option("--seed-list", callback=lambda ctx, param, value: _int_list(value, param), metavar="A,B,...",
              help="Train each strategy with these seeds instead.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where the (strategy, seed) jobs run: one after another here, or as Ray tasks "
                   "(pip install 'upspec[ray]').")
@click.option("--address", help="Ray cluster to join (default: start a local one). For --executor ray.")
@click.option("--cpus-per-trial", type=click.FloatRange(min=0), help="CPUs Ray reserves per job (default 1).")
@click.option("--gpus-per-trial", type=click.FloatRange(min=0), help="GPUs Ray reserves per job (default 0).")
@click.option("--tuned", "tuned", type=click.Path(file_okay=False), metavar="TUNE_DIR",
              help="Run each strategy at its best settings from an `upspec tune` folder (default strategies: the "
                   "tuned ones); without it the learning rate is shared and untuned, and the comparison says so.")
@click.option("--dry-run", is_flag=True, help="Print the plan (runs, strategies, steps) and stop before training.")
@progress_option(default=False)
def sweep(spec: str | None, strategy: str | None, overrides: tuple[str, ...], strategies: str, epochs: int | None,
          steps_per_epoch: int | None, batch_size: int | None, output: str | None, resume_dir: str | None,
          seeds: int | None, seed_list: list[int] | None, executor: str, address: str | None,
          cpus_per_trial: float | None, gpus_per_trial: float | None, tuned: str | None, dry_run: bool,
          progress: bool) -> None:
    """Train the same graph once per strategy and seed on the same data, and compare them."""
    from ..compare.comparison import markdown_table
    from ..compare.comparison import strategy_means
    from ..compare.executors import make_executor
    from ..compare.sweep import run_sweep

    if strategy:  # the old spelling: --strategy NAME sweeps that one strategy
        if strategies != "all":
            raise click.UsageError("give the strategies once: --strategies a,b")
        strategies = strategy
    if not spec and not resume_dir:
        raise click.UsageError("give a SPEC, or --resume SWEEP_DIR")
    train = {"epochs": epochs, "steps_per_epoch": steps_per_epoch, "batch_size": batch_size}
    if dry_run:
        from ..compare.sweep import plan_lines
        from ..compare.sweep import plan_sweep

        if resume_dir:
            raise click.UsageError("--dry-run plans a new sweep; it takes a SPEC, not --resume")
        planned, plan = plan_sweep(spec, strategies=strategies, overrides=list(overrides), train=train, seeds=seeds,
                                   seed_list=seed_list)
        for line in plan_lines(planned, plan):
            click.echo(line)
        return
    runner = make_executor(executor, address=address, cpus_per_trial=cpus_per_trial, gpus_per_trial=gpus_per_trial,
                           announce=click.echo)
    result = run_sweep(spec, strategies=strategies, overrides=list(overrides), out=output, resume=resume_dir,
                       train_overrides=train,
                       seeds=seeds, seed_list=seed_list, executor=runner, verbose=keras_verbosity(progress), tuned=tuned,
                       announce=click.echo)
    click.echo(markdown_table(strategy_means(result.rows)))
    click.echo(f"comparison: {result.folder / 'comparison.md'}")


def _int_list(value: str | None, param: click.Parameter) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"expected whole numbers separated by commas, got {value!r}", param=param) from None


for _param in sweep.params:  # --strategy is kept for old command lines, as a hidden alias of --strategies
    if _param.name == "strategy" and isinstance(_param, click.Option):
        _param.hidden = True


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def report(folder: str) -> None:
    """Write FOLDER/report.html for a run or a sweep folder from the files it holds (a run that stopped
    half-way too: the report says what is missing)."""
    from ..compare.sweep_html import write_html_report

    click.echo(f"wrote {write_html_report(folder)}")


def register(cli: click.Group) -> None:
    for command in (checkerboard, sweep, report):
        cli.add_command(command)
