"""``upspec.Strategy``: the base class of every upsampling strategy.

A strategy's schema is the keyword-only part of its ``build`` signature. The
common parameters of the upsample contract have framework-defined types (so
every strategy validates them the same way); any other keyword parameter is
strategy-specific and validated from its annotation and default.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Annotated
from typing import Any
from typing import ClassVar
from typing import Literal
from typing import Optional
from typing import Union

if TYPE_CHECKING:
    import keras
    from annotated_types import Ge
    from annotated_types import Gt

    #: pydantic's PositiveInt and NonNegativeInt (the same ``Annotated`` types), for strategies' ``build``
    #: annotations: plugins import these instead of pydantic, which would slow every start-up and TAB. At run
    #: time they are made on first use (module ``__getattr__`` below): annotated_types costs 7 ms to import.
    PositiveInt = Annotated[int, Gt(0)]
    NonNegativeInt = Annotated[int, Ge(0)]

COMMON_PARAMETERS = ("factor", "filters", "kernel_size", "activation", "use_bias", "kernel_initializer")



def common_types() -> dict[str, Any]:
    """The framework-defined types of the common parameters (pydantic is imported here, not at start-up)."""
    from pydantic import PositiveInt

    return {
        "factor": Union[PositiveInt, list[PositiveInt]],
        "filters": PositiveInt,
        "kernel_size": Union[PositiveInt, list[PositiveInt]],
        "activation": Optional[str],
        "use_bias": bool,
        "kernel_initializer": Union[str, dict[str, Any]],
    }


def optional_filters() -> Any:
    """``filters`` of a strategy whose ``build`` annotates it as optional (``filters: Optional[int]``):
    ``filters: null`` then means "keep the input's channels" (resize only)."""
    from pydantic import PositiveInt

    return Optional[PositiveInt]


def __getattr__(name: str) -> Any:
    if name in ("PositiveInt", "NonNegativeInt"):
        from annotated_types import Ge
        from annotated_types import Gt

        value = Annotated[int, Gt(0)] if name == "PositiveInt" else Annotated[int, Ge(0)]
        globals()[name] = value
        return value
    if name == "COMMON_TYPES":  # the module-level tables, built on first use (no pydantic at start-up)
        return common_types()
    if name == "OPTIONAL_FILTERS":
        return optional_filters()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
REQUIRED = inspect.Parameter.empty
#: keyword-only parameters of ``build`` that the builder passes, never a spec: the entry's id, its guide tensor
GIVEN_BY_THE_GRAPH = ("name", "guide")


class Strategy:
    """Base class for upsampling strategies.

    Subclasses set ``name`` (the word used after ``upsample:`` in specs) and
    implement :meth:`build`. Optional class attributes: ``ranks`` (the
    spatial ranks supported) and ``per_axis_factors``. Instances are returned
    by a plugin's ``upspec_strategies`` hook.
    """

    name: ClassVar[str] = ""
    #: spatial ranks the strategy supports (1-D, 2-D, 3-D)
    ranks: ClassVar[tuple[int, ...]] = (1, 2, 3)
    #: whether a different factor per axis (e.g. ``factor: [2, 3]``) is supported
    per_axis_factors: ClassVar[bool] = True
    #: modules whose import registers the custom Keras objects (layers, initialisers) that
    #: ``build`` puts into a model, so ``keras.saving.load_model`` can read it back after ``import upspec``
    keras_objects: ClassVar[tuple[str, ...]] = ()
    #: whether the strategy takes a guide (``guide: ENTRY`` in a spec, received as ``build(..., guide=tensor)``):
    #: ``"required"`` (a spec must name one), ``"optional"`` (used when named), or None (it takes none, and a
    #: spec that names one is refused)
    takes_guide: ClassVar[Optional[Literal["required", "optional"]]] = None

    def check(self, input_shape: tuple[Optional[int], ...], *, guide_shape: Optional[tuple[Optional[int], ...]],
              **params: Any) -> None:
        """Static checks of the strategy's own parameters, before Keras is touched (optional).

        Called by ``upspec validate`` (and every build) once the entry's static shapes are known:
        ``input_shape`` is ``(*spatial, C)`` without the batch axis (``None`` for a size not known until run
        time), ``guide_shape`` the guide's shape (None without a guide) and ``params`` every ``build``
        parameter, defaults filled in, ``factor`` normalised to one int per axis. Raise
        :class:`upspec.ParameterError` ``(message, key=..., hint=...)`` for a value the method cannot take
        (a cutoff above Nyquist, an even window where an odd one is needed, a factor the design cannot
        reach): the error points at ``key`` in the spec. The default accepts everything.
        """

    def build(
        self,
        x: Any,
        *,
        factor: tuple[int, ...],
        filters: int,
        kernel_size: Any = 3,
        activation: Optional[str] = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        name: str,
    ) -> Any:
        """Add the layers that upsample ``x`` and return their output tensor.

        Called once per ``upsample:`` entry while a model is built, in Keras's
        functional API.

        Args:
            x: The Keras tensor the entry receives, of shape
                ``(batch, *spatial, C)`` (channels last). ``len(spatial)`` is
                one of ``ranks``; other ranks are refused before ``build`` is
                called.
            factor: One positive int per spatial axis, already normalised
                (``factor: 2`` in a 2-D spec arrives as ``(2, 2)``). Different
                values per axis arrive only when ``per_axis_factors`` is true.
            filters: The channel count of the output. A strategy that
                annotates ``filters: Optional[int]`` accepts ``filters: null``
                in specs, receives ``None`` and must then keep the input's
                channel count.
            kernel_size, activation, use_bias, kernel_initializer: The other
                common parameters, as the spec gives them (Keras's own
                conventions: an int or one per axis, an activation name, an
                initializer name or config).
            name: The entry's id. Name every layer you create after it
                (``name`` itself for the main layer, ``f"{name}_..."`` for
                helpers), so summaries and saved models read like the spec.

        Any further keyword-only parameter is strategy-specific. The
        keyword-only parameters, with their annotations and defaults, ARE the
        strategy's schema: spec validation, error messages, ``upspec schema``
        and ``upspec plugins`` all come from this signature (use pydantic
        types such as ``PositiveInt`` or ``Literal[...]`` for constraints).
        ``x`` must be the only positional parameter; ``factor``, ``filters``
        and ``name`` are required; ``**kwargs`` is allowed.

        A strategy with ``takes_guide`` also has a keyword-only ``guide``
        parameter: the Keras tensor of the entry the spec names with
        ``guide: ENTRY``, of shape ``(batch, *(s * f ...), C_guide)`` (the
        output's spatial size, checked before ``build``), or None when an
        optional guide is absent. It is not a spec parameter: it never appears
        in the schema or in ``upspec plugins``' parameter list.

        Returns:
            A Keras tensor of shape ``(batch, *(s * f for s, f in
            zip(spatial, factor)), filters)``: the upsample contract. The
            builder checks it and names this plugin when it is broken.

        Import ``keras`` inside ``build``, not at module level, so that
        ``upspec --help`` and ``upspec validate`` stay fast. Custom layers must
        be ``@keras.saving.register_keras_serializable``, in modules listed in
        ``keras_objects``, so saved models reload.
        """
        raise NotImplementedError(f"{type(self).__name__}.build")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def convolution_class(rank: int, *, transpose: bool = False) -> type[keras.layers.Layer]:
    """Keras's convolution layer for ``rank`` spatial axes: ``Conv1D`` / ``Conv2D`` / ``Conv3D``,
    or their ``...Transpose`` forms; for strategies that work in any rank (``len(factor)``)."""
    import keras

    if rank not in (1, 2, 3):
        raise ValueError(f"Invalid value for argument `rank`. Expected 1, 2 or 3. Received rank={rank}")
    return getattr(keras.layers, f"Conv{rank}D{'Transpose' if transpose else ''}")


@dataclass(frozen=True)
class Parameter:
    name: str
    annotation: Any
    default: Any = REQUIRED

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def type_text(self) -> str:
        return type_text(self.annotation)


def type_text(annotation: Any) -> str:
    """A short, readable form of a type annotation: ``int | list[int]``."""
    if annotation is Any:
        return "any"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        positive = any(getattr(m, "gt", None) == 0 for m in args[1:])
        return ("positive " if positive else "") + type_text(args[0])
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is Union or type(annotation).__name__ == "UnionType":
        return " | ".join("null" if a is type(None) else type_text(a) for a in args)
    if origin is not None:
        inner = ", ".join(type_text(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    return getattr(annotation, "__name__", str(annotation))


def allows_none(annotation: Any) -> bool:
    """Whether ``annotation`` admits ``None`` (``Optional[X]``, ``X | None``)."""
    if annotation is None or annotation is type(None):
        return annotation is type(None)
    origin = typing.get_origin(annotation)
    if origin is Union or type(annotation).__name__ == "UnionType":
        return any(a is type(None) for a in typing.get_args(annotation))
    return False


def keeps_channels(strategy: Strategy) -> bool:
    """Whether ``strategy`` accepts ``filters: null`` (resize only: output channels = input channels)."""
    parameter = strategy_parameters(strategy).get("filters")
    return parameter is not None and parameter.annotation == optional_filters()


def strategy_parameters(strategy: Strategy) -> dict[str, Parameter]:
    """The parameters of ``strategy.build`` that a spec entry may set.

    Raises ``TypeError`` when ``build`` breaks the contract: a positional
    parameter besides the input tensor, or a missing common parameter.
    """
    build = strategy.build
    signature = inspect.signature(build)
    try:
        hints = typing.get_type_hints(build, include_extras=True)
    except Exception:  # unresolvable forward references: fall back per parameter
        hints = {}
    params = list(signature.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) != 1:
        raise TypeError(
            f"build() must take exactly one positional parameter (the input tensor); "
            f"got {[p.name for p in positional]}"
        )
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params)
    keyword = {p.name: p for p in params if p.kind is p.KEYWORD_ONLY}
    if "name" not in keyword and not takes_kwargs:
        raise TypeError("build() must accept the keyword-only parameter 'name'")
    missing = [n for n in COMMON_PARAMETERS if n not in keyword and not takes_kwargs]
    if missing:
        raise TypeError(f"build() must accept the common parameters of the upsample contract; missing: {', '.join(missing)}")
    takes_guide = getattr(strategy, "takes_guide", None)
    if takes_guide not in (None, "required", "optional"):
        raise TypeError(f"takes_guide must be 'required', 'optional' or None; got {takes_guide!r}")
    if takes_guide and "guide" not in keyword and not takes_kwargs:
        raise TypeError(f"build() must accept the keyword-only parameter 'guide' (takes_guide = {takes_guide!r})")
    result: dict[str, Parameter] = {}
    common = common_types()
    for pname, p in keyword.items():
        if pname in GIVEN_BY_THE_GRAPH:
            continue
        annotation = common.get(pname) or hints.get(pname, Any)
        if pname == "filters" and allows_none(hints.get(pname)):
            annotation = optional_filters()
        result[pname] = Parameter(pname, annotation, p.default)
    for pname in COMMON_PARAMETERS:  # accepted through **kwargs
        result.setdefault(pname, Parameter(pname, common[pname], REQUIRED if pname in ("factor", "filters") else None))
    return result
