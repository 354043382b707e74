"""Differentiable augmentation (``train.augment``; Zhao et al. 2020, DiffAugment) for GANs on few images.

With a small training set the discriminator memorises the real images, and its verdicts stop teaching the
generator anything general. Augmenting every image the discriminator sees, real and generated alike, in the
discriminator's steps and in the generator's, keeps it from memorising while leaving the generator's target
unchanged (the augmentations are differentiable, so the generator's gradient passes through them, and since
generated images are augmented too the generator is not pushed to produce augmented-looking images).

- ``translation``: shift each image by up to 1/8 of its size in each axis (whole pixels), filling with 0;
- ``cutout``: set a square of half the image's size, at a random place, to 0.

Randomness is stateless, from the step's seed, so a resumed run augments as the uninterrupted one did.
"""

from __future__ import annotations

from typing import Any

AUGMENTATIONS = ("translation", "cutout")
TRANSLATION = 0.125  # of the image's size, each axis
CUTOUT = 0.5


def _translation(images: Any, seed: Any) -> Any:
    import tensorflow as tf

    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    dy_max, dx_max = int(height * TRANSLATION + 0.5), int(width * TRANSLATION + 0.5)
    dy = tf.random.stateless_uniform([batch, 1], seed, -dy_max, dy_max + 1, dtype=tf.int32)
    dx = tf.random.stateless_uniform([batch, 1], seed + tf.constant([0, 1], seed.dtype), -dx_max, dx_max + 1,
                                     dtype=tf.int32)
    padded = tf.pad(images, [[0, 0], [dy_max, dy_max], [dx_max, dx_max], [0, 0]])
    rows = tf.range(height)[None, :] + dy_max - dy  # output row r reads padded row r + dy_max - dy
    cols = tf.range(width)[None, :] + dx_max - dx
    return tf.gather(tf.gather(padded, rows, axis=1, batch_dims=1), cols, axis=2, batch_dims=1)


def _cutout(images: Any, seed: Any) -> Any:
    import tensorflow as tf

    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    size_y, size_x = int(height * CUTOUT + 0.5), int(width * CUTOUT + 0.5)
    cy = tf.random.stateless_uniform([batch, 1], seed, 0, height + (1 - size_y % 2), dtype=tf.int32)
    cx = tf.random.stateless_uniform([batch, 1], seed + tf.constant([0, 1], seed.dtype), 0, width + (1 - size_x % 2),
                                     dtype=tf.int32)
    rows, cols = tf.range(height)[None, :] - cy + size_y // 2, tf.range(width)[None, :] - cx + size_x // 2
    inside_y = (rows >= 0) & (rows < size_y)  # (batch, height)
    inside_x = (cols >= 0) & (cols < size_x)
    hole = inside_y[:, :, None] & inside_x[:, None, :]
    return images * tf.cast(~hole, images.dtype)[..., None]


def augment(images: Any, policy: tuple[str, ...], seed: Any) -> Any:
    """``images`` (batch, height, width, channels) with every augmentation of ``policy`` applied in order;
    ``seed`` is a stateless seed pair (int32 or int64 tensor)."""
    import tensorflow as tf

    for index, name in enumerate(policy):
        step_seed = seed + tf.constant([0, 2 * (index + 1)], seed.dtype) * 1_000_003
        images = {"translation": _translation, "cutout": _cutout}[name](images, step_seed)
    return images
