"""The GAN kind: a spec with a ``discriminator:`` section.

The spec itself is the generator (latent input -> image, its upsampling as ``upsample:`` entries); the
``discriminator:`` section is a spec of its own (image -> score, with its own ``compile:``), validated on a
view of the same YAML document whose paths are re-rooted at ``discriminator`` (``load.sub_spec``), so its
errors point into the file like any other. The adversarial loss and its penalty live in this kind's
``train:`` section, not in the shared one; its ``data.task`` is ``generation``. That the two networks fit
together (shape for shape) is a graph check: ``upspec.graph.pair``.
"""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import Literal
from typing import Optional

from pydantic import Field
from pydantic import PositiveFloat
from pydantic import PositiveInt
from pydantic import ValidationInfo
from pydantic import field_validator

from .model import Spec
from .model import SpecKind
from .sections import DataSettings
from .sections import TrainSettings
from .sections import train_settings

#: the section that makes a spec a GAN, and the keys it may hold (a spec of its own, minus train/data)
SECTION = "discriminator"
#: the input name that makes a GAN class-conditional: a one-hot class vector ``[classes]`` that both networks
#: take (the generator draws that class; the discriminator judges "real and of this class"); the source's labels
#: feed it for real images, and the game draws classes uniformly for generated ones (``upspec.gan.condition``)
LABEL = "label"


class GanTrainSettings(TrainSettings):
    #: the adversarial loss (default non_saturating) and WGAN-GP's penalty weight (default 10)
    gan_loss: Optional[str] = Field(default=None, pattern="^(non_saturating|hinge|wgan_gp)$")
    gradient_penalty: Optional[PositiveFloat] = None
    #: the decay of an exponential moving average of the generator's weights (e.g. 0.999), or None: none. The
    #: average is the generator the run samples, saves, exports and judges (``upspec.gan.ema``)
    ema: Optional[float] = None
    #: one-sided label smoothing: the discriminator's target for real images is 1 - this (non_saturating only)
    label_smoothing: float = 0.0
    #: discriminator updates per generator update (each on its own real batch); steps_per_epoch counts the
    #: generator's
    d_steps: PositiveInt = 1
    #: differentiable augmentations of every image the discriminator sees (``upspec.gan.augment``), in order
    augment: list[Literal["translation", "cutout"]] = Field(default_factory=list)

    @field_validator("ema")
    @classmethod
    def _a_decay(cls, value: Optional[float]) -> Optional[float]:
        if value is not None and not 0.0 < value < 1.0:
            raise ValueError(f"train.ema is the decay of the average of the generator's weights, a number between 0 "
                             f"and 1 exclusive (0.999 averages about the last 1,000 steps), not {value!r}; leave it "
                             "out for no average")
        return value

    @field_validator("label_smoothing")
    @classmethod
    def _a_target(cls, value: float, info: ValidationInfo) -> float:
        if not 0.0 <= value < 1.0:
            raise ValueError(f"train.label_smoothing is taken from the real images' target of 1, a number in [0, 1) "
                             f"(0.1 makes it 0.9), not {value!r}")
        loss = info.data.get("gan_loss") or "non_saturating"
        if value and loss != "non_saturating":
            raise ValueError(f"train.label_smoothing applies to the non_saturating loss's targets; the {loss} loss "
                             "has none (leave label_smoothing out, or use gan_loss: non_saturating)")
        return value

    @field_validator("until", "early_stopping")
    @classmethod
    def _no_watching(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            raise ValueError(f"a GAN has no validation loss to watch, so train.{info.field_name} is not supported "
                             "for a spec with a 'discriminator:' section; set train.epochs (the report's FID and "
                             "coverage show when more epochs stop helping)")
        return value

    @field_validator("schedule")
    @classmethod
    def _no_plateau(cls, value: str) -> str:
        if value == "plateau":
            raise ValueError("a GAN has no validation loss, so train.schedule: plateau (halve on a plateau of "
                             "val_loss) is not supported for a spec with a 'discriminator:' section; use constant "
                             "or cosine (both networks' rates to 0 over train.epochs)")
        return value

    @field_validator("distribute", "precision", "steps_per_execution")
    @classmethod
    def _one_device_float32(cls, value: Any, info: ValidationInfo) -> Any:
        allowed = {"distribute": ("none",), "precision": ("float32",), "steps_per_execution": (None, 1)}
        if value not in allowed[str(info.field_name)]:
            raise ValueError(f"the GAN's game runs one step per call on one device in float32, so "
                             f"train.{info.field_name}: {value} is not supported for a spec with a 'discriminator:' "
                             f"section (leave it out)")
        return value

    @field_validator("keep")
    @classmethod
    def _keep_last(cls, value: str) -> str:
        if value != "last":
            raise ValueError("a GAN keeps its last epoch's networks (no validation loss says which epoch is best); "
                             "train.keep: best is not supported for a spec with a 'discriminator:' section")
        return value


class GanDataSettings(DataSettings):
    task: str = "generation"

    @field_validator("task")
    @classmethod
    def _generation(cls, value: str) -> str:
        if value != "generation":
            raise ValueError(f"a spec with a 'discriminator:' section trains a GAN; its data.task must be "
                             f"'generation', not {value!r}")
        return value


class GanSpec(Spec):
    """A GAN: this spec is the generator, ``discriminator`` the other network (see ``load.sub_spec``)."""

    train: GanTrainSettings = Field(default_factory=GanTrainSettings)
    data: GanDataSettings = Field(default_factory=GanDataSettings)
    discriminator: dict[str, Any]
    kind: ClassVar[str] = "gan"


GAN_KIND = SpecKind("gan", GanSpec, selected_by=(SECTION,), sub_specs=(SECTION,),
                    description="a generator trained against a discriminator (the 'discriminator:' section)")


def gan_train_settings(spec: Spec, **overrides: Any) -> GanTrainSettings:
    """A GAN spec's ``train:`` with ``overrides`` applied (``train_settings``, typed as this kind's)."""
    settings = train_settings(spec, **overrides)
    if not isinstance(settings, GanTrainSettings):
        raise TypeError(f"spec {spec.name!r} is a {spec.kind} spec, not a GAN")
    return settings
