"""``compile:`` names checked without importing Keras: the optimizers, losses and metrics Keras resolves by
name, from a static table (``registry/keras_names.json``) generated from Keras by :func:`generate` and checked
against the installed Keras by ``tests/test_compile_names.py``.

A loss that Keras does not know may be a plugin's metric (``upspec_metrics``), so the plugins are asked then,
and only then (that imports Keras). A metric that Keras does not know is reported only when it is close to a
Keras name (``accuarcy``): plugins' metrics (``psnr``) are checked when the model is compiled, so that
``validate`` stays free of TensorFlow.

Regenerate the table after a Keras upgrade: ``python -m upspec.modelspec.compile_names``.
"""

from __future__ import annotations

import difflib
import functools
import json
from pathlib import Path
from typing import Any

from ..errors import Diagnostic
from ..errors import available
from .yaml_source import Document

TABLE = Path(__file__).resolve().parent.parent / "registry" / "keras_names.json"
#: Keras's abstract bases and wrappers, which no spec can use by name
NOT_BY_NAME = {"optimizer", "lossscaleoptimizer", "multioptimizer", "optimizermap", "Loss", "LossFunctionWrapper",
               "Metric", "metric", "MeanMetricWrapper"}


@functools.lru_cache(maxsize=1)
def keras_names() -> dict[str, Any]:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def generate() -> dict[str, Any]:
    """The table from the installed Keras: every name its ``get`` functions resolve."""
    import keras
    from keras.src import losses
    from keras.src import metrics
    from keras.src import optimizers

    def resolves(get: Any, name: str) -> bool:
        try:
            get(name)
        except (ValueError, TypeError):
            return False
        return True

    return {
        "keras_version": keras.__version__,
        "optimizers": sorted(n for n in optimizers.ALL_OBJECTS_DICT if n not in NOT_BY_NAME
                             and resolves(lambda x: keras.optimizers.get({"class_name": x, "config": {}}), n)),
        "losses": sorted(n for n in losses.ALL_OBJECTS_DICT if n not in NOT_BY_NAME and resolves(keras.losses.get, n)),
        "metrics": sorted(n for n in metrics.ALL_OBJECTS_DICT if n not in NOT_BY_NAME
                          and resolves(keras.metrics.get, n)),
    }


def _snake(names: list[str]) -> list[str]:
    """The names a user types (snake_case and the short aliases), for hints."""
    return [n for n in names if n == n.lower()]


def _plugin_metric_names(registry: Any) -> set[str]:
    names: set[str] = set()
    for _info, provided in registry.call("upspec_metrics"):
        names.update(provided or {})
    return names


def compile_names_diagnostics(doc: Document, registry: Any) -> list[Diagnostic]:
    """Unknown optimizer, loss and (close-to-Keras) metric names in ``doc``'s ``compile:``, each at its line."""
    section = doc.data.get("compile") if isinstance(doc.data, dict) else None
    if not isinstance(section, dict):
        return []
    table = keras_names()
    found = []
    optimizer = section.get("optimizer")
    path: tuple = ("compile", "optimizer")
    if isinstance(optimizer, dict):
        optimizer, path = optimizer.get("name"), path + ("name",)
    if isinstance(optimizer, str) and optimizer.lower() not in table["optimizers"]:
        found.append(doc.diagnostic(path, f"unknown optimizer {optimizer!r}",
                                    available(table["optimizers"], optimizer.lower())))
    loss = section.get("loss")
    losses = loss.items() if isinstance(loss, dict) else [(None, loss)]
    unknown = [(output, name) for output, name in losses if isinstance(name, str) and name not in table["losses"]]
    if unknown:
        metric_plugins = _plugin_metric_names(registry)
        for output, name in unknown:
            if name not in metric_plugins:
                where: tuple[Any, ...] = ("compile", "loss") + ((output,) if output else ())
                found.append(doc.diagnostic(where, f"unknown loss {name!r}",
                                            available([*_snake(table["losses"]), *metric_plugins], name)))
    metrics = section.get("metrics")
    unknown_metrics = [(position, name) for position, name in
                       enumerate(metrics if isinstance(metrics, list) else [metrics] if metrics else [])
                       if isinstance(name, str) and name not in table["metrics"]]
    close = [name for _, name in unknown_metrics if difflib.get_close_matches(name, table["metrics"], n=1, cutoff=0.8)]
    # the plugins' metrics are asked only when the spec fails anyway (that imports Keras), so that a valid spec
    # naming a plugin's metric (psnr) validates without TensorFlow
    plugins = _plugin_metric_names(registry) if unknown_metrics and (found or close) else None
    for position, name in unknown_metrics:
        if (plugins is not None and name not in plugins) or (plugins is None and name in close):
            where = ("compile", "metrics", position) if isinstance(metrics, list) else ("compile", "metrics")
            found.append(doc.diagnostic(where, f"unknown metric {name!r}",
                                        available([*_snake(table["metrics"]), *(plugins or ())], name)))
    return found


if __name__ == "__main__":
    TABLE.write_text(json.dumps(generate(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {TABLE}")
