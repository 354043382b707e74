"""Run folders: one per run, never reused, every file written atomically."""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Callable

import yaml

from ...errors import UpspecError
from ...files import WouldOverwrite
from ...files import write_text
from ...modelspec.model import Spec
from .lock import LOCK_NAME
from .lock import hold_lock


def _silent(line: str) -> None:
    pass


@dataclass
class RunOptions:
    """How one run is asked for, whatever its lane: where its folder goes, training settings from the
    command line, how much it prints."""

    registry: Any
    root: str = "runs"
    out: str | None = None
    train_overrides: dict[str, Any] = field(default_factory=dict)
    verbose: int = 1
    announce: Callable[[str], None] = _silent


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict[str, Any]
    #: False for a ``multi_worker`` worker other than the chief: it trained, and the chief wrote the run folder
    chief: bool = True
    #: the trained model, still in memory (a sweep measures it without loading model.keras again)
    model: Any = field(default=None, repr=False, compare=False)


#: the run folders this process started, newest last (the command line names the newest after Ctrl-C)
STARTED: list[Path] = []
LATEST = "latest"


def new_run_dir(spec: Spec, root: str | Path = "runs", out: str | Path | None = None, prefix: str = "",
                kind: str = "run folder") -> Path:
    """``runs/<spec name>/<prefix><timestamp>/`` (suffixed if taken; ``runs/<spec name>/latest`` then points at
    it), or ``out`` if it is new or empty; its lock taken (``upspec.runner.artefacts.lock``) until the caller's
    ``held_locks`` block ends."""
    if out is not None:
        path = Path(out)
        if path.exists() and any(path.iterdir()):
            if (path / LOCK_NAME).exists():
                hold_lock(path, kind)  # refused with the holder named when another process runs there
            raise WouldOverwrite(path, f"{path} already holds files; refusing to mix runs (pick a new --output)")
        path.mkdir(parents=True, exist_ok=True)
        hold_lock(path, kind)
        STARTED.append(path)
        return path
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / spec.name
    base.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        path = base / (prefix + (stamp if n == 0 else f"{stamp}-{n}"))
        try:
            path.mkdir()  # atomic: two runs started in the same second get different folders
            hold_lock(path, kind)
        except FileExistsError:
            continue
        if not prefix:
            point_latest(base, path)
        STARTED.append(path)
        return path
    raise UpspecError(f"cannot find a free run folder under {base}")


def point_latest(base: Path, run_dir: Path) -> None:
    """``base/latest`` -> ``run_dir``, replaced atomically (a new link beside it, renamed over it); where the
    file system has no symbolic links, commands resolve ``latest`` by the newest folder instead."""
    link = base / LATEST
    tmp = base / f".{LATEST}.{os.getpid()}.tmp"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(run_dir.name, tmp, target_is_directory=True)
        os.replace(tmp, link)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def newest_run(base: Path) -> Path | None:
    """The newest run folder under ``runs/<name>/`` (by name: timestamps sort), or None."""
    runs = sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink() and (p / "spec.yaml").is_file()
                  and not p.name.startswith((".", "sweep-")))
    return runs[-1] if runs else None


def resolve_run(value: str | os.PathLike) -> Path:
    """A RUN argument: a run folder or model file as given; ``.../latest`` (the link, or the newest run folder
    where there is no link) resolved to the run folder it names."""
    path = Path(value)
    if path.name == LATEST:
        if path.is_symlink() or path.exists():
            return Path(os.path.realpath(path))
        if path.parent.is_dir():
            found = newest_run(path.parent)
            if found is not None:
                return found
    return path


MODEL_SUFFIXES = (".keras", ".h5")


def run_files(path: str | Path) -> tuple[Path | None, Path]:
    """``(model, spec)`` for a run folder, a saved model (the ``spec.yaml`` beside it) or a spec file.

    ``model`` is None when there is none (a spec file, an unfinished run); ``spec`` may not exist.
    """
    path = Path(path)
    if path.is_dir():
        model = path / "model.keras"
        return (model if model.is_file() else None), path / "spec.yaml"
    if path.suffix in MODEL_SUFFIXES:
        return path, path.parent / "spec.yaml"
    return None, path


def resolved_spec_data(spec: Spec) -> dict[str, Any]:
    """The spec as written after overrides, with the ``train:`` settings the run used (command-line flags
    included) and its ``data:`` (the degradation named), so that ``--resume`` continues with the same ones."""
    data = dict(spec.document.data) if spec.document is not None else spec.model_dump(exclude_none=True)
    data["train"] = spec.train.model_dump(exclude_none=True)
    written = spec.data.model_dump(exclude_unset=True)
    if written:
        data["data"] = written
    return data


def write_spec(run_dir: Path, spec: Spec) -> Path:
    text = f"# resolved spec of this run (after --strategy / --set); source: {spec.source}\n"
    text += yaml.safe_dump(resolved_spec_data(spec), sort_keys=False)
    return write_text(run_dir / "spec.yaml", text)


def write_json(path: Path, data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=2, default=float) + "\n")
