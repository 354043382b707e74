"""placeholder"""
from __future__ import annotations

from .yaml_source import Document


def resolve_extends(doc: Document) -> tuple[Document, tuple[str, ...]]:
    return doc, ()
