"""Class-conditional GANs: both networks take a one-hot ``label``; the game, the judging and ``generate`` use it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import SPECS
from conftest import run_upspec
from test_gan import DCGAN
from test_gan import TINY
from test_gan import tmp_cache  # noqa: F401 - the autouse fixture: the classifier is cached per test session


def _text(**replace: str) -> str:
    text = DCGAN.read_text()
    for old, new in replace.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _line(text: str, fragment: str, after: str = "") -> int:
    start = text.index(after) if after else 0
    return text[:text.index(fragment, start)].count("\n") + 1


# -- the pair --------------------------------------------------------------------------------------------------

def test_the_shipped_digits_gan_is_conditional_in_both_networks():
    from upspec import load_spec
    from upspec.graph.graph import build_graph
    from upspec.graph.pair import check_pair
    from upspec.registry.registry import get_registry

    graph = build_graph(load_spec(DCGAN))
    assert [(n.id, n.shape) for n in graph.inputs] == [("latent", (100,)), ("label", (10,))]
    disc = check_pair(graph, get_registry(), build_graph)
    assert [(n.id, n.shape) for n in disc.inputs] == [("image", (28, 28, 1)), ("label", (10,))]


@pytest.mark.parametrize("replace, network, message", [
    ({"    label: [10]            # the class the image": "    # the class the image",
      "inputs: [label]}": "inputs: [flatten]}"}, "discriminator",
     "the generator takes a class ('label') but the discriminator does not: both networks are conditional or neither"),
    ({"  label: [10]              # the class to draw": "  # the class to draw",
      "layer: Concatenate, inputs: [latent, label]": "layer: Dense, units: 110, inputs: [latent]"}, "generator",
     "the discriminator takes a class ('label') but the generator does not"),
    ({"    label: [10]            # the class the image": "    label: [12]            # the class the image"},
     "discriminator label", "the discriminator's 'label' is (12) but the generator's is (10): both name the same classes"),
    ({"  label: [10]              # the class to draw": "  label: [1]              # the class to draw"},
     "generator label", "the generator's input 'label' is (1); it is the one-hot class, a vector of two or more"),
])
def test_a_label_on_one_side_only_or_of_another_width_is_an_error_at_its_line(replace, network, message):
    from upspec import SpecError
    from upspec import load_spec
    from upspec.graph.graph import build_graph

    text = _text(**replace)
    with pytest.raises(SpecError) as caught:
        build_graph(load_spec(text))
    found = [d for d in caught.value.diagnostics if message in d.message]
    assert found, [d.message for d in caught.value.diagnostics]
    where = {"discriminator": ("inputs:", "discriminator:"), "generator": ("inputs:", ""),
             "discriminator label": ("label: [12]", ""), "generator label": ("label: [1]", "")}[network]
    assert found[0].line == _line(text, *where)


def test_a_conditional_gan_on_a_source_without_labels_or_with_more_classes_fails_before_its_run_folder(tmp_path):
    narrow = tmp_path / "narrow.yaml"
    narrow.write_text(_text(**{"  label: [10]              # the class": "  label: [5]              # the class",
                               "    label: [10]            # the class": "    label: [5]            # the class"}))
    done = run_upspec("run", str(narrow), "--out", str(tmp_path / "a"), *TINY, cwd=tmp_path)
    assert done.returncode == 2 and not (tmp_path / "a").exists()
    assert f"{narrow}:{_line(narrow.read_text(), 'label: [5]')}:" in done.stderr
    assert "the source 'digits' has 10 classes but the generator's 'label' input holds 5" in done.stderr
    assert "write label: [10] in both networks' inputs" in done.stderr

    wide = tmp_path / "wide.yaml"
    wide.write_text(_text(**{"  label: [10]              # the class": "  label: [12]              # the class",
                             "    label: [10]            # the class": "    label: [12]            # the class"}))
    done = run_upspec("run", str(wide), "--out", str(tmp_path / "w"), *TINY, cwd=tmp_path)
    assert done.returncode == 2 and not (tmp_path / "w").exists()
    assert ("the source 'digits' has 10 classes but the generator's 'label' input holds 12 (classes 10 to 11 would "
            "have no real images)") in done.stderr

    photos = run_upspec("run", str(DCGAN), "--out", str(tmp_path / "b"), *TINY, "--set", "data.source=photos",
                        cwd=tmp_path)
    assert photos.returncode == 2 and not (tmp_path / "b").exists()
    assert "a class-conditional GAN learns from labelled images, but the source 'photos' gives none" in photos.stderr


def test_a_sweep_of_a_conditional_gan_on_a_source_without_labels_fails_before_its_folder(tmp_path):
    from upspec import SpecError
    from upspec.compare.sweep import run_sweep

    with pytest.raises(SpecError, match="the source 'photos' gives none"):
        run_sweep(str(DCGAN), strategies="transpose,nearest", out=str(tmp_path / "sweep"),
                  overrides=["data.source=photos"], train_overrides={"epochs": 1})
    assert not (tmp_path / "sweep").exists()


def test_the_spread_of_a_conditional_grid_is_measured_within_each_class():
    from upspec.gan.condition import spread
    from upspec.gan.train import collapse_warnings

    labels = np.arange(40) % 10
    follows_class_only = np.repeat(np.linspace(0, 1, 10)[labels][:, None, None, None], 4, axis=1)  # (40, 4, 1, 1)
    assert spread(follows_class_only) > 0.25  # across classes the samples differ ...
    assert spread(follows_class_only, labels) == 0.0  # ... but each class is one image: collapsed
    assert any("mode collapse" in w for w in collapse_warnings(3, 0.5, spread(follows_class_only, labels), "hinge"))
    noisy = follows_class_only + np.random.default_rng(0).normal(0, 0.1, follows_class_only.shape)
    assert spread(noisy, labels) == pytest.approx(np.mean([noisy[labels == c].std(axis=0).mean() for c in range(10)]))


def test_a_generator_whose_spec_lists_the_label_first_is_fed_by_name():
    import upspec
    from upspec.gan.lane import GanLane
    from upspec.gan.evaluate import sample
    from upspec.registry.registry import get_registry

    text = _text(**{"  latent: [100]\n  label: [10]              # the class to draw, one-hot: a generator input named `label` makes the GAN conditional":
                    "  label: [10]\n  latent: [100]"})
    generator = upspec.build_model(text)
    assert [t.name for t in generator.inputs] == ["label", "latent"]
    images = sample(generator, 4, 0, label=3)
    assert images.shape == (4, 28, 28, 1)
    checks = GanLane().export_inputs(upspec.load_spec(text), get_registry(), 4)
    assert [a.shape for a in checks.arrays] == [(4, 10), (4, 100)]
    assert np.array_equal(checks.arrays[0].argmax(1), [0, 1, 2, 3])
    assert np.allclose(generator.predict(checks.arrays, verbose=0),
                       generator({"latent": checks.arrays[1], "label": checks.arrays[0]}), atol=1e-6)


# -- judging ---------------------------------------------------------------------------------------------------

def _lookup_generator(digits: np.ndarray, shift: int):
    """A conditional 'generator' that ignores its latent and draws ``digits[(label + shift) % 10]``."""
    import keras

    latent, label = keras.Input((100,), name="latent"), keras.Input((10,), name="label")
    table = keras.layers.Dense(784, use_bias=False, name="table")
    image = keras.layers.Reshape((28, 28, 1))(table(label))
    keep = keras.layers.Lambda(lambda t: t[0] + 0.0 * keras.ops.sum(t[1], axis=1)[:, None, None, None])
    model = keras.Model([latent, label], keep([image, latent]))
    table.set_weights([np.roll(digits.reshape(10, 784), -shift, axis=0)])
    return model


def test_label_accuracy_tells_a_generator_that_draws_the_asked_class_from_one_that_draws_another():
    from upspec.gan.classifier import feature_classifier
    from upspec.gan.data import real_images
    from upspec.gan.evaluate import Reference
    from upspec.gan.evaluate import evaluate_generator
    from upspec.registry.registry import get_registry

    real = real_images("digits", {}, (28, 28, 1), get_registry(), train_count=0, held_out_count=60)
    classifier = feature_classifier(real)
    _, probabilities = classifier.predict(real.train)
    # per class, the training digit the classifier is surest of: a sample that is surely that class
    digits = np.stack([real.train[np.where(real.train_labels == c, probabilities[:, c], -1).argmax()] for c in range(10)])
    reference = Reference.of(real, classifier)
    right, _ = evaluate_generator(_lookup_generator(digits, 0), _lookup_generator(digits, 0), reference, (4, 4))
    wrong, _ = evaluate_generator(_lookup_generator(digits, 3), _lookup_generator(digits, 0), reference, (4, 4))
    assert right["conditional"] == {"classes": 10, "asked": "every class in turn"}
    assert right["generator"]["label_accuracy"] == 1.0 and wrong["generator"]["label_accuracy"] == 0.0
    # the same ten images either way: every class covered, the same confidence; only the label accuracy differs
    assert right["generator"]["classes_covered"] == wrong["generator"]["classes_covered"] == 10
    assert right["generator"]["confidence"] == pytest.approx(wrong["generator"]["confidence"], abs=1e-6)
    assert right["generator"]["histogram"] == [6] * 10
    accuracy = float(np.mean(classifier.predict(real.held_out)[1].argmax(1) == real.held_out_labels))
    assert right["held_out_real"]["label_accuracy"] == pytest.approx(accuracy)


# -- a run -----------------------------------------------------------------------------------------------------

def test_a_conditional_run_feeds_labels_and_reports_its_label_accuracy(tmp_path):
    from click.testing import CliRunner

    from upspec.cli.main import make_cli

    out = tmp_path / "run"
    done = CliRunner().invoke(make_cli([]), ["run", str(DCGAN), "--out", str(out), *TINY, "--set", "train.ema=0.9"],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "LABEL_ACCURACY" in done.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["conditional"] == {"classes": 10, "asked": "every class in turn"}
    for row in ("generator", "held_out_real", "untrained_generator"):
        assert 0.0 <= metrics[row]["label_accuracy"] <= 1.0
    assert metrics["held_out_real"]["label_accuracy"] >= 0.7
    # the grid after each epoch: one column per class, eight rows; its first row is kept for the epochs picture
    assert np.load(out / "samples" / "epoch-0002.npy").shape == (10, 28, 28, 1)
    from PIL import Image

    width, height = Image.open(out / "samples.png").size
    assert width / height == pytest.approx(10 / 8, rel=0.05)
    report = (out / "report.md").read_text()
    assert "| label accuracy |" in report.replace(" label accuracy |", " label accuracy |")
    assert "The generator is class-conditional (10 classes; each set asks for every class in turn" in report
    assert "(one column per class)" in report


@pytest.fixture
def conditional_run(tmp_path):
    """A run folder holding an (untrained) conditional generator, as a finished run's model.keras."""
    import upspec
    from upspec.runner.artefacts.models import save_model

    folder = tmp_path / "run"
    folder.mkdir()
    save_model(upspec.build_model(DCGAN), folder / "model.keras")
    (folder / "spec.yaml").write_text(DCGAN.read_text())
    return folder


def test_generate_asks_for_every_class_in_turn_or_for_the_one_given(conditional_run, tmp_path):
    import upspec
    from click.testing import CliRunner

    from upspec.cli.main import make_cli

    mixed = upspec.generate(conditional_run, 10, seed=1)
    threes = upspec.generate(conditional_run, 10, seed=1, label=3)
    assert mixed.shape == threes.shape == (10, 28, 28, 1)
    assert np.array_equal(mixed[3], threes[3])  # row 3 asks for class 3 either way, from the same latent
    assert not np.array_equal(mixed[4], threes[4])
    done = CliRunner().invoke(make_cli([]), ["generate", str(conditional_run), "-n", "4", "--label", "3", "--seed", "1",
                                             "-o", str(tmp_path / "s.npz")])
    assert done.exit_code == 0, done.output
    assert np.array_equal(np.load(tmp_path / "s.npz")["images"], threes[:4])
    bad = CliRunner().invoke(make_cli([]), ["generate", str(conditional_run), "--label", "10", "-o", str(tmp_path / "t.npz")])
    assert bad.exit_code == 1 and "class 10 is not one of this generator's 10 classes (0 to 9)" in bad.output
    assert not (tmp_path / "t.npz").exists()


def test_generate_refuses_a_label_for_an_unconditional_generator(tmp_path):
    import upspec
    from upspec import UpspecError
    from upspec.runner.artefacts.models import save_model

    folder = tmp_path / "plain"
    folder.mkdir()
    save_model(upspec.build_model(SPECS / "dcgan_digits_unconditional.yaml"), folder / "model.keras")
    assert upspec.generate(folder, 3).shape == (3, 28, 28, 1)
    with pytest.raises(UpspecError, match="this generator is unconditional .* cannot be asked for class 2"):
        upspec.generate(folder, 3, label=2)


@pytest.mark.slow
def test_a_conditional_generator_exports_to_onnx_with_both_inputs(conditional_run, tmp_path):
    pytest.importorskip("onnxruntime")
    import onnxruntime

    done = run_upspec("export", str(conditional_run), "--format", "onnx", "-o", str(tmp_path / "onnx"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # checked on what a generator is given, not on uniform noise; and no talk of image sizes
    assert "ONNX Runtime matches Keras on 8 standard-normal latents and one-hot classes in turn" in done.stdout
    assert "input [(None, 100), (None, 10)]: vectors, no height or width" in done.stdout
    session = onnxruntime.InferenceSession(str(tmp_path / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
    assert sorted(i.name for i in session.get_inputs()) == ["label", "latent"]
    import upspec

    z = np.random.default_rng(0).standard_normal((2, 100)).astype("float32")
    y = np.eye(10, dtype="float32")[[2, 7]]
    expected = np.asarray(upspec.runner.artefacts.models.load_model(conditional_run / "model.keras")(
        {"latent": z, "label": y}))
    got = session.run(None, {"latent": z, "label": y})[0]
    assert np.abs(got - expected).max() < 1e-4


def test_the_cost_per_example_counts_the_batch_of_a_several_input_model():
    from upspec.analysis.cost import batch_size

    assert batch_size({"latent": np.zeros((16, 100)), "label": np.zeros((16, 10))}) == 16  # not 2 (the inputs)
    assert batch_size([np.zeros((3, 28, 28, 1)), np.zeros((3, 10))]) == 3
    assert batch_size(np.zeros((5, 100))) == 5
