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

import importlib
from typing import TYPE_CHECKING
from typing import Any
from typing import Mapping
from typing import Sequence

from .keras_objects import install as _install_keras_objects
from .plugin_api import LAZY as _PLUGIN_API
from .plugin_api import NotFoundError
from .plugin_api import PluginError
from .plugin_api import SpecError
from .plugin_api import UpspecError
from .plugin_api import hookimpl
from .plugin_api import hookspec
from .plugin_api import register_keras_objects
from .version import __version__

if TYPE_CHECKING:
    import os
    from typing import Callable

    from .builder.builder import build_model
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
    from .runner.artefacts.rundir import RunResult

#: names imported on first use, so that ``import upspec`` (every plugin does it) stays cheap for ``--help``
#: and shell completion (no pydantic, NumPy or TensorFlow): name -> (module, attribute); the plugin-facing
#: ones come from :mod:`upspec.plugin_api`
_LAZY = {
    **_PLUGIN_API,
    "build_model": ("upspec.builder.builder", "build_model"),
    "Registry": ("upspec.registry.registry", "Registry"),
    "load_spec": ("upspec.modelspec.load", "load_spec"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'upspec' has no attribute {name!r}")


def run(source: str | os.PathLike[str] | Mapping[str, Any], *, strategy: str | None = None,
        overrides: Mapping[str, Any] | Sequence[str] | None = None, out: str | None = None, root: str = "runs",
        train_overrides: Mapping[str, Any] | None = None, verbose: int = 1,
        announce: Callable[[str], None] | None = None, registry: Registry | None = None) -> RunResult:
    """The main job: build, train, evaluate and report ``source`` in a new run folder; returns the run's
    :class:`~upspec.runner.artefacts.rundir.RunResult` (``run_dir``, ``metrics``, the trained ``model``).

    ``source``: a spec file, a shipped spec's name, YAML text or a dict (anything :func:`load_spec` takes).
    ``strategy`` switches every ``upsample:`` entry; ``overrides``: ``{"layers.up.filters": 64}`` or
    ``["layers.up.filters=64"]``. The run folder is ``out``, or a new ``<root>/<spec name>/<timestamp>/``.
    ``train_overrides``: ``train:`` settings that win over the spec's (``{"epochs": 1}``). ``verbose``:
    Keras's progress (0 silent). ``announce``: called with each line the command line prints (the run
    folder, the model). ``registry``: the plugins to use (the process-wide registry by default).
    See :func:`upspec.runner.run.run`.
    """
    from .runner.run import run as run_spec

    return run_spec(source, strategy=strategy, overrides=overrides, out=out, root=root,
                    train_overrides=dict(train_overrides or {}), verbose=verbose,
                    announce=announce or (lambda line: None), registry=registry)


def export(source: Any, out: Any = None, **options: Any) -> Any:
    """Export a finished run folder or a saved ``.keras`` file to a SavedModel, TFLite and (``formats=["onnx"]``)
    ONNX checked by ONNX Runtime on the run's test inputs; returns ``{format: path}`` (see
    :func:`upspec.runner.run.export` and :func:`upspec.runner.artefacts.export.export_run`)."""
    from .runner.run import export as export_checked

    return export_checked(source, out, **options)


def sweep(source: Any, **options: Any) -> Any:
    """Train ``source`` once per strategy and seed and write the comparison (see
    :func:`upspec.compare.sweep.run_sweep`)."""
    from .compare.sweep import run_sweep

    return run_sweep(source, **options)


def predict(model: Any, images: Any) -> list[Any]:
    """Run ``model`` (a ``keras.Model``, a saved ``.keras`` file or a run folder) on images of any size:
    one array, a list of arrays (``(H, W[, C])`` in [0, 1]) or image paths; returns one output per image in
    the input's channel layout. See :mod:`upspec.runner.evaluation.predict`."""
    from .runner.evaluation.predict import predict as _predict

    return _predict(model, images)


def evaluate(run_dir: Any) -> dict[str, Any]:
    """The test metrics of a finished run (``metrics.json``'s content): whole held-out images, the
    literature's convention (see :mod:`upspec.runner.evaluation.image_metrics`)."""
    from .runner.run import evaluate_run

    return evaluate_run(run_dir)


def generate(source: Any, n: int = 64, *, seed: int = 0, output: Any = None, overwrite: bool = False) -> Any:
    """Samples from a trained GAN run's generator (see :func:`upspec.gan.generate.generate`)."""
    from .gan.generate import generate as _generate

    return _generate(source, n, seed=seed, output=output, overwrite=overwrite)


__all__ = [
    "DataError",
    "DataSettings",
    "DataSource",
    "Images",
    "NonNegativeInt",
    "NotFoundError",
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
    "sweep",
]

_install_keras_objects()
