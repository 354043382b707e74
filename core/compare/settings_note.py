"""What settings each strategy of a sweep ran with, and how they were found: the tuned ones of an
``upspec tune`` folder (``--tuned``), or the spec's one learning rate, shared and untuned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import Diagnostic
from ..errors import SpecError
from ..modelspec.load import load_spec
from ..modelspec.sections import train_settings
from ..registry.registry import Registry
from ..tune import read_tuned


def tuned_settings(folder: str, source: Any, strategies: list[str]) -> tuple[dict[str, list[str]], str]:
    """Per strategy its tuned ``--set`` texts, and the sentence saying how they were found; positioned errors
    (before any training) for a folder that is no finished tune of this spec covering ``strategies``."""
    data = read_tuned(Path(folder), strategies)
    here = str(Path(source).resolve()) if isinstance(source, (str, Path)) else None
    if here is not None and isinstance(data.get("source"), str) and data["source"] != here:
        raise SpecError([Diagnostic(f"--tuned {folder}", 1, len("--tuned ") + 1,
                                    f"the search in {folder} tuned another spec ({data['source']}), not {here}",
                                    "tune this spec first: upspec tune SPEC --strategies ... --out DIR")])
    tuned = {name: list(data["strategies"][name]["overrides"]) for name in strategies}
    return tuned, f"{data['method']} (tune folder `{Path(folder).resolve()}`)"


def tuned_strategies(folder: str) -> list[str]:
    """The strategies a tune folder tuned (``sweep --tuned DIR`` without ``--strategies`` compares them)."""
    from ..tune.plan import TunePlan

    try:
        return list(TunePlan.read(Path(folder)).strategies)
    except Exception:  # noqa: BLE001 - read_tuned reports the folder's problem, positioned
        read_tuned(Path(folder), [])
        raise


def shared_rate(source: Any, overrides: list[str], train: dict[str, Any], strategy: str, registry: Registry) -> str:
    """The learning rate every strategy shared, in words."""
    spec = load_spec(source, strategy=strategy, overrides=overrides, registry=registry)
    rate = train_settings(spec, **train).learning_rate
    if rate is not None:
        return f"train.learning_rate {rate:g}"
    optimizer = spec.compile.optimizer
    given = optimizer.arguments.get("learning_rate")
    if given is not None:
        return f"the {optimizer.name} optimizer's learning_rate {given:g}"
    return f"the {optimizer.name} optimizer's default learning rate"


def settings_section(tuned: dict[str, list[str]], method: str, shared: str) -> str:
    """comparison.md's section on the settings each strategy ran with."""
    if not tuned:
        return ("## Settings\n\nThe learning rate was shared and untuned: every strategy ran with "
                f"{shared} (no `--tuned`; `upspec tune` searches each strategy's own).\n\n")
    rows = "".join(f"| {name} | {', '.join(f'`{o}`' for o in overrides) or '(the spec as it is)'} |\n"
                   for name, overrides in tuned.items())
    return ("## Settings\n\nEach strategy ran at its own tuned settings, found by " + method + ".\n\n"
            "| strategy | settings |\n|---|---|\n" + rows + "\n")
