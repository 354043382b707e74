"""An exponential moving average of the generator's weights (``train.ema``), the generator a run delivers.

The last generator of a GAN is noisy: every step moves it against the current discriminator. Averaging its
weights over the recent steps (Karras et al. 2018, ProGAN; Brock et al. 2019, BigGAN; Yazıcı et al. 2019)
gives a generator that draws cleaner samples at no training cost. The average is bias-corrected: after
``t`` generator steps its weights are

    ema_t = ema_{t-1} + rate_t * (w_t - ema_{t-1}),   rate_t = (1 - decay) / (1 - decay ** t),

which is the ordinary average ``m_t = decay * m_{t-1} + (1 - decay) * w_t`` started from zero and divided
by ``1 - decay ** t`` (as Adam corrects its moments): the first step copies the generator, early steps
average all steps so far, and the initial (untrained) weights never weigh in. The trainable weights are
averaged; batch-normalisation statistics are not (the generator's do not fit the averaged weights): after
every epoch, before it is sampled and saved, the average's own are measured (``recalibrate``).
``t`` is the count of generator steps, which a resumed run knows from its epoch, so only the weights are
checkpointed (``checkpoints/epoch-NNNN/generator_ema.keras``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .condition import classes
from .condition import feed
from .condition import latent_shape
from .condition import one_hot

#: batches of 256 latents whose statistics become the average's batch-normalisation statistics
RECALIBRATION_BATCHES = 16


def ema_rate(decay: float, step: int) -> float:
    """How far the average moves towards the generator at generator step ``step`` (counted from 1)."""
    return (1.0 - decay) / (1.0 - decay ** step)


def average_of(generator: Any) -> Any:
    """A new model of the generator's architecture holding a copy of its weights (the average at step 0)."""
    import keras

    average = keras.models.clone_model(generator)
    average.set_weights(generator.get_weights())
    return average


def move_towards(average: Any, generator: Any, rate: Any) -> None:
    """One step of the average towards the generator's trainable weights (inside the training step's graph)."""
    for mean, weight in zip(average.trainable_weights, generator.trainable_weights):
        mean.assign(mean + rate * (weight - mean))


def _batch_norms(model: Any) -> list[Any]:
    import keras

    found = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        found.extend(_batch_norms(layer))  # a nested model or a strategy's block
    return found


def recalibrate(average: Any, seed: int, batches: int = RECALIBRATION_BATCHES, size: int = 256) -> None:
    """Set the average's batch-normalisation statistics to its own: the mean over ``batches`` batches of latents
    (the same for a seed) of each layer's batch mean and variance in training mode. An average of weights
    does not produce the activations whose statistics the generator's layers tracked, and their average is
    wrong for it (measured: FD 80 against 30 with its own statistics); BigGAN's "standing statistics"."""
    layers = _batch_norms(average)
    if not layers:
        return
    momenta = [layer.momentum for layer in layers]
    rng = np.random.default_rng([seed, 104729])
    number = classes(average)  # a conditional generator: classes drawn as in the game (uniformly)
    try:
        for k in range(batches):
            for layer in layers:  # moving = k/(k+1) moving + 1/(k+1) batch: the running mean of the batches
                layer.momentum = k / (k + 1)
            z = rng.standard_normal((size, *latent_shape(average))).astype("float32")
            labels = one_hot(rng.integers(0, number, size), number) if number else None
            average(feed(average, z, labels), training=True)
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
