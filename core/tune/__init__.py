"""``upspec tune``: search each strategy's settings (Optuna in-process, or Ray Tune), then compare the
strategies at them with ``upspec sweep --tuned``.

The public names: :func:`run_tune`, :class:`TuneResult`, :func:`read_tuned`; the section model is
:class:`upspec.modelspec.search_section.SearchRange`.
"""

from __future__ import annotations

from .results import read_tuned
from .tune import TuneResult
from .tune import run_tune

__all__ = ["TuneResult", "read_tuned", "run_tune"]
