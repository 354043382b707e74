"""Best-practice warnings on a checked graph: things that are valid but known to go wrong.

``uneven_overlap``: a transpose convolution whose kernel size is not a
multiple of its stride covers some outputs with more kernel taps than others
(Odena, Dumoulin and Olah, "Deconvolution and Checkerboard Artifacts",
Distill 2016), which shows as a checkerboard pattern. The warning quotes
their max/min overlap ratio: the most kernel taps any output receives over
the fewest, multiplied over the axes (kernel 3, stride 2 in 2-D: 4; kernel 4:
1). An entry silences it with ``allow: [uneven_overlap]``; ``validate
--strict`` and ``show --strict`` turn warnings into errors.

Nothing here imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING
from typing import Any

from ..errors import Diagnostic
from ..modelspec.model import LINTS
from ..registry.registry import get_registry

if TYPE_CHECKING:
    from ..registry.registry import Registry

TRANSPOSE_LAYERS = {f"{prefix}{rank}DTranspose": rank for rank in (1, 2, 3) for prefix in ("Conv", "Convolution")}


def taps_per_phase(kernel: int, stride: int, dilation: int = 1) -> list[int]:
    """How many kernel taps land on an output of each phase (output index modulo the stride)."""
    counts = [0] * stride
    for tap in range(kernel):
        counts[(tap * dilation) % stride] += 1
    return counts


def overlap_ratio(kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...] | None = None) -> float:
    """Odena et al.'s max/min overlap ratio of a transpose convolution (``inf`` if some outputs get no tap)."""
    dilation = dilation or (1,) * len(kernel)
    counts = [taps_per_phase(k, s, d) for k, s, d in zip(kernel, stride, dilation)]
    fewest = math.prod(min(c) for c in counts)
    return math.inf if fewest == 0 else math.prod(max(c) for c in counts) / fewest


def _per_axis(value: Any, rank: int) -> tuple[int, ...] | None:
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value) if len(value) == rank else None
    return (int(value),) * rank if isinstance(value, int) else None


def _rank(graph: Any, node: Any) -> int | None:
    parents = [graph.nodes[i].shape for i in node.inputs if i in graph.nodes]
    return len(parents[0]) - 1 if parents and parents[0] is not None else None


def _transpose_geometry(graph: Any, node: Any, registry: Registry) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], str] | None:
    """``(kernel, stride, dilation, key)`` of a transpose-convolution entry, or None for any other entry."""
    entry = node.entry
    params = entry.params
    if entry.kind == "upsample":
        if entry.upsample != "transpose":
            return None
        rank = _rank(graph, node)
        default = registry.parameters("transpose")["kernel_size"].default
        kernel_value, stride_value, dilation_value = params.get("kernel_size", default), params.get("factor"), 1
    elif entry.layer in TRANSPOSE_LAYERS:
        rank = TRANSPOSE_LAYERS[entry.layer]
        kernel_value, stride_value = params.get("kernel_size"), params.get("strides", 1)
        dilation_value = params.get("dilation_rate", 1)
    else:
        return None
    if rank is None:
        return None
    kernel, stride, dilation = (_per_axis(v, rank) for v in (kernel_value, stride_value, dilation_value))
    if kernel is None or stride is None or dilation is None:
        return None
    return kernel, stride, dilation, "kernel_size" if "kernel_size" in params else ""


def _uneven_overlap(graph: Any, node: Any, registry: Registry) -> Diagnostic | None:
    geometry = _transpose_geometry(graph, node, registry)
    if geometry is None:
        return None
    kernel, stride, dilation, key = geometry
    ratio = overlap_ratio(kernel, stride, dilation)
    if ratio == 1:
        return None
    label = f"entry {node.id!r}" if node.entry.id else f"layers[{node.index}] ({node.type_name})"
    shown_kernel = kernel[0] if len(set(kernel)) == 1 else list(kernel)
    shown_stride = stride[0] if len(set(stride)) == 1 else list(stride)
    what = "some outputs receive no kernel tap at all (kernel smaller than the stride)" if ratio == math.inf else \
        f"max/min overlap ratio {ratio:g} (Odena et al. 2016): some outputs sum {ratio:g}x the kernel taps of others"
    message = (f"{label}: transpose convolution with kernel_size {shown_kernel} and stride {shown_stride} overlaps "
               f"unevenly, {what}, which makes checkerboard artifacts")
    multiple = [-(-k // s) * s for k, s in zip(kernel, stride)]
    divisible = multiple[0] if len(set(multiple)) == 1 else multiple
    alternatives = (f"use a kernel divisible by the stride (kernel_size: {divisible}), 'transpose_zoh', a resize "
                    f"strategy ('nearest', 'bilinear', 'bicubic') or 'pixel_shuffle' (ICNR)")
    if node.entry.kind == "layer":
        alternatives += " as an 'upsample:' entry"
    hint = f"{alternatives}; or silence this entry with 'allow: [uneven_overlap]'"
    diagnostic = graph.spec.diagnostic(node.path + ((key,) if key else ()), message, hint)
    return dataclasses.replace(diagnostic, severity="warning")


def lint_graph(graph: Any, registry: Registry | None = None) -> list[Diagnostic]:
    """The best-practice warnings for ``graph``, in file order; entries' ``allow:`` lists are honoured."""
    registry = registry or get_registry()
    found = []
    for node in graph.entries:
        if "uneven_overlap" in (node.entry.allow or ()):
            continue
        warning = _uneven_overlap(graph, node, registry)
        if warning is not None:
            found.append(warning)
    return sorted(found, key=lambda d: (d.line, d.column))


__all__ = ["LINTS", "lint_graph", "overlap_ratio", "taps_per_phase"]
