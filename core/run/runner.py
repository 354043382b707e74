"""The main job: build, train, evaluate and report, in a run folder of its own."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Callable

from upspec.build.builder import build_model
from upspec.errors import UpspecError
from upspec.gan.spec import is_gan
from upspec.registry.registry import get_registry
from upspec.run.evaluate import evaluate
from upspec.run.models import load_model
from upspec.run.models import save_model
from upspec.run.report import learning_curves
from upspec.run.report import meaningless_metrics
from upspec.run.report import upsampling_summary
from upspec.run.report import sample_grid
from upspec.run.report import write_report
from upspec.run.rundir import new_run_dir
from upspec.run.rundir import write_json
from upspec.run.rundir import write_spec
from upspec.run.settings import data_settings
from upspec.run.settings import train_settings
from upspec.run.shared_data import dataset_for
from upspec.run.task_data import history_rows
from upspec.run.tensorboard_logs import write_test_summaries
from upspec.run.timing import record_inference
from upspec.run.train import CHECKPOINT
from upspec.run.train import fit
from upspec.run.train import resume_state
from upspec.run.train import seed_everything
from upspec.spec.load import load_spec
from upspec.spec.model import Spec


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict[str, Any]
    #: the trained model, still in memory (a sweep measures it without loading model.keras again)
    model: Any = field(default=None, repr=False, compare=False)


def _finish(model: Any, spec: Spec, dataset: Any, run_dir: Path, rows: list, settings: dict[str, Any]) -> RunResult:
    save_model(model, run_dir / "model.keras")
    images = len(dataset.shapes.x) == 3  # 2-D images: whole test images; 1-D signals and 3-D volumes: patches
    if images:
        from upspec.run.predict import Predictor

        predictor = Predictor(model)
        predictions = [predictor.run(image.x) for image in dataset.test_images]
        metrics = evaluate(model, dataset, predictions)
        metrics["inference"] = predictor.mode
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
        from upspec.run.rank_pictures import rank_sample_picture

        rank_sample_picture(model, dataset.shapes, dataset.test, run_dir / "samples.png")
    write_report(run_dir, spec, metrics, settings)
    return RunResult(run_dir, metrics, model)


def run(source: Any, *, strategy: str | None = None, overrides: Any = None, out: str | None = None,
        root: str = "runs", train_overrides: dict[str, Any] | None = None, verbose: int = 1,
        announce: Callable[[str], None] = lambda line: None) -> RunResult:
    """Train, evaluate and report ``source`` (anything ``load_spec`` takes) in a new run folder."""
    registry = get_registry()
    spec = load_spec(source, strategy=strategy, overrides=overrides, registry=registry)
    if is_gan(spec):
        from upspec.gan.runner import run_gan

        return RunResult(*run_gan(spec, registry=registry, root=root, out=out, train_overrides=train_overrides,
                                  verbose=verbose, announce=announce))
    train = train_settings(spec, **(train_overrides or {}))
    data = data_settings(spec)
    seed_everything(train.seed)  # the initial weights too: the same seed gives the same run
    model = build_model(spec, registry=registry)
    dataset = dataset_for(spec, model, data, train, registry)
    run_dir = new_run_dir(spec, root=root, out=out)
    announce(f"run folder: {run_dir}")
    announce(f"model: {spec.name}, {model.count_params():,} parameters; upsampling: {upsampling_summary(spec)}")
    spec.train.update(train.model_dump(exclude_none=True))
    if dataset.shapes.task == "super_resolution":
        spec.data["degradation"] = data.degradation  # the run's spec names the degradation it trained on
    write_spec(run_dir, spec)
    rows = fit(model, dataset, run_dir, train, spec, registry, verbose=verbose)
    return _finish(model, spec, dataset, run_dir, rows, {**train.model_dump(), **_data_facts(data)})


def resume(run_dir: str | Path, *, verbose: int = 1, announce: Callable[[str], None] = lambda line: None) -> RunResult:
    """Continue an interrupted run from its last checkpoint (optimizer state and epoch count included)."""
    run_dir = Path(run_dir)
    if not (run_dir / "spec.yaml").exists():
        raise UpspecError(f"{run_dir} is not a run folder (no spec.yaml)")
    if (run_dir / "model.keras").exists():
        raise UpspecError(f"{run_dir} is already finished (model.keras exists)")
    registry = get_registry()
    spec = load_spec(run_dir / "spec.yaml", registry=registry)
    if is_gan(spec):
        from upspec.gan.runner import resume_gan

        return RunResult(*resume_gan(spec, run_dir, registry=registry, verbose=verbose, announce=announce))
    train = train_settings(spec)
    data = data_settings(spec)
    done = resume_state(run_dir)
    seed_everything(train.seed)
    model = load_model(run_dir / CHECKPOINT) if done else build_model(spec, registry=registry)
    dataset = dataset_for(spec, model, data, train, registry)
    if done < train.epochs:
        rows = fit(model, dataset, run_dir, train, spec, registry, initial_epoch=done, verbose=verbose)
    else:  # interrupted after the last epoch, before the report
        rows = history_rows(run_dir / "history.csv")
    return _finish(model, spec, dataset, run_dir, rows, {**train.model_dump(), **_data_facts(data)})


def _data_facts(data: Any) -> dict[str, Any]:
    return {"source": data.source, "degradation": data.degradation, "blur_sigma": data.blur_sigma}
