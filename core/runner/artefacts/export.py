"""Exporting a saved model: every format that can hold it, each reported on its own.

The formats are one table, :data:`EXPORT_FORMATS`: a name, the file or folder it writes inside the export
folder, and a writer ``"module:function"`` (imported only when that format is asked for) called as
``writer(model, tmp_path, options)``; a writer raises :class:`ExportError` (or
:class:`~upspec.runner.artefacts.tflite.ConversionFailed`) with a one-line reason. Adding a format is one
entry there (and its writer in a module of its own).

Rules, the same for every format:

- SavedModel is written whenever it is asked for; a format that cannot hold the model (TFLite without
  TensorFlow ops for a bicubic resize) is reported as not written, with why and the fallback, and the others
  are still written. The export fails only when nothing asked for could be written.
- The model is exported with free spatial dimensions (``(None, None, None, C)``) when it is fully
  convolutional, as ``predict`` runs it; otherwise its fixed input is kept and the report says so.
- Nothing is replaced without ``overwrite`` (``--force``): a format already there is kept and reported;
  if every asked format is already there, :class:`~upspec.files.WouldOverwrite` (exit 2).
- Each artefact is written beside its final name and renamed into place: a failed export leaves nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import os
import re
import shutil
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Sequence

from ...errors import UpspecError
from ...files import WouldOverwrite
from ...files import clean_temporaries
from ...files import io_error
from ...quiet import captured_stderr
from .free_size import size_agnostic
from .tflite import ConversionFailed
from .tflite import convert_or_explain
from .tflite import tflite_predict


class ExportError(UpspecError):
    """The model cannot be exported in the asked format(s)."""


@dataclass(frozen=True)
class ExportOptions:
    """What every writer may read: TFLite's TensorFlow-ops fallback, entry id -> strategy for messages."""

    select_tf_ops: bool = False
    strategies: dict[str, str] = field(default_factory=dict)
    #: the inputs ONNX Runtime's check runs on (a run's own test inputs; random ones when None)
    check_inputs: Any = None


@dataclass(frozen=True)
class ExportFormat:
    name: str
    #: the file or folder written inside the export folder
    target: str
    #: ``"module:function"``, called as ``function(model, tmp_path, options)``; it may return a line on what it
    #: checked (shown under the format's ``wrote`` line)
    writer: str
    description: str

    def write(self, model: Any, path: Path, options: ExportOptions) -> str | None:
        module, _, function = self.writer.partition(":")
        writer: Callable[[Any, Path, ExportOptions], str | None] = getattr(importlib.import_module(module), function)
        return writer(model, path, options)


def _write_saved_model(model: Any, path: Path, options: ExportOptions) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        # Keras before 3.6 has no verbose= (it prints; stdout is swallowed here anyway)
        quiet = {"verbose": False} if "verbose" in inspect.signature(model.export).parameters else {}
        model.export(os.fspath(path), format="tf_saved_model", **quiet)


def _write_tflite(model: Any, path: Path, options: ExportOptions) -> None:
    path.write_bytes(convert_or_explain(model, options.select_tf_ops, options.strategies))


def _write_onnx(model: Any, path: Path, options: ExportOptions) -> str:
    from .onnx_export import describe_onnx
    from .onnx_export import export_onnx

    export_onnx(model, path, overwrite=True, inputs=options.check_inputs, strategies=options.strategies)
    return describe_onnx(path)["check"]


#: every export format, in the order they are written; the default (:data:`FORMATS`) is all but ONNX, which needs
#: the ``upspec[onnx]`` extra and is asked for by name (``--format onnx``)
EXPORT_FORMATS: dict[str, ExportFormat] = {
    "saved_model": ExportFormat("saved_model", "saved_model", f"{__name__}:_write_saved_model",
                                "TensorFlow SavedModel (a folder; TF Serving, tf.saved_model.load)"),
    "tflite": ExportFormat("tflite", "model.tflite", f"{__name__}:_write_tflite",
                           "TFLite flat buffer (builtin ops; --select-tf-ops adds TensorFlow ops)"),
}
EXPORT_FORMATS["onnx"] = ExportFormat("onnx", "model.onnx", f"{__name__}:_write_onnx",
                                      "ONNX (opset 17, channels last), checked by ONNX Runtime against Keras")
FORMATS = ("saved_model", "tflite")


@dataclass
class FormatOutcome:
    format: str
    #: "written", "kept" (already there, not replaced without --force) or "failed"
    status: str
    path: Path
    reason: str = ""
    fallback: str = ""
    #: set when this format took the model's fixed input size although the model allows free ones
    fixed_input: str = ""
    #: what the writer checked (ONNX: opset, layout and ONNX Runtime against Keras)
    detail: str = ""

    def line(self) -> str:
        if self.status == "written":
            return (f"{self.format}: wrote {self.path}" + (f" ({self.fixed_input})" if self.fixed_input else "")
                    + (f"\n  {self.detail}" if self.detail else ""))
        if self.status == "kept":
            return f"{self.format}: kept {self.path} (already there; --force replaces it)"
        text = f"{self.format}: not written: {self.reason}"
        return text + (f"\n  fallback: {self.fallback}" if self.fallback else "")


class ExportReport(dict):
    """``{format: path}`` of what was written, with every format's outcome and a note on the input shape."""

    def __init__(self, outcomes: list[FormatOutcome], input_note: str) -> None:
        super().__init__({o.format: o.path for o in outcomes if o.status == "written"})
        self.outcomes = outcomes
        self.input_note = input_note

    @property
    def failed(self) -> dict[str, str]:
        return {o.format: o.reason for o in self.outcomes if o.status == "failed"}

    def lines(self) -> list[str]:
        return [o.line() for o in self.outcomes] + ([self.input_note] if self.input_note else [])


def require_tensorflow_backend(feature: str) -> None:
    """TensorFlow-only features say so, rather than failing deep inside another backend."""
    import keras

    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise ExportError(f"{feature} needs the TensorFlow backend, and Keras runs on {backend!r} "
                          f"(KERAS_BACKEND={backend}); run this command with KERAS_BACKEND=tensorflow "
                          "(a .keras file saved on any backend loads there)")


def free_spatial_dimensions(model: Any) -> tuple[Any, str]:
    """``model`` with free spatial dimensions when its graph allows it (in a traced graph, as every export
    format needs), else ``model``; and a note on the exported input."""
    fixed = tuple(model.input_shape) if len(model.inputs) == 1 else [tuple(i.shape) for i in model.inputs]
    if all(len(i.shape) == 2 for i in model.inputs):  # a generator's latent (and class): nothing spatial
        return model, f"input {fixed}: vectors, no height or width"
    agnostic = size_agnostic(model) if len(model.inputs) == 1 else None
    if agnostic is None:
        return model, (f"input {fixed}: fixed size (the model is not fully convolutional; predict tiles larger "
                       "images, an exported model does not)")
    reason = _untraceable(agnostic)
    if reason:
        return model, f"input {fixed}: fixed size ({reason}; predict runs any size, an exported model does not)"
    return agnostic, f"input {tuple(agnostic.input_shape)}: any height and width (the model is fully convolutional)"


def _untraceable(model: Any) -> str:
    """Why ``model`` cannot be traced into a graph with free spatial dimensions, or ''."""
    import tensorflow as tf

    spec = tf.TensorSpec(model.input_shape, model.inputs[0].dtype)
    try:
        with captured_stderr():
            tf.function(model).get_concrete_function(spec)
    except Exception as exc:  # noqa: BLE001 - any tracing failure keeps the fixed size
        layer = re.search(r"calling (\w+)\.call\(\)", str(exc))
        where = f"Keras's {layer.group(1)}" if layer else "a layer"
        return f"{where} cannot be traced with free height and width"
    return ""


def _write_one(fmt: ExportFormat, model: Any, target: Path, options: ExportOptions, overwrite: bool) -> FormatOutcome:
    tmp = target.with_name(f".{target.name}.tmp")
    _remove(tmp)
    try:
        detail = fmt.write(model, tmp, options) or ""
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            _remove(old)
            os.replace(target, old)
            os.replace(tmp, target)
            _remove(old)
        else:
            os.replace(tmp, target)
    except ConversionFailed as exc:
        return FormatOutcome(fmt.name, "failed", target, str(exc), exc.fallback)
    except ExportError as exc:
        return FormatOutcome(fmt.name, "failed", target, str(exc))
    except OSError as exc:
        raise io_error(target, exc) from exc
    finally:
        _remove(tmp)
    return FormatOutcome(fmt.name, "written", target, detail=detail)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


def export(model: Any, out: str | os.PathLike, *, formats: Sequence[str] = FORMATS, overwrite: bool = False,
           select_tf_ops: bool = False, strategies: dict[str, str] | None = None,
           free_dimensions: bool = True, check_inputs: Any = None) -> ExportReport:
    """Write each of ``formats`` into ``out`` (``saved_model/``, ``model.tflite``); returns the report
    (a ``{format: path}`` dict of what was written, with ``outcomes`` and ``lines()``)."""
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown:
        from ...errors import available

        raise ExportError(f"unknown export format {unknown[0]!r}; {available(EXPORT_FORMATS, unknown[0])}")
    if set(formats) - {"onnx"}:
        require_tensorflow_backend("export to a SavedModel or TFLite")
    out = Path(out)
    asked = [fmt for name, fmt in EXPORT_FORMATS.items() if name in formats]
    targets = {fmt.name: out / fmt.target for fmt in asked}
    if not overwrite and all(t.exists() for t in targets.values()):
        raise WouldOverwrite(next(iter(targets.values())))
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise io_error(out, exc) from exc
    clean_temporaries(out)  # left by an export that was killed
    exported, note = free_spatial_dimensions(model) if free_dimensions else (model, "")
    options = ExportOptions(select_tf_ops=select_tf_ops, strategies=dict(strategies or {}), check_inputs=check_inputs)
    outcomes = []
    try:
        for fmt in asked:
            if targets[fmt.name].exists() and not overwrite:
                outcomes.append(FormatOutcome(fmt.name, "kept", targets[fmt.name]))
                continue
            outcome = _write_one(fmt, exported, targets[fmt.name], options, overwrite)
            if outcome.status == "failed" and exported is not model:  # this format may take the fixed size
                retry = _write_one(fmt, model, targets[fmt.name], options, overwrite)
                if retry.status == "written":
                    retry.fixed_input = (f"input {tuple(model.input_shape)}: fixed size, as it cannot hold this model "
                                         f"with free height and width: {outcome.reason}")
                outcome = retry
            outcomes.append(outcome)
    finally:
        if created and not any(out.iterdir()):
            out.rmdir()  # a failed export leaves no empty folder
    report = ExportReport(outcomes, note)
    if not any(o.status in ("written", "kept") for o in outcomes):
        raise ExportError("nothing exported:\n" + "\n".join(o.line() for o in outcomes))
    return report


def export_run(source: str | os.PathLike, out: str | os.PathLike | None = None, *,
               formats: Sequence[str] = FORMATS, overwrite: bool = False, select_tf_ops: bool = False,
               registry: Any = None, check_inputs: Any = None) -> ExportReport:
    """Export a finished run folder or a saved ``.keras`` file (``export/`` beside it unless ``out``): the
    model loaded with upspec's layers registered, unconvertible layers named by their entry and strategy
    (read from the ``spec.yaml`` beside the model, when there is one)."""
    from .inputs import output_folder
    from .inputs import saved_model_files
    from .models import load_model

    model_path, spec_path = saved_model_files(source)
    target = output_folder(out) if out else model_path.parent / "export"
    return export(load_model(model_path, registry), target, formats=formats, overwrite=overwrite,
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


__all__ = ["EXPORT_FORMATS", "FORMATS", "ExportError", "ExportFormat", "ExportOptions", "ExportReport",
           "FormatOutcome", "export", "export_run", "free_spatial_dimensions", "require_tensorflow_backend",
           "tflite_predict"]
