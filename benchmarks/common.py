"""Helpers shared by the benchmark scripts (not part of the library)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    """Median wall time of ``repeat`` runs (for timings of milliseconds, where the best run flatters)."""
    import statistics

    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def utc_stamps(ns: np.ndarray) -> pd.Series:
    """int64 nanoseconds (int64 min = missing) as a UTC time-stamp Series."""
    return pd.Series(pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"))
