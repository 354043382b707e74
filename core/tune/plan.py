"""A tune folder and its plan: ``tune.json`` says what is searched, for which strategies, at which budget;
``study.db`` (Optuna's SQLite storage) holds the trials; ``tune.lock`` keeps two searches out of one folder.

Running the same command again on the folder continues the search (more ``--trials`` extend it); any other
change to the plan is refused, so a folder's results always answer one question.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Iterator

from ..errors import UpspecError
from ..files import write_text
from ..version import __version__
from .search_space import SearchSpace

PLAN = "tune.json"
STUDY = "study.db"
LOCK = "tune.lock"
#: what ``tune.json`` says it is, so that ``sweep --tuned`` can tell a tune folder from any other
KIND = "upspec-tune"


@dataclass
class TunePlan:
    source: Any
    strategies: list[str]
    trials: int
    #: seeds each trial trains with (its value is the mean over them)
    seeds: int
    #: ``train:`` settings from the command line (epochs, steps_per_epoch, batch_size)
    train: dict[str, Any]
    overrides: list[str]
    search: dict[str, Any]
    metric: str
    direction: str
    executor: str = "local"
    #: "tpe" (Optuna's default) or "grid" (every combination of choices)
    sampler: str = "tpe"
    #: "asha" (successive halving on the validation metric, per epoch) or "none"
    pruner: str = "asha"
    sampler_seed: int = 0
    version: str = __version__
    kind: str = KIND
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def space(self) -> SearchSpace:
        return SearchSpace.from_json(self.search)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def read(cls, folder: Path) -> TunePlan:
        path = folder / PLAN
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise UpspecError(f"{folder} is not a tune folder of upspec tune ({PLAN} unreadable: {exc})") from None
        if not isinstance(data, dict) or data.get("kind") != KIND:
            raise UpspecError(f"{folder} is not a tune folder of upspec tune ({PLAN} does not say kind: {KIND})")
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def differences(self, other: TunePlan) -> list[str]:
        """What ``other`` (a new command line) changes, beyond more trials, compared with this plan."""
        keys = ("source", "strategies", "seeds", "train", "overrides", "search", "metric", "direction", "executor",
                "sampler", "pruner")
        return [f"{key}: {getattr(self, key)!r} -> {getattr(other, key)!r}" for key in keys
                if getattr(self, key) != getattr(other, key)]


def open_folder(folder: Path, plan: TunePlan) -> tuple[TunePlan, bool]:
    """The folder's plan (``plan`` written when the folder is new), and whether it continues an earlier search.

    A folder holding another plan is refused, naming what differs; more trials than before extend it."""
    if (folder / PLAN).exists():
        earlier = TunePlan.read(folder)
        changed = earlier.differences(plan)
        if changed:
            raise UpspecError(f"{folder} holds a search with another plan; continue it with the same command or "
                              f"pick a new --out. Changed: " + "; ".join(changed))
        if plan.trials != earlier.trials:
            earlier.trials = max(plan.trials, earlier.trials)
            write_text(folder / PLAN, earlier.to_json())
        return earlier, True
    if folder.exists() and any(folder.iterdir()):
        raise UpspecError(f"{folder} already holds files and is no tune folder; refusing to mix them (pick a new "
                          "--out)")
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / PLAN, plan.to_json())
    return plan, False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class FolderLock:
    """``tune.lock`` with this process's id while it searches; a lock of a dead process (a search killed
    with ``kill -9``) is taken over, a live one refused."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK

    def __enter__(self) -> FolderLock:
        if self.path.exists():
            try:
                pid = int(self.path.read_text().strip() or 0)
            except ValueError:
                pid = 0
            if pid and pid != os.getpid() and _alive(pid):
                raise UpspecError(f"another upspec tune (process {pid}) is searching in {self.path.parent}; "
                                  "wait for it, or stop it first")
        self.path.write_text(f"{os.getpid()}\n")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.path.unlink(missing_ok=True)


def trial_folders(folder: Path, strategy: str, number: int, seeds: int) -> Iterator[tuple[int, Path]]:
    """``(seed, run folder)`` of each training of trial ``number``."""
    for seed in range(seeds):
        yield seed, folder / strategy / f"trial-{number:03d}" / f"seed-{seed}"
