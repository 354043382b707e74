"""The version, read by setup.cfg (attr:) so the installed metadata and the code cannot disagree."""

__version__ = "0.1.0"
