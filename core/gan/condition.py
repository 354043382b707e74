"""Class-conditional GANs: both networks take a one-hot ``label`` input (``modelspec.gan.LABEL``).

The generator draws the class it is given; the discriminator judges "real and of this class" (Mirza &
Osindero 2014; with a projection discriminator, Miyato & Koyama 2018, as ``specs/dcgan_digits.yaml`` does).
In the game, real images come with their source's labels and generated ones with classes drawn uniformly;
samples for judging, the fixed grid and ``generate`` ask for every class in turn (``0, 1, ..., k-1, 0, ...``),
so a judged set is balanced. A generator without a ``label`` input is unconditional: every function here
then passes the latents alone, as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SpecError
from ..errors import UpspecError
from ..modelspec.gan import LABEL


def input_name(tensor: Any) -> str:
    """A Keras model input's name (the spec's input name), without a backend's ``:0``."""
    return str(tensor.name).split(":")[0]


def classes(model: Any) -> int | None:
    """The number of classes a conditional network takes (the width of its ``label`` input), else None."""
    return next((int(t.shape[-1]) for t in model.inputs if input_name(t) == LABEL), None)


def label_width(graph: Any) -> int | None:
    """The number of classes of a spec's checked generator ``graph`` (its ``label`` input), else None."""
    return next((int(node.shape[0]) for node in graph.inputs if node.id == LABEL), None)


def latent_shape(generator: Any) -> tuple[int, ...]:
    """The shape of the generator's latent input (its input that is not ``label``), batch axis left out."""
    return next(tuple(t.shape[1:]) for t in generator.inputs if input_name(t) != LABEL)


def latent_name(model: Any) -> str:
    """The name of a network's other input (the generator's latent, the discriminator's image)."""
    return next(input_name(t) for t in model.inputs if input_name(t) != LABEL)


def one_hot(labels: Any, count: int) -> np.ndarray:
    return np.eye(count, dtype="float32")[np.asarray(labels, "int64")]


def in_turn(count: int, number: int) -> np.ndarray:
    """``count`` class indices ``0, 1, ..., number - 1, 0, 1, ...``: every class equally often (to within one)."""
    return np.arange(count) % number


def feed(model: Any, values: Any, labels: Any = None) -> Any:
    """What to call ``model`` with: ``values`` alone, or with the one-hot ``labels`` for a conditional network."""
    if labels is None or classes(model) is None:
        return values
    return {latent_name(model): values, LABEL: labels}


#: the sample grid of a conditional generator has one column per class up to this many classes (else 8 columns)
GRID_CLASSES = 16


def grid_columns(number: int | None) -> int:
    """The sample grid's width: one column per class for a conditional generator of a few classes, else 8."""
    return number if number and number <= GRID_CLASSES else 8


def spread(samples: np.ndarray, labels: np.ndarray | None = None) -> float:
    """The samples' spread: the pixels' standard deviation across the batch, averaged over pixels; with the
    classes asked of them, within each class, averaged over the classes (a generator that follows its class
    but ignores its latent has collapsed, though its samples differ across classes)."""
    if labels is None:
        return float(samples.std(axis=0).mean())
    return float(np.mean([samples[labels == c].std(axis=0).mean() for c in np.unique(labels)]))


def check_labels(spec: Any, number: int | None, real: Any) -> None:
    """A conditional generator's ``number`` of classes against its source's labels: a positioned error before
    training when the source has none, or another number of classes than the ``label`` input holds."""
    if number is None:
        return
    where = ("inputs", LABEL)
    if real.train_labels is None:
        raise SpecError([spec.diagnostic(where, f"a class-conditional GAN learns from labelled images, but the source "
                                         f"{real.source!r} gives none", f"use a labelled source (digits), or remove the "
                                         f"{LABEL!r} inputs of both networks for an unconditional GAN")])
    found = int(max(real.train_labels.max(), real.held_out_labels.max())) + 1
    if found != number:
        unseen = f" (classes {found} to {number - 1} would have no real images)" if number > found else ""
        raise SpecError([spec.diagnostic(where, f"the source {real.source!r} has {found} classes but the generator's "
                                         f"{LABEL!r} input holds {number}{unseen}", f"write {LABEL}: [{found}] in both "
                                         "networks' inputs")])


def asked_labels(generator: Any, count: int, label: int | None = None) -> np.ndarray | None:
    """The classes asked of ``count`` samples: ``label`` for all, else every class in turn; None when the
    generator is unconditional (a ``label`` for it is an error)."""
    number = classes(generator)
    if number is None:
        if label is not None:
            raise UpspecError(f"this generator is unconditional (it has no {LABEL!r} input), so it cannot be asked "
                              f"for class {label}; leave the label out")
        return None
    if label is None:
        return in_turn(count, number)
    if not 0 <= label < number:
        raise UpspecError(f"class {label} is not one of this generator's {number} classes (0 to {number - 1})")
    return np.full(count, label)
