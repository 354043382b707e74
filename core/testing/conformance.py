"""The checks behind ``upspec.testing.check_strategy``."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from typing import Callable

from ..errors import SpecError
from ..registry.strategy import Strategy
from ..registry.strategy import keeps_channels
from ..registry.strategy import strategy_parameters

_SIZES: dict[int, list[tuple[int, ...]]] = {1: [(7,), (8,)], 2: [(5, 6), (8, 8)], 3: [(3, 4, 5)]}


class ConformanceError(AssertionError):
    def __init__(self, strategy: Strategy, check: str, message: str) -> None:
        super().__init__(f"strategy {strategy.name!r} failed the {check!r} check: {message}")
        self.check = check


#: the guide's channels in the checks of a guided strategy (other than the input's, as an encoder skip's are)
GUIDE_CHANNELS = 3


def _factors(strategy: Strategy, rank: int) -> list[tuple[int, ...]]:
    factors = [(f,) * rank for f in (2, 3, 4)]
    if strategy.per_axis_factors and rank > 1:
        factors.append(tuple(itertools.islice(itertools.cycle((2, 3, 1)), rank)))
    return factors


def refusal(strategy: Strategy, input_shape: tuple, factor: tuple[int, ...], guide_shape: tuple | None) -> str | None:
    """The message of the strategy's static check (``Strategy.check``) for these shapes and its default
    parameters, or None when it accepts them."""
    from ..errors import ParameterError

    params = {name: p.default for name, p in strategy_parameters(strategy).items() if not p.required}
    params.update(factor=factor, filters=4, kernel_size=3)
    try:
        strategy.check(tuple(input_shape), guide_shape=guide_shape, **params)
    except ParameterError as exc:
        return exc.message
    return None


def _guide_shape(strategy: Strategy, input_shape: tuple, factor: tuple[int, ...]) -> tuple | None:
    """A guide at the output's size for a strategy that takes one."""
    if not strategy.takes_guide:
        return None
    return (*(s * f for s, f in zip(input_shape[:-1], factor)), GUIDE_CHANNELS)


def _model(strategy: Strategy, input_shape: tuple, factor: tuple[int, ...], filters: int | None, *,
           guided: bool = True, **extra: Any) -> Any:
    """The strategy on its own: input ``x`` (and ``guide`` at the output's size, for a strategy that takes one,
    unless ``guided`` is false)."""
    import keras

    x = keras.Input(shape=input_shape, name="x")
    inputs = [x]
    if strategy.takes_guide and guided:
        guide = keras.Input(shape=_guide_shape(strategy, input_shape, factor), name="guide")
        inputs.append(guide)
        extra["guide"] = guide
    build: Any = strategy.build  # filters=None only for strategies whose signature accepts it
    y = build(x, factor=factor, filters=filters, kernel_size=3, name="up", **extra)
    return keras.Model(inputs if len(inputs) > 1 else x, y, name=f"conformance_{strategy.name}")


def _feed(model: Any, x: Any, seed: int = 0) -> Any:
    """``x``, or ``[x, guide]`` with a random guide for a model that takes one."""
    import numpy as np

    if len(model.inputs) == 1:
        return x
    shape = (x.shape[0], *model.inputs[1].shape[1:])
    return [x, np.random.default_rng(seed + 100).random(shape, dtype="float32")]


def check_shapes(strategy: Strategy) -> None:
    """The upsample contract over ranks, factors (per-axis too), odd/even sizes and channels; with
    ``filters: null`` too where the strategy accepts it (then the channels stay)."""
    import numpy as np

    filter_choices: tuple[int | None, ...] = (4, None) if keeps_channels(strategy) else (4,)
    for rank in strategy.ranks:
        for spatial, factor, channels, filters in itertools.product(_SIZES[rank], _factors(strategy, rank), (1, 3),
                                                                     filter_choices):
            input_shape = (*spatial, channels)
            refused = refusal(strategy, input_shape, factor, _guide_shape(strategy, input_shape, factor))
            if refused is not None:  # a factor or size the method cannot take, refused at validate: allowed...
                if factor == (2,) * rank and spatial == _SIZES[rank][-1]:  # ...but not the plainest case
                    raise ConformanceError(strategy, "shapes", f"input {input_shape} with factor {factor} is "
                                                               f"refused by check(): {refused}")
                continue
            model = _model(strategy, input_shape, factor, filters)
            expected = (2, *(s * f for s, f in zip(spatial, factor)), channels if filters is None else filters)
            out = model(_feed(model, np.random.default_rng(0).random((2, *spatial, channels), dtype="float32")))
            if tuple(out.shape) != expected:
                raise ConformanceError(strategy, "shapes",
                                       f"input {(2, *spatial, channels)} with factor {factor}, filters {filters}: "
                                       f"expected output {expected}, got {tuple(out.shape)}")


def check_config_round_trip(strategy: Strategy) -> None:
    """Every layer the strategy builds survives ``get_config`` -> ``from_config``."""
    rank = strategy.ranks[-1] if 2 not in strategy.ranks else 2
    model = _model(strategy, (*_SIZES[rank][0], 2), (2,) * rank, 3)
    for layer in model.layers[1:]:
        config = layer.get_config()
        again = type(layer).from_config(config).get_config()
        if again != config:
            diff = {k: (config.get(k), again.get(k)) for k in set(config) | set(again) if config.get(k) != again.get(k)}
            raise ConformanceError(strategy, "config round trip", f"layer {layer.name!r} changed: {diff}")


_RELOAD = """
import sys
import numpy as np
from upspec.runner.artefacts.models import load_model
model = load_model(sys.argv[1])
arrays = np.load(sys.argv[2])
x = [arrays[k] for k in sorted(arrays.files)]
np.save(sys.argv[3], np.asarray(model.predict(x if len(x) > 1 else x[0], verbose=0)))
"""


def check_save_reload(strategy: Strategy) -> None:
    """A saved ``.keras`` model reloads in a fresh process and predicts the same."""
    import numpy as np

    rank = 2 if 2 in strategy.ranks else strategy.ranks[0]
    model = _model(strategy, (*_SIZES[rank][-1], 2), (2,) * rank, 3)
    x = _feed(model, np.random.default_rng(1).random((2, *_SIZES[rank][-1], 2), dtype="float32"))
    before = np.asarray(model.predict(x, verbose=0))
    with tempfile.TemporaryDirectory() as tmp:
        path, inputs, outputs = (Path(tmp) / n for n in ("m.keras", "x.npz", "y.npy"))
        model.save(path)
        np.savez(inputs, **{f"input_{i}": a for i, a in enumerate(x if isinstance(x, list) else [x])})
        done = subprocess.run([sys.executable, "-c", _RELOAD, str(path), str(inputs), str(outputs)],
                              capture_output=True, text=True, env=_quiet_env())
        if done.returncode:
            raise ConformanceError(strategy, "save and reload", f"reloading in a fresh process failed:\n{done.stderr[-2000:]}")
        after = np.load(outputs)
    worst = float(np.max(np.abs(before - after)))
    if before.shape != after.shape or worst > 1e-6:
        raise ConformanceError(strategy, "save and reload",
                               f"predictions differ after reloading: shapes {before.shape} vs {after.shape}, max |diff| {worst}")


def _quiet_env() -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def input_gradient(model: Any, x: Any, others: tuple = ()) -> Any:
    """d(sum(model(x)**2))/dx as NumPy (None if the graph is cut), on whichever Keras backend is active;
    ``others``: the model's further inputs (a guide), held fixed."""
    import keras
    import numpy as np

    fixed = [keras.ops.convert_to_tensor(o) for o in others]

    def feed(inputs: Any) -> Any:
        return [inputs, *fixed] if fixed else inputs

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]

        def loss(inputs: Any) -> Any:
            out, _ = model.stateless_call(trainable, frozen, feed(inputs))
            return jax.numpy.sum(out**2)

        return np.asarray(jax.grad(loss)(jax.numpy.asarray(x)))
    if backend == "torch":
        import torch

        inputs = torch.tensor(x, requires_grad=True)
        torch.sum(model(feed(inputs)) ** 2).backward()
        return None if inputs.grad is None else inputs.grad.detach().cpu().numpy()
    import tensorflow as tf

    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        loss = tf.reduce_sum(tf.square(model(feed(inputs))))
    grad = tape.gradient(loss, inputs)
    return None if grad is None else grad.numpy()


def check_gradients(strategy: Strategy) -> None:
    """Gradients of the output reach the input (the strategy does not cut the graph), on any backend."""
    import numpy as np

    rank = 2 if 2 in strategy.ranks else strategy.ranks[0]
    model = _model(strategy, (*_SIZES[rank][-1], 2), (2,) * rank, 3)
    fed = _feed(model, np.random.default_rng(2).random((1, *_SIZES[rank][-1], 2), dtype="float32"))
    grad = input_gradient(model, fed[0], tuple(fed[1:])) if isinstance(fed, list) else input_gradient(model, fed)
    norm = 0.0 if grad is None else float(np.linalg.norm(grad))
    if not norm > 0:
        raise ConformanceError(strategy, "gradients", f"d(output)/d(input) is {'None' if grad is None else 'all zero'}")


def check_training(strategy: Strategy) -> None:
    """A few optimiser steps on a fixed batch lower the loss."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    rank = 2 if 2 in strategy.ranks else strategy.ranks[0]
    spatial = _SIZES[rank][-1]
    model = _model(strategy, (*spatial, 1), (2,) * rank, 1)
    rng = np.random.default_rng(3)
    x = rng.random((4, *spatial, 1), dtype="float32")
    y = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2) if rank >= 2 else np.repeat(x, 2, axis=1)
    if rank == 3:
        y = np.repeat(y, 2, axis=3)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    history = model.fit(_feed(model, x), y, epochs=8, batch_size=4, verbose=0).history["loss"]
    if not history[-1] < history[0]:
        raise ConformanceError(strategy, "training", f"the loss did not go down over 8 steps: {history[0]:.6g} -> {history[-1]:.6g}")


def check_activation(strategy: Strategy) -> None:
    """``activation`` acts on the output: with ``activation="relu"`` and the same weights, the output changes
    and lies in relu's range (a strategy that ignores the parameter fails here). Built-in strategies apply it
    last, or before a fixed averaging (``pixel_shuffle`` with ``blur``), which keeps that range."""
    import keras
    import numpy as np

    rank = 2 if 2 in strategy.ranks else strategy.ranks[0]
    spatial = _SIZES[rank][-1]
    keras.utils.set_random_seed(4)
    plain = _model(strategy, (*spatial, 2), (2,) * rank, 3, activation=None)
    activated = _model(strategy, (*spatial, 2), (2,) * rank, 3, activation="relu")
    activated.set_weights(plain.get_weights())
    x = np.random.default_rng(4).normal(size=(2, *spatial, 2)).astype("float32")
    without = keras.ops.convert_to_numpy(plain(_feed(plain, x, seed=4)))
    got = keras.ops.convert_to_numpy(activated(_feed(activated, x, seed=4)))
    if not (without < 0).any():
        raise ConformanceError(strategy, "activation", "the output without an activation has no negative value "
                                                       "to tell relu by (on a normal-distributed input)")
    ignored = np.allclose(got, without, atol=1e-6)
    if ignored or got.min() < -1e-5:
        what = "is the one without an activation" if ignored else "has negative values"
        raise ConformanceError(strategy, "activation", f"with activation='relu' the output {what} "
                                                       f"(minimum {got.min():.3g}): is `activation` applied?")


def check_signature(strategy: Strategy) -> None:
    """Parameters validate from the ``build`` signature: a wrong value is a spec error at that key."""
    from ..modelspec.entries import validate_strategy_params

    try:
        strategy_parameters(strategy)
    except TypeError as exc:
        raise ConformanceError(strategy, "signature", str(exc)) from None
    registry = _registry_with(strategy)
    try:
        validate_strategy_params(strategy.name, registry, {"factor": 2, "filters": "many"})
    except Exception as exc:  # pydantic.ValidationError
        if "filters" not in str(exc):
            raise ConformanceError(strategy, "signature", f"a bad 'filters' was reported without naming it: {exc}") from None
    else:
        raise ConformanceError(strategy, "signature", "filters='many' was accepted")


def check_unsupported_rank(strategy: Strategy) -> None:
    """A rank the strategy does not declare is a clear spec error, before Keras."""
    from ..graph.graph import build_graph
    from ..modelspec.load import load_spec

    missing = [r for r in (1, 2, 3) if r not in strategy.ranks]
    if not missing:
        return
    rank = missing[0]
    registry = _registry_with(strategy)
    guide = {"guide": "g"} if strategy.takes_guide else {}
    spec = load_spec({"name": "rank-check", "inputs": {"x": [8] * rank + [1], **({"g": [16] * rank + [1]} if guide else {})},
                      "layers": [{"id": "up", "upsample": strategy.name, "factor": 2, "filters": 2, "inputs": "x",
                                  **guide}]}, registry=registry)
    try:
        build_graph(spec, registry)
    except SpecError as exc:
        if "supports" not in str(exc):
            raise ConformanceError(strategy, "unsupported rank", f"unclear message: {exc}") from None
        return
    raise ConformanceError(strategy, "unsupported rank", f"a {rank}-D input was accepted though ranks={strategy.ranks}")


def check_guide(strategy: Strategy) -> None:
    """The guide contract: a strategy that takes a guide declares ``build(..., guide=...)`` and its output
    depends on the guide; an optional guide may be absent; a strategy that takes none refuses a spec's guide."""
    import numpy as np

    from ..graph.graph import build_graph
    from ..modelspec.load import load_spec

    rank = 2 if 2 in strategy.ranks else strategy.ranks[0]
    spatial = _SIZES[rank][-1]
    registry = _registry_with(strategy)
    spec = {"name": "guide-check", "inputs": {"x": [*spatial, 2], "g": [*(2 * s for s in spatial), GUIDE_CHANNELS]},
            "layers": [{"id": "up", "upsample": strategy.name, "factor": 2, "filters": 3, "inputs": "x", "guide": "g"}]}
    if not strategy.takes_guide:
        try:
            build_graph(load_spec(spec, registry=registry), registry)
        except SpecError as exc:
            if "takes no guide" not in str(exc):
                raise ConformanceError(strategy, "guide", f"unclear message for a guide it cannot take: {exc}") from None
            return
        raise ConformanceError(strategy, "guide", "a spec's guide was accepted though takes_guide is None")
    build_graph(load_spec(spec, registry=registry), registry)
    model = _model(strategy, (*spatial, 2), (2,) * rank, 3)
    x = np.random.default_rng(4).random((1, *spatial, 2), dtype="float32")
    first, second = (np.asarray(model(_feed(model, x, seed))) for seed in (0, 1))
    if np.array_equal(first, second):
        raise ConformanceError(strategy, "guide", "the output does not change when the guide does")
    if strategy.takes_guide == "optional":
        alone = _model(strategy, (*spatial, 2), (2,) * rank, 3, guided=False)
        if tuple(alone.output.shape[1:]) != tuple(model.output.shape[1:]):
            raise ConformanceError(strategy, "guide", f"without its optional guide the output is "
                                                      f"{tuple(alone.output.shape[1:])}, not {tuple(model.output.shape[1:])}")


def _registry_with(strategy: Strategy) -> Any:
    """The current registry, with ``strategy`` in it even if no plugin registers it."""
    from ..registry.plugins import PluginInfo
    from ..registry.registry import get_registry

    return get_registry().with_strategy(strategy, PluginInfo("conformance", "-", "-", "-"))


CHECKS: dict[str, Callable[[Strategy], None]] = {
    "signature": check_signature,
    "shapes": check_shapes,
    "config round trip": check_config_round_trip,
    "gradients": check_gradients,
    "training": check_training,
    "activation": check_activation,
    "unsupported rank": check_unsupported_rank,
    "save and reload": check_save_reload,
    "guide": check_guide,
}


def resolve_strategy(strategy: Strategy | str) -> Strategy:
    """A strategy instance, or the one registered under that name (by any installed plugin)."""
    if isinstance(strategy, Strategy):
        return strategy
    if isinstance(strategy, str):
        from ..registry.registry import get_registry

        return get_registry().strategy(strategy)
    raise TypeError(f"expected an upspec.Strategy instance or a registered strategy name, not {strategy!r}")


def check_strategy(strategy: Strategy | str, checks: list[str] | None = None) -> list[str]:
    """Run the conformance checks (all, or the named ones) on ``strategy`` (an instance or a registered
    name); return their names. The first failure raises :class:`ConformanceError`."""
    strategy = resolve_strategy(strategy)
    names = list(CHECKS) if checks is None else checks
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown conformance check(s) {unknown}; the checks are {list(CHECKS)}")
    for name in names:
        CHECKS[name](strategy)
    return names
