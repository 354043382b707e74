"""The GAN kind's graph check: the discriminator takes what the generator makes.

Registered in ``graph.py``'s table of checks by spec kind, so ``build_graph`` of a GAN spec fails, at the
right lines, when the two networks do not fit together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any
from typing import Callable

from ..errors import SpecError
from ..modelspec.gan import SECTION
from ..modelspec.load import sub_spec
from .shapes import fmt

if TYPE_CHECKING:
    from ..registry.registry import Registry
    from .graph import Graph


def check_pair(generator: Graph, registry: Registry, build: Callable[[Any, Registry], Graph]) -> Graph:
    """The discriminator's graph, checked against the generator's ``Graph``.

    The generator takes one latent input of known shape and outputs one image; the discriminator takes that
    image, shape for shape, and outputs scores whose last axis is 1 (one per image, or per patch: averaged).
    """
    spec = generator.spec
    disc = sub_spec(spec, SECTION, registry)
    graph = build(disc, registry)
    found = []
    if len(generator.inputs) != 1 or any(d is None for d in generator.inputs[0].shape or (None,)):
        found.append(spec.diagnostic(("inputs",), "a GAN's generator takes one latent input of known shape, such as "
                                     "latent: [100]", key=True))
    if len(generator.outputs) != 1:
        found.append(spec.diagnostic(("outputs",), "a GAN's generator has one output, the image"))
    if len(graph.inputs) != 1:
        found.append(disc.diagnostic(("inputs",), "a GAN's discriminator takes one input, the image", key=True))
    if found:
        raise SpecError(found)
    made = generator.nodes[generator.outputs[0]]
    taken = graph.inputs[0]
    if tuple(made.shape or ()) != tuple(taken.shape or ()):
        where = spec.diagnostic(made.path, "")
        found.append(disc.diagnostic(
            ("inputs", taken.id),
            f"the generator's output {made.id!r} is {fmt(made.shape)} but the discriminator's input {taken.id!r} "
            f"takes {fmt(taken.shape)}",
            f"the generator's output is entry {made.id!r} at line {where.line}; make the two shapes agree",
        ))
    if len(graph.outputs) != 1:
        found.append(disc.diagnostic(("outputs",), "a GAN's discriminator has one output, its score"))
    else:
        score = graph.nodes[graph.outputs[0]]
        if score.shape is not None and (len(score.shape) == 0 or score.shape[-1] != 1):
            found.append(disc.diagnostic(score.path, f"the discriminator's output {score.id!r} is {fmt(score.shape)}; "
                                         "it must end in one score channel", "end with Dense(units: 1) "
                                         "(or a Conv2D with filters: 1 for patch scores); no activation: scores are logits"))
    if found:
        raise SpecError(found)
    return graph
