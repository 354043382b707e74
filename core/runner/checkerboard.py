"""``upspec checkerboard``: measure a spec (at initialisation) or a trained run (also after training)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from ..analysis.checkerboard import aliasing_energy
from ..analysis.measure import SEEDS
from ..analysis.measure import constant_response
from ..analysis.measure import entry_model
from ..analysis.measure import initial_response
from ..analysis.measure import measure
from ..analysis.measure import upsample_entries
from ..analysis.pictures import constant_response_png
from ..builder.builder import build_model
from ..errors import SpecError
from ..files import WouldOverwrite
from ..registry.registry import get_registry
from ..modelspec.load import load_spec
from .artefacts.lock import with_held_locks
from .artefacts.models import load_model
from .artefacts.rundir import new_run_dir
from .artefacts.rundir import run_files
from .artefacts.rundir import write_json
from .lanes import lane_for

if TYPE_CHECKING:
    import keras

    from ..registry.registry import Registry
    from ..modelspec.model import Spec


@dataclass
class CheckerboardResult:
    out: Path
    report: dict[str, Any]


def aliasing(spec: Spec, model: keras.Model, registry: Registry, factor: tuple[int, ...]) -> dict[str, float] | None:
    """Aliasing energy of the model's test predictions and of the targets, when the spec's data fits."""
    try:
        dataset = lane_for(spec, registry).evaluation_data(spec, registry)
    except SpecError:
        return None
    x, y = dataset.test
    predictions = np.asarray(model.predict(x, verbose=0))
    return {"predictions": aliasing_energy(predictions, factor), "targets": aliasing_energy(y, factor)}


@with_held_locks
def run_checkerboard(source: str | Path, *, seeds: tuple[int, ...] = SEEDS, out: str | None = None,
                     strategy: str | None = None, overrides: Any = None, root: str = "runs",
                     overwrite: bool = False) -> CheckerboardResult:
    """Measure ``source`` (a spec, a run folder or a ``.keras`` file). A trained run's measurements go inside
    it (``RUN/checkerboard/``, replaced only with ``overwrite``); a spec's into a new
    ``runs/<name>/checkerboard-<timestamp>/``; ``out`` wins over both."""
    import keras

    registry = get_registry()
    model_path, spec_path = run_files(source)
    spec = load_spec(spec_path, strategy=strategy, overrides=overrides, registry=registry)
    trained = load_model(model_path) if model_path is not None and strategy is None and not overrides else None
    if out is None and trained is not None and model_path is not None:
        out = str(model_path.parent / "checkerboard")
    if out is not None and not overwrite and Path(out).is_dir() and any(Path(out).iterdir()):
        raise WouldOverwrite(Path(out))  # before the measurements, not after
    reports = measure(spec, model=trained, seeds=seeds, registry=registry)
    folder = _output_folder(spec, root, out, overwrite)
    entries = upsample_entries(spec, registry)

    # the pictures: the trained entry, or the entry as initialised with the first seed (as measured)
    outputs = [constant_response(entry_model(node, factor, shape, registry, trained)) if trained is not None
               else initial_response(node, factor, shape, registry, seeds[0]) for node, factor, shape in entries]
    keras.utils.set_random_seed(seeds[0])
    model = trained if trained is not None else build_model(spec, registry=registry)
    for report, output in zip(reports, outputs):
        when = "trained" if trained is not None else f"initialisation, seed {seeds[0]}"
        constant_response_png(output, f"{report.id} ({report.strategy}), {when}",
                          folder / f"{report.id}_constant_input.png", report.factor)

    scale = tuple(o // i for o, i in zip(model.output_shape[1:-1], model.input_shape[1:-1])) \
        if len(model.inputs) == 1 and None not in model.output_shape[1:-1] else ()
    factor = scale if scale and max(scale) > 1 else (reports[0].factor if reports else ())
    summary = {
        "spec": spec.name, "source": str(source), "seeds": list(seeds), "trained": trained is not None,
        "entries": [r.summary() for r in reports],
        "aliasing_energy": aliasing(spec, model, registry, factor) if factor else None,
        "aliasing_factor": list(factor),
    }
    write_json(folder / "checkerboard.json", summary)
    return CheckerboardResult(folder, summary)


def _output_folder(spec: Spec, root: str, out: str | None, overwrite: bool) -> Path:
    if out is not None and overwrite and Path(out).is_dir():
        for item in Path(out).iterdir():  # only what an earlier measurement wrote
            if item.suffix in (".png", ".json"):
                item.unlink()
    return new_run_dir(spec, root=root, out=out, prefix="checkerboard-")


def format_report(report: dict[str, Any]) -> str:
    lines = [f"{'entry':<10} {'strategy':<18} {'factor':<7} {'CB at init: median [min, max]':<31} "
             f"{'CB trained':<11} {'overlap':<8} {'EQ-T init (int/frac)':<21} EQ-T trained (int/frac)"]
    for e in report["entries"]:
        trained = "-" if e["cb_trained"] is None else f"{e['cb_trained']:.4f}"
        lines.append(f"{e['entry']:<10} {e['strategy']:<18} {'x'.join(map(str, e['factor'])):<7} "
                     f"{e['cb_init_median']:.2e} [{e['cb_init_min']:.2e}, {e['cb_init_max']:.2e}]{'':<3} "
                     f"{trained:<11} {e['overlap_ratio']:<8.2f} "
                     f"{_eqt(e.get('eqt_init'), e.get('eqt_frac_init')):<21} "
                     f"{_eqt(e.get('eqt_trained'), e.get('eqt_frac_trained'))}".rstrip())
    alias = report.get("aliasing_energy")
    if alias:
        lines.append(f"aliasing energy at the period-{'x'.join(map(str, report['aliasing_factor']))} frequencies: "
                     f"predictions {alias['predictions']:.4f}, targets {alias['targets']:.4f}")
    lines.append(f"CB over seeds {report['seeds']}; 0 means no periodic pattern on a constant input "
                 "(phase variance / RMS); overlap: largest / smallest output with all-ones weights; EQ-T: "
                 "translation equivariance in dB (StyleGAN3; higher is better; integer / sub-pixel shifts; 2-D "
                 f"entries, first seed)")
    return "\n".join(lines)


def _eqt(integer: Any, fractional: Any) -> str:
    """``"inf / 52.1 dB"``, or ``"-"`` where EQ-T was not measured."""
    if integer is None or fractional is None:
        return "-"

    def text(value: Any) -> str:
        return value if isinstance(value, str) else f"{value:.1f}"

    return f"{text(integer)} / {text(fractional)} dB"
