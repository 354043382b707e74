"""Options shared by several commands."""

from __future__ import annotations

import os
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


class SpecArgument(click.Path):
    """A spec file, or the name of a shipped spec (``upspec specs`` lists them); a file that exists wins."""

    name = "spec"

    def __init__(self, exists: bool = False, dir_okay: bool = False) -> None:
        super().__init__(dir_okay=dir_okay, exists=exists)

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from upspec.errors import available
        from upspec.shipped import resolve_spec_argument
        from upspec.shipped import shipped_specs

        resolved = resolve_spec_argument(value)
        bare = isinstance(value, str) and value.isidentifier()
        if bare and resolved == value and not os.path.exists(value):
            self.fail(f"{value!r} is neither a file nor a shipped spec; {available(shipped_specs(), value)}", param, ctx)
        return super().convert(resolved, param, ctx)
