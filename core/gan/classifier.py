"""A small classifier trained on the same source, whose features judge generated images.

Nothing is downloaded: the classifier learns the source's labels when it has them (``digits``); for
patches of a few large images (``photos``), which image a patch was cut from; otherwise which of four
rotations (or flips, for non-square images) an image shows. It is trained
once, deterministically, and cached under ``$UPSPEC_CACHE`` (else ``$XDG_CACHE_HOME/upspec``, else
``~/.cache/upspec``) with the SHA-256 of the saved model; a missing file, or one that no longer matches its
checksum, is trained again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Callable

import numpy as np

from ..files import write_text
from .data import RealImages

VERSION = 1  # bump when the architecture or the training changes: old cache entries are then ignored
FEATURES = 64
EPOCHS = 8
SEED = 0


def cache_dir() -> Path:
    """Where upspec caches what it computes once: ``$UPSPEC_CACHE``, ``$XDG_CACHE_HOME/upspec`` or ``~/.cache/upspec``."""
    if os.environ.get("UPSPEC_CACHE"):
        return Path(os.environ["UPSPEC_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "upspec"


@dataclass
class Classifier:
    model: Any  # image -> [features, class probabilities]
    task: str  # "labels", "source image" or "rotation"
    classes: int
    accuracy: float  # on the held-out images
    path: Path

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        features, probabilities = self.model.predict(np.asarray(images, "float32"), batch_size=256, verbose=0)
        return np.asarray(features, "float64"), np.asarray(probabilities, "float64")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _task(real: RealImages) -> tuple[str, Callable[[np.ndarray, np.ndarray | None], tuple[np.ndarray, np.ndarray]]]:
    if real.labelled:
        return "labels", lambda x, labels: (x, labels)
    if real.train_sources is not None:
        return "source image", lambda x, labels: (x, labels)
    square = real.train.shape[1] == real.train.shape[2]

    def rotations(x: np.ndarray, _labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if square:
            turned = [np.rot90(x, k, axes=(1, 2)) for k in range(4)]
        else:
            turned = [x, x[:, ::-1], x[:, :, ::-1], x[:, ::-1, ::-1]]
        return np.concatenate(turned).astype("float32"), np.repeat(np.arange(4), len(x))

    return "rotation", rotations


def _key(real: RealImages, task: str) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([VERSION, task, real.source, list(real.train.shape)]).encode())
    digest.update(np.ascontiguousarray(real.train, "float32").tobytes())
    for labels in (real.train_labels, real.train_sources):
        if labels is not None:
            digest.update(np.asarray(labels, "int64").tobytes())
    return f"{real.source or 'images'}-{'x'.join(map(str, real.train.shape[1:]))}-{digest.hexdigest()[:16]}"


def _build(shape: tuple[int, ...], classes: int) -> Any:
    import keras

    inputs = keras.Input(shape=shape)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    features = keras.layers.Dense(FEATURES, activation="relu", name="features")(x)
    probabilities = keras.layers.Dense(classes, activation="softmax", name="probabilities")(features)
    return keras.Model(inputs, [features, probabilities], name="feature_classifier")


def _train(real: RealImages, task: str, prepare: Callable) -> tuple[Any, int, float]:
    import keras

    from ..runner.training.framework import seed_everything

    if task == "source image":  # the held-out photos are other photos: hold out a fifth of the training patches
        cut = len(real.train) * 4 // 5
        x, y = real.train[:cut], real.train_sources[:cut]  # type: ignore[index]
        x_test, y_test = real.train[cut:], real.train_sources[cut:]  # type: ignore[index]
    else:
        x, y = prepare(real.train, real.train_labels)
        x_test, y_test = prepare(real.held_out, real.held_out_labels)
    classes = int(max(y.max(), y_test.max())) + 1
    seed_everything(SEED)
    model = _build(real.train.shape[1:], classes)
    trainer = keras.Model(model.inputs, model.outputs[1])
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    order = np.random.default_rng(SEED).permutation(len(x))
    trainer.fit(x[order], y[order], batch_size=64, epochs=EPOCHS, verbose=0, shuffle=True)
    accuracy = float(trainer.evaluate(x_test, y_test, verbose=0)[1])
    return model, classes, accuracy


def feature_classifier(real: RealImages, announce: Callable[[str], None] = lambda line: None) -> Classifier:
    """The cached classifier for ``real``'s source and image shape, trained (and cached) when missing."""
    from ..runner.artefacts.models import load_model
    from ..runner.artefacts.models import save_model

    task, prepare = _task(real)
    folder = cache_dir() / "classifiers"
    key = _key(real, task)
    path, meta_path = folder / f"{key}.keras", folder / f"{key}.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("sha256") == _sha256(path):
            return Classifier(load_model(path), meta["task"], meta["classes"], meta["accuracy"], path)
        announce(f"the cached classifier {path} does not match its checksum; training it again")
    announce(f"training the feature classifier ({task}) on {len(real.train)} images of {real.source!r}; "
             f"cached in {folder}")
    model, classes, accuracy = _train(real, task, prepare)
    folder.mkdir(parents=True, exist_ok=True)
    save_model(model, path, overwrite=True)
    meta = {"sha256": _sha256(path), "task": task, "classes": classes, "accuracy": accuracy, "source": real.source,
            "images": len(real.train), "version": VERSION}
    write_text(meta_path, json.dumps(meta, indent=2) + "\n")
    return Classifier(model, task, classes, accuracy, path)
