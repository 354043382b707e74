"""The GAN lane: a generator and a discriminator trained by the adversarial game, the generator judged.

:class:`GanLane` implements the runner's lane protocol (:class:`upspec.runner.lanes.protocol.Lane`,
structurally: this folder imports nothing from the runner's lanes nor from ``compare/``); a sweep of a GAN
spec asks it for the rows' costs, the comparison's section and pictures like any other lane's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpecError
from ..graph.graph import build_graph
from ..modelspec.gan import LABEL
from ..modelspec.gan import gan_train_settings
from ..modelspec.sections import data_settings
from ..runner.artefacts.onnx_export import CheckInputs
from ..runner.artefacts.rundir import RunOptions
from ..runner.artefacts.rundir import RunResult
from ..runner.data.shapes import ModelShapes
from ..modelspec.model import Spec
from .condition import in_turn
from .condition import label_width
from .condition import one_hot
from .evaluate import EVALUATION_SEED
from .runner import check_gan_data
from .runner import evaluate_gan_run
from .runner import load_real
from .runner import networks
from .runner import resume_gan
from .runner import run_gan
from .sweep import gan_curves
from .sweep import gan_pictures
from .sweep import gan_statistics
from .sweep import measure_gan


class GanLane:
    """A spec with a ``discriminator:`` section: task ``generation``."""

    name = "gan"

    def build(self, spec: Spec, registry: Any) -> tuple[Any, Any]:
        return networks(spec, registry)

    def data(self, spec: Spec, registry: Any, train_overrides: dict[str, Any] | None = None) -> Any:
        graph = build_graph(spec, registry)
        height, width, channels = ModelShapes.of_graph(graph).y
        return load_real(spec, (height, width, channels), data_settings(spec), gan_train_settings(spec, **(train_overrides or {})),
                         registry, label_width(graph))

    def evaluation_data(self, spec: Spec, registry: Any) -> Any:
        raise SpecError([spec.diagnostic(("data",), "a GAN has no (input, target) test pairs: its generator is "
                                         "judged on samples (see docs/runner.md, Generation)")])

    def run(self, spec: Spec, options: RunOptions) -> RunResult:
        return RunResult(*run_gan(spec, registry=options.registry, root=options.root, out=options.out,
                                  train_overrides=options.train_overrides, verbose=options.verbose,
                                  announce=options.announce))

    def resume(self, spec: Spec, run_dir: Path, options: RunOptions) -> RunResult:
        return RunResult(*resume_gan(spec, run_dir, registry=options.registry, verbose=options.verbose,
                                     announce=options.announce))

    def evaluate(self, run_dir: Path, spec: Spec, registry: Any) -> dict[str, Any]:
        return evaluate_gan_run(run_dir, registry)

    def export_inputs(self, spec: Spec, registry: Any, count: int = 8) -> CheckInputs:
        """What an exported generator is checked on, one array per input of its spec, in order: standard-normal
        latents of the evaluation seed and, for a conditional one, its classes in turn."""
        graph: Any = build_graph(spec, registry)  # checked by ``graph.pair``: every input's shape is known
        arrays = []
        for node in graph.inputs:
            if node.id == LABEL:
                arrays.append(one_hot(in_turn(count, node.shape[0]), node.shape[0]))
            else:
                latents = np.random.default_rng(EVALUATION_SEED).standard_normal((count, *node.shape))
                arrays.append(latents.astype("float32"))
        return CheckInputs(arrays, "standard-normal latents" + (" and one-hot classes in turn" if len(arrays) > 1 else ""))

    def check_data(self, spec: Spec, registry: Any) -> None:
        check_gan_data(spec, registry)
        if label_width(build_graph(spec, registry)) is not None:  # conditional: the source's labels fit, before a
            self.data(spec, registry)                             # sweep folder exists (load_real checks them)

    def measure(self, trained: Any, spec: Spec, run_dir: Path, registry: Any) -> dict[str, Any]:
        return measure_gan(trained, spec, registry)

    def headline(self, metrics: dict[str, Any]) -> dict[str, float]:
        return {k: v for k, v in metrics.get("generator", {}).items() if isinstance(v, (int, float))}

    def comparison_section(self, rows: list[dict[str, Any]]) -> str:
        return gan_statistics(rows)

    def report_comparison(self, folder: Path, rows: list[dict[str, Any]], registry: Any, dataset: Any = None) -> None:
        gan_pictures(folder, rows, registry)
        gan_curves(folder, rows)
