"""Means with their Student t-intervals: the sweep's statistics and every lane's comparison section use them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Interval:
    """A mean with its 95% t-interval (``low``/``high`` are None with fewer than 2 values)."""

    mean: float
    low: float | None
    high: float | None
    n: int

    @property
    def half_width(self) -> float | None:
        return None if self.high is None else self.high - self.mean

    def contains_zero(self) -> bool:
        return self.low is not None and self.high is not None and self.low <= 0.0 <= self.high

    def format(self, digits: int = 2, signed: bool = False) -> str:
        sign = "+" if signed else ""
        if self.low is None:
            return f"{self.mean:{sign}.{digits}f}"
        return f"{self.mean:{sign}.{digits}f} [{self.low:{sign}.{digits}f}, {self.high:{sign}.{digits}f}]"


def t_quantile(dof: int, level: float = 0.95) -> float:
    """The two-sided Student t quantile (e.g. 4.303 for 2 degrees of freedom at 95%)."""
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 2, dof))


def interval(values: Sequence[float], level: float = 0.95) -> Interval:
    values = [float(v) for v in values]
    n = len(values)
    if n == 0:
        raise ValueError("no values")
    mean = sum(values) / n
    if n < 2:
        return Interval(mean, None, None, n)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile(n - 1, level) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)
