"""``checkerboard`` and ``sweep``: comparing strategies."""

from __future__ import annotations

import json

import click

from upspec.cli.options import spec_overrides


@click.command()
@click.argument("source", type=click.Path(exists=True))
@spec_overrides
@click.option("--seeds", default=5, show_default=True, type=click.IntRange(1, 100),
              help="Initialisations to measure (seeds 0..N-1).")
@click.option("--out", type=click.Path(file_okay=False), help="Folder for the PNGs and checkerboard.json.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def checkerboard(source: str, strategy: str | None, overrides: tuple[str, ...], seeds: int, out: str | None,
                 as_json: bool) -> None:
    """Checkerboard measurements for each upsample entry of a SPEC, a run folder or a .keras model."""
    from upspec.analysis.checkerboard_job import format_report
    from upspec.analysis.checkerboard_job import run_checkerboard

    result = run_checkerboard(source, seeds=tuple(range(seeds)), out=out, strategy=strategy,
                              overrides=list(overrides))
    click.echo(json.dumps(result.report, indent=2) if as_json else format_report(result.report))
    if not as_json:
        click.echo(f"pictures and checkerboard.json: {result.out}")


def register(cli: click.Group) -> None:
    for command in (checkerboard,):
        cli.add_command(command)
