"""The capability matrix of the installed strategies (:mod:`.matrix`), measured by :mod:`.checks`."""

from __future__ import annotations
