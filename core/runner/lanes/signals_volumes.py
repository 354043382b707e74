"""The supervised lane of 1-D signals and 3-D volumes: patches to train on and to score, cubic baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...modelspec.sections import DataSettings
from ...modelspec.sections import TrainSettings
from ...modelspec.model import Spec
from ..artefacts.models import load_model
from ..data.dataset import TaskData
from ..data.shapes import ModelShapes
from ..data.signals_volumes import prepare_rank_data
from ..evaluation.signal_volume_metrics import evaluate_rank
from ..reporting.samples import SAMPLE_COUNT
from ..reporting.signal_volume_pictures import picture
from ..reporting.signal_volume_pictures import rank_input_columns
from ..reporting.signal_volume_pictures import rank_sample_picture
from ..reporting.sweep_folder import first_seed
from ..reporting.sweep_folder import run_folder
from .supervised import SupervisedLane


class SignalVolumeLane(SupervisedLane):
    """A 1-D or 3-D model: its own sources, metrics and pictures, on fixed test patches."""

    name = "signals_volumes"

    def prepare(self, spec: Spec, shapes: ModelShapes, data: DataSettings, train: TrainSettings,
                registry: Any) -> TaskData:
        return prepare_rank_data(spec, shapes, data, train, registry)

    def score(self, model: Any, dataset: TaskData, run_dir: Path) -> tuple[dict[str, Any], Any]:
        return self.evaluate_model(model, dataset), None

    def pictures(self, model: Any, dataset: TaskData, metrics: dict[str, Any], outputs: Any, path: Path) -> None:
        rank_sample_picture(model, dataset.shapes, dataset.test, path)  # type: ignore[arg-type]

    def evaluate_model(self, model: Any, dataset: TaskData) -> dict[str, Any]:
        return evaluate_rank(model, dataset.shapes, dataset.test)  # type: ignore[arg-type]

    def strategy_pictures(self, folder: Path, rows: list[dict[str, Any]], registry: Any, dataset: Any,
                          count: int = SAMPLE_COUNT) -> Path:
        """The same test patches through every strategy's trained model (its first seed)."""
        x, y = dataset.test[0][:count], dataset.test[1][:count]
        columns = rank_input_columns(dataset.shapes, x)
        for row in first_seed(rows):
            trained = load_model(run_folder(folder, row) / "model.keras", registry)
            columns.append((row["strategy"], np.clip(np.asarray(trained.predict(x, verbose=0)), 0, 1)))
        columns.append(("target", y))
        return picture(dataset.shapes, columns, folder / "samples.png")
