"""``compile:``: optimizer, loss and metrics by name."""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ..registry.registry import Registry
from ..modelspec.model import Spec


def _named_metric(metric: Any, name: str) -> Any:
    """A plugin's metric under the name the spec used (a bare function would log as its ``__name__``)."""
    import keras

    if isinstance(metric, type) and issubclass(metric, keras.metrics.Metric):
        return metric(name=name)
    if isinstance(metric, keras.metrics.Metric):
        return metric
    return keras.metrics.MeanMetricWrapper(metric, name=name)


def _plugin_metrics(registry: Registry) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for _info, provided in registry.call("upspec_metrics"):
        metrics.update(provided or {})
    return metrics


def _known_optimizer(name: str) -> bool:
    """Whether Keras resolves ``name`` (a built-in or a registered custom optimizer) without arguments."""
    import keras

    try:
        keras.optimizers.get(name)
    except (ValueError, TypeError):
        return False
    return True


def compile_model(model: Any, spec: Spec, registry: Registry) -> None:
    import keras

    section = spec.compile
    errors = []

    def fail(path: tuple, message: str, hint: str = "") -> None:
        errors.append(spec.diagnostic(path, message, hint))

    optimizer = None
    try:  # one optimizer, made from its name and arguments (not a default one first, to learn its class)
        optimizer = keras.optimizers.get({"class_name": section.optimizer.name, "config": section.optimizer.arguments})
    except (ValueError, TypeError) as exc:
        names = sorted(n.lower() for n in dir(keras.optimizers) if isinstance(getattr(keras.optimizers, n), type)
                       and issubclass(getattr(keras.optimizers, n), keras.optimizers.Optimizer) and n != "Optimizer")
        why = str(exc) if _known_optimizer(section.optimizer.name) else "Keras has no optimizer of that name"
        fail(("compile", "optimizer"), f"invalid optimizer {section.optimizer.name!r}: {why}", "available: " + ", ".join(names))

    custom = _plugin_metrics(registry)
    losses = section.loss if isinstance(section.loss, dict) else {None: section.loss}
    for output, name in losses.items():
        try:
            keras.losses.get(custom.get(name, name))
        except (ValueError, TypeError):
            path = ("compile", "loss") + ((output,) if output else ())
            fail(path, f"unknown loss {name!r}", "use a Keras loss name such as mean_squared_error, mean_absolute_error, binary_crossentropy")
    metrics = []
    for position, name in enumerate(section.metrics):
        if name in custom:
            metrics.append(_named_metric(custom[name], name))
            continue
        try:
            keras.metrics.get(name)
        except (ValueError, TypeError):
            fail(("compile", "metrics", position), f"unknown metric {name!r}",
                 "use a Keras metric name, or one a plugin provides: " + ", ".join(sorted(custom)))
            continue
        metrics.append(name)
    if errors:
        raise SpecError(errors)
    loss = section.loss if not isinstance(section.loss, dict) else dict(section.loss)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
