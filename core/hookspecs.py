"""Hook specifications: what a plugin may implement.

Every hook is called by upspec, never by plugins. A plugin module (or any
object) implements a hook by defining a function of the same name decorated
with :data:`upspec.hookimpl`; it may accept any subset of the parameters
listed in the spec. ``docs/plugins.md`` documents each hook with an example,
and a test keeps that page in step with this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any
from typing import Iterable
from typing import Mapping

import pluggy

if TYPE_CHECKING:
    import click
    import keras

    from . import DataSource
    from . import Spec
    from . import Strategy

hookspec = pluggy.HookspecMarker("upspec")
hookimpl = pluggy.HookimplMarker("upspec")


@hookspec
def upspec_strategies() -> Iterable["Strategy"]:
    """Return the upsampling strategies this plugin provides.

    Called once, when the registry is first needed (validating, building or
    listing). Return an iterable of :class:`upspec.Strategy` *instances*.
    Each ``name`` must be unique across all plugins: two plugins offering the
    same name make that name unusable, and the error names both.

    Keep this hook cheap: do not import ``keras`` here, import it inside
    ``Strategy.build``, so that ``upspec --help`` stays fast.
    """


@hookspec
def upspec_layers() -> Mapping[str, Any]:
    """Return the layer types this plugin adds, for ``layer: NAME`` entries.

    Called once, when the registry is first needed. Return a mapping from the
    name used in specs to either a ``keras.layers.Layer`` subclass or an
    import path ``"package.module:ClassName"`` (resolved lazily, so listing
    layers does not import Keras). The layer's ``__init__`` signature is its
    schema: unknown arguments are spec errors. The class should be
    ``@keras.saving.register_keras_serializable`` so saved models reload.
    """


@hookspec
def upspec_datasets() -> Iterable["DataSource"]:
    """Return the data sources this plugin provides, for a spec's ``data:`` section.

    Called once, when a run needs data or when listing plugins. Return
    :class:`upspec.DataSource` instances; each has a ``name`` and a
    ``load(split, *, size, seed, **options)`` method returning
    :class:`upspec.Images`.
    """


@hookspec
def upspec_metrics() -> Mapping[str, Any]:
    """Return metrics usable by name in ``compile.metrics``.

    Called once, when a model is compiled. Return a mapping from the metric
    name to a function ``fn(y_true, y_pred) -> tensor`` or a
    ``keras.metrics.Metric`` subclass.
    """


@hookspec
def upspec_commands(cli: "click.Group") -> None:
    """Add commands to the ``upspec`` command line.

    Called once, when the CLI starts. ``cli`` is the top-level click group;
    register commands with ``@cli.command()`` (datasette's pattern). Return
    nothing.
    """


@hookspec
def upspec_callbacks(spec: "Spec", run_dir: str) -> Iterable["keras.callbacks.Callback"]:
    """Return extra Keras callbacks for training.

    Called once per training run, after the run folder ``run_dir`` exists and
    before ``fit`` starts. ``spec`` is the resolved spec. Return an iterable
    of ``keras.callbacks.Callback`` instances (or nothing).
    """


@hookspec
def upspec_model_built(model: "keras.Model", spec: "Spec") -> None:
    """Inspect or annotate a model right after it is built and compiled.

    Called by :func:`upspec.build_model` for every model it returns, with the
    compiled ``model`` and the resolved ``spec``. Return nothing; an exception
    raised here is reported as this plugin's error and the build fails.
    """
