"""upspec: YAML model specs, pluggable upsampling strategies, compiled Keras models.

Importing this package does not import TensorFlow or Keras; only building,
training and loading models do. It does make every plugin's custom Keras
objects known to Keras as soon as Keras is imported (see
:mod:`upspec.keras_objects`), so ``keras.saving.load_model`` reads any model
upspec saved.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

from upspec.errors import NotFoundError
from upspec.errors import PluginError
from upspec.errors import SpecError
from upspec.hookspecs import hookimpl
from upspec.hookspecs import hookspec
from upspec.keras_objects import install as _install_keras_objects
from upspec.keras_objects import register_keras_objects
from upspec.version import __version__

if TYPE_CHECKING:
    from upspec.build.builder import build_model
    from upspec.registry.strategy import Strategy
    from upspec.spec.load import load_spec

#: names imported on first use, so that ``import upspec`` (every plugin does it) stays cheap for ``--help``
_LAZY = {
    "build_model": "upspec.build.builder",
    "load_spec": "upspec.spec.load",
    "Strategy": "upspec.registry.strategy",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'upspec' has no attribute {name!r}")


def predict(model, images):  # type: ignore[no-untyped-def]
    """Run ``model`` (a ``keras.Model``, a saved ``.keras`` file or a run folder) on images of any size:
    one array, a list of arrays (``(H, W[, C])`` in [0, 1]) or image paths; returns one output per image in
    the input's channel layout. See ``upspec.run.predict``."""
    from upspec.run.predict import predict as _predict

    return _predict(model, images)


def evaluate(run_dir):  # type: ignore[no-untyped-def]
    """The test metrics of a finished run (``metrics.json``'s content): whole held-out images, the
    literature's convention (see ``upspec.run.evaluate``)."""
    from upspec.run.evaluate import evaluate_run

    return evaluate_run(run_dir)


def generate(source, n=64, *, seed=0, output=None, overwrite=False):  # type: ignore[no-untyped-def]
    """Samples from a trained GAN run's generator (see :func:`upspec.gan.generate.generate`)."""
    from upspec.gan.generate import generate as _generate

    return _generate(source, n, seed=seed, output=output, overwrite=overwrite)


__all__ = [
    "NotFoundError",
    "PluginError",
    "SpecError",
    "Strategy",
    "__version__",
    "build_model",
    "evaluate",
    "generate",
    "hookimpl",
    "hookspec",
    "load_spec",
    "predict",
    "register_keras_objects",
]

_install_keras_objects()
