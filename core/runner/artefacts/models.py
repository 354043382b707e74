"""Saving and loading models with every plugin's custom objects available."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ...files import atomic_path
from ...keras_objects import register_keras_objects
from ...registry.registry import Registry
from ...registry.registry import get_registry

if TYPE_CHECKING:
    import keras


#: the longest chain of layers a saved model may have for ``load_model`` (a 3,000-entry spec has about 3,000)
LOAD_DEPTH = 20_000


def register_custom_objects(registry: Registry | None = None) -> None:
    """Register every plugin's Keras objects (layers, initialisers, metrics) with Keras."""
    register_keras_objects(registry or get_registry())


def load_model(path: str | os.PathLike, registry: Registry | None = None) -> keras.Model:
    """``keras.saving.load_model`` after registering plugin layers; safe mode stays on. Room for deep models:
    rebuilding a functional model recurses once per layer (see ``recursion_room``)."""
    import keras

    from ...builder.builder import recursion_room

    from .inputs import check_model_file
    from .inputs import model_load_failed

    check_model_file(path)  # a truncated archive is "damaged", not Keras's "File not found"
    register_custom_objects(registry)
    try:
        with recursion_room(LOAD_DEPTH):
            return keras.saving.load_model(os.fspath(path))
    except Exception as exc:  # noqa: BLE001 - Keras and h5py raise many kinds; the message gains the path
        raise model_load_failed(path, exc) from exc


def save_model(model: keras.Model, path: str | os.PathLike, *, overwrite: bool = False) -> None:
    """Save atomically: the file appears complete or not at all."""
    from ..training.checkpoint import keep_keras_skipsets

    with atomic_path(path, overwrite=overwrite) as tmp:
        model.save(tmp)
        keep_keras_skipsets()
