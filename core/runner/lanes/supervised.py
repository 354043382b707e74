"""The supervised lanes' run: build, fit, evaluate and report one model in a run folder of its own.

:class:`SupervisedLane` reads top to bottom like the main job; what depends on the model's rank (how the
data is cut, how the test set is scored and pictured) is left to its two lanes,
:class:`~upspec.runner.lanes.images.ImageLane` and
:class:`~upspec.runner.lanes.signals_volumes.SignalVolumeLane`.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Iterator

from ...builder.builder import build_model
from ...builder.precision import dtype_policy
from ...graph.graph import build_graph
from ...modelspec.sections import DataSettings
from ...modelspec.sections import TrainSettings
from ...modelspec.sections import data_settings
from ...modelspec.sections import train_settings
from ...modelspec.load import load_spec
from ...modelspec.model import Spec
from ..artefacts.models import load_model
from ..artefacts.onnx_export import CheckInputs
from ..artefacts.onnx_export import run_check_inputs
from ..artefacts.models import save_model
from ..artefacts.rundir import RunOptions
from ..artefacts.rundir import RunResult
from ..artefacts.rundir import new_run_dir
from ..artefacts.rundir import write_json
from ..artefacts.rundir import write_spec
from ..data.dataset import TaskData
from ..data.shapes import ModelShapes
from ..data.shared import dataset_for
from ..reporting.report import learning_curves
from ..reporting.report import meaningless_metrics
from ..reporting.report import upsampling_summary
from ..reporting.report import write_divergence_report
from ..reporting.report import write_report
from ..reporting.run_html import write_run_html
from ..reporting.sweep_folder import overlaid_curves
from ..reporting.sweep_folder import run_folder
from ..reporting.tensorboard_summaries import write_test_summaries
from ..training.checkpoint import CHECKPOINT
from ..training.checkpoint import restore_history
from ..training.checkpoint import resume_state
from ..training.checkpoint import run_stage
from ..training.distribute import Distribution
from ..training.distribute import distribution
from ..training.fit import FitPlan
from ..training.fit import TrainingDiverged
from ..training.fit import fit
from ..training.framework import seed_everything
from ..training.timing import record_inference
from ..training.until import describe_budget
from ..training.until import finished
from .measure import measure_supervised


@contextlib.contextmanager
def model_scope(train: Any, dist: Distribution) -> Iterator[None]:
    """Where models are built or loaded: under ``train.precision``'s dtype policy and the strategy's scope."""
    with dtype_policy(train.precision), dist.scope():
        yield


def _use_settings(model: Any, train: Any) -> Any:
    if train.jit_compile is not None:
        model.jit_compile = train.jit_compile
    return model


def _describe(dist: Distribution, train: Any, announce: Callable[[str], None]) -> None:
    if dist.strategy is not None:
        announce(f"distribute: {dist.kind}, worker {dist.worker + 1} of {dist.workers}, {dist.replicas} replicas "
                 f"in all, global batch {train.batch_size} ({train.batch_size // dist.replicas} per replica)")


def _data_facts(data: Any) -> dict[str, Any]:
    return {"source": data.source, "degradation": data.degradation, "blur_sigma": data.blur_sigma,
            "validation_patches": data.validation_patches}


class SupervisedLane:
    """A model trained on ``(x, y)`` pairs: the lanes of images, signals and volumes."""

    name = "supervised"

    # -- what the rank decides (each lane's own) -------------------------------------------------------------

    def prepare(self, spec: Spec, shapes: ModelShapes, data: DataSettings, train: TrainSettings,
                registry: Any) -> TaskData:
        """Load the spec's source and cut the pairs for a model of these ``shapes``."""
        raise NotImplementedError

    def score(self, model: Any, dataset: TaskData, run_dir: Path) -> tuple[dict[str, Any], Any]:
        """The test metrics of ``model``, and what its pictures need of its outputs."""
        raise NotImplementedError

    def pictures(self, model: Any, dataset: TaskData, metrics: dict[str, Any], outputs: Any, path: Path) -> None:
        """The run's sample picture of the test set."""
        raise NotImplementedError

    def evaluate_model(self, model: Any, dataset: TaskData) -> dict[str, Any]:
        """The test metrics of ``model`` on ``dataset``."""
        raise NotImplementedError

    def strategy_pictures(self, folder: Path, rows: list[dict[str, Any]], registry: Any, dataset: Any) -> Path | None:
        """A sweep folder's ``samples.png``: the strategies' outputs side by side."""
        raise NotImplementedError

    # -- the lane protocol ------------------------------------------------------------------------------------

    def build(self, spec: Spec, registry: Any) -> Any:
        return build_model(spec, registry=registry)

    def data(self, spec: Spec, registry: Any, train_overrides: dict[str, Any] | None = None) -> TaskData:
        train = train_settings(spec, **(train_overrides or {}))
        return self.prepare(spec, ModelShapes.of_graph(build_graph(spec, registry)), data_settings(spec), train,
                            registry)

    def evaluation_data(self, spec: Spec, registry: Any) -> TaskData:
        """The spec's data with a minimal training pool, for evaluating, measuring or checking that the data
        fits (the validation and test data do not depend on the training settings)."""
        return self.data(spec, registry, {"steps_per_epoch": 1, "steps_per_execution": 1})

    def export_inputs(self, spec: Spec, registry: Any) -> CheckInputs | None:
        """The first test inputs of the spec's own data."""
        return run_check_inputs(self.evaluation_data(spec, registry))

    def check_data(self, spec: Spec, registry: Any) -> None:
        self.evaluation_data(spec, registry)

    def run(self, spec: Spec, options: RunOptions) -> RunResult:
        registry, announce = options.registry, options.announce
        train = train_settings(spec, **options.train_overrides)
        data = data_settings(spec)
        dist = distribution(train)  # first: UPSPEC_CPU_DEVICES must act before TensorFlow starts its devices
        seed_everything(train.seed)  # the initial weights too: the same seed gives the same run
        with model_scope(train, dist):
            model = _use_settings(self.build(spec, registry), train)
        dataset = self._dataset(spec, data, train, registry)
        _describe(dist, train, announce)
        if not dist.chief:
            return self._train_as_worker(FitPlan(model, dataset, Path(), train, spec, registry, verbose=0,
                                                 distribution=dist))
        run_dir = new_run_dir(spec, root=options.root, out=options.out)
        announce(f"run folder: {run_dir}")
        announce(f"model: {spec.name}, {model.count_params():,} parameters; upsampling: {upsampling_summary(spec)}")
        # the run's spec records what was resolved (every train setting, the degradation it trained on) as a
        # new spec; the loaded one is left as it was
        if dataset.shapes.task == "super_resolution":
            data = data.model_copy(update={"degradation": data.degradation})
        spec = spec.resolved(train=train, data=data)
        write_spec(run_dir, spec)
        plan = FitPlan(model, dataset, run_dir, train, spec, registry, verbose=options.verbose, distribution=dist)
        rows = self._fit(plan)
        return self._finish(model, spec, dataset, run_dir, rows, {**train.model_dump(), **_data_facts(data)},
                            reload=dist.custom_loop, warnings=plan.warnings)

    def resume(self, spec: Spec, run_dir: Path, options: RunOptions) -> RunResult:
        registry = options.registry
        stage = run_stage(run_dir, run_dir / CHECKPOINT)
        train = train_settings(spec)
        data = data_settings(spec)
        done = resume_state(run_dir)
        rows = restore_history(run_dir)
        dist = distribution(train)
        seed_everything(train.seed)
        with model_scope(train, dist):
            if stage == "reporting":  # stopped while evaluating or writing the report: the final model is saved
                model = load_model(run_dir / "model.keras", registry)
            else:
                model = load_model(run_dir / CHECKPOINT, registry) if done else self.build(spec, registry)
            model = _use_settings(model, train)
        dataset = self._dataset(spec, data, train, registry)
        _describe(dist, train, options.announce)
        plan = FitPlan(model, dataset, run_dir, train, spec, registry, initial_epoch=done, verbose=options.verbose,
                       distribution=dist)
        if not dist.chief:
            plan.verbose = 0
            return self._train_as_worker(plan)
        if stage != "reporting" and not finished(train, rows):
            rows = self._fit(plan)
        return self._finish(model, spec, dataset, run_dir, rows, {**train.model_dump(), **_data_facts(data)},
                            reload=dist.custom_loop, warnings=plan.warnings)

    def evaluate(self, run_dir: Path, spec: Spec, registry: Any) -> dict[str, Any]:
        model = load_model(run_dir / "model.keras", registry)
        return self.evaluate_model(model, self.evaluation_data(spec, registry))

    def measure(self, trained: Any, spec: Spec, run_dir: Path, registry: Any) -> dict[str, Any]:
        return measure_supervised(trained, spec, run_dir, registry, self.evaluation_data)

    def headline(self, metrics: dict[str, Any]) -> dict[str, float]:
        return {k: v for k, v in (metrics.get("model") or {}).items() if isinstance(v, (int, float))}

    def comparison_section(self, rows: list[dict[str, Any]]) -> str:
        return ""

    def report_comparison(self, folder: Path, rows: list[dict[str, Any]], registry: Any, dataset: Any = None) -> None:
        if rows and dataset is None:
            first = run_folder(folder, rows[0])
            dataset = self.evaluation_data(load_spec(first / "spec.yaml", registry=registry), registry)
        if rows:
            self.strategy_pictures(folder, rows, registry, dataset)
        overlaid_curves(folder, rows)

    # -- the run's steps ----------------------------------------------------------------------------------------

    def _dataset(self, spec: Spec, data: DataSettings, train: TrainSettings, registry: Any) -> TaskData:
        """The run's data (cut once for every run of a sweep), shaped by the spec's checked graph."""
        shapes = ModelShapes.of_graph(build_graph(spec, registry))
        return dataset_for(data, train, shapes, lambda: self.prepare(spec, shapes, data, train, registry))

    def _fit(self, plan: FitPlan) -> list[dict[str, Any]]:
        """``fit``, and on a NaN loss a report.md that says where it diverged before the error goes on."""
        try:
            return fit(plan)
        except TrainingDiverged as diverged:
            write_divergence_report(plan.run_dir, plan.spec, diverged.record, plan.settings.learning_rate, plan.model)
            raise

    def _train_as_worker(self, plan: FitPlan) -> RunResult:
        """A worker other than the chief trains in step with it; its checkpoints go to a scratch folder."""
        dist = plan.distribution
        assert dist is not None  # only a distributed run has workers
        with tempfile.TemporaryDirectory(prefix=f"upspec-worker-{dist.worker}-") as scratch:
            plan.run_dir = Path(scratch)
            fit(plan)
        return RunResult(Path(scratch), {}, chief=False)

    def _finish(self, model: Any, spec: Spec, dataset: TaskData, run_dir: Path, rows: list, settings: dict[str, Any],
                reload: bool = False, warnings: list[str] | None = None) -> RunResult:
        if not (run_dir / "model.keras").exists():  # a resumed run stopped while reporting has its model already
            save_model(model, run_dir / "model.keras")
        if reload:  # evaluate the saved model on one device, outside the multi-worker strategy
            model = load_model(run_dir / "model.keras")
        metrics, outputs = self.score(model, dataset, run_dir)
        if warnings:
            metrics["warnings"] = [*metrics.get("warnings", []), *warnings]
        record_inference(model, dataset.test[0], run_dir, settings["batch_size"])
        write_json(run_dir / "metrics.json", metrics)
        write_test_summaries(run_dir, spec, settings, metrics, epoch=len(rows))
        if rows:
            learning_curves(rows, run_dir / "learning_curves.png", dataset.shapes.task)
        settings = {**settings, "meaningless_metrics": meaningless_metrics(rows, dataset.shapes.task),
                    "budget": describe_budget(settings, rows),
                    "validation_images": dataset.validation_names, "history": rows}
        self.pictures(model, dataset, metrics, outputs, run_dir / "samples.png")
        write_report(run_dir, spec, metrics, settings)
        write_run_html(run_dir)
        return RunResult(run_dir, metrics, model=model)
