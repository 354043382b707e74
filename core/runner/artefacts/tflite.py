"""TFLite: converting a Keras model, naming the layers (and spec entries) it cannot take, running the result.

The converter's own output (dozens of lines, its error printed twice) is captured; a failure becomes one
:class:`ConversionFailed` line naming the TensorFlow ops TFLite lacks and, layer by layer, the spec entries and
strategies at fault.
"""

from __future__ import annotations

import os
import re
from typing import Any
from typing import Sequence

from ...errors import UpspecError
from ...quiet import captured_stderr


class ConversionFailed(UpspecError):
    """TFLite cannot convert the model; the message is the reason, ``fallback`` what may work instead."""

    def __init__(self, message: str, fallback: str = "") -> None:
        super().__init__(message)
        self.fallback = fallback


def convert(model: Any, select_tf_ops: bool) -> bytes:
    import tensorflow as tf

    with captured_stderr():
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if select_tf_ops:
            ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
        converter.target_spec.supported_ops = ops
        return converter.convert()


def first_line(exc: BaseException) -> str:
    """The converter's reason in one line: the TensorFlow ops TFLite lacks, when it says so."""
    text = str(exc)
    ops = sorted(set(re.findall(r"'tf\.(\w+)' op is neither a custom op nor a flex op", text)))
    select = re.search(r"TF Select ops: ([^\n]+)", text)
    if select:
        ops = sorted(set(ops) | {op.strip() for op in select.group(1).split(",")})
    if ops:
        return f"TensorFlow op(s) {', '.join(ops)} are not TFLite builtins"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def unconvertible_layers(model: Any, select_tf_ops: bool = False) -> list[tuple[str, str, str]]:
    """``(layer name, class, reason)`` for each layer TFLite cannot convert on its own."""
    import keras

    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        shapes = layer.input if isinstance(layer.input, (list, tuple)) else [layer.input]
        inputs = [keras.Input(batch_shape=(1, *s.shape[1:]), dtype=s.dtype) for s in shapes]
        try:
            clone = layer.__class__.from_config(layer.get_config())
            out = clone(inputs if len(inputs) > 1 else inputs[0])
            convert(keras.Model(inputs, out), select_tf_ops)
        except Exception as exc:  # noqa: BLE001 - any converter failure names the layer
            found.append((layer.name, type(layer).__name__, first_line(exc)))
    return found


def explain(culprits: Sequence[tuple[str, str, str]], exc: BaseException, strategies: dict[str, str],
            select_tf_ops: bool) -> ConversionFailed:
    """One line: what TFLite cannot take (entry, strategy, layer, op); the fallback apart."""
    fallback = "" if select_tf_ops else (
        "TFLite with TensorFlow ops: add --select-tf-ops (upspec.export(..., select_tf_ops=True); the app then "
        "needs TFLite's Flex delegate), or switch the entry to a strategy TFLite supports (nearest, bilinear, "
        "transpose, pixel_shuffle; bicubic with align_corners set, or in 3-D)")
    if not culprits:
        return ConversionFailed(f"TFLite cannot convert this model: {first_line(exc)}", fallback)
    parts = []
    for name, cls, reason in culprits:
        entry = next((e for e in sorted(strategies, key=len, reverse=True) if name == e or name.startswith(e + "_")),
                     None)
        where = f"entry {entry!r} (strategy {strategies[entry]!r}), " if entry else ""
        parts.append(f"{where}layer {name!r} ({cls}): {reason}")
    return ConversionFailed("TFLite cannot convert " + "; ".join(parts), fallback)


def convert_or_explain(model: Any, select_tf_ops: bool, strategies: dict[str, str]) -> bytes:
    try:
        return convert(model, select_tf_ops)
    except Exception as exc:  # noqa: BLE001 - the converter raises many kinds
        raise explain(unconvertible_layers(model, select_tf_ops), exc, strategies, select_tf_ops) from None


def tflite_predict(path: str | os.PathLike, x: Any) -> Any:
    """Run a ``.tflite`` model on a batch, one image at a time, in TFLite's interpreter (its input resized to
    the images' size when the model's spatial dimensions are free)."""
    import numpy as np
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=os.fspath(path))
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(inp["index"], (1, *x.shape[1:]))
    interpreter.allocate_tensors()
    results = []
    for item in np.asarray(x, dtype="float32"):
        interpreter.set_tensor(inp["index"], item[None])
        interpreter.invoke()
        results.append(interpreter.get_tensor(out["index"])[0])
    return np.stack(results)
