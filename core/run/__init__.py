"""Left here only for ``settings.py`` (the ``train:`` and ``data:`` sections), which moves into the spec
package; the runner is :mod:`upspec.runner`."""
