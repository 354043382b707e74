"""Keeping TensorFlow quiet: its start-up lines, its Python warnings and its converters' native logging.

The command line filters TensorFlow's native start-up lines for the whole process
(:mod:`upspec.cli.terminal`); the Python API cannot take over file descriptor 2 of a notebook, so it calls
:func:`quiet_framework` (environment and Python loggers, before TensorFlow is imported) and wraps the noisy
native calls (the TFLite converter, which prints ~50 lines and its errors twice) in :func:`captured_stderr`.
``UPSPEC_VERBOSE_TF=1`` (set by ``--debug``) leaves everything as TensorFlow makes it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
import warnings
from typing import Iterator


def verbose() -> bool:
    """Whether the user asked to see TensorFlow's own output (``--debug`` or ``UPSPEC_VERBOSE_TF=1``)."""
    return bool(os.environ.get("UPSPEC_VERBOSE_TF"))


def quiet_framework() -> None:
    """TensorFlow's C++ log level, absl, and its Python warnings (retracing, deprecations) turned down; what
    the command line does, for the Python API. Does nothing with ``UPSPEC_VERBOSE_TF=1``."""
    if verbose():
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"(tensorflow|keras|absl)\b")
    if "absl.logging" in sys.modules:
        sys.modules["absl.logging"].set_verbosity("error")


def quiet_import() -> None:
    """:func:`quiet_framework`, then Keras (and its backend) imported with file descriptor 2 captured, so that
    the native start-up lines (absl, oneDNN, ``failed call to cuInit``) never show; once per process."""
    quiet_framework()
    if verbose() or "keras" in sys.modules:
        return
    with captured_stderr():
        try:
            import keras  # noqa: F401 - imported here so that its start-up output is captured
        except ImportError:
            return


@contextlib.contextmanager
def captured_stderr() -> Iterator[io.StringIO]:
    """Run a block with file descriptor 2 (and ``sys.stderr``, stdout too) captured; yields a buffer that
    holds what was written once the block ends. With ``UPSPEC_VERBOSE_TF=1`` nothing is captured."""
    buffer = io.StringIO()
    if verbose():
        yield buffer
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real descriptor 2
        with contextlib.redirect_stderr(buffer), contextlib.redirect_stdout(io.StringIO()):
            yield buffer
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            with contextlib.redirect_stderr(buffer), contextlib.redirect_stdout(io.StringIO()):
                yield buffer
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            buffer.write(sink.read().decode("utf-8", "replace"))
