"""A checkpoint and its state as one atomic unit, and the stages of a run folder.

The epoch count and the history travel *inside* the checkpoint file (an extra
``upspec_state.json`` entry in the ``.keras`` zip, which Keras ignores), and the
file replaces the previous one atomically: whatever the moment of a kill, the
weights on disk and the epoch they belong to agree. ``checkpoints/state.json``
is still written after it, for people and tools that read it, but resume
trusts the checkpoint.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from ..files import atomic_path
from ..files import io_error

STATE_ENTRY = "upspec_state.json"


#: the kinds of object whose attribute skip-sets Keras's saving computes
_SKIPSET_KINDS = ("Operation", "Layer", "Functional", "Sequential", "Metric", "Optimizer", "Loss")


def keep_keras_skipsets() -> None:
    """Keras 3's ``saving_lib.get_attr_skipset`` stores each skip-set under ``saving_attr_skipset_<kind>`` but
    looks it up under ``saving_attr_skiplist_<kind>``, so every save builds throw-away Layer, Optimizer and
    Metric objects (with variables) to compute them again: 40% of a small model's per-epoch checkpoint. Store
    them under the key it reads too (the same sets; a no-op once Keras reads the key it writes)."""
    try:
        from keras.src.backend.common import global_state
    except ImportError:  # another Keras layout: nothing to do
        return
    for kind in _SKIPSET_KINDS:
        found = global_state.get_global_attribute(f"saving_attr_skipset_{kind}", None)
        if found is not None and global_state.get_global_attribute(f"saving_attr_skiplist_{kind}", None) is None:
            global_state.set_global_attribute(f"saving_attr_skiplist_{kind}", found)


def save_checkpoint(model: Any, path: Path, state: dict[str, Any]) -> None:
    """``model`` (optimizer included) and ``state`` into ``path``, replacing it atomically."""
    with atomic_path(path, overwrite=True) as tmp:
        model.save(tmp)
        keep_keras_skipsets()
        try:
            with zipfile.ZipFile(tmp, "a") as archive:
                archive.writestr(STATE_ENTRY, json.dumps(state))
        except OSError as exc:
            raise io_error(path, exc) from exc


def checkpoint_state(path: Path) -> dict[str, Any] | None:
    """The state saved with the checkpoint at ``path``; None when there is none (or none readable)."""
    if not path.exists():
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read(STATE_ENTRY))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def run_stage(run_dir: Path, checkpoint: Path, planned_epochs: int | None = None) -> str:
    """Where a run folder stands: "finished", "reporting" (model saved, report not yet), "training", "new"."""
    if (run_dir / "model.keras").exists() and (run_dir / "report.md").exists():
        return "finished"
    if (run_dir / "model.keras").exists():
        return "reporting"
    if checkpoint.exists():
        return "training"
    return "new"


def unfinished_message(run_dir: Path, checkpoint: Path) -> str:
    state = checkpoint_state(checkpoint) or {}
    done = f"{state['epoch']} epoch(s) trained" if "epoch" in state else "no epoch finished"
    return f"{run_dir} is an unfinished run ({done}, no model.keras yet); finish it with: upspec train --resume {run_dir}"
