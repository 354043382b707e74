"""GANs: the spec pair, the adversarial runner, evaluation numbers, spectra and ``generate``."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from conftest import SPECS
from conftest import run_upspec

DCGAN = SPECS / "dcgan_digits.yaml"
TINY = ["--set", "train.epochs=2", "--set", "train.steps_per_epoch=3", "--set", "train.batch_size=8",
        "--set", "data.test_patches=24"]


@pytest.fixture(autouse=True)
def tmp_cache(tmp_path_factory, monkeypatch):
    """The feature classifier is cached in a folder of the test session, never the user's."""
    monkeypatch.setenv("UPSPEC_CACHE", str(tmp_path_factory.getbasetemp() / "upspec-cache"))


# -- spec ------------------------------------------------------------------------------------------------------

def _load_graph(text: str):
    from upspec import load_spec
    from upspec.graph.graph import build_graph

    return build_graph(load_spec(text))


def _dcgan_text(**replace: str) -> str:
    text = DCGAN.read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def test_the_dcgan_spec_is_a_generator_with_a_matching_discriminator():
    from upspec.graph.graph import build_graph
    from upspec.graph.pair import check_pair
    from upspec.registry.registry import get_registry

    graph = _load_graph(DCGAN.read_text())
    assert graph.inputs[0].shape == (100,) and graph.nodes[graph.outputs[0]].shape == (28, 28, 1)
    disc = check_pair(graph, get_registry(), build_graph)
    assert disc.inputs[0].shape == (28, 28, 1) and disc.nodes[disc.outputs[0]].shape == (1,)
    assert disc.spec.name == "dcgan-digits-discriminator"


def test_a_discriminator_that_does_not_take_the_generators_output_is_an_error_naming_both():
    from upspec import SpecError

    text = _dcgan_text(**{"image: [28, 28, 1]": "image: [32, 32, 1]",  # and the class projection sized to match
                          "units: 3136, use_bias: false, inputs: [label]": "units: 4096, use_bias: false, inputs: [label]"})
    with pytest.raises(SpecError) as caught:
        _load_graph(text)
    (diagnostic,) = caught.value.diagnostics
    line = text.splitlines().index("    image: [32, 32, 1]") + 1
    assert (diagnostic.line, diagnostic.column) == (line, 12)
    assert diagnostic.message == ("the generator's output 'image' is (28, 28, 1) but the discriminator's input "
                                  "'image' takes (32, 32, 1)")
    made = next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith("  - id: image"))  # the generator's output
    assert f"line {made}" in diagnostic.hint


def test_errors_inside_the_discriminator_point_into_the_file():
    from upspec import SpecError
    from upspec import load_spec

    text = _dcgan_text(**{"layer: Conv2D, filters: 32": "layer: Conv2D, filterz: 32", "  compile:\n    optimizer":
                          "  colour: red\n  compile:\n    optimizer"})
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    messages = {d.message: (d.line, d.column) for d in caught.value.diagnostics}
    lines = text.splitlines()
    assert messages["Conv2D has no argument 'filterz' (entry 'd1')"][0] == next(
        i for i, l in enumerate(lines, 1) if "filterz" in l)
    assert messages["the discriminator has no key 'colour'"] == (lines.index("  colour: red") + 1, 3)


def test_a_discriminator_must_end_in_one_score():
    from upspec import SpecError

    with pytest.raises(SpecError, match="the discriminator's output 'score' is \\(3\\); it must end in one score"):
        _load_graph(_dcgan_text(**{"units: 1}": "units: 3}"}))


def test_strategy_switches_the_generators_upsampling_only():
    from upspec import load_spec

    spec = load_spec(DCGAN, strategy="nearest")
    assert [e.upsample for e in spec.layers if e.upsample] == ["nearest", "nearest"]
    assert "upsample" not in json.dumps(spec.discriminator)


def test_validate_accepts_the_gan_specs_without_tensorflow():
    done = run_upspec("validate", str(DCGAN), str(SPECS / "dcgan_photos.yaml"))
    assert done.returncode == 0, done.stderr
    assert f"{DCGAN}: ok: dcgan-digits: 10 entries, (100), (10) -> (28, 28, 1)" in done.stdout.splitlines()


# -- numbers ---------------------------------------------------------------------------------------------------

def test_frechet_distance_of_a_set_with_itself_is_zero_and_of_a_shifted_copy_the_squared_shift():
    from upspec.gan.metrics import frechet_distance

    features = np.random.default_rng(0).normal(size=(300, 16))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(features, features + 0.5) == pytest.approx(16 * 0.25, rel=1e-6)


def test_precision_and_recall_of_a_collapsed_set():
    from upspec.gan.metrics import precision_recall

    real = np.random.default_rng(0).normal(size=(200, 8))
    assert precision_recall(real, real) == (1.0, 1.0)
    precision, recall = precision_recall(real, np.repeat(real[:1], 200, axis=0))
    assert precision == 1.0 and recall < 0.1  # every sample is realistic, but they cover one point


def test_mode_coverage_counts_classes_and_measures_kl_to_uniform():
    from upspec.gan.metrics import class_coverage

    uniform = np.eye(10)[np.arange(100) % 10]
    one_class = np.tile(np.eye(10)[3] * 0.9 + 0.01, (50, 1))
    assert class_coverage(uniform)["classes_covered"] == 10 and class_coverage(uniform)["kl_uniform"] == pytest.approx(0)
    collapsed = class_coverage(one_class)
    assert collapsed["histogram"] == [0, 0, 0, 50, 0, 0, 0, 0, 0, 0]
    assert collapsed["kl_uniform"] == pytest.approx(np.log(10)) and collapsed["confidence"] == pytest.approx(0.91)
    assert collapsed["confidence_se"] == pytest.approx(0.0)  # every sample equally sure: no spread


def test_the_confidence_comes_with_its_standard_error_and_the_report_shows_its_95_percent_interval():
    from upspec.gan.metrics import class_coverage
    from upspec.gan.report import metrics_table

    halves = np.array([[0.5, 0.5] + [0.0] * 8, [1.0] + [0.0] * 9])  # top probabilities 0.5 and 1.0
    scores = class_coverage(halves)
    assert scores["confidence"] == pytest.approx(0.75)
    assert scores["confidence_se"] == pytest.approx(np.std([0.5, 1.0], ddof=1) / np.sqrt(2))  # 0.25
    table = metrics_table({"generator": scores, "held_out_real": {"confidence": 0.9}})
    assert "| trained generator | 0.750 ± 0.490 |" in table  # 1.96 x 0.25
    assert "| held-out real images (floor) | 0.900 |" in table  # no error recorded: the number alone


def test_a_checkerboard_shows_a_peak_at_the_upsampling_frequencies_and_smooth_noise_does_not():
    from upspec.analysis.spectrum import peak_ratio
    from upspec.analysis.spectrum import radial_spectrum
    from upspec.analysis.spectrum import spectral_distance
    from upspec.analysis.spectrum import upsampling_frequencies

    rng = np.random.default_rng(0)
    smooth = np.cumsum(np.cumsum(rng.normal(size=(16, 32, 32, 1)), 1), 2) / 32  # 1/f^2-like, as photos
    board = (np.indices((32, 32)).sum(0) % 2 - 0.5)[None, ..., None] * 0.5
    assert upsampling_frequencies((32, 32), (2, 2)) == [(0, 16), (16, 0), (16, 16)]
    assert peak_ratio(smooth + board, (2, 2)) > 100
    assert 0.2 < peak_ratio(smooth, (2, 2)) < 5
    frequency, power = radial_spectrum(board + 0 * smooth)
    assert frequency[np.argmax(power)] == pytest.approx(np.sqrt(2) * 16 / 32, abs=0.02)  # the corner (16, 16)
    assert spectral_distance(smooth, smooth) == 0.0 and spectral_distance(smooth + board, smooth) > 0.1


def test_collapse_is_reported_in_plain_words():
    from upspec.gan.train import collapse_warnings

    assert collapse_warnings(3, 0.6, 0.2, "non_saturating") == []
    (won,) = collapse_warnings(3, 0.002, 0.2, "non_saturating")
    assert won.startswith("epoch 3: the discriminator's loss was 0.0020, near zero")
    (constant,) = collapse_warnings(4, 0.7, 0.0001, "non_saturating")
    assert "the generator's output is nearly constant" in constant and "mode collapse" in constant
    assert collapse_warnings(3, -5.0, 0.2, "wgan_gp") == []  # a critic's loss has no floor


# -- the finding: transpose generators leave peaks at the upsampling frequencies --------------------------------

@pytest.mark.slow
def test_transpose_generators_peak_at_the_upsampling_frequencies_where_nearest_and_icnr_do_not():
    import upspec
    from upspec.analysis.spectrum import peak_ratio
    from upspec.gan.evaluate import sample
    from upspec.gan.evaluate import upsampling_factor
    from upspec.runner.training.framework import seed_everything

    ratios = {}
    for strategy in ("transpose", "nearest", "pixel_shuffle"):
        seed_everything(0)
        spec = upspec.load_spec(DCGAN, strategy=strategy)
        ratios[strategy] = peak_ratio(sample(upspec.build_model(spec), 128, 0), upsampling_factor(spec))
    assert ratios["transpose"] > 3 and ratios["nearest"] < 1.5 and ratios["pixel_shuffle"] < 1.5, ratios


# -- the classifier cache --------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_feature_classifier_is_cached_with_a_checksum_and_retrained_when_it_does_not_match(tmp_path, monkeypatch):
    from upspec.gan.classifier import feature_classifier
    from upspec.gan.data import RealImages

    monkeypatch.setenv("UPSPEC_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    labels = np.arange(400) % 3
    images = (rng.random((400, 8, 8, 1)) * 0.2 + labels[:, None, None, None] * 0.4).astype("float32")
    real = RealImages(images[:320], images[320:], labels[:320], labels[320:], "toy")
    said: list[str] = []
    first = feature_classifier(real, said.append)
    assert first.task == "labels" and first.classes == 3 and first.accuracy > 0.9
    assert first.path.parent == tmp_path / "cache" / "classifiers"
    meta = json.loads(first.path.with_suffix(".json").read_text())
    assert len(meta["sha256"]) == 64 and len(said) == 1
    again = feature_classifier(real, said.append)
    assert len(said) == 1 and np.allclose(again.predict(images)[0], first.predict(images)[0])
    first.path.write_bytes(first.path.read_bytes()[:-10] + b"0123456789")
    feature_classifier(real, said.append)
    assert "does not match its checksum; training it again" in said[1]

    unlabelled = feature_classifier(RealImages(images[:320], images[320:], source="toy"), said.append)
    assert unlabelled.task == "rotation" and unlabelled.classes == 4 and unlabelled.path != first.path


# -- running -----------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_tiny_gan_run_writes_every_file(tmp_path):
    from click.testing import CliRunner

    from upspec.cli.main import make_cli

    out = tmp_path / "run"
    done = CliRunner().invoke(make_cli([]), ["run", str(DCGAN), "--out", str(out), *TINY], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "epoch 2/2: D loss" in done.output and "held_out_real" in done.output
    for name in ("spec.yaml", "model.keras", "discriminator.keras", "history.csv", "metrics.json", "spectrum.json",
                 "spectrum.png", "learning_curves.png", "samples.png", "samples_over_epochs.png", "report.md",
                 "samples/epoch-0001.png", "samples/epoch-0002.png", "checkpoints/epoch-0002/generator.keras",
                 "checkpoints/epoch-0002/discriminator.keras"):
        assert (out / name).stat().st_size > 0, name
    assert not (out / "checkpoints" / "epoch-0001").exists()
    rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "sample_spread"} <= set(rows[0])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == "generation" and metrics["test_images"] == 24
    for row in ("generator", "held_out_real", "untrained_generator"):
        assert {"fd", "precision", "recall", "confidence", "classes_covered", "kl_uniform", "spectral_distance",
                "peak_ratio", "cb"} <= set(metrics[row])
        assert sum(metrics[row]["histogram"]) == 24
    assert metrics["held_out_real"]["fd"] < metrics["untrained_generator"]["fd"]
    assert metrics["held_out_real"]["classes_covered"] >= 8
    report = (out / "report.md").read_text()
    assert "held-out real images (floor)" in report and "![samples over epochs](samples_over_epochs.png)" in report

    evaluated = CliRunner().invoke(make_cli([]), ["evaluate", str(out), "--json"], catch_exceptions=False)
    assert evaluated.exit_code == 0, evaluated.output
    again = json.loads(evaluated.output)
    for row in ("generator", "held_out_real", "untrained_generator"):
        numbers = {k: v for k, v in metrics[row].items() if not isinstance(v, list)}
        assert {k: again[row][k] for k in numbers} == pytest.approx(numbers, rel=1e-4, abs=1e-6)
        assert {k: again[row][k] for k in metrics[row] if k not in numbers} == {
            k: v for k, v in metrics[row].items() if k not in numbers}  # the class histogram, exactly

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(out / "tensorboard" / "train"), size_guidance={"tensors": 0}).Reload()
    assert {"d_loss", "g_loss", "samples"} <= set(events.Tags()["tensors"])
    assert [e.step for e in events.Tensors("d_loss")] == [1, 2]


@pytest.mark.slow
def test_an_interrupted_gan_run_resumes_and_ends_as_an_uninterrupted_one(tmp_path, callback_plugin):
    stopper = callback_plugin("stopper", (
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        if epoch == 0 and os.environ.get('STOP_AFTER_FIRST'):\n"
        "            os._exit(9)  # like kill -9: no cleanup at all\n"))
    env = {"UPSPEC_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "run"
    first = run_upspec("--plugin", str(stopper), "train", str(DCGAN), "--quiet", "--out", str(out), *TINY,
                       cwd=tmp_path, env={**env, "STOP_AFTER_FIRST": "1"})
    assert first.returncode == 9, first.stderr
    state = json.loads((out / "checkpoints" / "state.json").read_text())
    assert state["epoch"] == 1 and state["checkpoint"] == "epoch-0001"
    assert not (out / "model.keras").exists()
    resumed = run_upspec("--plugin", str(stopper), "train", "--resume", str(out), "--quiet", cwd=tmp_path, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert [r["epoch"] for r in csv.DictReader((out / "history.csv").read_text().splitlines())] == ["1", "2"]

    straight = tmp_path / "straight"
    whole = run_upspec("run", str(DCGAN), "--quiet", "--out", str(straight), *TINY, cwd=tmp_path, env=env)
    assert whole.returncode == 0, whole.stderr
    from upspec.runner.artefacts.models import load_model

    for name in ("model.keras", "discriminator.keras"):
        a, b = load_model(out / name).get_weights(), load_model(straight / name).get_weights()
        assert all(np.allclose(x, y, atol=1e-6) for x, y in zip(a, b)), name


@pytest.mark.slow
def test_a_diverged_gan_run_leaves_its_record_history_and_report(tmp_path, callback_plugin):
    poison = callback_plugin("poison", (
        "    def on_epoch_begin(self, epoch, logs=None):\n"
        "        if epoch == 1:\n"
        "            layer = [l for l in self.model.layers if getattr(l, 'kernel', None) is not None][-1]\n"
        "            layer.kernel.assign(np.full(layer.kernel.shape, np.nan, 'float32'))\n"))
    out = tmp_path / "run"
    done = run_upspec("--plugin", str(poison), "train", str(DCGAN), "--quiet", "--out", str(out), *TINY,
                      cwd=tmp_path, env={"UPSPEC_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "loss became NaN or infinite at step 1 of epoch 2; training stopped; the last good checkpoint is in " \
        f"{out / 'checkpoints'}; lower the learning rates" in done.stderr
    record = json.loads((out / "diverged.json").read_text())
    assert (record["epoch"], record["step"], record["finished_epochs"]) == (2, 1, 1)
    assert record["network"] in ("discriminator", "generator") and math.isfinite(record["last_finite_loss"])
    assert [r["epoch"] for r in csv.DictReader((out / "history.csv").read_text().splitlines())] == ["1"]
    report = (out / "report.md").read_text()
    assert "diverged" in report.splitlines()[0] and "after 1 finished epoch(s)" in report
    assert f"last finite loss: {record['last_finite_loss']:.6g}" in report
    assert not (out / "model.keras").exists()


# -- generate --------------------------------------------------------------------------------------------------

@pytest.fixture
def generator_run(tmp_path):
    """A run folder holding an (untrained) generator, as a finished run's model.keras."""
    import upspec
    from upspec.runner.artefacts.models import save_model

    folder = tmp_path / "run"
    folder.mkdir()
    save_model(upspec.build_model(DCGAN), folder / "model.keras")
    return folder


@pytest.mark.slow
def test_generate_is_deterministic_for_a_seed_and_writes_npz_or_pngs(generator_run, tmp_path):
    import upspec
    from PIL import Image

    a = upspec.generate(generator_run, 6, seed=1)
    assert a.shape == (6, 28, 28, 1) and a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
    assert np.array_equal(a, upspec.generate(generator_run, 6, seed=1))
    assert not np.array_equal(a, upspec.generate(generator_run, 6, seed=2))
    upspec.generate(generator_run / "model.keras", 6, seed=1, output=tmp_path / "s.npz")
    assert np.array_equal(np.load(tmp_path / "s.npz")["images"], a)
    upspec.generate(generator_run, 3, seed=1, output=tmp_path / "pngs")
    assert sorted(p.name for p in (tmp_path / "pngs").iterdir()) == ["sample-0000.png", "sample-0001.png", "sample-0002.png"]
    first = np.asarray(Image.open(tmp_path / "pngs" / "sample-0000.png"), "float32") / 255
    assert np.abs(first - a[0, ..., 0]).max() <= 0.5 / 255 + 1e-6


def test_generate_refuses_what_it_cannot_do(generator_run, tmp_path):
    from click.testing import CliRunner

    from upspec.cli.main import make_cli

    (tmp_path / "taken.npz").write_bytes(b"x")
    cli = make_cli([])
    taken = CliRunner().invoke(cli, ["generate", str(generator_run), "-n", "2", "-o", str(tmp_path / "taken.npz")])
    assert taken.exit_code == 2 and "taken.npz already exists; refusing to overwrite it" in taken.output
    empty = tmp_path / "unfinished"
    (empty / "checkpoints").mkdir(parents=True)
    unfinished = CliRunner().invoke(cli, ["generate", str(empty), "-o", str(tmp_path / "x.npz")])
    assert unfinished.exit_code == 1
    assert f"{empty} holds no trained generator (model.keras); it holds checkpoints: finish it with `upspec train --resume" \
        in unfinished.output


def test_an_unknown_gan_loss_or_a_task_other_than_generation_is_a_spec_error(tmp_path):
    from click.testing import CliRunner

    from upspec.cli.main import make_cli

    cli = make_cli([])
    loss = CliRunner().invoke(cli, ["run", str(DCGAN), "--out", str(tmp_path / "a"), "--set", "train.gan_loss=wgan"])
    assert loss.exit_code == 2
    assert "train.gan_loss" in loss.output and "non_saturating|hinge|wgan_gp" in loss.output
    task = CliRunner().invoke(cli, ["run", str(DCGAN), "--out", str(tmp_path / "b"), "--set", "data.task=denoise"])
    assert task.exit_code == 2
    assert "its data.task must be 'generation', not 'denoise'" in task.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_until_and_keep_best_are_refused_for_a_gan_rather_than_ignored():
    import upspec

    with pytest.raises(upspec.SpecError) as caught:
        upspec.load_spec(DCGAN, overrides={"train.until": {"monitor": "val_loss"}, "train.keep": "best"})
    messages = [d.message for d in caught.value.diagnostics]
    assert len(messages) == 2
    assert any("a GAN has no validation loss to watch, so train.until is not supported" in m for m in messages)
    assert any("train.keep: best is not supported for a spec with a 'discriminator:' section" in m for m in messages)


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["hinge", "wgan_gp"])
def test_other_gan_losses_train(tmp_path, loss):
    import upspec.runner.run as runner

    result = runner.run(DCGAN, out=str(tmp_path / "run"), verbose=0,
                        overrides=["train.steps_per_epoch=2", "train.batch_size=8", "data.test_patches=16",
                                   f"train.gan_loss={loss}"], train_overrides={"epochs": 1})
    (row,) = list(csv.DictReader((result.run_dir / "history.csv").read_text().splitlines()))
    assert np.isfinite([float(row["d_loss"]), float(row["g_loss"])]).all()
    assert "gan_loss: " + loss in (result.run_dir / "spec.yaml").read_text()
    assert f"loss `{loss}`" in (result.run_dir / "report.md").read_text()


@pytest.mark.slow
def test_a_sweep_over_generator_strategies_measures_each_generator(tmp_path):
    from upspec.compare.sweep import run_sweep

    result = run_sweep(str(DCGAN), strategies="transpose,nearest", out=str(tmp_path / "sweep"),
                       overrides=["train.steps_per_epoch=2", "train.batch_size=8", "data.test_patches=16"],
                       train_overrides={"epochs": 1})
    assert [r["strategy"] for r in result.rows] == ["transpose", "nearest"]
    for row in result.rows:
        assert row["metrics"]["task"] == "generation" and row["cb_init"] is not None
        assert {"fd", "peak_ratio", "spectral_distance"} <= set(row["metrics"]["generator"])
    by_name = {r["strategy"]: r for r in result.rows}
    assert by_name["transpose"]["cb_init"] > 100 * max(by_name["nearest"]["cb_init"], 1e-9)
    table = (result.folder / "comparison.md").read_text()
    assert "| generator_fd |" in table and "| held_out_real_fd |" in table and "histogram" not in table
    assert "## Generator over seeds" in table and "| `transpose` | 1 | " in table
    for name in ("samples.png", "spectrum.png", "learning_curves.png", "comparison.csv"):
        assert (result.folder / name).stat().st_size > 0, name


@pytest.mark.slow
def test_a_generator_that_outputs_one_image_is_reported_as_collapsed(tmp_path):
    from click.testing import CliRunner

    from upspec.cli.main import make_cli

    out = tmp_path / "run"
    frozen = ["--set", "layers.up2.kernel_initializer=zeros",
              "--set", "compile.optimizer.learning_rate=1.0e-12"]  # tanh(0) everywhere, and it stays there
    done = CliRunner().invoke(make_cli([]), ["run", str(DCGAN), "--out", str(out), *TINY, *frozen,
                                             "--set", "train.epochs=1"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "warning: epoch 1: the generator's output is nearly constant (pixel spread 0.0000" in done.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert any("mode collapse" in w for w in metrics["warnings"])
    assert "**Warning:** epoch 1: the generator's output is nearly constant" in (out / "report.md").read_text()
    assert metrics["generator"]["classes_covered"] == 1


@pytest.mark.slow
def test_a_gan_on_photo_patches_is_judged_by_a_rotation_classifier(tmp_path):
    import upspec.runner.run as runner

    result = runner.run(SPECS / "dcgan_photos.yaml", out=str(tmp_path / "run"), verbose=0,
                        overrides=["train.steps_per_epoch=2", "train.batch_size=8", "data.test_patches=16"],
                        train_overrides={"epochs": 1})
    metrics = result.metrics
    assert metrics["features"].startswith("source image classifier")  # which of the 13 training photos
    assert metrics["upsampling_factor"] == [8, 8] and metrics["test_images"] == 16
    assert "classes_covered" not in metrics["generator"]  # photos have no labels
    assert metrics["held_out_real"]["spectral_distance"] < metrics["untrained_generator"]["spectral_distance"]
    assert np.load(result.run_dir / "samples" / "epoch-0001.npy").shape == (8, 32, 32, 3)
