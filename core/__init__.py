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

from .errors import NotFoundError
from .errors import PluginError
from .errors import SpecError
from .errors import UpspecError
from .hookspecs import hookimpl
from .hookspecs import hookspec
from .keras_objects import install as _install_keras_objects
from .keras_objects import register_keras_objects
from .version import __version__
from . import run  # the runner package, callable: upspec.run(spec) is the main job

if TYPE_CHECKING:
    from .builder.builder import build_model
    from .registry.layer_signatures import keras_layer_names
    from .registry.registry import Registry
    from .registry.strategy import NonNegativeInt
    from .registry.strategy import PositiveInt
    from .registry.strategy import Strategy
    from .registry.strategy import convolution_class
    from .run.data_files import image_files
    from .run.data_files import read_image
    from .run.data_files import read_npz
    from .run.resize import resize as resize_images
    from .run.sources import DataError
    from .run.sources import DataSource
    from .run.sources import Images
    from .modelspec.load import load_spec
    from .modelspec.model import Spec

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
    "load_spec": ("upspec.modelspec.load", "load_spec"),
    "Spec": ("upspec.modelspec.model", "Spec"),
    "DataError": ("upspec.run.sources", "DataError"),
    "DataSource": ("upspec.run.sources", "DataSource"),
    "Images": ("upspec.run.sources", "Images"),
    "resize_images": ("upspec.run.resize", "resize"),
    "image_files": ("upspec.run.data_files", "image_files"),
    "read_image": ("upspec.run.data_files", "read_image"),
    "read_npz": ("upspec.run.data_files", "read_npz"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'upspec' has no attribute {name!r}")


def export(source: Any, out: Any = None, **options: Any) -> Any:
    """Export a finished run folder or a saved ``.keras`` file to a SavedModel and TFLite; returns
    ``{format: path}`` (see :func:`upspec.run.export.export_run`)."""
    from .run.export import export_run

    return export_run(source, out, **options)


def sweep(source: Any, **options: Any) -> Any:
    """Train ``source`` once per strategy and seed and write the comparison (see
    :func:`upspec.compare.sweep.run_sweep`)."""
    from .compare.sweep import run_sweep

    return run_sweep(source, **options)


def predict(model: Any, images: Any) -> list[Any]:
    """Run ``model`` (a ``keras.Model``, a saved ``.keras`` file or a run folder) on images of any size:
    one array, a list of arrays (``(H, W[, C])`` in [0, 1]) or image paths; returns one output per image in
    the input's channel layout. See ``upspec.run.predict``."""
    from .run.predict import predict as _predict

    return _predict(model, images)


def evaluate(run_dir: Any) -> dict[str, Any]:
    """The test metrics of a finished run (``metrics.json``'s content): whole held-out images, the
    literature's convention (see ``upspec.run.evaluate``)."""
    from .run.evaluate import evaluate_run

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
