"""The data names ``settings.py`` checks a spec's ``data:`` section against (the data side itself is
:mod:`upspec.runner.data`); goes with ``settings.py`` when it moves into the spec package."""

from __future__ import annotations

from ..runner.data.sources import TASKS
from ..runner.data.sources import get_source

__all__ = ["TASKS", "get_source"]
