"""Adversarial losses by name. Scores are the discriminator's raw outputs (logits).

- ``non_saturating`` (Goodfellow et al. 2014, the default): D minimises the cross-entropy of real -> 1 (or
  ``1 - train.label_smoothing``) and fake -> 0; G minimises -log D(G(z)) (that is softplus(-score)), which keeps its gradient alive when D wins.
- ``hinge`` (Lim & Ye 2017; Miyato et al. 2018): D: relu(1 - real) + relu(1 + fake); G: -fake.
- ``wgan_gp`` (Gulrajani et al. 2017): D: fake - real + gradient penalty (``train.gradient_penalty``,
  default 10, on random interpolates); G: -fake.
"""

from __future__ import annotations

from typing import Any
from typing import Callable

LOSSES = ("non_saturating", "hinge", "wgan_gp")


def discriminator_loss(name: str, real: Any, fake: Any, smoothing: float = 0.0) -> Any:
    """D's loss; ``smoothing`` (``train.label_smoothing``, non_saturating only) is one-sided label smoothing
    (Salimans et al. 2016): real images' target is ``1 - smoothing`` instead of 1, generated ones' stays 0."""
    import tensorflow as tf

    if name == "non_saturating":
        if smoothing:  # cross-entropy against 1 - s: (1 - s) * softplus(-x) + s * softplus(x)
            real_term = (1.0 - smoothing) * tf.nn.softplus(-real) + smoothing * tf.nn.softplus(real)
            return tf.reduce_mean(real_term) + tf.reduce_mean(tf.nn.softplus(fake))
        return tf.reduce_mean(tf.nn.softplus(-real)) + tf.reduce_mean(tf.nn.softplus(fake))
    if name == "hinge":
        return tf.reduce_mean(tf.nn.relu(1.0 - real)) + tf.reduce_mean(tf.nn.relu(1.0 + fake))
    if name == "wgan_gp":
        return tf.reduce_mean(fake) - tf.reduce_mean(real)
    raise ValueError(f"unknown GAN loss {name!r}")


def generator_loss(name: str, fake: Any) -> Any:
    import tensorflow as tf

    if name == "non_saturating":
        return tf.reduce_mean(tf.nn.softplus(-fake))
    return -tf.reduce_mean(fake)


def gradient_penalty(critic: Callable[[Any], Any], real: Any, fake: Any, seed: Any) -> Any:
    """Mean of (||grad_x critic(x)|| - 1)^2 at random points between real and fake images."""
    import tensorflow as tf

    alpha = tf.random.stateless_uniform([tf.shape(real)[0]] + [1] * (len(real.shape) - 1), seed=seed)
    mixed = real + alpha * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        score = critic(mixed)
    grads = tape.gradient(score, mixed)
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=list(range(1, len(real.shape)))) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


def score_summary(name: str, scores: Any) -> Any:
    """What to log of D's scores: the mean probability of "real" for the cross-entropy loss, else the mean."""
    import tensorflow as tf

    return tf.reduce_mean(tf.sigmoid(scores)) if name == "non_saturating" else tf.reduce_mean(scores)
