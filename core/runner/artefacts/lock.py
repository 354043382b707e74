"""One process per folder: the lock a run, a sweep or a tune folder takes while a process writes to it.

The lock is a file, ``.upspec.lock``, created with ``O_CREAT | O_EXCL`` (exactly one process can create it)
and holding JSON ``{pid, hostname, started, command}``; where the platform has ``fcntl.flock`` the holder
also keeps an exclusive ``flock`` on it while it lives. A second process is refused at once with a
:class:`FolderBusy` naming the holder. A lock whose holder is gone (killed: its PID no longer exists on this
host, or nobody holds the ``flock`` of an older file) is *stale*: it is taken over with a warning. A lock
written on another host is never taken over automatically (its PID means nothing here).

Use it as a context manager, ``with FolderLock(folder, "run folder"):``, or :func:`hold_lock` inside
:func:`held_locks` for a folder created deep inside a call (``new_run_dir``). It is generic: a future
``upspec tune`` takes ``FolderLock(tune_folder, "tune folder")`` the same way.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Iterator
from typing import TypeVar

from ...errors import UpspecError

try:
    import fcntl
except ImportError:  # Windows: the O_EXCL file alone
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".upspec.lock"
#: a lock file younger than this whose flock nobody holds may be one whose holder has not flocked it yet
FLOCK_GRACE_SECONDS = 10.0


class FolderBusy(UpspecError):
    """Another live process holds the folder's lock; carries what its lock file says."""

    def __init__(self, folder: Path, kind: str, holder: dict[str, Any]) -> None:
        self.folder = folder
        self.holder = holder
        who = f"PID {holder.get('pid', '?')} on {holder.get('hostname', '?')}, started {holder.get('started', '?')}"
        command = f": {holder['command']}" if holder.get("command") else ""
        hint = ("wait for it to finish or stop it" if holder.get("hostname") == socket.gethostname() else
                f"wait for it to finish; if that process is gone, delete {folder / LOCK_NAME}")
        super().__init__(f"{folder} is in use: another upspec process is writing to this {kind} "
                         f"({who}{command})\n  hint: {hint}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, alive
        return True
    except OSError:
        return False
    return True


def read_holder(path: Path) -> dict[str, Any] | None:
    """What a lock file says; None when it is unreadable or half-written."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def _flock_free(path: Path) -> bool:
    """Whether nobody holds the ``flock`` of ``path`` (False where there is no flock, or it cannot be opened)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # closing drops the flock just taken
    return True


def is_stale(path: Path, holder: dict[str, Any] | None) -> bool:
    """Whether the lock at ``path`` was left by a process that no longer exists (on this host)."""
    try:
        age = _dt.datetime.now().timestamp() - path.stat().st_mtime
    except OSError:
        return False
    if holder is None:  # half-written: its writer died between create and write, or is writing now
        return age > FLOCK_GRACE_SECONDS
    if holder.get("hostname") != socket.gethostname():
        return False
    pid = holder.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return True
    return age > FLOCK_GRACE_SECONDS and _flock_free(path)  # the PID was reused by an unrelated process


class FolderLock:
    """The lock of one folder, held from :meth:`acquire` to :meth:`release` (or the ``with`` block)."""

    def __init__(self, folder: str | os.PathLike, kind: str = "folder",
                 announce: Callable[[str], None] | None = None) -> None:
        self.folder = Path(folder)
        self.kind = kind
        self.path = self.folder / LOCK_NAME
        self.announce = announce or (lambda line: print(line, file=sys.stderr))
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> FolderLock:
        if self.held:
            return self
        for _attempt in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = read_holder(self.path)
                if not is_stale(self.path, holder):
                    raise FolderBusy(self.folder, self.kind, holder or {}) from None
                self._take_over(holder)
                continue
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            record = {"pid": os.getpid(), "hostname": socket.gethostname(),
                      "started": _dt.datetime.now().isoformat(timespec="seconds"),
                      "command": " ".join(["upspec", *sys.argv[1:]]) if sys.argv[1:] else ""}
            os.write(fd, (json.dumps(record) + "\n").encode())
            os.fsync(fd)
            self._fd = fd
            _HELD[self.path] = self
            return self
        holder = read_holder(self.path) or {}
        raise FolderBusy(self.folder, self.kind, holder)

    def _take_over(self, holder: dict[str, Any] | None) -> None:
        who = f"PID {holder.get('pid')}, started {holder.get('started')}" if holder else "an unreadable lock"
        self.announce(f"upspec: warning: {self.path} was left by a process that no longer runs ({who}); "
                      "taking it over")
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def release(self) -> None:
        if self._fd is None:
            return
        _HELD.pop(self.path, None)
        try:
            if (read_holder(self.path) or {}).get("pid") == os.getpid():  # never another process's new lock
                self.path.unlink()
        except OSError:
            pass
        finally:
            os.close(self._fd)  # drops the flock
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


#: every lock this process holds, released at exit whatever happens
_HELD: dict[Path, FolderLock] = {}
#: the locks :func:`hold_lock` took inside the innermost :func:`held_locks` block
_SCOPES: list[list[FolderLock]] = []


def hold_lock(folder: str | os.PathLike, kind: str = "folder") -> FolderLock:
    """Take ``folder``'s lock until the enclosing :func:`held_locks` block ends (or the process exits)."""
    lock = FolderLock(folder, kind).acquire()
    if _SCOPES:
        _SCOPES[-1].append(lock)
    return lock


@contextlib.contextmanager
def held_locks() -> Iterator[None]:
    """Release, at the end of the block, the locks :func:`hold_lock` took inside it."""
    _SCOPES.append([])
    try:
        yield
    finally:
        for lock in reversed(_SCOPES.pop()):
            lock.release()


F = TypeVar("F", bound=Callable[..., Any])


def with_held_locks(function: F) -> F:
    """``function`` run inside :func:`held_locks`: the folders it creates are unlocked when it returns."""
    import functools

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with held_locks():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@atexit.register
def _release_all() -> None:
    for lock in list(_HELD.values()):
        lock.release()
