"""upspec: YAML model specs, pluggable upsampling strategies, compiled Keras models.

Everything a user or a plugin author needs is importable from here:
``upspec.load_spec`` and ``upspec.build_model``; the hook markers
``upspec.hookimpl`` / ``upspec.hookspec``; the base classes a plugin
subclasses (``upspec.Strategy``, ``upspec.DataSource``) and what they return
(``upspec.Images``); the errors; and small helpers for strategy authors
(``upspec.convolution_class``, ``upspec.keras_layer_names``) and data
sources (``upspec.resize_images``).

Importing this package does not import TensorFlow, Keras or NumPy; only
building, training and loading models do. The data-source names are
resolved on first use (they live beside NumPy code). It does make every
plugin's custom Keras objects known to Keras as soon as Keras is imported
(see :mod:`upspec.keras_objects`), so ``keras.saving.load_model`` reads any
model upspec saved.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from typing import Any
from typing import Mapping
from typing import Sequence
from typing import Union

from .keras_objects import install as _install_keras_objects
from .lazy import lazy_getattr
from .plugin_api import LAZY as _PLUGIN_API
from .plugin_api import NotFoundError
from .plugin_api import ParameterError
from .plugin_api import PluginError
from .plugin_api import SpecError
from .plugin_api import UpspecError
from .plugin_api import hookimpl
from .plugin_api import hookspec
from .plugin_api import register_keras_objects
from .version import __version__

if TYPE_CHECKING:
    from typing import Callable

    from .modelspec.load import load_spec
    from .plugin_api import Spec
    from .plugin_api import DataError
    from .plugin_api import DataSource
    from .plugin_api import Images
    from .plugin_api import NonNegativeInt
    from .plugin_api import PositiveInt
    from .plugin_api import SpecKind
    from .plugin_api import Strategy
    from .plugin_api import DataSettings
    from .plugin_api import TrainSettings
    from .plugin_api import register_kind
    from .plugin_api import convolution_class
    from .plugin_api import image_files
    from .plugin_api import keras_layer_names
    from .plugin_api import read_image
    from .plugin_api import read_npz
    from .plugin_api import resize_images
    from .registry.registry import Registry
    from .compare.sweep import SweepResult
    from .runner.artefacts.export import ExportReport
    from .runner.artefacts.rundir import RunResult
    from .interop.from_keras import spec_from_model
    from .interop.swap import swap
    from .interop.upsample import upsample

#: names imported on first use, so that ``import upspec`` (every plugin does it) stays cheap for ``--help``
#: and shell completion (no pydantic, NumPy or TensorFlow): name -> (module, attribute); the plugin-facing
#: ones come from :mod:`upspec.plugin_api`
_LAZY = {
    **_PLUGIN_API,
    "Registry": ("upspec.registry.registry", "Registry"),
    "load_spec": ("upspec.modelspec.load", "load_spec"),
    "upsample": ("upspec.interop.upsample", "upsample"),
    "spec_from_model": ("upspec.interop.from_keras", "spec_from_model"),
    "swap": ("upspec.interop.swap", "swap"),
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


#: what every API function's ``overrides`` takes: ``{"layers.up.filters": 64}`` or ``["layers.up.filters=64"]``
Overrides = Union[Mapping[str, Any], Sequence[str], None]
PathLike = Union[str, "os.PathLike[str]"]


def _quiet() -> None:
    """As quiet as the command line: TensorFlow's start-up lines and warnings hidden (``UPSPEC_VERBOSE_TF=1``
    shows them)."""
    from .quiet import quiet_import

    quiet_import()


def build_model(spec: Any, *, strategy: str | None = None, overrides: Overrides = None,
                registry: Registry | None = None, compile: bool = True) -> Any:
    """A compiled ``keras.Model`` from ``spec`` (anything :func:`load_spec` takes). ``strategy`` switches every
    ``upsample:`` entry; ``overrides``: ``{"layers.up.filters": 64}`` or ``["layers.up.filters=64"]``;
    ``compile=False`` leaves it uncompiled. Raises :class:`SpecError` listing every problem of the spec.
    See :func:`upspec.builder.builder.build_model`."""
    from .builder.builder import build_model as _build

    _quiet()
    return _build(spec, strategy=strategy, overrides=overrides, registry=registry, compile=compile)


def run(source: PathLike | Mapping[str, Any], *, strategy: str | None = None, overrides: Overrides = None,
        out: str | None = None, root: str = "runs", train_overrides: Mapping[str, Any] | None = None,
        verbose: int = 1, announce: Callable[[str], None] | None = None,
        registry: Registry | None = None) -> RunResult:
    """The main job: build, train, evaluate and report ``source`` in a new run folder; returns the run's
    :class:`~upspec.runner.artefacts.rundir.RunResult` (``run_dir``, ``metrics``, the trained ``model``).

    ``source``: a spec file, a shipped spec's name, YAML text or a dict (anything :func:`load_spec` takes).
    ``strategy`` switches every ``upsample:`` entry; ``overrides``: ``{"layers.up.filters": 64}`` or
    ``["layers.up.filters=64"]``. The run folder is ``out``, or a new ``<root>/<spec name>/<timestamp>/``
    (``<root>/<spec name>/latest`` then points at it). ``train_overrides``: ``train:`` settings that win over
    the spec's (``{"epochs": 1}``). ``verbose``: Keras's progress (0 silent). ``announce``: called with each
    line the command line prints (the run folder, the model). ``registry``: the plugins to use (the
    process-wide registry by default). See :func:`upspec.runner.run.run`.
    """
    from .runner.run import run as run_spec

    _quiet()
    return run_spec(source, strategy=strategy, overrides=overrides, out=out, root=root,
                    train_overrides=dict(train_overrides or {}), verbose=verbose,
                    announce=announce or (lambda line: None), registry=registry)


def export(source: PathLike, out: PathLike | None = None, *, formats: Sequence[str] | None = None,
           overwrite: bool = False, select_tf_ops: bool = False, registry: Registry | None = None) -> ExportReport:
    """Export a finished run folder (``runs/NAME/latest`` too) or a saved ``.keras`` file into ``out``
    (default ``RUN_DIR/export``): every format that can hold the model, SavedModel always.

    ``formats``: names from ``upspec.runner.artefacts.export.EXPORT_FORMATS`` (default SavedModel and TFLite;
    ``"onnx"`` with the ``upspec[onnx]`` extra, checked by ONNX Runtime on the run's test inputs). A format that cannot hold
    the model is not written and does not raise: the returned report (a ``{format: path}`` dict of what was
    written) has ``failed`` (format -> reason), ``lines()`` (what the command prints) and ``input_note``.
    ``select_tf_ops``: TFLite's fallback with TensorFlow ops. ``overwrite``: replace an earlier export (else
    formats already there are kept, and :class:`~upspec.files.WouldOverwrite` when all are).
    Raises :class:`~upspec.runner.artefacts.export.ExportError` when nothing could be written.
    """
    from .runner.artefacts.export import FORMATS
    from .runner.artefacts.rundir import resolve_run
    from .runner.run import export as export_checked

    _quiet()
    return export_checked(resolve_run(source), out, formats=tuple(formats or FORMATS), overwrite=overwrite,
                          select_tf_ops=select_tf_ops, registry=registry)


def sweep(source: PathLike | Mapping[str, Any] | None, *, strategies: str | Sequence[str] = "all",
          overrides: Overrides = None, train_overrides: Mapping[str, Any] | None = None, seeds: int | None = None,
          seed_list: Sequence[int] | None = None, out: str | None = None, resume: str | None = None,
          root: str = "runs", verbose: int = 0, executor: Any = None,
          announce: Callable[[str], None] | None = None, registry: Registry | None = None) -> SweepResult:
    """Train ``source`` once per strategy and seed on the same data and write the comparison; returns the
    :class:`~upspec.compare.sweep.SweepResult` (``folder``, ``rows``, ``skipped``).

    ``strategies``: ``"all"`` (every registered one), ``"a,b"`` or a list of names. ``overrides``:
    ``{"layers.up.filters": 64}`` or ``["layers.up.filters=64"]``, as everywhere. ``train_overrides``: ``{"epochs": 1, "steps_per_epoch": 2}``. ``seeds``: seeds 0..N-1, or
    ``seed_list`` exactly. ``out``: the sweep folder (default ``<root>/<spec name>/sweep-<timestamp>/``);
    ``resume``: an interrupted sweep's folder to finish (``source`` may then be None). ``executor``: from
    :func:`upspec.compare.executors.make_executor` (this process by default). ``verbose``, ``announce``,
    ``registry`` as for :func:`run`.
    """
    from .compare.sweep import run_sweep

    _quiet()
    names = strategies if isinstance(strategies, str) else ",".join(strategies)
    return run_sweep(source, strategies=names, overrides=overrides, train_overrides=dict(train_overrides or {}),
                     seeds=seeds, seed_list=seed_list, out=out, resume=resume, root=root, verbose=verbose,
                     executor=executor, announce=announce or (lambda line: None), registry=registry)


def predict(model: Any, images: Any) -> list[Any]:
    """Run ``model`` (a ``keras.Model``, a saved ``.keras`` file or a run folder) on images of any size:
    one array, a list of arrays (``(H, W[, C])`` in [0, 1]) or image paths; returns one output per image in
    the input's channel layout. See :mod:`upspec.runner.evaluation.predict`."""
    from .runner.artefacts.rundir import resolve_run
    from .runner.evaluation.predict import predict as _predict

    _quiet()
    return _predict(resolve_run(model) if isinstance(model, (str, os.PathLike)) else model, images)


def evaluate(run_dir: PathLike) -> dict[str, Any]:
    """The test metrics of a finished run (``metrics.json``'s content): whole held-out images, the
    literature's convention (see :mod:`upspec.runner.evaluation.image_metrics`)."""
    from .runner.artefacts.rundir import resolve_run
    from .runner.run import evaluate_run

    _quiet()
    return evaluate_run(resolve_run(run_dir))


def generate(source: PathLike, n: int = 64, *, seed: int = 0, output: PathLike | None = None,
             overwrite: bool = False, label: int | None = None) -> Any:
    """``n`` samples from a trained GAN run's generator (``(n, H, W, C)`` in [0, 1]); written to ``output``
    (``.npz`` or a folder of PNGs) when given; a class-conditional generator draws class ``label``, or every
    class in turn. See :func:`upspec.gan.generate.generate`."""
    from .gan.generate import generate as _generate
    from .runner.artefacts.rundir import resolve_run

    _quiet()
    return _generate(resolve_run(source), n, seed=seed, output=output, overwrite=overwrite, label=label)


__all__ = [
    "DataError",
    "DataSettings",
    "DataSource",
    "Images",
    "NonNegativeInt",
    "NotFoundError",
    "ParameterError",
    "PluginError",
    "PositiveInt",
    "Registry",
    "Spec",
    "SpecError",
    "SpecKind",
    "Strategy",
    "TrainSettings",
    "UpspecError",
    "__version__",
    "build_model",
    "convolution_class",
    "evaluate",
    "export",
    "generate",
    "hookimpl",
    "hookspec",
    "image_files",
    "keras_layer_names",
    "load_spec",
    "predict",
    "read_image",
    "read_npz",
    "register_keras_objects",
    "register_kind",
    "resize_images",
    "run",
    "spec_from_model",
    "swap",
    "sweep",
    "upsample",
]

_install_keras_objects()
