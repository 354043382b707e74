"""Plugins in pluggy, each isolated: a plugin whose hook raises is named and the others keep working.

pluggy calls the implementations itself (its order, ``tryfirst`` / ``trylast``, wrappers), and upspec
writes into none of pluggy's objects. What it registers for a plugin is a :class:`GuardedPlugin`: a stand-in
whose hook functions are the plugin's, each wrapped when the plugin is registered (:func:`guarded`). The
wrapped function closes over its plugin, so a failure is named exactly, and it records what it returned
in the hook call in progress (:class:`HookCall`), so each result keeps its plugin. Wrapper implementations
(``wrapper=True`` / ``hookwrapper=True``) are registered as written and see the plain results.
Unknown hooks are pluggy's to find: :meth:`pluggy.PluginManager.check_pending`.
"""

from __future__ import annotations

import contextvars
import functools
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Callable
from typing import Sequence

import pluggy

from ..errors import PluginError
from ..errors import available
from .plugin_info import WRAPPER
from .plugin_info import PluginInfo
from .plugin_info import PluginProblem


@dataclass
class HookCall:
    """One call of a hook through :func:`call_hook`: how failures are handled, and what each plugin returned."""

    hook: str
    strict: bool
    problems: list[PluginProblem]
    #: ``(plugin, result)`` in the order pluggy called the implementations; ``None`` left out, as pluggy does
    returned: list[tuple[PluginInfo, Any]] = field(default_factory=list)

    def failed(self, info: PluginInfo, exc: BaseException) -> None:
        """Record the failure of ``info``'s implementation; with ``strict``, raise it as a :class:`PluginError`."""
        shown = f"{type(exc).__name__}({exc.code!r})" if isinstance(exc, SystemExit) else f"{type(exc).__name__}: {exc}"
        message = f"hook {self.hook}() raised {shown}"
        if self.strict:
            raise PluginError(info.name, info.distribution, message) from exc
        self.problems.append(PluginProblem(info, message))

    def attribute(self, results: Sequence[Any]) -> list[tuple[PluginInfo, Any]]:
        """``(plugin, result)`` for each result in pluggy's list. A list no wrapper changed is what the
        implementations returned, in order; through a wrapper that filtered or reordered it, each result is
        the one object an implementation returned (each return matched once, in call order), and a result no
        implementation returned was added by a wrapper (:data:`WRAPPER`)."""
        unmatched = list(self.returned)
        attributed = []
        for result in results:
            index = next((i for i, (_, value) in enumerate(unmatched) if value is result), None)
            attributed.append((WRAPPER, result) if index is None else unmatched.pop(index))
        return attributed


#: the hook call in progress (hook calls may nest: a callback hook during a command hook)
_CALL: contextvars.ContextVar[HookCall | None] = contextvars.ContextVar("upspec_hook_call", default=None)


def guarded(function: Callable[..., Any], info: PluginInfo) -> Callable[..., Any]:
    """``function``, one of ``info``'s hook implementations, turning a failure (any ``BaseException`` but
    ``KeyboardInterrupt``: a plugin's ``SystemExit`` is a plugin failure, not an exit) into a
    :class:`PluginProblem` of the call in progress, and recording its result there."""

    @functools.wraps(function)  # pluggy reads the signature and the ``upspec_impl`` options through it
    def guarded_function(*args: Any, **kwargs: Any) -> Any:
        call = _CALL.get()
        try:
            result = function(*args, **kwargs)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - see the docstring
            if call is None:
                raise
            call.failed(info, exc)
            return None
        if call is not None and result is not None:
            call.returned.append((info, result))
        return result

    return guarded_function


class GuardedPlugin:
    """What upspec registers with pluggy for one plugin: its hook implementations, each :func:`guarded`."""

    def __init__(self, plugin: object, info: PluginInfo, pm: pluggy.PluginManager) -> None:
        self.plugin = plugin
        self.info = info
        for name in dir(plugin):
            options = pm.parse_hookimpl_opts(plugin, name)
            if options is None:
                continue
            function = getattr(plugin, name)
            setattr(self, name, function if options.get("wrapper") or options.get("hookwrapper") else guarded(function, info))

    def __repr__(self) -> str:
        return f"<{self.info.label}>"


def register(pm: pluggy.PluginManager, plugin: object, info: PluginInfo, hook_names: Sequence[str]) -> PluginProblem | None:
    """Register ``plugin`` (guarded) under ``info.name``; a :class:`PluginProblem` if pluggy refuses it or
    it implements a hook that no hookspec declares, and then it is not registered."""
    for other in pm.get_plugins():
        if isinstance(other, GuardedPlugin) and other.plugin is plugin:
            return PluginProblem(info, f"cannot be registered: it is already registered as {other.info.label}")
    stand_in = GuardedPlugin(plugin, info, pm)
    try:
        pm.register(stand_in, name=info.name)
    except Exception as exc:  # pluggy.PluginValidationError (a hook's arguments), ValueError (its name taken)
        if pm.is_registered(stand_in):
            pm.unregister(stand_in)
        return PluginProblem(info, f"cannot be registered: {exc}")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        culprit = exc.plugin if isinstance(exc.plugin, GuardedPlugin) else stand_in
        unknown = sorted(caller.name for caller in pm.get_hookcallers(culprit) or () if not caller.has_spec())
        pm.unregister(culprit)
        if not unknown:
            return PluginProblem(culprit.info, f"cannot be registered: {exc}")
        return PluginProblem(culprit.info, f"implements unknown hook {unknown[0]!r} ({available(hook_names, unknown[0])})")
    return None


def call_hook(pm: pluggy.PluginManager, hook: str, kwargs: dict[str, Any], *, strict: bool,
              problems: list[PluginProblem]) -> list[tuple[PluginInfo, Any]]:
    """Call ``hook`` through pluggy (``pm.hook.<name>(**kwargs)``); ``(plugin, result)`` in pluggy's order.

    A plugin whose implementation fails adds to ``problems`` (with ``strict``, raises :class:`PluginError`)
    and the others' results still come back.
    """
    call = HookCall(hook, strict, problems)
    token = _CALL.set(call)
    try:
        results = getattr(pm.hook, hook)(**kwargs)
    finally:
        _CALL.reset(token)
    return call.attribute(results or ())
