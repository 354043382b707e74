"""Checkerboard measurements of a spec's upsample entries, on built Keras models."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np

from .checkerboard import overlap_ratio
from .checkerboard import phase_variance
from ..metrics.equivariance import equivariance_translation
from ..graph.graph import build_graph
from ..graph.shapes import per_axis
from ..registry.registry import Registry
from ..registry.registry import get_registry
from ..modelspec.model import Spec

SEEDS = (0, 1, 2, 3, 4)
CONSTANT = 0.5
#: EQ-T's translations, in input pixels: integer, and sub-pixel (StyleGAN3's EQ-T_frac)
INTEGER_SHIFTS = ((1, 2), (-2, 1))
SUBPIXEL_SHIFTS = ((0.5, 0.25), (-0.75, 0.5), (1.5, -1.25))
#: output pixels EQ-T leaves out at every border (content that left a finite image is not aliasing)
EQT_MARGIN = 8


@dataclass
class EntryReport:
    """The measurements of one upsample entry."""

    id: str
    strategy: str
    factor: tuple[int, ...]
    cb_init: list[float] = field(default_factory=list)  # one per seed
    cb_trained: float | None = None
    overlap: float | None = None
    #: EQ-T in dB, (integer shifts, sub-pixel shifts), at initialisation (first seed) and after training;
    #: None for entries that are not 2-D
    eqt_init: tuple[float, float] | None = None
    eqt_trained: tuple[float, float] | None = None

    def summary(self) -> dict[str, Any]:
        values = np.asarray(self.cb_init)
        return {"entry": self.id, "strategy": self.strategy, "factor": list(self.factor),
                "cb_init_median": float(np.median(values)) if len(values) else None,
                "cb_init_min": float(values.min()) if len(values) else None,
                "cb_init_max": float(values.max()) if len(values) else None,
                "cb_init": [float(v) for v in values], "cb_trained": self.cb_trained, "overlap_ratio": self.overlap,
                "eqt_init": _decibels(self.eqt_init, 0), "eqt_frac_init": _decibels(self.eqt_init, 1),
                "eqt_trained": _decibels(self.eqt_trained, 0), "eqt_frac_trained": _decibels(self.eqt_trained, 1)}


def _decibels(pair: tuple[float, float] | None, index: int) -> float | str | None:
    """One EQ-T value for JSON: a number, "inf" (exactly equivariant), or None (not measured)."""
    return None if pair is None else _json_decibels(pair[index])


def _json_decibels(value: float) -> float | str:
    """dB for JSON: "inf" for exact equivariance (JSON has no infinity)."""
    value = float(value)
    return "inf" if np.isinf(value) else value


def upsample_entries(spec: Spec, registry: Registry | None = None) -> list[tuple[Any, tuple[int, ...], tuple]]:
    """``(node, factor, input shape)`` for every upsample entry, in graph order."""
    graph = build_graph(spec, registry or get_registry())
    shapes = {node.id: node.shape for node in graph.nodes.values()}
    found = []
    for node in graph.entries:
        if node.entry is None or node.kind != "upsample":
            continue
        source = tuple(shapes[node.inputs[0]] or ())
        found.append((node, per_axis(node.entry.params["factor"], len(source) - 1, "factor"), source))
    return found


def entry_model(node: Any, factor: tuple[int, ...], source: tuple, registry: Registry, trained: Any = None) -> Any:
    """The entry on its own: its strategy built on an input of the entry's input shape, with the trained
    model's weights copied in by layer name when ``trained`` is given (fresh initialisation otherwise).
    Measuring the entry alone keeps the border effects of the layers before it out of the numbers."""
    import keras

    x = keras.Input(tuple(d or 32 for d in source))
    guide, params = _guide_input(node, factor, source, registry)
    output = registry.strategy(node.entry.upsample).build(x, name=node.id, **params)
    model = keras.Model(x if guide is None else [x, guide], output)
    if trained is not None:
        for layer in model.layers:
            if not isinstance(layer, keras.layers.InputLayer):
                layer.set_weights(trained.get_layer(layer.name).get_weights())
    return model


def _guide_input(node: Any, factor: tuple[int, ...], source: tuple, registry: Registry) -> tuple[Any, dict[str, Any]]:
    """A Keras input for the entry's guide (None without one) and the strategy's parameters, ``guide`` included."""
    import keras

    params = {**node.entry.params, "factor": factor}
    if not getattr(node, "guide", None) or not registry.strategy(node.entry.upsample).takes_guide:
        return None, params
    shape = node.guide_shape or (*(None,) * len(factor), 1)
    spatial = tuple(d or (s or 32) * f for d, s, f in zip(shape[:-1], source[:-1], factor))
    guide = keras.Input((*spatial, shape[-1] or 1))
    return guide, {**params, "guide": guide}


def _constants(model: Any, value: float) -> Any:
    """A constant for each of the model's inputs (the entry's input, and its guide if it has one), batch of one."""
    shapes = [tuple(i.shape[1:]) for i in model.inputs]
    arrays = [np.full((1, *shape), value, "float32") for shape in shapes]
    return arrays if len(arrays) > 1 else arrays[0]


def constant_response(model: Any, value: float = CONSTANT) -> np.ndarray:
    """The output for a constant input, batch of one."""
    return np.asarray(model(_constants(model, value)))


def entry_cb(model: Any, entries: list[tuple[Any, tuple[int, ...], tuple]], registry: Registry | None = None,
             value: float = CONSTANT) -> list[float]:
    """CB of each entry of a trained ``model``, fed a constant on its own."""
    registry = registry or get_registry()
    return [phase_variance(constant_response(entry_model(node, factor, source, registry, model), value), factor)
            for node, factor, source in entries]


def initial_response(node: Any, factor: tuple[int, ...], source: tuple, registry: Registry, seed: int) -> np.ndarray:
    """The entry's output for a constant input, freshly initialised with ``seed``."""
    import keras

    keras.utils.set_random_seed(seed)
    return constant_response(entry_model(node, factor, source, registry))


def initial_responses(node: Any, factor: tuple[int, ...], source: tuple, registry: Registry,
                      seeds: tuple[int, ...], value: float = CONSTANT) -> list[np.ndarray]:
    """:func:`initial_response` for every seed at once: one model with one copy of the entry per seed, each
    built right after seeding (so initialised exactly as on its own), fed the constant in one call."""
    import keras

    unique = list(dict.fromkeys(seeds))
    try:
        x = keras.Input(tuple(d or 32 for d in source))
        guide, params = _guide_input(node, factor, source, registry)
        outputs = []
        for seed in unique:
            keras.utils.set_random_seed(seed)
            outputs.append(registry.strategy(node.entry.upsample).build(x, name=f"{node.id}_seed{seed}", **params))
        model = keras.Model(x if guide is None else [x, guide], outputs)
        responses = model(_constants(model, value))
        found = [np.asarray(r) for r in (responses if isinstance(responses, (list, tuple)) else [responses])]
    except ValueError:  # a strategy whose layer names ignore ``name`` clashes with itself: one model per seed
        found = [initial_response(node, factor, source, registry, seed) for seed in unique]
    by_seed = dict(zip(unique, found))
    return [by_seed[seed] for seed in seeds]


def cb_at_init(spec: Spec, seeds: tuple[int, ...] = SEEDS, registry: Registry | None = None) -> dict[str, list[float]]:
    """CB per entry for fresh initialisations, one value per seed."""
    registry = registry or get_registry()
    return {node.id: [phase_variance(response, factor)
                      for response in initial_responses(node, factor, source, registry, tuple(seeds))]
            for node, factor, source in upsample_entries(spec, registry)}


def entry_overlap(strategy: Any, params: dict[str, Any], factor: tuple[int, ...], size: int = 16) -> float:
    """Overlap ratio of one strategy: one channel in and out, every weight one, bias off, input all ones (and a
    guide of ones, for a strategy that requires one)."""
    import keras

    params = {k: v for k, v in params.items() if k not in ("factor", "filters", "activation", "use_bias")}
    x = keras.Input((*(size,) * len(factor), 1))
    inputs = [x]
    if strategy.takes_guide == "required":
        inputs.append(keras.Input((*(size * f for f in factor), 1)))
        params["guide"] = inputs[1]
    model = keras.Model(inputs if len(inputs) > 1 else x,
                        strategy.build(x, factor=factor, filters=1, activation=None, use_bias=False, name="probe",
                                       **params))
    for weight in model.weights:
        weight.assign(np.ones(weight.shape, "float32"))
    return overlap_ratio(np.asarray(model(_constants(model, 1.0))), factor)


def smooth_image(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A test image in [-1, 1], batch of one: white noise blurred by a Gaussian (sigma 1.2 pixels), so that its
    content is mostly below the Nyquist frequency (EQ-T then measures the upsampler, not the image)."""
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(1, *shape))
    kernel = np.exp(-0.5 * (np.arange(-4, 5) / 1.2) ** 2)
    kernel /= kernel.sum()
    for axis in range(1, len(shape)):
        # "full" then the centre: "same" would return the kernel's length for a side shorter than it (a 7x7 entry)
        image = np.apply_along_axis(lambda v: np.convolve(v, kernel)[4:4 + len(v)], axis, image)
    return (image / np.abs(image).max()).astype("float32")


def entry_eqt(model: Any, factor: tuple[int, ...], seed: int = 0) -> tuple[float, float] | None:
    """EQ-T of an entry model (:func:`entry_model`) in dB: (integer shifts, sub-pixel shifts), StyleGAN3's
    translation equivariance (``upspec.metrics.equivariance``); a guide is translated with the output. None
    for an entry that is not 2-D."""
    if len(factor) != 2:
        return None
    shape = tuple(model.inputs[0].shape[1:])
    x = smooth_image(shape, seed)
    guide = smooth_image(tuple(model.inputs[1].shape[1:]), seed + 1) if len(model.inputs) > 1 else None
    side = min(n * f for n, f in zip(shape[:-1], factor))
    margin = min(EQT_MARGIN, side // 4)

    def upsample(image: np.ndarray, moved_guide: np.ndarray | None = None) -> np.ndarray:
        fed = image.astype("float32") if moved_guide is None else [image.astype("float32"), moved_guide.astype("float32")]
        return np.asarray(model(fed))

    return (equivariance_translation(upsample, x, factor, INTEGER_SHIFTS, margin=margin, guide=guide),
            equivariance_translation(upsample, x, factor, SUBPIXEL_SHIFTS, fractional=True, margin=margin, guide=guide))


def eqt_entries(spec: Spec, registry: Registry | None = None, trained: Any = None,
                seed: int = 0) -> list[dict[str, Any]]:
    """EQ-T of every 2-D upsample entry for a run's measurements: ``{"entry", "strategy", "eqt_init",
    "eqt_frac_init"[, "eqt_trained", "eqt_frac_trained"]}`` in dB (integer and sub-pixel shifts; "inf" for
    exact equivariance), at initialisation (``seed``) and, given ``trained``, after training. Entries that
    are not 2-D are left out (EQ-T is defined on images)."""
    import keras

    registry = registry or get_registry()
    found = []
    for node, factor, source in upsample_entries(spec, registry):
        if len(factor) != 2:
            continue
        keras.utils.set_random_seed(seed)
        init = entry_eqt(entry_model(node, factor, source, registry), factor, seed)
        row: dict[str, Any] = {"entry": node.id, "strategy": node.entry.upsample,
                               "eqt_init": _decibels(init, 0), "eqt_frac_init": _decibels(init, 1)}
        if trained is not None:
            after = entry_eqt(entry_model(node, factor, source, registry, trained), factor, seed)
            row.update(eqt_trained=_decibels(after, 0), eqt_frac_trained=_decibels(after, 1))
        found.append(row)
    return found


#: the EQ-T keys of a run's measurements, each the lowest over the 2-D upsample entries
EQT_KEYS = ("eqt_init", "eqt_trained", "eqt_frac_init", "eqt_frac_trained")


def eqt_measurements(spec: Spec, registry: Registry | None = None, trained: Any = None) -> dict[str, Any]:
    """A run's EQ-T numbers: ``eqt_entries`` (per entry, :func:`eqt_entries`) and, for a sweep's cost table,
    ``eqt_init`` / ``eqt_trained`` / ``eqt_frac_init`` / ``eqt_frac_trained``: the lowest over the entries (a
    chain of upsamplers is as equivariant as its least equivariant entry; a median of two would average one
    "inf" away), "inf" when exactly equivariant, None for a model without 2-D upsample entries."""
    entries = eqt_entries(spec, registry, trained)
    summary: dict[str, Any] = {}
    for key in EQT_KEYS:
        values = [float(e[key]) for e in entries if e.get(key) is not None]
        summary[key] = _json_decibels(min(values)) if values else None
    return {**summary, "eqt_entries": entries}


def measure(spec: Spec, *, model: Any = None, seeds: tuple[int, ...] = SEEDS,
            registry: Registry | None = None) -> list[EntryReport]:
    """Every measurement for every upsample entry; CB after training too when a trained ``model`` is given."""
    registry = registry or get_registry()
    entries = upsample_entries(spec, registry)
    import keras

    init = cb_at_init(spec, seeds, registry)
    trained = entry_cb(model, entries, registry) if model is not None else [None] * len(entries)
    reports = []
    for (node, factor, source), cb in zip(entries, trained):
        strategy = registry.strategy(node.entry.upsample)
        keras.utils.set_random_seed(seeds[0])
        eqt_init = entry_eqt(entry_model(node, factor, source, registry), factor)
        eqt_trained = entry_eqt(entry_model(node, factor, source, registry, model), factor) if model is not None else None
        reports.append(EntryReport(node.id, node.entry.upsample, factor, init[node.id], cb,
                                   entry_overlap(strategy, node.entry.params, factor), eqt_init, eqt_trained))
    return reports
