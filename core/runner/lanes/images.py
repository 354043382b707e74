"""The supervised lane of 2-D images: whole held-out test images, scored as the literature does."""

from __future__ import annotations

from pathlib import Path
from typing import Any


from ...modelspec.sections import DataSettings
from ...modelspec.sections import TrainSettings
from ...modelspec.model import Spec
from ..artefacts.models import load_model
from ..data.dataset import TaskData
from ..data.image_dataset import prepare_image_data
from ..data.shapes import ModelShapes
from ..evaluation.image_metrics import evaluate
from ..evaluation.predict import Predictor
from ..reporting.samples import SAMPLE_COUNT
from ..reporting.samples import load_sample_predictions
from ..reporting.samples import sample_grid
from ..reporting.samples import save_sample_predictions
from ..reporting.samples import save_sample_references
from ..reporting.sweep_folder import first_seed
from ..reporting.sweep_folder import run_folder
from .supervised import SupervisedLane


class ImageLane(SupervisedLane):
    """A 2-D model: patches to train on, whole test images to score (the model runs on any size)."""

    name = "images"

    def prepare(self, spec: Spec, shapes: ModelShapes, data: DataSettings, train: TrainSettings,
                registry: Any) -> TaskData:
        return prepare_image_data(spec, shapes, data, train, registry)

    def score(self, model: Any, dataset: TaskData, run_dir: Path) -> tuple[dict[str, Any], Any]:
        predictor = Predictor(model)
        predictions = [predictor.run(image.x) for image in dataset.test_images]
        metrics = evaluate(model, dataset, predictions)
        metrics["inference"] = predictor.mode
        save_sample_predictions(run_dir, dataset, predictions)
        return metrics, predictions

    def pictures(self, model: Any, dataset: TaskData, metrics: dict[str, Any], outputs: Any, path: Path) -> None:
        sample_grid(dataset, outputs, metrics, path)

    def evaluate_model(self, model: Any, dataset: TaskData) -> dict[str, Any]:
        return evaluate(model, dataset)

    def strategy_pictures(self, folder: Path, rows: list[dict[str, Any]], registry: Any, dataset: Any,
                          count: int = SAMPLE_COUNT) -> Path:
        """The same whole test images through every strategy's trained model (its first seed), each labelled
        with its PSNR. Each run's saved outputs on those images are used; a run without them (or whose test
        inputs differ: another seed's noise) has its model loaded and run on them."""
        images = dataset.test_images[:count]
        models = []
        for row in first_seed(rows):
            run_dir = run_folder(folder, row)
            predictions = load_sample_predictions(run_dir, dataset, len(images))
            if predictions is None:
                predictor = Predictor(load_model(run_dir / "model.keras", registry))
                predictions = [predictor.run(image.x) for image in images]
            models.append((row["strategy"], predictions, row["metrics"].get("images", [])))
        save_sample_references(folder, dataset, len(images))  # for report.html's side-by-side viewer
        first_title, first_predictions, first_scores = models[0]
        return sample_grid(dataset, first_predictions, {"images": first_scores}, folder / "samples.png", count=count,
                    extra=[(title, predictions, [{"model": s.get("model")} for s in scores])
                           for title, predictions, scores in models[1:]], first_title=first_title)


__all__ = ["ImageLane"]
