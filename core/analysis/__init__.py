"""Measurements of built models: checkerboard artifacts (``checkerboard``) and cost (``cost``)."""
