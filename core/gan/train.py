"""The adversarial game: a custom loop on TensorFlow, a checkpoint of both networks every epoch, resumable.

Each epoch's randomness (the order of the real images, the latent vectors, WGAN-GP's interpolation points)
comes from ``(seed, epoch)``, so a resumed run draws what the uninterrupted one would have.
A checkpoint is a folder ``checkpoints/epoch-NNNN/`` holding ``generator.keras`` and
``discriminator.keras`` (each with its optimizer's state) and, with ``train.ema``, ``generator_ema.keras`` (the
average of the generator's weights: ``ema.py``); ``checkpoints/state.json``, written last and
atomically, names the folder, so an interruption at any moment leaves the previous epoch's pair intact.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Callable

import numpy as np

from ..files import atomic_path
from ..files import write_text
from .augment import augment
from .condition import classes
from .condition import feed
from .condition import grid_columns
from .condition import in_turn
from .condition import latent_shape
from .condition import one_hot
from .condition import spread as sample_spread
from .ema import ema_rate
from .ema import move_towards
from .ema import recalibrate
from .losses import discriminator_loss
from .losses import generator_loss
from .losses import gradient_penalty
from .losses import score_summary
from .pictures import save_png
from .pictures import scale_for
from .pictures import tile
from ..runner.artefacts.models import load_model
from ..runner.artefacts.models import save_model
from ..modelspec.gan import GanTrainSettings
from ..runner.training.history import history_rows
from ..runner.training.history import write_history
from ..runner.training.checkpoint import STATE
from ..runner.training.fit import TrainingDiverged
from ..runner.training.fit import write_divergence_record
from ..runner.training.framework import seed_everything
from ..runner.training.schedule import cosine_rate

CHECKPOINTS = Path("checkpoints")
SAMPLES = Path("samples")
AVERAGE = "generator_ema.keras"  # the average of the generator's weights (train.ema), in a checkpoint
FIXED_LATENTS = 64  # the sample grid: 8 x 8
#: collapse thresholds: a discriminator loss this close to 0 for a whole epoch, and a spread of the samples
#: (mean over pixels of the standard deviation across the fixed latent batch) this small
D_LOSS_FLOOR = 0.01
SPREAD_FLOOR = 0.01


@dataclass
class GanState:
    epoch: int = 0
    checkpoint: str | None = None
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, run_dir: Path) -> "GanState":
        path = run_dir / STATE
        return cls(**json.loads(path.read_text())) if path.exists() else cls()

    def write(self, run_dir: Path) -> None:
        write_text(run_dir / STATE, json.dumps(self.__dict__) + "\n")


def fixed_latents(shape: tuple[int, ...], seed: int, count: int = FIXED_LATENTS) -> np.ndarray:
    """The latent batch whose samples are drawn after every epoch (the same for a seed, resumed or not)."""
    return np.random.default_rng([seed, 7919]).standard_normal((count, *shape)).astype("float32")


def save_checkpoint(run_dir: Path, generator: Any, discriminator: Any, state: GanState, average: Any = None) -> None:
    name = f"epoch-{state.epoch:04d}"
    folder = run_dir / CHECKPOINTS / name
    if folder.exists():  # a partial write of this epoch by an interrupted run: never named by state.json
        shutil.rmtree(folder)
    save_model(generator, folder / "generator.keras")
    save_model(discriminator, folder / "discriminator.keras")
    if average is not None:
        save_model(average, folder / AVERAGE)
    state.checkpoint = name
    state.write(run_dir)
    for old in (run_dir / CHECKPOINTS).glob("epoch-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)


def has_gan_checkpoint(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a GAN checkpoint that its state names."""
    state = GanState.read(run_dir) if (run_dir / STATE).exists() else GanState()
    return state.checkpoint is not None and (run_dir / CHECKPOINTS / state.checkpoint / "generator.keras").exists()


def load_checkpoint(run_dir: Path, registry: Any) -> tuple[Any, Any, Any, GanState]:
    """``(generator, discriminator, average or None, state)`` of the checkpoint that ``state.json`` names."""
    state = GanState.read(run_dir)
    folder = run_dir / CHECKPOINTS / str(state.checkpoint)
    average = load_model(folder / AVERAGE, registry) if (folder / AVERAGE).exists() else None
    return (load_model(folder / "generator.keras", registry), load_model(folder / "discriminator.keras", registry),
            average, state)


def _step_function(generator: Any, discriminator: Any, settings: GanTrainSettings, average: Any = None) -> Callable:
    """One generator step: ``settings.d_steps`` discriminator updates (each on its own real batch and latents),
    then one generator update, then (with ``train.ema``) one step of the weights' average. The label arguments
    are one-hot classes (the real images' and those asked of the generator) for a conditional pair, else None."""
    import tensorflow as tf

    g_opt, d_opt = generator.optimizer, discriminator.optimizer
    loss, penalty = settings.gan_loss or "non_saturating", settings.gradient_penalty or 10.0
    d_steps, smoothing, policy = settings.d_steps, settings.label_smoothing, tuple(settings.augment)

    def seen(images: Any, seed: Any, role: int, j: int) -> Any:  # what D sees: augmented with train.augment
        return augment(images, policy, seed + tf.constant([role, j], seed.dtype)) if policy else images

    def call(network: Any, values: Any, labels: Any) -> Any:  # in training mode, with the classes if conditional
        return network(feed(network, values, labels), training=True)

    def at(labels: Any, j: int) -> Any:  # the j-th discriminator step's classes (None: unconditional)
        return None if labels is None else labels[j]

    @tf.function(jit_compile=settings.jit_compile)  # train.jit_compile: XLA; None, TensorFlow's default (off)
    def step(real: Any, real_y: Any, z_d: Any, y_d: Any, z_g: Any, y_g: Any, seed: Any, rate: Any) -> Any:
        sums = []
        for j in range(d_steps):  # unrolled: d_steps is fixed for a run
            with tf.GradientTape() as tape:
                fake = call(generator, z_d[j], at(y_d, j))
                real_score = call(discriminator, seen(real[j], seed, 1, j), at(real_y, j))
                fake_score = call(discriminator, seen(fake, seed, 2, j), at(y_d, j))
                d_loss = discriminator_loss(loss, real_score, fake_score, smoothing)
                if loss == "wgan_gp":
                    d_loss += penalty * gradient_penalty(lambda x: call(discriminator, x, at(real_y, j)), real[j], fake,
                                                         seed + tf.constant([0, j], seed.dtype))
            d_opt.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_variables),
                                      discriminator.trainable_variables))
            sums.append((d_loss, score_summary(loss, real_score), score_summary(loss, fake_score)))
        with tf.GradientTape() as tape:
            g_loss = generator_loss(loss, call(discriminator, seen(call(generator, z_g, y_g), seed, 3, 0), y_g))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables))
        if average is not None:
            move_towards(average, generator, rate)
        if d_steps == 1:
            return sums[0][0], g_loss, sums[0][1], sums[0][2]
        d_loss, d_real, d_fake = (tf.add_n(list(column)) / d_steps for column in zip(*sums))
        return d_loss, g_loss, d_real, d_fake

    return step


def collapse_warnings(epoch: int, d_loss: float, spread: float, loss: str) -> list[str]:
    """Plain-words diagnoses of one epoch: the discriminator wins outright, or the generator is constant."""
    found = []
    if loss != "wgan_gp" and d_loss < D_LOSS_FLOOR:
        found.append(f"epoch {epoch}: the discriminator's loss was {d_loss:.4f}, near zero: it tells real from "
                     "generated perfectly, so the generator gets almost no gradient (training has failed or is "
                     "failing); lower the discriminator's learning rate or capacity, or add noise to its input")
    if spread < SPREAD_FLOOR:
        found.append(f"epoch {epoch}: the generator's output is nearly constant (pixel spread {spread:.4f} across "
                     "different latent vectors): mode collapse; restart with another seed, a lower learning rate "
                     "or another loss (--set train.gan_loss=hinge)")
    return found


@dataclass
class Game:
    generator: Any
    discriminator: Any
    train_images: np.ndarray
    settings: GanTrainSettings
    run_dir: Path
    callbacks: list[Any]
    #: the average of the generator's weights (``train.ema``), or None: then the generator is delivered
    average: Any = None
    #: the training images' class indices, for a conditional pair (``condition.py``); else None
    train_labels: Any = None

    @property
    def delivered(self) -> Any:
        """The generator whose samples the run shows, saves and judges: the average with ``train.ema``."""
        return self.generator if self.average is None else self.average

    @property
    def loss(self) -> str:
        return self.settings.gan_loss or "non_saturating"

    def play(self, state: GanState, announce: Callable[[str], None] = lambda line: None) -> list[dict[str, Any]]:
        """Train from ``state.epoch`` to ``settings.epochs``; raises ``TrainingDiverged`` on a NaN loss."""
        import tensorflow as tf

        settings, run_dir = self.settings, self.run_dir
        seed_everything(settings.seed + state.epoch)
        shape, number = latent_shape(self.generator), classes(self.generator)
        columns = grid_columns(number)  # conditional: one column per class
        fixed = fixed_latents(shape, settings.seed, columns * 8)
        fixed_labels = in_turn(len(fixed), number) if number else None
        fixed_input = feed(self.generator, fixed, one_hot(fixed_labels, number) if number else None)
        step = _step_function(self.generator, self.discriminator, settings, self.average)
        k = settings.d_steps  # real batches and latent batches per generator step
        writer = tf.summary.create_file_writer(str(run_dir / "tensorboard" / "train"))
        # rows of an epoch whose checkpoint was not written (killed in between) are played again
        rows = [r for r in history_rows(run_dir / "history.csv") if int(float(r["epoch"])) <= state.epoch]
        batch, pool = settings.batch_size, len(self.train_images)
        for callback in self.callbacks:
            callback.set_model(self.generator)
            callback.on_train_begin()
        first: list[float] = []  # the first step's losses (D, G), for the divergence record
        last: list[float] = []  # the last finite ones
        for epoch in range(state.epoch, settings.epochs):
            started = time.perf_counter()
            rates = self._schedule(epoch)
            for callback in self.callbacks:
                callback.on_epoch_begin(epoch)
            rng = np.random.default_rng([settings.seed, epoch])
            need = settings.steps_per_epoch * k * batch
            order = np.concatenate([rng.permutation(pool) for _ in range(-(-need // pool))])
            sums = np.zeros(4)
            for i in range(settings.steps_per_epoch):
                real = self.train_images[order[i * k * batch:(i + 1) * k * batch]]
                real = real.reshape(k, batch, *real.shape[1:])
                z = rng.standard_normal((k + 1, batch, *shape)).astype("float32")
                real_y = asked = None
                if number:  # after the latents, so that an unconditional run draws what it always did
                    real_y = one_hot(self.train_labels[order[i * k * batch:(i + 1) * k * batch]], number)
                    real_y = real_y.reshape(k, batch, number)
                    asked = one_hot(rng.integers(0, number, (k + 1, batch)), number)
                seed = tf.constant([settings.seed, (epoch * 100003 + i) * k])
                rate = ema_rate(settings.ema, epoch * settings.steps_per_epoch + i + 1) if settings.ema else 1.0
                values = np.array([float(v) for v in step(real, real_y, z[:k], None if asked is None else asked[:k],
                                                          z[k], None if asked is None else asked[k], seed,
                                                          tf.constant(rate, "float32"))])
                if not np.isfinite(values[:2]).all():
                    raise self._diverged(state, rows, epoch + 1, i + 1, values, first, last)
                first = first or [float(values[0]), float(values[1])]
                last = [float(values[0]), float(values[1])]
                sums += values
            means = sums / settings.steps_per_epoch
            if self.average is not None:
                recalibrate(self.average, settings.seed)
            samples = np.asarray(self.delivered.predict(fixed_input, batch_size=len(fixed), verbose=0))
            spread = sample_spread(samples, fixed_labels)
            row = {"epoch": epoch + 1, "d_loss": means[0], "g_loss": means[1], "d_real": means[2], "d_fake": means[3],
                   "sample_spread": spread, "g_learning_rate": rates[0], "d_learning_rate": rates[1],
                   "seconds": round(time.perf_counter() - started, 2)}
            new = collapse_warnings(epoch + 1, means[0], spread, self.loss)
            self._epoch_files(epoch + 1, samples, row, writer, columns)
            rows.append(row)
            write_history(run_dir / "history.csv", rows)
            state.epoch = epoch + 1
            state.warnings += new
            save_checkpoint(run_dir, self.generator, self.discriminator, state, self.average)
            announce(f"epoch {epoch + 1}/{settings.epochs}: D loss {means[0]:.3f}, G loss {means[1]:.3f}, "
                     f"D(real) {means[2]:.2f}, D(generated) {means[3]:.2f} ({row['seconds']:.0f} s)")
            for warning in new:
                announce(f"warning: {warning}")
            for callback in self.callbacks:
                callback.on_epoch_end(epoch, {k: float(v) for k, v in row.items()})
        for callback in self.callbacks:
            callback.on_train_end()
        writer.close()
        return rows

    def _schedule(self, epoch: int) -> tuple[float, float]:
        """The generator's and the discriminator's learning rates for ``epoch``: ``train.learning_rate`` for both
        at the first epoch of a fresh run (else each network's ``compile:`` rate, or the checkpoint's), then
        ``train.schedule: cosine`` (each from its own rate, as ``fit`` does; ``schedule.py``)."""
        optimizers = (self.generator.optimizer, self.discriminator.optimizer)
        if epoch == 0 and self.settings.learning_rate is not None:
            for optimizer in optimizers:
                optimizer.learning_rate = self.settings.learning_rate
        if self.settings.schedule == "cosine":
            for optimizer in optimizers:
                optimizer.learning_rate = cosine_rate(float(optimizer.learning_rate), epoch, self.settings.epochs)
        g, d = (float(optimizer.learning_rate) for optimizer in optimizers)
        return g, d

    def _diverged(self, state: GanState, rows: list[dict[str, Any]], epoch: int, step: int, values: np.ndarray,
                  first: list[float], last: list[float]) -> TrainingDiverged:
        """The error of a game whose loss became NaN, its record written first (``history.csv`` of the finished
        epochs, ``diverged.json``), as a supervised run's: the folder says where and what to do."""
        run_dir = self.run_dir
        network = "discriminator" if not math.isfinite(values[0]) else "generator"
        hint = "lower the learning rates (compile.optimizer and discriminator.compile.optimizer)"
        record = {"epoch": epoch, "step": step, "where": f"at step {step} of epoch {epoch} ({network}'s loss)",
                  "network": network, "last_finite_loss": last[0 if network == "discriminator" else 1] if last else None,
                  "first_loss": first[0 if network == "discriminator" else 1] if first else None,
                  "finished_epochs": state.epoch, "hint": hint}
        write_divergence_record(run_dir, rows, record, "epoch,d_loss,g_loss")
        kept = f"; the last good checkpoint is in {run_dir / CHECKPOINTS}" if state.checkpoint else ""
        return TrainingDiverged(f"the {network}'s loss became NaN or infinite at step {step} of epoch {epoch}; "
                                f"training stopped{kept}; {hint}", record)

    def _epoch_files(self, epoch: int, samples: np.ndarray, row: dict[str, Any], writer: Any, columns: int) -> None:
        import tensorflow as tf

        folder = self.run_dir / SAMPLES
        folder.mkdir(exist_ok=True)
        pixels = tile(samples, columns, scale_for(samples.shape[1]))
        save_png(pixels, folder / f"epoch-{epoch:04d}.png")
        with atomic_path(folder / f"epoch-{epoch:04d}.npy") as tmp:  # the first row: samples_over_epochs.png
            np.save(tmp, samples[:columns].astype("float16"))
        with writer.as_default(step=epoch):
            for key in ("d_loss", "g_loss", "d_real", "d_fake", "sample_spread"):
                tf.summary.scalar(key, float(row[key]))
            picture = pixels[None, ..., None] if pixels.ndim == 2 else pixels[None]
            tf.summary.image("samples", picture, max_outputs=1)
        writer.flush()
