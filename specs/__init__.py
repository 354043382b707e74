"""The specs shipped with upspec, installed as ``upspec.specs`` (see ``upspec specs``)."""
