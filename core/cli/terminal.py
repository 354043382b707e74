"""Terminal conventions: TensorFlow's start-up log lines filtered, no ANSI codes where they do not belong.

- TensorFlow's C++ and absl logging writes to file descriptor 2 before any
  setting applies (``WARNING: All log messages before absl::InitializeLog()
  ...``, ``I0000 ... cudart_stub.cc ...``), so ``TF_CPP_MIN_LOG_LEVEL`` alone
  does not silence it. :func:`filter_native_stderr` puts a filter between
  file descriptor 2 and the terminal that drops those informational lines
  (and the harmless "no CUDA" errors) and passes everything else through, in
  order. ``--debug`` (or ``UPSPEC_VERBOSE_TF=1``) leaves stderr alone.
- Keras's progress bar always writes ANSI colours and backspaces; when stdout
  is not a terminal or ``NO_COLOR`` is set, :func:`keras_verbosity` asks Keras
  for one plain line per epoch instead.
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading
from typing import Any

NOISE = re.compile(
    rb"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|[IW]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] .*"
    rb"|E\d{4} [\d:.]+\s+\d+ cuda_\w+\.cc:\d+\] .*"
    rb"|To enable the following instructions: .* in other operations, rebuild TensorFlow with the appropriate "
    rb"compiler flags\.)\r?$"
)


def no_color() -> bool:
    """https://no-color.org: any non-empty ``NO_COLOR`` turns colours off."""
    return bool(os.environ.get("NO_COLOR"))


def keras_verbosity(progress: bool, stream: Any = None) -> int:
    """Keras's ``verbose``: 0 without progress, 1 (the bar) on a colour terminal, else 2 (a line per epoch)."""
    if not progress:
        return 0
    stream = sys.stdout if stream is None else stream
    tty = hasattr(stream, "isatty") and stream.isatty()
    return 1 if tty and not no_color() else 2


_filtering = False


def filter_native_stderr() -> None:
    """Drop TensorFlow's native start-up log lines from file descriptor 2 for the rest of the process."""
    global _filtering
    if _filtering:
        return
    _filtering = True
    try:
        sys.stderr.flush()
        original = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
    except (OSError, ValueError, AttributeError):  # no real file descriptor 2 (embedded, tests): nothing to do
        return

    def pump() -> None:
        pending = b""
        with os.fdopen(read_end, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                kept = b"".join(line + b"\n" for line in lines if not NOISE.match(line))
                if kept:
                    os.write(original, kept)
        if pending and not NOISE.match(pending):
            os.write(original, pending)

    thread = threading.Thread(target=pump, name="upspec-stderr-filter", daemon=True)
    thread.start()

    def restore() -> None:
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(original, 2)  # closes the pipe's last write end: the pump sees the end and drains
        thread.join(timeout=5)

    atexit.register(restore)
