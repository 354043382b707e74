"""Exporting a model to ONNX, checked by ONNX Runtime.

Keras's own ONNX export is tried first (on TensorFlow it runs tf2onnx on the traced model); where it
fails, tf2onnx converts a ``tf.function`` of the model directly. The converted file is then run by ONNX
Runtime on the check inputs (a run's own test inputs when the model comes from a run folder) and compared
with Keras; only a model that matches to :data:`ONNX_TOLERANCE` is renamed into place. A model holding an
operator ONNX does not define is refused by name: the operator, the layer, the spec entry and strategy,
and what to use instead.

The exported graph keeps Keras's layout, channels last (``NHWC`` for images); the opset and the check are
written into the file's metadata (:func:`describe_onnx` reads them back).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Iterator
from typing import Sequence

from ...errors import UpspecError
from ...files import WouldOverwrite
from ...files import atomic_path

#: the ONNX opset written (the newest tf2onnx 1.17 converts to; ONNX Runtime 1.16+ runs it)
ONNX_OPSET = 17
#: the largest difference between ONNX Runtime and Keras accepted, relative to the output's scale (max(1, |y|))
ONNX_TOLERANCE = 1e-5
#: how many check inputs are run (the run's first test inputs)
CHECK_COUNT = 8
#: what to use instead of a strategy whose operator ONNX lacks
INSTEAD = {"lanczos": "bicubic (ONNX Resize, cubic mode) or pixel_shuffle"}
#: the built-in strategies that convert (measured by tests/test_onnx_export.py)
CONVERTIBLE = ("transpose", "nearest", "bilinear", "bicubic", "pixel_shuffle", "bilinear_additive", "transpose_zoh",
               "dysample")
METADATA_PREFIX = "upspec."


class OnnxExportError(UpspecError):
    """The model cannot be exported to ONNX, or ONNX Runtime's result differs from Keras's."""


@dataclass
class CheckInputs:
    """What ONNX Runtime is run on: one array per model input, and where they come from (for the message)."""

    arrays: list[Any]
    origin: str


@dataclass
class OnnxCheck:
    opset: int
    layout: str
    converter: str
    origin: str
    count: int
    max_error: float
    tolerance: float

    def line(self) -> str:
        return (f"ONNX opset {self.opset}, layout {self.layout}, converted by {self.converter}; ONNX Runtime matches "
                f"Keras on {self.count} {self.origin}: max |difference| {self.max_error:.2g} "
                f"(tolerance {self.tolerance:g} x max(1, |output|))")


def require_onnx() -> None:
    """ONNX export needs the optional extra; say how to install it rather than fail on an import."""
    missing = []
    for module in ("onnx", "onnxruntime", "tf2onnx"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise OnnxExportError(f"ONNX export needs {', '.join(missing)}: pip install 'upspec[onnx]'")


def layout_of(model: Any) -> str:
    """``NHWC`` for an image model (``NWC`` 1-D, ``NDHWC`` 3-D): Keras's channels-last layout, kept as is."""
    rank = len(model.inputs[0].shape) - 2
    return {1: "NWC", 2: "NHWC", 3: "NDHWC"}.get(rank, f"channels last (rank {rank})")


def random_inputs(model: Any, count: int = CHECK_COUNT, seed: int = 0,
                  origin: str = "random inputs (no run data beside the model)") -> CheckInputs:
    """Uniform [0, 1) inputs of the model's shapes (free sizes set to 16), for a model without a run's data."""
    import numpy as np

    rng = np.random.default_rng(seed)
    arrays = [rng.random((count, *(16 if d is None else d for d in t.shape[1:])), dtype="float32")
              for t in model.inputs]
    return CheckInputs(arrays, origin)


def _signature(model: Any) -> list[Any]:
    import tensorflow as tf

    return [tf.TensorSpec(t.shape, t.dtype, name=t.name.split(":")[0]) for t in model.inputs]


@contextlib.contextmanager
def _quiet_converter() -> Iterator[None]:
    """tf2onnx logs each op it cannot translate, and prints; the refusal below names them once, by entry."""
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _convert(model: Any, path: Path, opset: int) -> str:
    """Write ``path``; returns the converter that did. Keras's export first, tf2onnx directly as the fallback."""
    import keras

    try:
        with _quiet_converter():
            model.export(os.fspath(path), format="onnx", opset_version=opset, verbose=False)
        return f"Keras {keras.__version__} (model.export, format='onnx')"
    except Exception as first:  # noqa: BLE001 - any failure of Keras's route falls back to tf2onnx
        if keras.backend.backend() != "tensorflow":
            raise OnnxExportError(f"Keras's ONNX export failed on the {keras.backend.backend()} backend: "
                                  f"{_one_line(first)}") from None
        return _tf2onnx(model, path, opset, f"Keras's export failed: {_one_line(first)}")


def _tf2onnx(model: Any, path: Path, opset: int, why: str) -> str:
    """Write ``path`` with tf2onnx from a function of the model (TensorFlow backend); ``why`` Keras's route was
    not taken, for the error message and the file's record of its converter."""
    import tensorflow as tf
    import tf2onnx

    function = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False))
    try:
        with _quiet_converter():
            tf2onnx.convert.from_function(function, input_signature=_signature(model), opset=opset,
                                          output_path=os.fspath(path))
    except Exception as second:  # noqa: BLE001
        raise OnnxExportError(f"ONNX conversion failed: {why}; tf2onnx: {_one_line(second)}") from None
    return f"tf2onnx {tf2onnx.__version__} ({why})"


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def foreign_operators(onnx_model: Any) -> list[tuple[str, str]]:
    """``(node name, operator)`` for each node whose operator ONNX does not define (a TensorFlow op that
    tf2onnx could not translate and left in the graph)."""
    import onnx

    found = []
    for node in onnx_model.graph.node:
        domain = node.domain or ""
        if domain in ("", "ai.onnx", "ai.onnx.ml") and onnx.defs.has(node.op_type, domain):
            continue
        found.append((node.name, node.op_type))
    return found


def layer_of_node(node_name: str, model: Any) -> Any:
    """The Keras layer a converted node came from: its name is a path of scopes holding the layer's name
    (``model_1/up_resize_1/resize/Op``, Keras adding ``_N`` to scope names)."""
    scopes = {re.sub(r"_\d+$", "", part) for part in node_name.split("/")} | set(node_name.split("/"))
    layers = [layer for layer in model.layers if layer.name in scopes]
    return max(layers, key=lambda layer: len(layer.name), default=None)


def entry_of_layer(layer_name: str, strategies: dict[str, str]) -> str | None:
    """The spec entry a layer belongs to: its id, or the id a strategy's layer names start with."""
    return next((e for e in sorted(strategies, key=len, reverse=True)
                 if layer_name == e or layer_name.startswith(e + "_")), None)


def explain_foreign(found: Sequence[tuple[str, str]], model: Any, strategies: dict[str, str]) -> str:
    lines = ["ONNX cannot express this model:"]
    alternatives = []
    for node, operator in found:
        layer = layer_of_node(node, model)
        entry = entry_of_layer(layer.name, strategies) if layer is not None else None
        where = f"entry {entry!r} (strategy {strategies[entry]!r}), " if entry else ""
        what = f"layer {layer.name!r} ({type(layer).__name__})" if layer is not None else f"node {node!r}"
        lines.append(f"  {where}{what}: operator {operator} is not an ONNX operator (opset {ONNX_OPSET})")
        if entry and strategies[entry] in INSTEAD:
            alternatives.append(f"use {INSTEAD[strategies[entry]]} instead of {strategies[entry]}")
    alternatives.append(f"strategies that convert: {', '.join(CONVERTIBLE)}")
    lines.append("; ".join(alternatives))
    return "\n".join(lines)


def onnx_predict(path: str | os.PathLike, arrays: Sequence[Any]) -> Any:
    """Run an ``.onnx`` file in ONNX Runtime (CPU) on one batch per input; returns the first output. One thread,
    operators in order: the check gives the same answer on every machine and under any load."""
    import numpy as np
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    session = onnxruntime.InferenceSession(os.fspath(path), options, providers=["CPUExecutionProvider"])
    feed = {spec.name: np.asarray(a, dtype="float32") for spec, a in zip(session.get_inputs(), arrays)}
    return session.run(None, feed)[0]


def max_difference(got: Any, expected: Any) -> float:
    """The largest absolute difference relative to the output's scale; inf where :func:`why_different` names
    a wrong shape or a NaN / infinite value."""
    import numpy as np

    if why_different(got, expected):
        return float("inf")
    got, expected = np.asarray(got, "float64"), np.asarray(expected, "float64")
    difference = float(np.abs(got - expected).max()) if got.size else 0.0
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    return difference / scale


def why_different(got: Any, expected: Any) -> str:
    """What makes ``got`` (ONNX Runtime's) differ from ``expected`` (Keras's) beyond a number: a shape, or
    NaN / infinite values and where they are; empty when both are finite arrays of one shape."""
    import numpy as np

    got, expected = np.asarray(got, "float64"), np.asarray(expected, "float64")
    if got.shape != expected.shape:
        return f"ONNX Runtime's output has shape {got.shape}, Keras's {expected.shape}"
    parts = []
    for name, values in (("ONNX Runtime's", got), ("Keras's", expected)):
        bad = ~np.isfinite(values)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            parts.append(f"{name} output has {int(bad.sum())} NaN or infinite value(s) of {values.size} "
                         f"(the first at index {first}: {values[first]})")
    return "; ".join(parts)


def _load_and_run(converted: Path, arrays: list[Any], model: Any, strategies: dict[str, str] | None) -> tuple[Any, Any]:
    """The converted file as an ONNX model and its first output on ``arrays`` in ONNX Runtime; an error names
    the operators ONNX does not define (and the spec entries that made them), or ONNX Runtime's refusal."""
    import onnx

    onnx_model = onnx.load(os.fspath(converted))
    foreign = foreign_operators(onnx_model)
    if foreign:
        raise OnnxExportError(explain_foreign(foreign, model, strategies or {}))
    try:
        return onnx_model, onnx_predict(converted, arrays)
    except Exception as exc:  # noqa: BLE001 - ONNX Runtime's refusal, in one line
        raise OnnxExportError(f"ONNX Runtime cannot run the converted model: {_one_line(exc)}") from None


def _wrong_shape_from_keras(got: Any, expected: Any, converter: str) -> bool:
    import keras
    import numpy as np

    return (converter.startswith("Keras") and keras.backend.backend() == "tensorflow"
            and np.shape(got) != np.shape(expected))


def _keras_outputs(model: Any, arrays: list[Any]) -> Any:
    import numpy as np

    out = model.predict(arrays if len(arrays) > 1 else arrays[0], verbose=0)
    return np.asarray(out[0] if isinstance(out, (list, tuple)) else out)


def export_onnx(model: Any, target: str | os.PathLike, *, overwrite: bool = False, inputs: CheckInputs | None = None,
                strategies: dict[str, str] | None = None, opset: int = ONNX_OPSET,
                tolerance: float = ONNX_TOLERANCE) -> Path:
    """Convert ``model`` to ``target`` (an ``.onnx`` file), run it in ONNX Runtime on ``inputs`` (random ones of
    the model's shapes when None) and compare with Keras; nothing is written unless it matches.
    ``strategies`` maps spec entry ids to strategy names, for the error message."""
    require_onnx()
    import onnx

    target = Path(target)
    if target.exists() and not overwrite:
        raise WouldOverwrite(target)
    if inputs is None or not inputs.arrays:
        inputs = random_inputs(model, origin=inputs.origin) if inputs else random_inputs(model)
    arrays = [a[:CHECK_COUNT] for a in inputs.arrays]
    expected = _keras_outputs(model, arrays)  # also builds a model that was never called
    with tempfile.TemporaryDirectory(prefix="upspec-onnx-") as scratch:
        converted = Path(scratch) / "model.onnx"
        converter = _convert(model, converted, opset)
        onnx_model, got = _load_and_run(converted, arrays, model, strategies)
        if _wrong_shape_from_keras(got, expected, converter):
            # seen now and then in CI: Keras's export gave an output with an extra leading axis; tf2onnx's own
            # conversion of the model's function is the route we control, so it gets the second try
            converter = _tf2onnx(model, converted, opset, f"Keras's export gave the wrong output shape: "
                                                          f"{why_different(got, expected)}")
            onnx_model, got = _load_and_run(converted, arrays, model, strategies)
        error = max_difference(got, expected)
        if not error <= tolerance:
            reason = why_different(got, expected) or (f"max |difference| {error:.3g} x max(1, |output|), above "
                                                       f"the tolerance {tolerance:g}")
            raise OnnxExportError(f"ONNX Runtime's output differs from Keras's on {inputs.origin}: {reason}; "
                                  f"nothing written")
        check = OnnxCheck(opset, layout_of(model), converter, inputs.origin, len(arrays[0]), error, tolerance)
        _annotate(onnx_model, check)
        onnx.save(onnx_model, os.fspath(converted))
        with atomic_path(target, overwrite=overwrite) as tmp:
            shutil.copyfile(converted, tmp)
    return target


def _annotate(onnx_model: Any, check: OnnxCheck) -> None:
    values = {"opset": str(check.opset), "layout": check.layout, "converter": check.converter,
              "check": check.line(), "max_error": repr(check.max_error)}
    for key, value in values.items():
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = METADATA_PREFIX + key, value
    onnx_model.producer_name = "upspec"


def describe_onnx(path: str | os.PathLike) -> dict[str, str]:
    """The opset, layout, converter and check written into an exported file (empty for another's file)."""
    import onnx

    model = onnx.load(os.fspath(path), load_external_data=False)
    return {p.key[len(METADATA_PREFIX):]: p.value for p in model.metadata_props if p.key.startswith(METADATA_PREFIX)}


def run_check_inputs(data: Any, count: int = CHECK_COUNT) -> CheckInputs | None:
    """The first ``count`` test inputs of a run's data (``TaskData.test``), or None for data without them."""
    test = getattr(data, "test", None)
    if not test or test[0] is None or len(test[0]) == 0:
        return None
    return CheckInputs([test[0][:count]], "test patches of the run's own test set")
