"""The typed ``train:`` and ``data:`` sections of a spec, with defaults for the embedded data.

They belong to the spec: :func:`upspec.modelspec.load.load_spec` validates them (every problem at its
``FILE:LINE:COL``) and a loaded :class:`~upspec.modelspec.model.Spec` holds them typed (``spec.train``,
``spec.data``). A spec kind may extend them (a GAN's train section adds its adversarial loss); see
``kinds.py``. The runner resolves them with :func:`train_settings` / :func:`data_settings` and records what
it resolved as a new spec (``resolved``), never by changing the loaded one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar
from typing import Literal
from typing import Optional

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import NonNegativeFloat
from pydantic import PositiveFloat
from pydantic import PositiveInt
from pydantic import ValidationError
from pydantic import ValidationInfo
from pydantic import field_validator

from ..errors import Diagnostic
from ..errors import SpecError
from ..errors import available
from .diagnose import diagnostics_from
from .tasks import TASKS
from .yaml_source import Document

if TYPE_CHECKING:
    from ..registry.registry import Registry
    from .model import Spec



class _Section(BaseModel):
    # strict: `epochs: true` or `batch_size: "8"` are errors, not 1 and 8
    model_config = ConfigDict(extra="forbid", strict=True)


class EarlyStopping(_Section):
    monitor: str = "val_loss"
    patience: PositiveInt = 3


class Until(_Section):
    """Train until ``monitor`` stops improving (by more than ``min_delta`` for ``patience`` epochs in a row),
    or ``max_steps`` training steps have run. ``epochs`` is ignored then: the step cap, rounded up to whole
    epochs of ``steps_per_epoch``, is the most the run trains. The monitored value is read at each epoch's
    end (the validation set is scored there), so an epoch is the unit of patience."""

    monitor: str = "val_loss"
    patience: PositiveInt = 3
    min_delta: NonNegativeFloat = 0.0
    max_steps: PositiveInt = 20000
    #: "min" for losses, "max" for PSNR / SSIM / IoU; "auto": "max" when the name holds psnr, ssim, iou or accuracy
    mode: Literal["auto", "min", "max"] = "auto"

    @property
    def direction(self) -> str:
        if self.mode != "auto":
            return self.mode
        return "max" if any(k in self.monitor for k in ("psnr", "ssim", "iou", "accuracy")) else "min"


class TrainSettings(_Section):
    epochs: PositiveInt = 4
    batch_size: PositiveInt = 16
    steps_per_epoch: PositiveInt = 60
    seed: int = 0
    learning_rate: Optional[PositiveFloat] = None  # overrides the optimizer's
    #: "constant", "cosine" (to 0 over all steps) or "plateau" (halve on a plateau of val_loss)
    schedule: Literal["constant", "cosine", "plateau"] = "constant"
    early_stopping: Optional[EarlyStopping] = None
    #: stop on a validation plateau with a step cap (``epochs`` then ignored); see :class:`Until`
    until: Optional[Until] = None
    #: the weights the run keeps: "last" (the last epoch's) or "best" (the epoch with the best ``monitor``)
    keep: Literal["last", "best"] = "last"
    #: what ``keep: best`` watches: a history column such as val_loss (smaller is better) or val_psnr (larger)
    monitor: str = "val_loss"
    #: "none", "mirrored" (every local GPU, or `devices`) or "multi_worker" (the cluster named by TF_CONFIG)
    distribute: Literal["none", "mirrored", "multi_worker"] = "none"
    devices: Optional[list[str]] = None  # for mirrored, e.g. ["/gpu:0", "/gpu:1"]
    #: Keras mixed precision (the output layers stay float32)
    precision: Literal["float32", "mixed_float16", "mixed_bfloat16"] = "float32"
    jit_compile: Optional[bool] = None  # XLA; None: Keras's choice (off on CPU)
    #: training steps per call into the compiled step function (Keras's ``steps_per_execution``); it must
    #: divide steps_per_epoch, so every epoch sees the same batches and ends with the same weights as one step
    #: per call. None: the largest divisor of steps_per_epoch up to 32 (1 when a plugin's callback acts per batch,
    #: and under train.distribute, where Keras's multi-step loop fails)
    steps_per_execution: Optional[PositiveInt] = None

    @field_validator("steps_per_execution")
    @classmethod
    def _divides_the_epoch(cls, value: Optional[int], info: ValidationInfo) -> Optional[int]:
        steps = info.data.get("steps_per_epoch")
        if value is not None and value > 1 and info.data.get("distribute", "none") != "none":
            raise ValueError("must be 1 with train.distribute (Keras's multi-step loop fails under a tf.distribute "
                             "strategy on TensorFlow 2.21)")
        if value is not None and steps is not None and steps % value:
            small = [d for d in range(1, min(steps, 64) + 1) if steps % d == 0]
            raise ValueError(f"must divide train.steps_per_epoch ({steps}) so epochs keep their length: "
                             f"{', '.join(map(str, small))}{', ...' if steps > 64 else ''}")
        return value

    @property
    def epoch_cap(self) -> int:
        """The most epochs a run trains: ``epochs``, or with ``until`` its step cap in whole epochs (rounded up)."""
        if self.until is None:
            return self.epochs
        return -(-self.until.max_steps // self.steps_per_epoch)


class DataSettings(_Section):
    source: str = "photos"
    task: str = "super_resolution"
    validation_patches: PositiveInt = 32
    test_patches: PositiveInt = 32  # fixed patches for cost and checkerboard measurements
    #: how many whole test images the test metrics use (default: all of the source's test split)
    test_images: Optional[PositiveInt] = None
    noise: PositiveFloat = 0.1  # for task denoise
    #: super-resolution: how the low-resolution input is made: "matlab" (MATLAB's imresize bicubic, the
    #: literature's), "bicubic" (PIL's, on 8-bit pixels), "area" or "gaussian"
    degradation: str = Field(default="matlab", pattern="^(matlab|bicubic|area|gaussian)$")
    blur_sigma: Optional[PositiveFloat] = None  # for degradation "gaussian" (default 1.6 pixels)
    options: dict[str, Any] = Field(default_factory=dict)  # passed to the source (path, count, ...)


Section = TypeVar("Section", bound=BaseModel)


def _fields(model: type[BaseModel], path: tuple) -> list[str]:
    """The keys allowed at ``path`` inside ``model`` (for did-you-mean hints)."""
    for part in path:
        annotation = model.model_fields[part].annotation if part in getattr(model, "model_fields", {}) else None
        nested = [a for a in (getattr(annotation, "__args__", None) or (annotation,)) if hasattr(a, "model_fields")]
        if not nested:
            return []
        model = nested[0]  # type: ignore[assignment]  # a pydantic model class, checked by hasattr above
    return list(getattr(model, "model_fields", []))


def section_diagnostics(doc: Document, key: str, data: Any, model: type[Section]) -> tuple[Section | None, list[Diagnostic]]:
    """The validated section, or None and one diagnostic per problem (at the offending key or value)."""
    if not isinstance(data, dict):
        return None, [doc.diagnostic((key,), f"invalid value for {key}: input should be a valid dictionary, got {data!r}",
                                     f"allowed keys: {', '.join(model.model_fields)}")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, diagnostics_from(exc, doc, base=(key,), data=data, allowed_keys=lambda p: _fields(model, p),
                                      describe_path=lambda p: ".".join([key, *map(str, p)]))


def data_names_diagnostics(doc: Document, data: DataSettings, registry: Registry) -> list[Diagnostic]:
    """``data.source`` against the data sources the plugins provide, ``data.task`` against :data:`TASKS`."""
    found = []
    known = sorted({source.name for _info, provided in registry.call("upspec_datasets") for source in provided or ()})
    if data.source not in known:
        found.append(doc.diagnostic(("data", "source"), f"unknown data source {data.source!r}",
                                    available(known, data.source)))
    if data.task not in TASKS:
        found.append(doc.diagnostic(("data", "task"), f"unknown task {data.task!r}", available(TASKS, data.task)))
    return found


def _resolve(spec: Spec, key: str, overrides: dict[str, Any]) -> Any:
    current: BaseModel = getattr(spec, key)
    given = {k: v for k, v in overrides.items() if v is not None}
    if not given:
        return current
    data = {**current.model_dump(exclude_unset=True), **given}
    doc = spec.document if spec.document is not None else Document(data={key: data}, source=spec.source)
    settings, problems = section_diagnostics(doc, key, data, type(current))
    if problems:
        raise SpecError(problems)
    return settings


def train_settings(spec: Spec, **overrides: Any) -> TrainSettings:
    """``spec.train`` with ``overrides`` (None values ignored) applied and validated (``SpecError`` if bad)."""
    return _resolve(spec, "train", overrides)


def data_settings(spec: Spec, **overrides: Any) -> DataSettings:
    """``spec.data`` with ``overrides`` (None values ignored) applied and validated (``SpecError`` if bad)."""
    return _resolve(spec, "data", overrides)
