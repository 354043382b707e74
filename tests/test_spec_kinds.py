"""Spec kinds: chosen once at load time, typed sections, a plugin's own kind, resolved values as a new spec."""

from __future__ import annotations

import re
from typing import ClassVar

import pytest
from pydantic import Field

from conftest import ROOT
from upspec import SpecError
from upspec import load_spec
from upspec.modelspec.gan import GanSpec
from upspec.modelspec.gan import GanTrainSettings
from upspec.modelspec.kinds import kind_of
from upspec.modelspec.kinds import kinds
from upspec.modelspec.kinds import register_kind
from upspec.modelspec.model import Spec
from upspec.modelspec.model import SpecKind
from upspec.modelspec.sections import TrainSettings
from upspec.modelspec.sections import train_settings

SUPERVISED = """\
name: k
inputs:
  x: [8, 8, 1]
layers:
  - id: up
    upsample: nearest
    factor: 2
    filters: 1
"""


def test_a_spec_knows_its_kind_and_its_sections_are_typed():
    gan = load_spec(ROOT / "specs" / "dcgan_digits.yaml")
    assert isinstance(gan, GanSpec) and gan.kind == "gan"
    assert isinstance(gan.train, GanTrainSettings) and gan.data.task == "generation"
    plain = load_spec(SUPERVISED + "train:\n  epochs: 2\n")
    assert type(plain) is Spec and plain.kind == "supervised"
    assert type(plain.train) is TrainSettings and plain.train.epochs == 2 and plain.train.batch_size == 16
    assert plain.data.model_fields_set == set()  # nothing written: the lane picks its defaults


def test_the_gan_settings_belong_to_the_gan_kind_only():
    with pytest.raises(SpecError) as caught:
        load_spec(SUPERVISED + "train:\n  gan_loss: hinge\n")
    (first,) = caught.value.diagnostics
    assert (first.line, first.column) == (10, 3)
    assert first.message == "unknown key 'gan_loss' in train"


def test_a_gan_with_another_task_is_refused_at_its_line():
    text = (ROOT / "specs" / "dcgan_digits.yaml").read_text()
    text = re.sub(r"(\n  task: )generation", r"\1denoise", text) if "\n  task: generation" in text else \
        text.replace("\ndata:\n", "\ndata:\n  task: denoise\n")
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    (first,) = caught.value.diagnostics
    line = text.splitlines().index("  task: denoise") + 1
    assert first.line == line and "its data.task must be 'generation', not 'denoise'" in first.message


def test_a_misspelt_section_of_another_kind_is_suggested():
    with pytest.raises(SpecError) as caught:
        load_spec(SUPERVISED + "discriminatr: {}\n")
    assert "did you mean 'discriminator'" in caught.value.diagnostics[0].hint


def test_resolved_values_make_a_new_spec_and_leave_the_loaded_one_alone():
    spec = load_spec(SUPERVISED)
    resolved = spec.resolved(train=train_settings(spec, epochs=7))
    assert resolved.train.epochs == 7 and spec.train.epochs == 4
    assert resolved.document is spec.document and resolved.source == spec.source
    with pytest.raises(SpecError) as caught:
        train_settings(spec, epochs=0)
    assert caught.value.diagnostics[0].message.startswith("invalid value for train.epochs")


class DistillTrain(TrainSettings):
    temperature: float = 4.0


class DistillSpec(Spec):
    kind: ClassVar[str] = "distill"
    train: DistillTrain = Field(default_factory=DistillTrain)
    teacher: str


def test_a_plugin_registers_a_kind_of_its_own():
    kind = register_kind(SpecKind("distill", DistillSpec, selected_by=("teacher",), description="distillation"))
    try:
        spec = load_spec(SUPERVISED + "teacher: big.keras\ntrain:\n  temperature: 2.0\n")
        assert spec.kind == "distill" and spec.train.temperature == 2.0 and spec.teacher == "big.keras"
        assert kind_of({"teacher": "t"}) is kind and kind_of({"name": "n"}).name == "supervised"
        with pytest.raises(SpecError) as caught:
            load_spec(SUPERVISED + "teacher: big.keras\ntrain:\n  temprature: 2.0\n")
        first = caught.value.diagnostics[0]
        assert (first.line, first.message) == (11, "unknown key 'temprature' in train")
        assert "did you mean 'temperature'" in first.hint
        with pytest.raises(ValueError, match="already selects kind 'distill'"):
            register_kind(SpecKind("other", type("Other", (DistillSpec,), {"kind": "other"}), selected_by=("teacher",)))
        with pytest.raises(TypeError, match="kind = 'wrong'"):
            register_kind(SpecKind("wrong", DistillSpec))
    finally:
        from upspec.modelspec import kinds as table

        table._KINDS.pop("distill", None)
    assert "distill" not in kinds()
