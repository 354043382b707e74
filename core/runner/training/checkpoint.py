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
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

from ...files import atomic_path
from ...files import io_error
from ...files import write_text
from .history import history_rows
from .history import write_history

STATE_ENTRY = "upspec_state.json"
#: the last checkpoint of a supervised run
CHECKPOINT = Path("checkpoints") / "last.keras"
#: the checkpoint before it, kept until the next one is complete: one damaged file never loses the run
PREVIOUS = Path("checkpoints") / "previous.keras"
#: the epoch count of the last checkpoint, every lane's (a GAN's also names its checkpoint folder)
STATE = Path("checkpoints") / "state.json"


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
    """``model`` (optimizer included) and ``state`` into ``path``, replacing it atomically; the checkpoint it
    replaces becomes ``previous.keras`` beside it once the new one is complete."""
    with atomic_path(path, overwrite=True) as tmp:
        model.save(tmp)
        keep_keras_skipsets()
        try:
            with zipfile.ZipFile(tmp, "a") as archive:
                archive.writestr(STATE_ENTRY, json.dumps(state))
        except OSError as exc:
            raise io_error(path, exc) from exc
        keep_previous(path)


def keep_previous(path: Path) -> None:
    """``path`` (when it exists) copied to ``previous.keras`` beside it, atomically: a hard link where the file
    system has them (no copy of the bytes), a copy otherwise."""
    if not path.is_file():
        return
    with atomic_path(path.with_name(PREVIOUS.name), overwrite=True) as tmp:
        try:
            os.link(path, tmp)
        except OSError:
            shutil.copyfile(path, tmp)


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


def resume_state(run_dir: Path) -> int:
    """The number of epochs finished in ``run_dir`` (0 if none): the checkpoint's own record, which is
    written with its weights in one atomic step (``state.json`` may lag it by one kill)."""
    embedded = checkpoint_state(run_dir / CHECKPOINT)
    if embedded is not None:
        return int(embedded["epoch"])
    state = run_dir / STATE
    return json.loads(state.read_text())["epoch"] if state.exists() and (run_dir / CHECKPOINT).exists() else 0


def restore_history(run_dir: Path) -> list[dict[str, Any]]:
    """The history that belongs to the checkpoint, written back to ``history.csv`` (which a kill may have left
    one epoch behind, or ahead of a checkpoint that never landed)."""
    embedded = checkpoint_state(run_dir / CHECKPOINT)
    rows = embedded.get("history") if embedded else None
    if embedded is None or rows is None:
        return history_rows(run_dir / "history.csv")[: resume_state(run_dir)]
    write_history(run_dir / "history.csv", rows)
    assert embedded is not None  # rows come from it
    write_text(run_dir / STATE, json.dumps({"epoch": int(embedded["epoch"])}) + "\n")
    return rows


def recorded_epochs(run_dir: Path) -> int | None:
    """The epochs a run folder's last checkpoint holds, whichever lane wrote it; None without one."""
    state = run_dir / STATE
    if not state.exists():
        return None
    written = json.loads(state.read_text()).get("epoch", 0)
    return max(int(written), resume_state(run_dir))
