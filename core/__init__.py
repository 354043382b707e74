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

from typing import TYPE_CHECKING
from typing import Any
from typing import Mapping
from typing import Sequence

from .errors import NotFoundError
from .errors import PluginError
from .errors import SpecError
from .errors import UpspecError
from .hookspecs import hookimpl
from .hookspecs import hookspec
from .keras_objects import install as _install_keras_objects
from .keras_objects import register_keras_objects
from .version import __version__
from . import run as _settings_package  # noqa: F401 - see run() below

if TYPE_CHECKING:
    import os
    from typing import Callable

    from .builder.builder import build_model
    from .registry.layer_signatures import keras_layer_names
    from .registry.registry import Registry
    from .registry.strategy import NonNegativeInt
    from .registry.strategy import PositiveInt
    from .registry.strategy import Strategy
    from .registry.strategy import convolution_class
    from .runner.data.files import image_files
    from .runner.data.files import read_image
    from .runner.data.files import read_npz
    from .runner.data.resize import resize as resize_images
    from .runner.data.sources import DataError
    from .runner.data.sources import DataSource
    from .runner.artefacts.rundir import RunResult
    from .runner.data.sources import Images
    from .spec.load import load_spec
    from .spec.model import Spec

#: names imported on first use, so that ``import upspec`` (every plugin does it) stays cheap for ``--help``
#: and shell completion (no pydantic, NumPy or TensorFlow): name -> (module, attribute)
_LAZY = {
    "build_model": ("upspec.builder.builder", "build_model"),
    "keras_layer_names": ("upspec.registry.layer_signatures", "keras_layer_names"),
    "Registry": ("upspec.registry.registry", "Registry"),
    "Strategy": ("upspec.registry.strategy", "Strategy"),
    "convolution_class": ("upspec.registry.strategy", "convolution_class"),
    "PositiveInt": ("upspec.registry.strategy", "PositiveInt"),  # pydantic's types, without importing pydantic
    "NonNegativeInt": ("upspec.registry.strategy", "NonNegativeInt"),
    "load_spec": ("upspec.spec.load", "load_spec"),
    "Spec": ("upspec.spec.model", "Spec"),
    "DataError": ("upspec.runner.data.sources", "DataError"),
    "DataSource": ("upspec.runner.data.sources", "DataSource"),
    "Images": ("upspec.runner.data.sources", "Images"),
    "resize_images": ("upspec.runner.data.resize", "resize"),
    "image_files": ("upspec.runner.data.files", "image_files"),
    "read_image": ("upspec.runner.data.files", "read_image"),
    "read_npz": ("upspec.runner.data.files", "read_npz"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

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
    # the runner is ``upspec.runner``; ``upspec/run/`` (imported above, before this definition) keeps only the
    # settings until they move into the spec package: imported first, its later imports never rebind this name
    from .runner.run import run as run_spec

    return run_spec(source, strategy=strategy, overrides=overrides, out=out, root=root,
                    train_overrides=dict(train_overrides or {}), verbose=verbose,
                    announce=announce or (lambda line: None), registry=registry)


def export(source: Any, out: Any = None, **options: Any) -> Any:
    """Export a finished run folder or a saved ``.keras`` file to a SavedModel and TFLite; returns
    ``{format: path}`` (see :func:`upspec.runner.artefacts.export.export_run`)."""
    from .runner.artefacts.export import export_run

    return export_run(source, out, **options)


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
    "DataSource",
    "Images",
    "NonNegativeInt",
    "NotFoundError",
    "PluginError",
    "PositiveInt",
    "Registry",
    "Spec",
    "SpecError",
    "Strategy",
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
    "resize_images",
    "run",
    "sweep",
]

_install_keras_objects()
