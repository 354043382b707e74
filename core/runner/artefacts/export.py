"""Exporting a saved model to a TensorFlow SavedModel and to TFLite.

Each artefact is written beside its final name and renamed into place, so an
export that fails half-way leaves nothing behind. A model TFLite cannot
convert is reported layer by layer: every layer is converted on its own to
name the ones (and so the spec entries) at fault.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import re
import shutil
from pathlib import Path
from typing import Any
from typing import Sequence

from ...errors import UpspecError
from ...files import WouldOverwrite
from ...files import atomic_path
from ...files import clean_temporaries
from ...files import io_error

FORMATS = ("saved_model", "tflite")
#: every format ``export`` writes (ONNX with the ``upspec[onnx]`` extra: :mod:`.onnx_export`)
KNOWN_FORMATS = (*FORMATS, "onnx")


class ExportError(UpspecError):
    """The model cannot be exported in the asked format."""


def require_tensorflow_backend(feature: str) -> None:
    """TensorFlow-only features say so, rather than failing deep inside another backend."""
    import keras

    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise ExportError(f"{feature} needs the TensorFlow backend, and Keras runs on {backend!r} "
                          f"(KERAS_BACKEND={backend}); run this command with KERAS_BACKEND=tensorflow "
                          "(a .keras file saved on any backend loads there)")


def _replace_dir(tmp: Path, target: Path) -> None:
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)


def export_saved_model(model: Any, target: Path, *, overwrite: bool = False) -> Path:
    if target.exists() and not overwrite:
        raise WouldOverwrite(target)
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            # Keras before 3.6 has no verbose= (it prints; stdout is swallowed here anyway)
            quiet = {"verbose": False} if "verbose" in inspect.signature(model.export).parameters else {}
            model.export(os.fspath(tmp), format="tf_saved_model", **quiet)
        _replace_dir(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _convert(model: Any, select_tf_ops: bool) -> bytes:
    import tensorflow as tf

    with contextlib.redirect_stdout(io.StringIO()):  # Keras prints the traced signature
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if select_tf_ops:
            ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
        converter.target_spec.supported_ops = ops
        return converter.convert()


def _first_line(exc: BaseException) -> str:
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
            _convert(keras.Model(inputs, out), select_tf_ops)
        except Exception as exc:  # noqa: BLE001 - any converter failure names the layer
            found.append((layer.name, type(layer).__name__, _first_line(exc)))
    return found


def export_tflite(model: Any, target: Path, *, overwrite: bool = False, select_tf_ops: bool = False,
                  strategies: dict[str, str] | None = None) -> Path:
    """Convert to TFLite (builtin ops only unless ``select_tf_ops``); ``strategies`` maps entry ids to
    strategy names, for the error message."""
    if target.exists() and not overwrite:
        raise WouldOverwrite(target)
    try:
        data = _convert(model, select_tf_ops)
    except Exception as exc:  # noqa: BLE001
        culprits = unconvertible_layers(model, select_tf_ops)
        raise ExportError(_explain(culprits, exc, strategies or {}, select_tf_ops)) from None
    with atomic_path(target, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)
    return target


def _explain(culprits: Sequence[tuple[str, str, str]], exc: BaseException, strategies: dict[str, str],
             select_tf_ops: bool) -> str:
    if not culprits:
        return f"TFLite cannot convert this model: {_first_line(exc)}"
    lines = ["TFLite cannot convert this model:"]
    for name, cls, reason in culprits:
        entry = next((e for e in sorted(strategies, key=len, reverse=True) if name == e or name.startswith(e + "_")), None)
        where = f"entry {entry!r} (strategy {strategies[entry]!r}), " if entry else ""
        lines.append(f"  {where}layer {name!r} ({cls}): {reason}")
    if not select_tf_ops:
        lines.append("pass --select-tf-ops to include TensorFlow ops (the app then needs TFLite's Flex delegate), "
                     "or switch the entry to a strategy TFLite supports (nearest, bilinear, transpose, pixel_shuffle; "
                     "bicubic with align_corners set, or in 3-D)")
    return "\n".join(lines)


def export(model: Any, out: str | os.PathLike, *, formats: Sequence[str] = FORMATS, overwrite: bool = False,
           select_tf_ops: bool = False, strategies: dict[str, str] | None = None,
           check_inputs: Any = None) -> dict[str, Path]:
    """Write ``out/saved_model/``, ``out/model.tflite`` and (asked for) ``out/model.onnx``, checked by ONNX
    Runtime on ``check_inputs``; returns the paths written by format."""
    unknown = [f for f in formats if f not in KNOWN_FORMATS]
    if unknown:
        raise ExportError(f"unknown export format {unknown[0]!r}; choose from {', '.join(KNOWN_FORMATS)}")
    if set(formats) - {"onnx"}:
        require_tensorflow_backend("export to a SavedModel or TFLite")
    out = Path(out)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise io_error(out, exc) from exc
    clean_temporaries(out)  # left by an export that was killed
    targets = {"saved_model": out / "saved_model", "tflite": out / "model.tflite", "onnx": out / "model.onnx"}
    written = {}
    try:
        if not overwrite:
            for fmt in formats:
                if targets[fmt].exists():
                    raise WouldOverwrite(targets[fmt])
        if "tflite" in formats:  # first: the one that can fail for a strategy
            written["tflite"] = export_tflite(model, targets["tflite"], overwrite=overwrite,
                                              select_tf_ops=select_tf_ops, strategies=strategies)
        if "onnx" in formats:
            from .onnx_export import export_onnx

            written["onnx"] = export_onnx(model, targets["onnx"], overwrite=overwrite, inputs=check_inputs,
                                          strategies=strategies)
        if "saved_model" in formats:
            written["saved_model"] = export_saved_model(model, targets["saved_model"], overwrite=overwrite)
    finally:
        if created and not any(out.iterdir()):
            out.rmdir()  # a failed export leaves no empty folder
    return written


def tflite_predict(path: str | os.PathLike, x: Any) -> Any:
    """Run a ``.tflite`` model on a batch, one image at a time, in TFLite's interpreter."""
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


def export_run(source: str | os.PathLike, out: str | os.PathLike | None = None, *,
               formats: Sequence[str] = FORMATS, overwrite: bool = False, select_tf_ops: bool = False,
               registry: Any = None, check_inputs: Any = None) -> dict[str, Path]:
    """Export a finished run folder or a saved ``.keras`` file (``export/`` beside it unless ``out``): the
    model loaded with upspec's layers registered, unconvertible layers named by their entry and strategy
    (read from the ``spec.yaml`` beside the model, when there is one)."""
    from .models import load_model
    from .rundir import run_files

    model_path, spec_path = run_files(str(source))
    if model_path is None or not model_path.is_file():
        raise UpspecError(f"{source} holds no model.keras (is it a finished run folder? "
                          "`upspec train --resume RUN_DIR` finishes one)")
    target = Path(out) if out else model_path.parent / "export"
    try:
        model = load_model(model_path, registry)
    except Exception as exc:  # noqa: BLE001 - a truncated or foreign file, whatever Keras raises for it
        raise ExportError(f"{model_path} cannot be loaded as a Keras model ({type(exc).__name__}: "
                          f"{str(exc).strip().splitlines()[-1] if str(exc).strip() else 'no detail'}); "
                          "is it corrupt or truncated? nothing was exported") from None
    return export(model, target, formats=formats, overwrite=overwrite,
                  select_tf_ops=select_tf_ops, strategies=_upsample_strategies(spec_path, registry),
                  check_inputs=check_inputs)


def _upsample_strategies(spec_path: Path, registry: Any) -> dict[str, str]:
    """Entry id -> strategy of the spec beside a model; empty when there is none or it no longer loads
    (the names only improve an error message)."""
    from ...errors import SpecError
    from ...modelspec.load import load_spec

    if not spec_path.is_file():
        return {}
    try:
        spec = load_spec(spec_path, registry=registry)
    except SpecError:
        return {}
    return {e.id: e.upsample for e in spec.layers if e.upsample and e.id}
