"""The GAN's game settings: ``train.ema`` (the average generator), ``train.label_smoothing``, ``train.d_steps``,
``train.augment``."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest

from conftest import SPECS
from conftest import run_upspec

DCGAN = SPECS / "dcgan_digits.yaml"
TINY = ["--set", "train.epochs=2", "--set", "train.steps_per_epoch=3", "--set", "train.batch_size=8",
        "--set", "data.test_patches=24"]
GAME = ["--set", "train.ema=0.9", "--set", "train.d_steps=2", "--set", "train.label_smoothing=0.1",
        "--set", "train.augment=[translation,cutout]"]


@pytest.fixture(autouse=True)
def tmp_cache(tmp_path_factory, monkeypatch):
    """The feature classifier is cached in a folder of the test session, never the user's."""
    monkeypatch.setenv("UPSPEC_CACHE", str(tmp_path_factory.getbasetemp() / "upspec-cache"))


# -- validation ------------------------------------------------------------------------------------------------

def _with_train(lines: str) -> str:
    """The DCGAN spec with ``lines`` added to its train: section (without its own ema: line and comments)."""
    text = re.sub(r"\n  ema: [^\n]*(\n +#[^\n]*)*", "", DCGAN.read_text())
    assert "\n  batch_size: 64\n" in text and "ema:" not in text
    return text.replace("\n  batch_size: 64\n", "\n  batch_size: 64\n" + lines)


@pytest.mark.parametrize("line, message", [
    ("  ema: 1.0\n", "train.ema is the decay of the average of the generator's weights, a number between 0 and 1"),
    ("  ema: 0\n", "train.ema is the decay of the average of the generator's weights, a number between 0 and 1"),
    ("  label_smoothing: 1.0\n", "train.label_smoothing is taken from the real images' target of 1, a number in [0, 1)"),
    ("  d_steps: 0\n", "greater than 0"),
    ("  augment: [translation, flip]\n", "'translation' or 'cutout'"),
    ("  schedule: plateau\n", "a GAN has no validation loss, so train.schedule: plateau"),
    ("  early_stopping: {patience: 2}\n", "a GAN has no validation loss to watch, so train.early_stopping"),
    ("  precision: mixed_float16\n", "train.precision: mixed_float16 is not supported for a spec with a 'discrim"),
    ("  distribute: mirrored\n", "train.distribute: mirrored is not supported for a spec with a 'discriminator"),
    ("  steps_per_execution: 4\n", "train.steps_per_execution: 4 is not supported for a spec with a 'discrimin"),
])
def test_bad_game_settings_are_errors_at_their_line(line, message):
    from upspec import SpecError
    from upspec import load_spec

    text = _with_train(line)
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    (diagnostic,) = caught.value.diagnostics
    assert message in diagnostic.message
    assert diagnostic.line == text.splitlines().index(line.rstrip("\n")) + 1


def test_label_smoothing_is_refused_for_a_loss_without_targets():
    from upspec import SpecError
    from upspec import load_spec

    with pytest.raises(SpecError) as caught:
        load_spec(_with_train("  gan_loss: hinge\n  label_smoothing: 0.1\n"))
    (diagnostic,) = caught.value.diagnostics
    assert "label_smoothing applies to the non_saturating loss's targets; the hinge loss has none" in diagnostic.message
    assert load_spec(_with_train("  gan_loss: hinge\n  label_smoothing: 0\n")).train.label_smoothing == 0


def test_the_game_settings_default_to_the_plain_game():
    from upspec import load_spec

    train = load_spec(DCGAN, overrides={"train.ema": None}).train
    assert (train.label_smoothing, train.d_steps, train.augment) == (0.0, 1, [])


# -- the numbers -----------------------------------------------------------------------------------------------

def test_the_bias_corrected_average_weighs_every_step_so_far_and_not_the_start():
    from upspec.gan.ema import ema_rate

    decay, weights = 0.9, np.random.default_rng(0).normal(size=12)
    average = 123.0  # the untrained value: the first step replaces it
    for t, w in enumerate(weights, 1):
        average += ema_rate(decay, t) * (w - average)
    t = len(weights)
    expected = sum((1 - decay) * decay ** (t - s) * w for s, w in enumerate(weights, 1)) / (1 - decay ** t)
    assert ema_rate(decay, 1) == 1.0 and average == pytest.approx(expected, rel=1e-12)
    assert ema_rate(0.999, 10**6) == pytest.approx(0.001)


def test_one_sided_label_smoothing_is_the_cross_entropy_against_the_smoothed_target():
    from upspec.gan.losses import discriminator_loss

    real, fake = np.array([[2.0], [-1.0], [0.5]], "float32"), np.array([[-3.0], [0.2], [1.0]], "float32")
    sigmoid = lambda x: 1 / (1 + np.exp(-x.astype("float64")))  # noqa: E731
    target = 0.9
    expected = (-(target * np.log(sigmoid(real)) + (1 - target) * np.log(1 - sigmoid(real))).mean()
                - np.log(1 - sigmoid(fake)).mean())
    assert float(discriminator_loss("non_saturating", real, fake, 0.1)) == pytest.approx(expected, rel=1e-5)
    plain = -np.log(sigmoid(real)).mean() - np.log(1 - sigmoid(fake)).mean()
    assert float(discriminator_loss("non_saturating", real, fake)) == pytest.approx(plain, rel=1e-5)


def test_translation_shifts_whole_images_and_cutout_blanks_a_square_and_both_pass_gradients():
    import tensorflow as tf

    from upspec.gan.augment import augment

    images = tf.constant(np.random.default_rng(0).random((16, 8, 8, 1)) + 1.0, tf.float32)  # no zeros
    seed = tf.constant([3, 5], tf.int32)
    shifted = augment(images, ("translation",), seed).numpy()
    assert np.array_equal(shifted, augment(images, ("translation",), seed).numpy())  # stateless: the same again
    assert not np.array_equal(shifted, augment(images, ("translation",), seed + 1).numpy())
    moves = set()
    for before, after in zip(images.numpy()[..., 0], shifted[..., 0]):
        found = [(dy, dx) for dy in range(-1, 2) for dx in range(-1, 2)
                 if np.array_equal(after, np.pad(before, 1)[1 - dy:9 - dy, 1 - dx:9 - dx])]
        assert len(found) == 1  # a shift by whole pixels (at most 1 = 8/8 here), filled with 0
        moves.add(found[0])
    assert len(moves) > 1
    cut = augment(images, ("cutout",), seed).numpy()[..., 0]
    for before, after in zip(images.numpy()[..., 0], cut):
        zero = after == 0
        assert np.array_equal(after[~zero], before[~zero])
        rows, cols = np.nonzero(zero)
        assert zero.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1) and max(np.ptp(rows), np.ptp(cols)) < 4  # one square, at most 4x4
    with tf.GradientTape() as tape:
        tape.watch(images)
        total = tf.reduce_sum(augment(images, ("translation", "cutout"), seed))
    gradient = tape.gradient(total, images).numpy()
    assert set(np.unique(gradient)) <= {0.0, 1.0} and gradient.sum() > 0.3 * gradient.size


@pytest.mark.slow
def test_recalibration_gives_the_average_the_statistics_of_its_own_batches():
    import keras

    from upspec.gan.ema import recalibrate

    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.BatchNormalization(name="bn")(keras.layers.Dense(3, name="d")(inputs)))
    recalibrate(model, seed=0, batches=8, size=64)
    rng = np.random.default_rng([0, 104729])
    kernel, bias = model.get_layer("d").kernel.numpy(), model.get_layer("d").bias.numpy()
    batches = [rng.standard_normal((64, 4)).astype("float32") @ kernel + bias for _ in range(8)]
    layer = model.get_layer("bn")
    assert np.allclose(layer.moving_mean.numpy(), np.mean([b.mean(0) for b in batches], 0), atol=1e-5)
    assert np.allclose(layer.moving_variance.numpy(), np.mean([b.var(0) for b in batches], 0), atol=1e-4)
    assert layer.momentum == 0.99


# -- runs ------------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_run_with_the_game_settings_delivers_the_average_generator(tmp_path):
    from upspec.gan.train import fixed_latents
    from upspec.runner.artefacts.models import load_model

    out = tmp_path / "run"
    done = run_upspec("run", str(DCGAN), "--quiet", "--out", str(out), *TINY, *GAME, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    checkpoint = out / "checkpoints" / "epoch-0002"
    delivered, average = load_model(out / "model.keras"), load_model(checkpoint / "generator_ema.keras")
    raw, discriminator = load_model(checkpoint / "generator.keras"), load_model(checkpoint / "discriminator.keras")
    assert all(np.array_equal(a, b) for a, b in zip(delivered.get_weights(), average.get_weights()))
    assert not all(np.array_equal(a, b) for a, b in zip(delivered.get_weights(), raw.get_weights()))
    # 2 epochs x 3 generator steps, each after 2 discriminator steps
    assert int(raw.optimizer.iterations.numpy()) == 6 and int(discriminator.optimizer.iterations.numpy()) == 12
    # the pictures after each epoch are the average's
    first = np.asarray(delivered({"latent": fixed_latents((100,), 0, 80)[:10], "label": np.eye(10, dtype="float32")},
                                 training=False))  # the first row of the grid: classes 0 to 9
    assert np.allclose(np.load(out / "samples" / "epoch-0002.npy").astype("float32"), first, atol=2e-3)
    spec = (out / "spec.yaml").read_text()
    assert "ema: 0.9" in spec and "d_steps: 2" in spec and "label_smoothing: 0.1" in spec and "- cutout" in spec
    report = (out / "report.md").read_text()
    assert "2 discriminator steps per generator step" in report and "real images' target 0.9" in report
    assert "exponential moving average of its weights (decay 0.9)" in report
    assert "the discriminator sees every image augmented (translation, cutout)" in report
    assert json.loads((out / "metrics.json").read_text())["generator"]["classes_covered"] >= 1


@pytest.mark.slow
def test_an_interrupted_run_with_an_average_resumes_bit_identically(tmp_path, callback_plugin):
    stopper = callback_plugin("stopper", (
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        if epoch == 0 and os.environ.get('STOP_AFTER_FIRST'):\n"
        "            os._exit(9)  # like kill -9: no cleanup at all\n"))
    env = {"UPSPEC_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "run"
    # both networks' rates from train.learning_rate (not their compile: 4e-4) towards 0, resumed on the curve
    cosine = ["--set", "train.schedule=cosine", "--set", "train.learning_rate=3e-4"]
    first = run_upspec("--plugin", str(stopper), "train", str(DCGAN), "--quiet", "--out", str(out), *TINY, *GAME,
                       *cosine, cwd=tmp_path, env={**env, "STOP_AFTER_FIRST": "1"})
    assert first.returncode == 9, first.stderr
    assert (out / "checkpoints" / "epoch-0001" / "generator_ema.keras").exists()
    resumed = run_upspec("--plugin", str(stopper), "train", "--resume", str(out), "--quiet", cwd=tmp_path, env=env)
    assert resumed.returncode == 0, resumed.stderr
    straight = tmp_path / "straight"
    whole = run_upspec("run", str(DCGAN), "--quiet", "--out", str(straight), *TINY, *GAME, *cosine, cwd=tmp_path,
                       env=env)
    assert whole.returncode == 0, whole.stderr
    from upspec.runner.artefacts.models import load_model

    for name in ("model.keras", "discriminator.keras", "checkpoints/epoch-0002/generator.keras"):
        a, b = load_model(out / name).get_weights(), load_model(straight / name).get_weights()
        assert all(np.array_equal(x, y) for x, y in zip(a, b)), name
    rows = [list(csv.DictReader((folder / "history.csv").read_text().splitlines())) for folder in (out, straight)]
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in rows[0]] == [
        {k: v for k, v in r.items() if k != "seconds"} for r in rows[1]]
    for column in ("g_learning_rate", "d_learning_rate"):  # epoch 1 at the base, epoch 2 of 2 at half of it
        assert [float(r[column]) for r in rows[0]] == pytest.approx([3e-4, 1.5e-4], rel=1e-6)
