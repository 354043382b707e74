"""Options shared by several commands."""

from __future__ import annotations

import functools
import os
from typing import Any
from typing import Callable

import click


def spec_overrides(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--strategy NAME``, ``--set PATH=VALUE`` (repeatable), and the budgets ``--max-params`` / ``--max-memory``
    (passed on as ``--set limits.max_params=N`` / ``limits.max_memory=SIZE``)."""

    from .completion import complete_set
    from .completion import complete_strategy

    inner = command

    @functools.wraps(inner)
    def with_limits(*args: Any, max_params: str | None = None, max_memory: str | None = None, **kwargs: Any) -> Any:
        extra = [f"limits.max_params={max_params}"] if max_params is not None else []
        extra += [f"limits.max_memory={max_memory}"] if max_memory is not None else []
        if extra:
            kwargs["overrides"] = (*kwargs.get("overrides", ()), *extra)
        return inner(*args, **kwargs)

    command = click.option("--max-memory", metavar="SIZE", default=None,
                           help="Budget of activation memory per example, e.g. '16 GiB' (default 4 GiB).")(with_limits)
    command = click.option("--max-params", metavar="N", default=None,
                           help="Budget of the model's estimated parameter count (default 200,000,000).")(command)
    command = click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", shell_complete=complete_set,
                           callback=_check_overrides,
                           help="Override one value, e.g. layers.up.filters=64 or train.epochs=2; repeatable.")(command)
    command = click.option("--strategy", metavar="NAME", default=None, shell_complete=complete_strategy,
                           help="Switch every upsample entry to this strategy.")(command)
    return command


def _check_overrides(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """``--set PATH VALUE`` (a space for the '=') would take VALUE as the SPEC: refuse it here, naming the fix."""
    for text in value:
        if "=" not in text:
            raise click.BadParameter(f"{text!r} is not PATH=VALUE; write it as one word: --set {text}=VALUE "
                                     f"(e.g. --set layers.up.filters=64)", ctx=ctx, param=param)
    return value


class SpecArgument(click.Path):
    """A spec file, or the name of a shipped spec (``upspec specs`` lists them); a file that exists wins."""

    name = "spec"

    def __init__(self, exists: bool = False, dir_okay: bool = False, runs: bool = False) -> None:
        super().__init__(dir_okay=dir_okay, exists=exists)
        self.runs = runs  # a run folder (runs/NAME/latest too) is accepted as well

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from ..errors import available
        from ..shipped import resolve_spec_argument
        from ..shipped import shipped_specs

        if self.runs:
            from ..runner.artefacts.rundir import resolve_run

            value = str(resolve_run(value))
        resolved = resolve_spec_argument(value)
        bare = isinstance(value, str) and value.isidentifier()
        if bare and resolved == value and not os.path.exists(value):
            self.fail(f"{value!r} is neither a file nor a shipped spec; {available(shipped_specs(), value)}", param, ctx)
        return super().convert(resolved, param, ctx)


def _no_progress(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta["upspec.no_progress"] = True
        if "progress" in ctx.params:
            ctx.params["progress"] = False


def progress_option(default: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--progress/--quiet`` for every command that trains (``--no-progress`` stays as a hidden alias).

    The command receives ``progress`` (bool); :func:`upspec.cli.terminal.keras_verbosity` turns it into
    Keras's ``verbose``: a bar on a colour terminal, one plain line per epoch otherwise (or with NO_COLOR).
    """

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option("--no-progress", is_flag=True, hidden=True, expose_value=False, callback=_no_progress,
                               help="Old spelling of --quiet.")(command)
        return click.option(
            "--progress/--quiet", "progress", default=default, show_default=True,
            callback=lambda ctx, param, value: False if ctx.meta.get("upspec.no_progress") else value,
            help="Keras progress while training: a bar on a terminal, one plain line per epoch when stdout is "
                 "not a terminal or NO_COLOR is set; --quiet: none.")(command)

    return decorate


def _old_out(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None:
        ctx.meta["upspec.old_out"] = value
        if "output" in ctx.params and ctx.params["output"] is None:
            ctx.params["output"] = value


def output_option(*, help: str, required: bool = False, file_okay: bool = True,
                  dir_okay: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``-o/--output PATH``: the one spelling of every command's output (``--out`` stays as a hidden alias).
    The command receives ``output``."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option("--out", hidden=True, expose_value=False, callback=_old_out, is_eager=False,
                               type=click.Path(file_okay=file_okay, dir_okay=dir_okay),
                               help="Old spelling of --output.")(command)
        return click.option("-o", "--output", "output", required=False, default=None,
                            type=click.Path(file_okay=file_okay, dir_okay=dir_okay),
                            callback=lambda ctx, param, value: _required_output(ctx, value, required),
                            help=help)(command)

    return decorate


def _required_output(ctx: click.Context, value: Any, required: bool) -> Any:
    value = value if value is not None else ctx.meta.get("upspec.old_out")
    if value is None and required:
        raise click.MissingParameter(ctx=ctx, param_hint="'-o' / '--output'", param_type="option")
    return value


#: ``--force``: the one overwrite rule; without it nothing that exists is replaced (exit 2)
force_option = click.option("--force", is_flag=True, help="Replace what the output already holds.")


class RunArgument(click.Path):
    """A run folder (``runs/NAME/latest`` names the newest run of NAME), or a saved model file."""

    name = "run"

    def __init__(self, exists: bool = True, file_okay: bool = True) -> None:
        super().__init__(exists=exists, file_okay=file_okay)

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from ..runner.artefacts.rundir import resolve_run

        return super().convert(str(resolve_run(value)), param, ctx)
