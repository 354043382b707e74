"""Options shared by several commands."""

from __future__ import annotations

from typing import Any
from typing import Callable

import click


def spec_overrides(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--strategy NAME`` and ``--set PATH=VALUE`` (repeatable)."""
    from upspec.cli.completion import complete_set
    from upspec.cli.completion import complete_strategy

    command = click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", shell_complete=complete_set,
                           help="Override one value, e.g. layers.up.filters=64 or train.epochs=2; repeatable.")(command)
    command = click.option("--strategy", metavar="NAME", default=None, shell_complete=complete_strategy,
                           help="Switch every upsample entry to this strategy.")(command)
    return command
