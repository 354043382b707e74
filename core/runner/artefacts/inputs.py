"""The files a command is given, checked before a library trips on them.

``predict``, ``evaluate`` and ``export`` read files a user names: a saved model, a run folder, images; and
write to a path a user names. Each check here fails with a :class:`~upspec.errors.BadInputError` (exit 2)
that names the path, says what is wrong and what to do, the library's own message kept as the cause, the
same rule a bad image inside a training data folder already follows (``upspec.runner.data.files``).
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path
from typing import Any
from typing import Callable

import numpy as np

from ...errors import BadInputError
from ...errors import DamagedFileError

#: an image needs width x height x channels values; a forged header (30000x30000) is refused before decoding
MAX_IMAGE_PIXELS = 64_000_000
IMAGE_HINT = "give a PNG, JPEG, BMP or TIFF file that opens in an image viewer"


def _damage_hint(path: Path) -> str:
    """What can be done about a damaged model or checkpoint, by where it lies in a run folder."""
    if path.name in ("last.keras", "previous.keras") and path.parent.name == "checkpoints":
        run = path.parent.parent
        return (f"`upspec train --resume {run}` resumes from checkpoints/previous.keras when it is kept; "
                f"otherwise re-run the spec: upspec run {run / 'spec.yaml'}")
    if path.name == "model.keras" and (path.parent / "checkpoints" / "last.keras").is_file():
        return (f"delete it and finish the run again from its checkpoint: upspec train --resume {path.parent}")
    if (path.parent / "spec.yaml").is_file():
        return f"re-run the spec: upspec run {path.parent / 'spec.yaml'}"
    return "save or export the model again; a copy interrupted half-way leaves a file like this"


def damaged(path: str | os.PathLike, reason: str) -> DamagedFileError:
    path = Path(path)
    return DamagedFileError(path, f"the file is damaged ({reason})", _damage_hint(path))


def zip_damage(path: Path) -> str | None:
    """Why the ``.keras`` archive at ``path`` is damaged (None when it reads back whole)."""
    if path.stat().st_size == 0:
        return "it is empty"
    if not zipfile.is_zipfile(path):
        return "truncated, or not a Keras archive: no zip directory at its end"
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        return f"the archive cannot be read: {exc}"
    return f"entry {bad!r} fails its checksum" if bad else None


def check_model_file(path: str | os.PathLike) -> Path:
    """``path`` as a readable saved model: it exists, is a file, and (for ``.keras``) is a whole archive."""
    path = Path(path)
    if not path.exists():
        raise BadInputError(path, "no such file", "give a .keras file or a finished run folder")
    if path.is_dir():
        raise BadInputError(path, "is a folder, not a saved model", "give a .keras file or a finished run folder")
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise damaged(path, zip_damage(path) or "not a Keras archive")
    return path


def recover_checkpoint(run_dir: Path, announce: Callable[[str], None]) -> None:
    """Before resuming: a damaged ``last.keras`` gives way to ``previous.keras`` when that one is whole (the
    damaged file is kept as ``checkpoints/damaged-last.keras``); with none whole, a DamagedFileError naming
    the file and what to do."""
    from ..training.checkpoint import CHECKPOINT
    from ..training.checkpoint import PREVIOUS
    from ..training.checkpoint import checkpoint_state

    last, previous = run_dir / CHECKPOINT, run_dir / PREVIOUS
    if not last.is_file():
        return
    reason = zip_damage(last) or (None if checkpoint_state(last) is not None else "no upspec state inside")
    if reason is None:
        return
    if not previous.is_file() or zip_damage(previous) or checkpoint_state(previous) is None:
        raise damaged(last, reason + "; no whole earlier checkpoint is kept")
    os.replace(last, last.with_name("damaged-last.keras"))
    shutil.copyfile(previous, last)
    epoch = checkpoint_state(last)["epoch"]  # type: ignore[index]
    announce(f"upspec: warning: {last} is damaged ({reason}); resuming from {previous} (epoch {epoch}); "
             f"the damaged file is kept as {last.with_name('damaged-last.keras')}")


def model_load_failed(path: str | os.PathLike, exc: BaseException) -> Exception:
    """The error for a model Keras could not load: damaged when its archive is, otherwise Keras's own message
    with the path (the caller raises it ``from exc``)."""
    from ...errors import UpspecError

    path = Path(path)
    if path.suffix == ".keras" and path.is_file():
        reason = zip_damage(path)
        if reason:
            return damaged(path, reason)
    return UpspecError(f"cannot load the model {path}: {type(exc).__name__}: {exc}")


def require_run_folder(path: str | os.PathLike, *, finished: bool = True) -> Path:
    """``path`` as a run folder (``spec.yaml``, and ``model.keras`` when ``finished``)."""
    path = Path(path)
    if not path.is_dir():
        raise BadInputError(path, "no such folder" if not path.exists() else "is a file, not a run folder",
                            "give a folder `upspec run` or `upspec train` wrote (runs/<spec name>/<time>/)")
    if not (path / "spec.yaml").is_file():
        raise BadInputError(path, "is not a run folder (no spec.yaml)",
                            "give a folder `upspec run` or `upspec train` wrote (runs/<spec name>/<time>/)")
    if finished and not (path / "model.keras").is_file():
        raise BadInputError(path, "is an unfinished run folder (no model.keras)",
                            f"finish it with: upspec train --resume {path}")
    return path


def saved_model_files(source: str | os.PathLike) -> tuple[Path, Path]:
    """``(model, spec beside it)`` for a finished run folder or a saved model; a BadInputError otherwise."""
    from .rundir import run_files

    model, spec = run_files(Path(source))
    if model is None:
        path = Path(source)
        if path.is_dir() and (path / "spec.yaml").is_file():
            raise BadInputError(path, "is an unfinished run folder (no model.keras)",
                                f"finish it with: upspec train --resume {path}")
        raise BadInputError(path, "is neither a saved model nor a finished run folder",
                            "give a .keras file, or a run folder holding model.keras")
    return check_model_file(model), spec


def output_folder(path: str | os.PathLike) -> Path:
    """``path`` as a folder to write into: new, or an existing folder, never an existing file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BadInputError(path, "exists and is a file; the output must be a folder",
                            "pick a new folder name for -o")
    return path


def read_image_file(path: str | os.PathLike) -> np.ndarray:
    """An image file as float32 in [0, 1]: grey as ``(H, W, 1)``, anything else as RGB. An empty, truncated
    or non-image file, or one whose header claims more than ``MAX_IMAGE_PIXELS``, is a BadInputError."""
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise BadInputError(path, "no such file" if not path.exists() else "is a folder, not an image", IMAGE_HINT)
    if path.stat().st_size == 0:
        raise BadInputError(path, "the file is empty, not an image", IMAGE_HINT)
    try:
        with Image.open(path) as opened:
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise BadInputError(path, f"its header claims {opened.width}x{opened.height} pixels, more than "
                                          f"upspec reads ({MAX_IMAGE_PIXELS:,}); a damaged or hostile file",
                                    "give a smaller image, or split it into tiles")
            return _pixels(opened)
    except BadInputError:
        raise
    except Image.DecompressionBombError as exc:
        raise BadInputError(path, f"its header claims more pixels than upspec reads ({exc})",
                            "give a smaller image, or split it into tiles") from exc
    except Exception as exc:  # noqa: BLE001 - PIL raises many kinds (OSError, SyntaxError, ValueError, ...)
        raise BadInputError(path, f"not a readable image ({type(exc).__name__}: {exc})", IMAGE_HINT) from exc


def _pixels(opened: Any) -> np.ndarray:
    if opened.mode in ("L", "I;16", "I", "F", "1", "LA"):
        grey = np.asarray(opened.convert("F" if opened.mode in ("I;16", "I", "F") else "L"), "float32")
        return (grey / (65535.0 if opened.mode in ("I;16", "I") else 255.0 if opened.mode != "F" else 1.0))[..., None]
    return np.asarray(opened.convert("RGB"), "float32") / 255.0
