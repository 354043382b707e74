"""``upspec.upsample(x, STRATEGY, **params)``: a strategy's layers on a Keras tensor, in Keras's functional API.

The parameters are validated exactly as an ``upsample:`` entry's are (the strategy's ``build`` signature is its
schema), and a mistake is a :class:`upspec.SpecError` that names the parameter, the strategy's parameters and a
"did you mean", never a Keras traceback.
"""

from __future__ import annotations

from typing import Any
from typing import Mapping

from ..errors import Diagnostic
from ..errors import NotFoundError
from ..errors import PluginError
from ..errors import SpecError
from ..errors import available
from ..registry.registry import Registry
from ..registry.registry import get_registry
from ..registry.strategy import Parameter
from ..registry.strategy import Strategy


def schema_text(parameters: Mapping[str, Parameter]) -> str:
    """``factor: positive int | list[positive int] (required), kernel_size: ... = 3, ...``."""
    parts = []
    for p in parameters.values():
        parts.append(f"{p.name}: {p.type_text}" + (" (required)" if p.required else f" = {p.default!r}"))
    return ", ".join(parts)


def _error(where: str, message: str, hint: str = "") -> SpecError:
    return SpecError([Diagnostic(where, 0, 0, message, hint)])


def find_strategy(strategy: str | Strategy, registry: Registry, where: str) -> Strategy:
    """The registered strategy called ``strategy`` (an instance is returned as it is)."""
    if isinstance(strategy, Strategy):
        return strategy
    if not isinstance(strategy, str):
        raise _error(where, f"strategy must be a strategy name (a string), not {strategy!r}",
                     available(registry.strategies))
    try:
        return registry.strategy(strategy)
    except NotFoundError as exc:
        raise _error(where, exc.message, exc.hint) from None


def validate_params(strategy: Strategy, params: dict[str, Any], registry: Registry, where: str) -> dict[str, Any]:
    """``params`` checked against ``strategy``'s schema, as a spec entry's are; every problem in one
    :class:`SpecError`."""
    from pydantic import ValidationError

    from ..modelspec.entries import validate_strategy_params
    from ..modelspec.strict_values import coerced
    from ..modelspec.strict_values import describe_coercion

    if registry.strategies.get(strategy.name) is None or registry.strategies[strategy.name].value is not strategy:
        from ..registry.plugins import PluginInfo

        registry = registry.with_strategy(strategy, PluginInfo("code", "-", "-", "-"))
    parameters = registry.parameters(strategy.name)
    schema = f"parameters of {strategy.name!r}: {schema_text(parameters)}"
    label = f"strategy {strategy.name!r}"
    try:
        validated = validate_strategy_params(strategy.name, registry, params)
    except ValidationError as exc:
        found = []
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            if error["type"] == "extra_forbidden":
                found.append(Diagnostic(where, 0, 0, f"{label} has no parameter {key!r}",
                                        f"{available(parameters, key)}; {schema}"))
            elif error["type"] == "missing":
                found.append(Diagnostic(where, 0, 0, f"{label} needs the parameter {key!r}", schema))
            else:
                expected = parameters[key].type_text if key in parameters else "?"
                found.append(Diagnostic(where, 0, 0, f"invalid value for {label}: {key}={params.get(key)!r}: "
                                                     f"{error['msg']}", f"expected {expected}; {schema}"))
        unique = list(dict.fromkeys(found))
        raise SpecError(unique) from None
    loose = [Diagnostic(where, 0, 0, f"invalid value for {label}: {'.'.join(map(str, path))}: "
                                     f"{describe_coercion(value, read_as)}",
                        f"expected {parameters[str(path[0])].type_text}")
             for path, value, read_as in coerced(params, validated)]
    if loose:
        raise SpecError(loose)
    factor = validated.get("factor")
    if isinstance(factor, list) and len(set(factor)) > 1 and not strategy.per_axis_factors:
        raise _error(where, f"{label} does not support a different factor per axis (got {factor})",
                     "use one factor for every axis")
    return validated


def check_guide(strategy: Strategy, guide: Any, where: str) -> dict[str, Any]:
    """``{"guide": guide}`` for a strategy that takes one (``takes_guide``: "required" or "optional"), ``{}`` for one
    that takes none."""
    takes = strategy.takes_guide is not None
    if guide is None:
        if strategy.takes_guide == "required":
            raise _error(where, f"strategy {strategy.name!r} requires a guide", "pass guide=TENSOR")
        return {"guide": None} if takes else {}
    if not takes:
        raise _error(where, f"strategy {strategy.name!r} takes no guide (got guide of type {type(guide).__name__})",
                     "leave guide out, or use a guided strategy")
    return {"guide": guide}


def spatial_rank(x: Any, strategy: Strategy, where: str) -> int:
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) < 3:
        raise _error(where, f"expected a tensor of shape (batch, *spatial, channels), got shape {shape}",
                     "upsampling needs 1, 2 or 3 spatial axes, channels last")
    rank = len(shape) - 2
    if rank not in strategy.ranks:
        raise _error(where, f"strategy {strategy.name!r} supports {', '.join(f'{r}-D' for r in strategy.ranks)} "
                            f"inputs, not {rank}-D (shape {tuple(shape)})", "choose another strategy")
    return rank


def normalised_factor(factor: Any, rank: int, where: str) -> tuple[int, ...]:
    if isinstance(factor, (list, tuple)):
        if len(factor) != rank:
            raise _error(where, f"'factor' has {len(factor)} values but the input has {rank} spatial axes",
                         f"give one value, or {rank}")
        return tuple(int(f) for f in factor)
    return (int(factor),) * rank


def build_strategy(x: Any, strategy: Strategy, validated: dict[str, Any], *, name: str, guide: Any = None,
                   where: str, registry: Registry) -> Any:
    """Call ``strategy.build`` on ``x`` with validated parameters; check the upsample contract."""
    rank = spatial_rank(x, strategy, where)
    params = dict(validated)
    params["factor"] = normalised_factor(params["factor"], rank, where)
    params.update(check_guide(strategy, guide, where))
    y = strategy.build(x, name=name, **params)
    filters = params.get("filters")
    expected = (*(None if s is None else s * f for s, f in zip(x.shape[1:-1], params["factor"])),
                x.shape[-1] if filters is None else filters)
    got = tuple(y.shape[1:])
    if len(got) != len(expected) or any(e is not None and g is not None and e != g for e, g in zip(expected, got)):
        provided = registry.strategies.get(strategy.name)
        plugin = provided.plugin if provided else None
        raise PluginError(plugin.name if plugin else strategy.name, plugin.distribution if plugin else "?",
                          f"strategy {strategy.name!r} broke the upsample contract in {name!r}: expected output "
                          f"shape {expected}, got {got}")
    return y


def default_name(strategy: str) -> str:
    import keras

    return f"{strategy}_{keras.backend.get_uid(strategy)}"


def upsample(x: Any, strategy: str | Strategy, *, guide: Any = None, name: str | None = None,
             registry: Registry | None = None, **params: Any) -> Any:
    """Upsample the Keras tensor ``x`` with ``strategy`` (a registered name, plugins' included) and return
    the output tensor, in Keras's functional API::

        y = upspec.upsample(x, "dysample", factor=2, filters=64, name="up1")

    ``params`` are the strategy's parameters (``factor``, ``filters``, ``kernel_size``, ... and its own),
    validated as a spec's ``upsample:`` entry is; a mistake raises :class:`upspec.SpecError` naming the
    parameter, the strategy's parameters and a "did you mean". ``name`` names the layers (the main one
    ``name``, helpers ``name_...``), as an entry's id does; without it a unique one is made. ``guide`` is
    passed to strategies that take one (``takes_guide``); given to one that takes none it is an error.
    The layers are the same as the spec path builds for the same parameters and id.
    """
    registry = registry or get_registry()
    where = f"upspec.upsample(..., {strategy if isinstance(strategy, str) else getattr(strategy, 'name', strategy)!r})"
    found = find_strategy(strategy, registry, where)
    validated = validate_params(found, params, registry, where)
    return build_strategy(x, found, validated, name=name or default_name(found.name), guide=guide, where=where,
                          registry=registry)
