"""Keras's own argument checks for ``layer:`` entries, without importing Keras.

``validate`` must not import TensorFlow, so the checks Keras runs when a layer
is constructed (a zero kernel size, a negative dropout rate, an output padding
not smaller than the stride, a boolean where a number belongs ...) are made
here from the argument's name and its default in the layer's signature, and
reported at the argument's own line. ``validate --build`` and ``build`` still
let Keras check everything else.
"""

from __future__ import annotations

from typing import Any
from typing import Iterator

#: arguments that are a positive integer, or one per spatial axis
POSITIVE = frozenset({
    "filters", "units", "kernel_size", "strides", "pool_size", "dilation_rate", "depth_multiplier", "size",
    "groups", "num_heads", "key_dim", "value_dim", "output_dim", "input_dim", "output_size", "num_bins",
    "height", "width", "num_tokens",
})
#: arguments that are a non-negative integer, or one per axis (or a (before, after) pair per axis)
NON_NEGATIVE = frozenset({"output_padding", "cropping"})
#: fractions between 0 and 1
FRACTIONS = {"rate": (0.0, 1.0)}
#: arguments that must not be negative
NOT_NEGATIVE_NUMBERS = frozenset({"stddev", "epsilon", "l1", "l2", "negative_slope", "max_value"})
PADDING_WORDS = ("valid", "same", "causal")


def _ints(value: Any) -> list[Any] | None:
    """The integers of an int or a (nested) list of ints; None when something else is in there."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        found: list[Any] = []
        for item in value:
            inner = _ints(item)
            if inner is None:
                return None
            found += inner
        return found
    return None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def argument_problems(layer: str, key: str, value: Any, default: Any, params: dict[str, Any]) -> Iterator[str]:
    """What is wrong with ``key: value`` for ``layer`` (whose signature's default for ``key`` is ``default``)."""
    if value is None:
        return
    if isinstance(default, bool) and not isinstance(value, bool):
        yield f"{key} must be true or false, got {value!r}"
        return
    if isinstance(value, bool) and not isinstance(default, bool) and default is not None:
        yield f"{key} must not be a boolean (got {str(value).lower()})"
        return
    if _number(default) and isinstance(value, str):
        yield f"{key} must be a number, got the string {value!r} (write it without quotes)"
        return
    if key in POSITIVE:
        ints = _ints(value)
        if ints is None or not ints:
            yield f"{key} must be a positive integer or a list of them, got {value!r}"
        elif min(ints) < 1:
            yield f"{key} must be positive, got {value!r}"
    elif key in NON_NEGATIVE:
        ints = _ints(value)
        if ints is None or not ints:
            yield f"{key} must be a non-negative integer or a list of them, got {value!r}"
        elif min(ints) < 0:
            yield f"{key} must not be negative, got {value!r}"
        elif key == "output_padding":
            strides = _ints(params.get("strides", 1)) or [1]
            pads = _ints(value) or []
            strides = strides * len(pads) if len(strides) == 1 else strides
            if any(p >= s for p, s in zip(pads, strides)):
                yield f"output_padding {value!r} must be smaller than the stride {params.get('strides', 1)!r}"
    elif key in FRACTIONS:
        low, high = FRACTIONS[key]
        if not _number(value) or not low <= value <= high:
            yield f"{key} must be a number from {low:g} to {high:g}, got {value!r}"
    elif key in NOT_NEGATIVE_NUMBERS and _number(default):
        if not _number(value) or value < 0:
            yield f"{key} must be a non-negative number, got {value!r}"
    elif key == "padding" and isinstance(default, str):
        words = PADDING_WORDS if layer.startswith("Conv1D") or layer == "Conv1D" else PADDING_WORDS[:2]
        if not isinstance(value, str) or value.lower() not in words:
            yield f"padding must be one of {', '.join(repr(w) for w in words)}, got {value!r}"
    elif key == "padding" and _ints(default) is not None:
        ints = _ints(value)
        if ints is None or min(ints, default=0) < 0:
            yield f"padding must be a non-negative integer or a list of them, got {value!r}"


def combination_problems(params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(key, message)`` for arguments Keras refuses together."""
    strides = _ints(params.get("strides")) or [1]
    dilation = _ints(params.get("dilation_rate")) or [1]
    if max(strides) > 1 and max(dilation) > 1:
        yield "dilation_rate", "strides > 1 and dilation_rate > 1 cannot be combined (Keras refuses it)"
