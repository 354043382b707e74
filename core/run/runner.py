"""The main job: build, train, evaluate and report, in a run folder of its own."""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Callable

from ..builder.builder import build_model
from ..builder.precision import dtype_policy
from ..errors import UpspecError
from ..files import clean_temporaries
from ..registry.registry import Registry
from ..registry.registry import get_registry
from .checkpoint import run_stage
from .distribute import Distribution
from .distribute import distribution
from .evaluate import evaluate
from .heap import settle_framework
from .models import load_model
from .models import save_model
from .report import learning_curves
from .report import meaningless_metrics
from .report import upsampling_summary
from .report import sample_grid
from .report import save_sample_predictions
from .report import write_report
from .rundir import new_run_dir
from .rundir import write_json
from .rundir import write_spec
from ..modelspec.sections import data_settings
from ..modelspec.sections import train_settings
from .shared_data import dataset_for
from .tensorboard_logs import write_test_summaries
from .timing import record_inference
from .train import CHECKPOINT
from .train import fit
from .train import restore_history
from .train import resume_state
from .train import seed_everything
from ..modelspec.load import load_spec
from ..modelspec.model import Spec


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict[str, Any]
    #: False for a ``multi_worker`` worker other than the chief: it trained, and the chief wrote the run folder
    chief: bool = True
    #: the trained model, still in memory (a sweep measures it without loading model.keras again)
    model: Any = field(default=None, repr=False, compare=False)


@contextlib.contextmanager
def model_scope(train: Any, dist: Distribution) -> Any:
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


def _train_as_worker(model: Any, dataset: Any, train: Any, spec: Spec, registry: Any, dist: Distribution,
                     initial_epoch: int = 0) -> RunResult:
    """A worker other than the chief trains in step with it; its checkpoints go to a scratch folder."""
    with tempfile.TemporaryDirectory(prefix=f"upspec-worker-{dist.worker}-") as scratch:
        fit(model, dataset, Path(scratch), train, spec, registry, initial_epoch=initial_epoch, verbose=0,
            distribution=dist)
    return RunResult(Path(scratch), {}, chief=False)


def _finish(model: Any, spec: Spec, dataset: Any, run_dir: Path, rows: list, settings: dict[str, Any],
            reload: bool = False) -> RunResult:
    if not (run_dir / "model.keras").exists():  # a resumed run stopped while reporting has its model already
        save_model(model, run_dir / "model.keras")
    if reload:  # evaluate the saved model on one device, outside the multi-worker strategy
        model = load_model(run_dir / "model.keras")
    images = len(dataset.shapes.x) == 3  # 2-D images: whole test images; 1-D signals and 3-D volumes: patches
    if images:
        from .predict import Predictor

        predictor = Predictor(model)
        predictions = [predictor.run(image.x) for image in dataset.test_images]
        metrics = evaluate(model, dataset, predictions)
        metrics["inference"] = predictor.mode
        save_sample_predictions(run_dir, dataset, predictions)
    else:
        metrics = evaluate(model, dataset)
    record_inference(model, dataset.test[0], run_dir, settings["batch_size"])
    write_json(run_dir / "metrics.json", metrics)
    write_test_summaries(run_dir, spec, settings, metrics, epoch=len(rows))
    if rows:
        learning_curves(rows, run_dir / "learning_curves.png", dataset.shapes.task)
    settings = {**settings, "meaningless_metrics": meaningless_metrics(rows, dataset.shapes.task)}
    if images:
        sample_grid(dataset, predictions, metrics, run_dir / "samples.png")
    else:
        from .rank_pictures import rank_sample_picture

        rank_sample_picture(model, dataset.shapes, dataset.test, run_dir / "samples.png")
    write_report(run_dir, spec, metrics, settings)
    return RunResult(run_dir, metrics, model=model)


def run(source: Any, *, strategy: str | None = None, overrides: Any = None, out: str | None = None,
        root: str = "runs", train_overrides: dict[str, Any] | None = None, verbose: int = 1,
        announce: Callable[[str], None] = lambda line: None, registry: Registry | None = None) -> RunResult:
    """Train, evaluate and report ``source`` (anything ``load_spec`` takes) in a new run folder."""
    settle_framework()
    registry = registry or get_registry()
    spec = load_spec(source, strategy=strategy, overrides=overrides, registry=registry)
    if spec.kind == "gan":
        from ..gan.runner import run_gan

        return RunResult(*run_gan(spec, registry=registry, root=root, out=out, train_overrides=train_overrides,
                                  verbose=verbose, announce=announce))
    train = train_settings(spec, **(train_overrides or {}))
    data = data_settings(spec)
    dist = distribution(train)  # first: UPSPEC_CPU_DEVICES must act before TensorFlow starts its devices
    seed_everything(train.seed)  # the initial weights too: the same seed gives the same run
    with model_scope(train, dist):
        model = _use_settings(build_model(spec, registry=registry), train)
    dataset = dataset_for(spec, model, data, train, registry)
    _describe(dist, train, announce)
    if not dist.chief:
        return _train_as_worker(model, dataset, train, spec, registry, dist)
    run_dir = new_run_dir(spec, root=root, out=out)
    announce(f"run folder: {run_dir}")
    announce(f"model: {spec.name}, {model.count_params():,} parameters; upsampling: {upsampling_summary(spec)}")
    # the run's spec records what it resolved: every train setting, and the degradation it trained on
    recorded = data.model_copy(update={"degradation": data.degradation}) if dataset.shapes.task == "super_resolution" else data
    spec = spec.resolved(train=train, data=recorded)
    write_spec(run_dir, spec)
    rows = fit(model, dataset, run_dir, train, spec, registry, verbose=verbose, distribution=dist)
    return _finish(model, spec, dataset, run_dir, rows, {**train.model_dump(), **_data_facts(data)},
                   reload=dist.custom_loop)


def resume(run_dir: str | Path, *, verbose: int = 1, announce: Callable[[str], None] = lambda line: None,
           registry: Registry | None = None) -> RunResult:
    """Continue an interrupted run from its last checkpoint (optimizer state and epoch count included)."""
    run_dir = Path(run_dir)
    if not (run_dir / "spec.yaml").exists():
        raise UpspecError(f"{run_dir} is not a run folder (no spec.yaml)")
    stage = run_stage(run_dir, run_dir / CHECKPOINT)
    if stage == "finished":
        raise UpspecError(f"{run_dir} is already finished (model.keras and report.md exist)")
    clean_temporaries(run_dir, run_dir / "checkpoints")  # what killed writes left behind
    settle_framework()
    registry = registry or get_registry()
    spec = load_spec(run_dir / "spec.yaml", registry=registry)
    if spec.kind == "gan":
        from ..gan.runner import resume_gan

        return RunResult(*resume_gan(spec, run_dir, registry=registry, verbose=verbose, announce=announce))
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
            model = load_model(run_dir / CHECKPOINT, registry) if done else build_model(spec, registry=registry)
        model = _use_settings(model, train)
    dataset = dataset_for(spec, model, data, train, registry)
    _describe(dist, train, announce)
    if not dist.chief:
        return _train_as_worker(model, dataset, train, spec, registry, dist, initial_epoch=done)
    if stage != "reporting" and done < train.epochs:
        rows = fit(model, dataset, run_dir, train, spec, registry, initial_epoch=done, verbose=verbose,
                   distribution=dist)
    return _finish(model, spec, dataset, run_dir, rows, {**train.model_dump(), **_data_facts(data)},
                   reload=dist.custom_loop)


def _data_facts(data: Any) -> dict[str, Any]:
    return {"source": data.source, "degradation": data.degradation, "blur_sigma": data.blur_sigma}
