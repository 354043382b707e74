"""Judging a generator without downloads: feature statistics, mode coverage and spectral artifacts.

Every number is computed for three sets of the same size: the generator's samples, held-out real images
(the floor: what a perfect generator would score) and an untrained generator's samples (the ceiling).
Feature numbers compare each set with the training images, through the cached classifier's features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis.checkerboard import phase_variance
from ..analysis.spectrum import peak_ratio
from ..analysis.spectrum import radial_spectrum
from ..analysis.spectrum import spectral_distance
from .classifier import Classifier
from .condition import asked_labels
from .condition import classes
from .condition import feed
from .condition import latent_shape
from .condition import one_hot
from .data import RealImages
from .metrics import class_coverage
from .metrics import frechet_distance
from .metrics import precision_recall

REFERENCE = 2000  # at most this many training images as the reference set
EVALUATION_SEED = 2**20 + 1  # latents for evaluation: apart from any training seed


def sample(generator: Any, count: int, seed: int, label: int | None = None) -> np.ndarray:
    """``count`` samples in [0, 1] from standard-normal latents drawn with ``seed``: the same for a seed. A
    conditional generator is asked for ``label``, or for every class in turn (``condition.asked_labels``)."""
    z = np.random.default_rng(seed).standard_normal((count, *latent_shape(generator))).astype("float32")
    asked = asked_labels(generator, count, label)
    y = one_hot(asked, classes(generator) or 0) if asked is not None else None
    # called directly, not through predict(): predict traces a new function for every model it meets
    images = np.concatenate([np.asarray(generator(feed(generator, z[i:i + 256], None if y is None else y[i:i + 256]),
                                                  training=False)) for i in range(0, count, 256)])
    return np.clip(images.astype("float32"), 0.0, 1.0)


def upsampling_factor(spec: Any) -> tuple[int, int]:
    """The product of the generator's upsample factors per axis: the period of its possible patterns."""
    total = [1, 1]
    for entry in spec.layers:
        if entry.upsample is not None:
            factor = entry.params.get("factor", 2)
            factor = factor if isinstance(factor, list) else [factor, factor]
            total = [t * int(f) for t, f in zip(total, factor[-2:])]
    return total[0], total[1]


@dataclass
class Reference:
    """The training images' features and spectrum, computed once per evaluation."""

    real: RealImages
    classifier: Classifier
    features: np.ndarray

    @classmethod
    def of(cls, real: RealImages, classifier: Classifier) -> "Reference":
        images = real.train[np.random.default_rng(0).permutation(len(real.train))[:REFERENCE]]
        return cls(real, classifier, classifier.predict(images)[0])


def judge(images: np.ndarray, reference: Reference, factor: tuple[int, int],
          asked: np.ndarray | None = None) -> dict[str, Any]:
    """Every number for one set of images; with ``asked`` (the class each image should show: a conditional
    generator's, or real images' labels), ``label_accuracy``: how often the classifier names that class."""
    features, probabilities = reference.classifier.predict(images)
    precision, recall = precision_recall(reference.features, features)
    scores: dict[str, Any] = {"fd": frechet_distance(features, reference.features), "precision": precision,
                              "recall": recall}
    if reference.real.labelled:
        scores.update(class_coverage(probabilities))
        if asked is not None:
            scores["label_accuracy"] = float(np.mean(probabilities.argmax(axis=1) == np.asarray(asked)))
    scores["spectral_distance"] = spectral_distance(images, reference.real.train[:REFERENCE])
    scores["peak_ratio"] = peak_ratio(images, factor)
    try:
        scores["cb"] = phase_variance(images, factor)
    except ValueError:  # images too small for an interior period
        pass
    return scores


def evaluate_generator(generator: Any, untrained: Any, reference: Reference, factor: tuple[int, int],
                       seed: int = EVALUATION_SEED) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(metrics, spectra)``: the numbers of the generator, the held-out floor and the untrained ceiling,
    and each set's radial spectrum (for the plot)."""
    held_out = reference.real.held_out
    sets = {"generator": sample(generator, len(held_out), seed), "held_out_real": held_out,
            "untrained_generator": sample(untrained, len(held_out), seed)}
    metrics: dict[str, Any] = {"task": "generation", "test_images": int(len(held_out)),
                               "features": f"{reference.classifier.task} classifier, held-out accuracy "
                                           f"{reference.classifier.accuracy:.3f}",
                               "upsampling_factor": list(factor)}
    asked: dict[str, Any] = {}  # the class each image should show, for a conditional generator
    if classes(generator) is not None:
        metrics["conditional"] = {"classes": classes(generator), "asked": "every class in turn"}
        asked = {"generator": asked_labels(generator, len(held_out)), "held_out_real": reference.real.held_out_labels,
                 "untrained_generator": asked_labels(untrained, len(held_out))}
    for name, images in sets.items():
        metrics[name] = judge(images, reference, factor, asked.get(name))
    spectra = {"training images": radial_spectrum(reference.real.train[:REFERENCE])}
    spectra.update({name.replace("_", " "): radial_spectrum(images) for name, images in sets.items()})
    return metrics, spectra
