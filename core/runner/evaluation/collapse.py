"""What every supervised lane's evaluation checks first: whether training collapsed."""

from __future__ import annotations

import numpy as np


def collapse_warning(prediction: np.ndarray) -> str | None:
    """A message when the model predicts (almost) one value everywhere: training collapsed."""
    spread = float(np.std(prediction))
    if spread >= 1e-4:
        return None
    return (f"the model predicts almost the same value everywhere (mean {float(np.mean(prediction)):.4f}, "
            f"standard deviation {spread:.1e}): training collapsed, often dead ReLUs under a saturating output; "
            "try a lower learning rate, another loss (binary_crossentropy for a sigmoid output) or more steps")
