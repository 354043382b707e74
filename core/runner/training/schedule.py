"""The cosine learning-rate schedule (``train.schedule: cosine``), shared by ``fit`` and the GAN's loop.

The rate for epoch ``e`` of ``E`` is ``base * (1 + cos(pi * e / E)) / 2``: the spec's rate at the first epoch,
towards 0 at the last. The rate is set at each epoch's start from the one in force, so a resumed run (whose
optimizer comes back from its checkpoint holding the rate of the epoch it finished) continues the curve of
the uninterrupted run instead of restarting it from its last, already lowered rate.
"""

from __future__ import annotations

import math


def cosine_factor(epoch: int, epochs: int) -> float:
    """The fraction of the base rate in force during ``epoch`` (0-based) of ``epochs``: 1 at 0, above 0 after."""
    return 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


def cosine_rate(current: float, epoch: int, epochs: int) -> float:
    """The rate for ``epoch``, from ``current``: the base before epoch 0, else the rate set for ``epoch - 1``."""
    if epoch == 0:
        return current
    return current / cosine_factor(epoch - 1, epochs) * cosine_factor(epoch, epochs)
