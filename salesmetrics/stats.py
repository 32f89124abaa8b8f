"""Shared statistics: intervals for rates (and, later, trend tests, Kaplan–Meier, shrinkage).

Every rate in salesmetrics travels with its numerator and denominator, and
rates of counts carry a Wilson score interval computed here.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = ["ratio", "wilson_interval"]


def ratio(numerator: Any, denominator: Any) -> np.ndarray:
    """``numerator / denominator`` elementwise; a zero denominator gives NaN, never 0 or an error.

    Examples
    --------
    >>> ratio([1, 2, 0], [4, 0, 0]).tolist()
    [0.25, nan, nan]
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def wilson_interval(successes: Any, trials: Any, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion, vectorised.

    Parameters
    ----------
    successes, trials : array-like of int
        Counts; ``trials == 0`` gives NaN bounds.
    confidence : float, default 0.95

    Returns
    -------
    (low, high) : tuple of numpy.ndarray

    Notes
    -----
    Wilson (1927), "Probable inference, the law of succession, and statistical
    inference", JASA 22(158). With p = k/n and z the normal quantile,
    centre = (p + z²/2n) / (1 + z²/n) and half-width =
    z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n).

    Examples
    --------
    >>> low, high = wilson_interval([8], [10])
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.4902, 0.9433)
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = ratio(k, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return low, high
