from __future__ import annotations

import importlib.metadata

try:
    __version__ = importlib.metadata.version("upspec")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"
