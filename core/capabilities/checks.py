"""The checks of one capability row on the Keras backend this process runs: build and one training step,
determinism, and on TensorFlow XLA, SavedModel, TFLite and ONNX, each compared with Keras's own output.

Each check returns a cell: ``"ok"``, ``"matches (max error 1.2e-07)"``, ``"same weights"``, or
``"fails: REASON"`` (the reason's last line); a check never raises.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any
from typing import Callable

import numpy as np

from ..errors import UpspecError

#: the largest difference a format may show against Keras (relative to max(1, |output|)) to "match"
TOLERANCE = 1e-4


#: a line that says what failed (an op, an operator), preferred over a converter's closing advice
TELLING = re.compile(r"not (a |an )?(supported|builtin|implemented|an ONNX operator)|unsupported|NotImplemented|"
                     r"no (op|kernel|registered)|cannot|could not", re.IGNORECASE)


def _reason(exc: BaseException) -> str:
    """The line of an error that names what failed: upspec's own errors' first detail (the entry, layer and
    op), else the first line that names an unsupported op, else the last line; at most 160 characters."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # Keras colours its messages for terminals
    ops = sorted(set(re.findall(r"No registered '(\w+)' OpKernel for XLA", message)))
    if ops:  # XLA's refusal lists the ops it cannot compile, deep in a long message
        return f"XLA cannot compile op(s) {', '.join(ops)}"
    lines = [line.strip() for line in message.splitlines() if line.strip() and not line.strip().startswith("•")]
    lines = [line for line in lines if not line.startswith(("Arguments received", "Exception encountered"))]
    telling = [line for line in lines if TELLING.search(line)]
    if isinstance(exc, UpspecError) and len(lines) > 1:
        text = lines[1]
    else:
        text = telling[0] if telling else (lines[-1] if lines else type(exc).__name__)
    return text if len(text) <= 160 else text[:157] + "..."


def _cell(check: Callable[[], str]) -> str:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - the cell says why, the table goes on
        return f"fails: {_reason(exc)}"


def _matches(got: Any, expected: Any) -> str:
    got, expected = np.asarray(got, "float64"), np.asarray(expected, "float64")
    if got.shape != expected.shape:
        return f"fails: shape {got.shape} instead of {expected.shape}"
    error = float(np.abs(got - expected).max()) / max(1.0, float(np.abs(expected).max()))
    verdict = "matches" if error <= TOLERANCE else "fails: differs"
    return f"{verdict} (max error {error:.2g})"


def _data(model: Any, seed: int = 0) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    x = rng.random((2, *model.inputs[0].shape[1:]), dtype="float32")
    y = rng.random((2, *model.outputs[0].shape[1:]), dtype="float32")
    return x, y


def _build(spec: dict[str, Any], registry: Any, seed: int = 0, **compile_options: Any) -> Any:
    import keras

    from ..builder.builder import build_model
    from ..modelspec.load import load_spec

    keras.utils.set_random_seed(seed)
    model = build_model(load_spec(spec, registry=registry), registry=registry)
    if compile_options:
        model.compile(optimizer="adam", loss="mean_squared_error", **compile_options)
    return model


def _trained_weights(spec: dict[str, Any], registry: Any) -> list[Any]:
    model = _build(spec, registry)
    x, y = _data(model)
    model.train_on_batch(x, y)
    return [np.asarray(w) for w in model.get_weights()]


def check_backend(spec: dict[str, Any], registry: Any) -> str:
    model = _build(spec, registry)
    x, y = _data(model)
    loss = model.train_on_batch(x, y)
    value = float(np.asarray(loss[0] if isinstance(loss, (list, tuple)) else loss))
    return "ok" if np.isfinite(value) else f"fails: loss {value}"


def check_determinism(spec: dict[str, Any], registry: Any) -> str:
    first, second = _trained_weights(spec, registry), _trained_weights(spec, registry)
    worst = max((float(np.abs(a - b).max()) for a, b in zip(first, second) if a.size), default=0.0)
    return "same weights" if worst == 0.0 else f"fails: weights differ by up to {worst:.2g}"


def check_xla(spec: dict[str, Any], registry: Any) -> str:
    model = _build(spec, registry)
    x, _ = _data(model)
    expected = model.predict(x, verbose=0)
    jitted = _build(spec, registry, jit_compile=True)
    jitted.set_weights(model.get_weights())
    jitted.train_on_batch(*_data(jitted))  # a training step compiled by XLA
    jitted.set_weights(model.get_weights())
    return _matches(jitted.predict(x, verbose=0), expected)


def check_saved_model(spec: dict[str, Any], registry: Any) -> str:
    import tensorflow as tf

    from ..runner.artefacts.export import EXPORT_FORMATS
    from ..runner.artefacts.export import ExportOptions

    model = _build(spec, registry)
    x, _ = _data(model)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "saved_model"
        EXPORT_FORMATS["saved_model"].write(model, path, ExportOptions())
        loaded = tf.saved_model.load(str(path))  # held: its variables die with it
        return _matches(np.asarray(loaded.serve(x)), model.predict(x, verbose=0))


def check_tflite(spec: dict[str, Any], registry: Any) -> str:
    from ..runner.artefacts.export import EXPORT_FORMATS
    from ..runner.artefacts.export import ExportOptions
    from ..runner.artefacts.tflite import tflite_predict

    model = _build(spec, registry)
    x, _ = _data(model)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "model.tflite"
        EXPORT_FORMATS["tflite"].write(model, path, ExportOptions(strategies={"up": spec["layers"][0]["upsample"]}))
        return _matches(tflite_predict(path, x), model.predict(x, verbose=0))


def check_onnx(spec: dict[str, Any], registry: Any) -> str:
    from ..runner.artefacts.onnx_export import CheckInputs
    from ..runner.artefacts.onnx_export import export_onnx
    from ..runner.artefacts.onnx_export import onnx_predict

    model = _build(spec, registry)
    x, _ = _data(model)
    with tempfile.TemporaryDirectory() as scratch:
        path = export_onnx(model, Path(scratch) / "model.onnx", inputs=CheckInputs([x], "random inputs"),
                           strategies={"up": spec["layers"][0]["upsample"]})
        return _matches(onnx_predict(path, [x]), model.predict(x, verbose=0))


#: the columns measured on every backend, and those measured on TensorFlow only
EVERY_BACKEND = {"build": check_backend, "determinism": check_determinism}
TENSORFLOW_ONLY = {"xla": check_xla, "saved_model": check_saved_model, "tflite": check_tflite, "onnx": check_onnx}


def measure(specs: list[dict[str, Any]], backend: str, registry: Any = None) -> list[dict[str, str]]:
    """The cells of each row's ``spec`` on the backend this process runs (which must be ``backend``)."""
    import keras

    from ..registry.registry import get_registry

    if keras.backend.backend() != backend:
        raise RuntimeError(f"this process runs Keras on {keras.backend.backend()!r}, not {backend!r}")
    registry = registry or get_registry()
    checks = {**EVERY_BACKEND, **(TENSORFLOW_ONLY if backend == "tensorflow" else {})}
    results = []
    for spec in specs:
        cells = {}
        for column, check in checks.items():
            cells[column] = _cell(lambda: check(spec, registry))
            keras.backend.clear_session()
        results.append(cells)
    return results
