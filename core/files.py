"""Writing files so that nothing is ever half-written or silently replaced."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import UpspecError


class WouldOverwrite(UpspecError, FileExistsError):
    """An output already exists and ``--force`` was not given: a usage error (exit status 2)."""

    def __init__(self, path: Path, message: str = "") -> None:
        super().__init__(message or f"{path} already exists; refusing to overwrite it (pass --force to replace it)")
        self.path = path


class WriteError(UpspecError, OSError):
    """Writing a file failed (disk full, read-only, no permission); names the path and the cause."""


def io_error(path: str | os.PathLike, exc: OSError) -> WriteError:
    if isinstance(exc, WriteError) and isinstance(exc.__cause__, OSError):
        exc = exc.__cause__  # a nested write (a temporary inside a temporary) names the outer path, once
    cause = exc.strerror or str(exc)
    hint = {errno.ENOSPC: "free some space", errno.EROFS: "the file system is read-only; write somewhere else",
            errno.EACCES: "no permission; write somewhere else", errno.EDQUOT: "disk quota exceeded"}.get(exc.errno or 0)
    return WriteError(f"cannot write {path}: {cause}" + (f" ({hint})" if hint else ""))


#: temporary files of ``atomic_path`` (``.NAME.RANDOM.tmpSUFFIX``) and of directory exports (``.NAME.tmp``, ``.NAME.old``)
TEMPORARY = re.compile(r"^\..+\.(tmp(\.[A-Za-z0-9]+)?|old)$")


def clean_temporaries(*folders: str | os.PathLike) -> list[Path]:
    """Remove temporary files that a killed write left in ``folders`` (not recursive); returns them."""
    removed = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            continue
        for item in folder.iterdir():
            if TEMPORARY.match(item.name):
                shutil.rmtree(item, ignore_errors=True) if item.is_dir() else item.unlink(missing_ok=True)
                removed.append(item)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only if the block succeeds.

    The temporary name keeps the suffix, since some writers (Keras) insist on it. An ``OSError``
    (disk full, read-only, no permission) becomes a :class:`WriteError` naming ``path`` and the cause.
    """
    target = Path(path)
    if not overwrite and target.exists():
        raise WouldOverwrite(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise io_error(target, exc) from exc
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except WriteError:
        raise
    except OSError as exc:
        raise io_error(target, exc) from exc
    finally:
        if tmp_path.exists():
            if tmp_path.is_dir():
                shutil.rmtree(tmp_path)
            else:
                tmp_path.unlink()


def write_text(path: str | os.PathLike, text: str, *, overwrite: bool = True) -> Path:
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes, *, overwrite: bool = True) -> Path:
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(path)
