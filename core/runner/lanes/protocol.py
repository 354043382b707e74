"""The lane protocol: what the runner's verbs and a sweep ask of one kind of model.

A *lane* is one kind of model's way through the runner: the supervised 2-D lane (images), the lane of 1-D
signals and 3-D volumes, the GAN lane (:mod:`upspec.gan.lane`). The runner's verbs and ``compare/`` get
the lane of a spec from :func:`upspec.runner.lanes.lane_for` and never test the kind themselves.

The protocol is structural (:class:`typing.Protocol`): a lane implements these methods and need not import
this module, so the GAN lane's folder stays below the runner's lanes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol

if TYPE_CHECKING:
    from ...modelspec.model import Spec
    from ..artefacts.rundir import RunOptions
    from ..artefacts.rundir import RunResult


class Lane(Protocol):
    """One kind of model's way through the runner: build, data, fit, evaluate, report, measure."""

    #: the lane's name, for messages: ``images``, ``signals_volumes``, ``gan``
    name: str

    def build(self, spec: Spec, registry: Any) -> Any:
        """The networks a run of ``spec`` trains, built fresh and compiled (one model, or a GAN's pair)."""

    def data(self, spec: Spec, registry: Any, train_overrides: dict[str, Any] | None = None) -> Any:
        """The data a run of ``spec`` trains and is judged on, its shapes taken from the spec's checked graph;
        a spec error at ``data:`` when the data cannot feed the model."""

    def evaluation_data(self, spec: Spec, registry: Any) -> Any:
        """The spec's test data with a minimal training pool (for evaluating, measuring, checking that the
        data fits); a spec error when the lane has no test pairs."""

    def run(self, spec: Spec, options: RunOptions) -> RunResult:
        """Build, fit, evaluate and report ``spec`` in a new run folder (the main job)."""

    def resume(self, spec: Spec, run_dir: Path, options: RunOptions) -> RunResult:
        """Continue an interrupted run from its last checkpoint and finish its report."""

    def evaluate(self, run_dir: Path, spec: Spec, registry: Any) -> dict[str, Any]:
        """A finished run's test metrics (``metrics.json``'s numbers), computed again in this process."""

    def export_inputs(self, spec: Spec, registry: Any) -> Any:
        """What an exported model of a run of ``spec`` is checked on: a ``CheckInputs`` (one array per model
        input, and where they come from), or None when the lane has none (random inputs then)."""

    def check_data(self, spec: Spec, registry: Any) -> None:
        """Fail (a spec error) when the spec's data cannot feed the model: before a sweep folder exists."""

    def measure(self, trained: Any, spec: Spec, run_dir: Path, registry: Any) -> dict[str, Any]:
        """A finished run's costs and checkerboard numbers for a sweep's row (``trained``: its model)."""

    def headline(self, metrics: dict[str, Any]) -> dict[str, float]:
        """The numbers of a run's metrics a sweep prints when the run finishes."""

    def comparison_section(self, rows: list[dict[str, Any]]) -> str:
        """The lane's own section of a sweep's comparison.md (empty when it has none)."""

    def report_comparison(self, folder: Path, rows: list[dict[str, Any]], registry: Any, dataset: Any = None) -> None:
        """A sweep folder's pictures: the strategies' samples side by side and their learning curves."""
