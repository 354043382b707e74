"""The ``upspec`` command line: a click group that plugins extend.

Exit status: 0 success, 2 a bad spec or bad usage, 1 anything else. Spec
errors print ``FILE:LINE:COL: error: ...`` and never a traceback (``--debug``
adds one).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
import warnings
from typing import Any

import click

from ..errors import BadInputError
from ..errors import NotFoundError
from ..errors import SpecError
from ..errors import UpspecError
from ..files import WouldOverwrite
from ..version import __version__

EXIT_FAILURE = 1
EXIT_BAD_SPEC = 2


def report_spec_error(error: SpecError) -> None:
    for diagnostic in error.diagnostics:
        click.echo(diagnostic.format(), err=True)
    count = len(error.diagnostics)
    click.echo(f"{count} error{'s' if count != 1 else ''}", err=True)


class UpspecGroup(click.Group):
    """Turns upspec's exceptions into messages and exit codes; asks plugins for commands only when a command
    list or an unknown command name needs them (``--version`` and completion of built-in commands never do)."""

    plugin_commands_added = False

    def _add_plugin_commands(self) -> None:
        if not self.plugin_commands_added:
            from ..registry.registry import get_registry

            self.plugin_commands_added = True
            get_registry(collect=False).call("upspec_commands", cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and not self.plugin_commands_added:
            self._add_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except SpecError as error:
            report_spec_error(error)
            self._traceback(ctx)
            ctx.exit(EXIT_BAD_SPEC)
        except WouldOverwrite as error:  # bad usage: the output is taken
            click.echo(f"upspec: error: {error}", err=True)
            ctx.exit(EXIT_BAD_SPEC)
        except (NotFoundError, BadInputError) as error:  # bad usage: a name or a file that cannot be used
            click.echo(f"upspec: error: {error}", err=True)
            self._traceback(ctx)
            ctx.exit(EXIT_BAD_SPEC)
        except UpspecError as error:  # an expected failure with its own message
            click.echo(f"upspec: error: {error}", err=True)
            self._traceback(ctx)
            ctx.exit(EXIT_FAILURE)
        except KeyboardInterrupt:
            click.echo("upspec: interrupted", err=True)
            resume = _resume_hint()
            if resume:
                click.echo(resume, err=True)
            ctx.exit(130)
        except Exception as error:  # the last line of defence: a message, not a traceback
            click.echo(f"upspec: error: {type(error).__name__}: {error}", err=True)
            if not self._traceback(ctx):
                click.echo("(run with --debug for the traceback)", err=True)
            ctx.exit(EXIT_FAILURE)

    @staticmethod
    def _traceback(ctx: click.Context) -> bool:
        if ctx.obj and ctx.obj.get("debug"):
            traceback.print_exc()
            return True
        return False


def _resume_hint() -> str:
    """The command that continues the run this process started and left unfinished, if any."""
    rundir = sys.modules.get("upspec.runner.artefacts.rundir")
    started = getattr(rundir, "STARTED", None)
    if not started:
        return ""
    run_dir = started[-1]
    if (run_dir / "model.keras").exists() or not (run_dir / "spec.yaml").exists():
        return ""
    return f"continue it with: upspec train --resume {run_dir}"


@click.group(cls=UpspecGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="upspec")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("--plugin", "plugins", multiple=True, metavar="MODULE_OR_FILE",
              help="Load an unpublished plugin (a module name or a .py file); repeatable.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, plugins: tuple[str, ...]) -> None:
    """upspec: YAML model specs with pluggable upsampling strategies, built into Keras models."""
    from ..registry.registry import get_registry

    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    for problem in get_registry().problems:
        click.echo(f"upspec: warning: {problem.format()}", err=True)


def _local_plugins(argv: list[str]) -> list[str]:
    """``--plugin`` values, read before click parses, so plugin commands exist."""
    found = []
    for i, arg in enumerate(argv):
        if arg == "--plugin" and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif arg.startswith("--plugin="):
            found.append(arg.partition("=")[2])
    return found


def make_cli(argv: list[str] | None = None) -> click.Group:
    from . import analysis_commands
    from . import inspect_commands
    from . import model_commands
    from . import plugin_commands
    from . import run_commands
    from . import tune_commands
    from ..registry.registry import use_local_plugins

    if argv is None:  # during shell completion the words typed so far stand in for the arguments
        argv = os.environ.get("COMP_WORDS", "").split()[1:] if "_UPSPEC_COMPLETE" in os.environ else sys.argv[1:]
    use_local_plugins(_local_plugins(argv))
    for module in (inspect_commands, plugin_commands, run_commands, analysis_commands, model_commands,
                   tune_commands):
        module.register(cli)
    cli.plugin_commands_added = False  # asked again (lazily): the plugins may have changed
    return cli


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    if not os.environ.get("UPSPEC_VERBOSE_TF") and not debug:  # absl lines that ignore TF_CPP_MIN_LOG_LEVEL
        from .terminal import filter_native_stderr

        filter_native_stderr()
    if not os.environ.get("UPSPEC_VERBOSE_TF"):  # TensorFlow's Python warnings (retracing, deprecations)
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", module=r"(tensorflow|keras)\b")
    before = os.environ.get("UPSPEC_VERBOSE_TF")
    if debug:  # converters' and TensorFlow's own output shown (upspec.quiet), for this command only
        os.environ["UPSPEC_VERBOSE_TF"] = "1"
    try:
        make_cli(argv).main(args=argv, prog_name="upspec")
    finally:
        if debug and before is None:
            os.environ.pop("UPSPEC_VERBOSE_TF", None)
