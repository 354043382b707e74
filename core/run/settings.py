"""The ``train:`` and ``data:`` sections, with defaults for the embedded data."""

from __future__ import annotations

from typing import Any
from typing import Optional

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import PositiveFloat
from pydantic import PositiveInt
from pydantic import ValidationError

from upspec.errors import SpecError
from upspec.spec.diagnose import diagnostics_from
from upspec.spec.model import Spec


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EarlyStopping(_Section):
    monitor: str = "val_loss"
    patience: PositiveInt = 3


class TrainSettings(_Section):
    epochs: PositiveInt = 4
    batch_size: PositiveInt = 16
    steps_per_epoch: PositiveInt = 60
    seed: int = 0
    learning_rate: Optional[PositiveFloat] = None  # overrides the optimizer's
    #: "constant", "cosine" (to 0 over all steps) or "plateau" (halve on a plateau of val_loss)
    schedule: str = Field("constant", pattern="^(constant|cosine|plateau)$")
    early_stopping: Optional[EarlyStopping] = None
    #: task generation (a GAN): the adversarial loss (default non_saturating) and WGAN-GP's penalty weight (10)
    gan_loss: Optional[str] = Field(None, pattern="^(non_saturating|hinge|wgan_gp)$")
    gradient_penalty: Optional[PositiveFloat] = None


class DataSettings(_Section):
    source: str = "photos"
    task: str = "super_resolution"
    validation_patches: PositiveInt = 32
    test_patches: PositiveInt = 32  # fixed patches for cost and checkerboard measurements
    #: how many whole test images the test metrics use (default: all of the source's test split)
    test_images: Optional[PositiveInt] = None
    noise: PositiveFloat = 0.1  # for task denoise
    #: super-resolution: how the low-resolution input is made ("bicubic", "area" or "gaussian")
    degradation: str = Field("bicubic", pattern="^(bicubic|area|gaussian)$")
    blur_sigma: Optional[PositiveFloat] = None  # for degradation "gaussian" (default 1.6 pixels)
    options: dict[str, Any] = Field(default_factory=dict)  # passed to the source (path, count, ...)


def _section(spec: Spec, key: str, model: type, overrides: dict[str, Any]) -> Any:
    data = {**getattr(spec, key), **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        doc = spec.document
        fields = list(model.model_fields)
        raise SpecError(diagnostics_from(exc, doc, base=(key,), data=data, allowed_keys=lambda _: fields,
                                         describe_path=lambda p: ".".join([key, *map(str, p)]))) from None


def train_settings(spec: Spec, **overrides: Any) -> TrainSettings:
    return _section(spec, "train", TrainSettings, overrides)


def data_settings(spec: Spec, **overrides: Any) -> DataSettings:
    return _section(spec, "data", DataSettings, overrides)
