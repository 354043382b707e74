"""The GAN kind's graph check: the discriminator takes what the generator makes.

Registered in ``graph.py``'s table of checks by spec kind, so ``build_graph`` of a GAN spec fails, at the
right lines, when the two networks do not fit together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any
from typing import Callable

from ..errors import SpecError
from ..modelspec.gan import LABEL
from ..modelspec.gan import SECTION
from ..modelspec.load import sub_spec
from .shapes import fmt

if TYPE_CHECKING:
    from ..errors import Diagnostic
    from ..modelspec.model import Spec
    from .graph import Graph
    from .graph import Node
    from ..registry.registry import Registry

CONDITION_HINT = f"a class-conditional GAN gives both networks an input named {LABEL!r} of shape [classes] (one-hot)"


def _label(spec: Spec, graph: Graph, network: str, found: list[Diagnostic]) -> Node | None:
    """The ``label`` input of one network (None without one), checked to be a vector of two or more classes."""
    label = next((node for node in graph.inputs if node.id == LABEL), None)
    if label is not None and (label.shape is None or len(label.shape) != 1 or label.shape[0] is None
                              or label.shape[0] < 2):
        found.append(spec.diagnostic(("inputs", LABEL), f"the {network}'s input {LABEL!r} is {fmt(label.shape)}; "
                                     "it is the one-hot class, a vector of two or more classes",
                                     "write label: [10] for ten classes"))
    return label


def check_pair(generator: Graph, registry: Registry, build: Callable[[Any, Registry], Graph]) -> Graph:
    """The discriminator's graph, checked against the generator's ``Graph``.

    The generator takes one latent input of known shape and outputs one image; the discriminator takes that
    image, shape for shape, and outputs scores whose last axis is 1 (one per image, or per patch: averaged).
    A class-conditional pair gives both networks a second input named ``label`` of the same shape.
    """
    spec = generator.spec
    disc = sub_spec(spec, SECTION, registry)
    graph = build(disc, registry)
    found: list[Diagnostic] = []
    g_label, d_label = _label(spec, generator, "generator", found), _label(disc, graph, "discriminator", found)
    latents = [node for node in generator.inputs if node.id != LABEL]
    images = [node for node in graph.inputs if node.id != LABEL]
    if len(latents) != 1 or any(d is None for d in latents[0].shape or (None,)):
        found.append(spec.diagnostic(("inputs",), "a GAN's generator takes one latent input of known shape, such as "
                                     f"latent: [100] (and, class-conditional, {LABEL}: [classes])", key=True))
    if len(generator.outputs) != 1:
        found.append(spec.diagnostic(("outputs",), "a GAN's generator has one output, the image"))
    if len(images) != 1:
        found.append(disc.diagnostic(("inputs",), "a GAN's discriminator takes one input, the image (and, "
                                     f"class-conditional, {LABEL}: [classes])", key=True))
    if (g_label is None) != (d_label is None):
        has, lacks, lacking = (("generator", "discriminator", disc) if d_label is None else
                               ("discriminator", "generator", spec))
        found.append(lacking.diagnostic(("inputs",), f"the {has} takes a class ({LABEL!r}) but the {lacks} does not: "
                                        "both networks are conditional or neither", CONDITION_HINT, key=True))
    elif g_label is not None and d_label is not None and g_label.shape != d_label.shape:
        found.append(disc.diagnostic(("inputs", LABEL), f"the discriminator's {LABEL!r} is {fmt(d_label.shape)} but "
                                     f"the generator's is {fmt(g_label.shape)}: both name the same classes"))
    if found:
        raise SpecError(found)
    made = generator.nodes[generator.outputs[0]]
    taken = images[0]
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
