"""Shell completion: strategy names, data sources, tasks and layer types from the registry.

click runs the CLI on every TAB with ``_UPSPEC_COMPLETE`` set; these functions answer from the plugins'
hooks without importing TensorFlow or building a model. Enable it with one line in the shell's start-up file
(see the README): ``eval "$(_UPSPEC_COMPLETE=bash_source upspec)"`` (``zsh_source``, or
``_UPSPEC_COMPLETE=fish_source upspec | source`` for fish).
"""

from __future__ import annotations

from typing import Any

from click.shell_completion import CompletionItem

#: ``--set`` paths offered before a ``=``: the ones whose values can be completed, then common numbers
SET_PATHS = ("data.source=", "data.task=", "train.epochs=", "train.steps_per_epoch=", "train.batch_size=",
             "train.learning_rate=", "train.seed=", "layers.")


def _registry() -> Any:
    from ..registry.registry import get_registry

    return get_registry(collect=False)


def _offered_names(hook: str) -> list[str]:
    """The names the plugins' ``hook`` returns, without the registry's validation of each (that needs pydantic
    and every strategy's type hints: too slow for a TAB)."""
    names: set[Any] = set()
    for _info, offered in _registry().call(hook):
        names.update(getattr(item, "name", None) for item in offered or ())
    return sorted(n for n in names if isinstance(n, str) and n)


def strategy_names() -> list[str]:
    return _offered_names("upspec_strategies")


def layer_names() -> list[str]:
    names: set[Any] = set()
    for _info, offered in _registry().call("upspec_layers"):
        names.update(offered if hasattr(offered, "keys") else ())
    return sorted(names)


def source_names() -> list[str]:
    return _offered_names("upspec_datasets")


def task_names() -> list[str]:
    from ..runner.data.sources import TASKS

    return list(TASKS)


def _matching(names: list[str], incomplete: str, prefix: str = "") -> list[CompletionItem]:
    return [CompletionItem(prefix + name) for name in names if name.startswith(incomplete)]


def complete_strategy(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    """``--strategy <TAB>``."""
    return _matching(strategy_names(), incomplete)


def complete_strategy_list(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    """``--strategies a,b,<TAB>``: the names not yet listed, after what is typed, and ``all``."""
    head, _, last = incomplete.rpartition(",")
    listed = set(head.split(",")) if head else set()
    names = [n for n in strategy_names() if n not in listed] + ([] if head else ["all"])
    return _matching(names, last, f"{head}," if head else "")


def complete_set(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    """``--set PATH=VALUE``: the value after ``data.source=``, ``data.task=``, ``layers.ID.upsample=`` and
    ``layers.ID.layer=``; otherwise the paths."""
    path, equals, value = incomplete.partition("=")
    if not equals:
        return [CompletionItem(p, type="plain") for p in SET_PATHS if p.startswith(incomplete)]
    names = {"data.source": source_names, "data.task": task_names}.get(path)
    if names is None and path.startswith("layers."):
        names = {"upsample": strategy_names, "layer": layer_names}.get(path.rpartition(".")[2])
    return _matching(names(), value, f"{path}=") if names else []
