"""The ``discriminator:`` section of a GAN spec, and the check that the two networks fit together.

The section is validated as a spec of its own, on a view of the same YAML
document whose paths are re-rooted at ``discriminator``, so its errors point
into the file like any other.
"""

from __future__ import annotations

from typing import Any

from ..errors import Diagnostic
from ..errors import SpecError
from ..errors import available
from ..registry.registry import Registry
from ..spec.yaml_source import Document

SECTION = "discriminator"
SECTION_KEYS = ("name", "description", "inputs", "layers", "outputs", "compile")


def is_gan(spec: Any) -> bool:
    """Whether ``spec`` (a :class:`~upspec.spec.model.Spec`) describes a GAN."""
    return getattr(spec, "discriminator", None) is not None


def sub_document(doc: Document, key: str) -> Document:
    """The part of ``doc`` under ``key``, with every mark kept (paths re-rooted)."""
    def reroot(marks: dict) -> dict:
        return {path[1:]: mark for path, mark in marks.items() if path[:1] == (key,)}

    values, keys = reroot(doc.values), reroot(doc.keys)
    keys.pop((), None)
    return Document(data=doc.data[key], source=doc.source, values=values, keys=keys)


def _section(doc: Document) -> tuple[Document, list[Diagnostic]]:
    sub = sub_document(doc, SECTION)
    sub.data = dict(sub.data)
    found = [sub.diagnostic((key,), f"the discriminator has no key {key!r}", available(SECTION_KEYS, key), key=True)
             for key in sub.data if key not in SECTION_KEYS]
    for key in [k for k in sub.data if k not in SECTION_KEYS]:
        del sub.data[key]
    name = doc.data.get("name")
    sub.data.setdefault("name", f"{name}-discriminator" if isinstance(name, str) else "discriminator")
    return sub, found


def discriminator_diagnostics(doc: Document, registry: Registry) -> list[Diagnostic]:
    """Every problem in ``doc``'s ``discriminator:`` section (empty when it is fine or absent)."""
    from ..spec.load import validate_document

    if not isinstance(doc.data, dict) or not isinstance(doc.data.get(SECTION), dict):
        return []  # absent, or not a mapping: the Spec model says so
    sub, found = _section(doc)
    try:
        validate_document(sub, registry)
    except SpecError as error:
        found += error.diagnostics
    return found


def discriminator_spec(spec: Any, registry: Registry) -> Any:
    """The discriminator of a GAN spec as a :class:`~upspec.spec.model.Spec` of its own."""
    from ..spec.load import read_source
    from ..spec.load import validate_document

    sub, found = _section(read_source(spec))
    if found:
        raise SpecError(found)
    return validate_document(sub, registry)


def check_pair(generator: Any, registry: Registry) -> Any:
    """The discriminator's graph, checked against the generator's ``Graph``.

    The generator takes one latent input of known shape and outputs one image; the discriminator takes that
    image, shape for shape, and outputs scores whose last axis is 1 (one per image, or per patch: averaged).
    """
    from ..graph.graph import build_graph
    from ..graph.shapes import fmt

    spec = generator.spec
    disc = discriminator_spec(spec, registry)
    graph = build_graph(disc, registry)
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
