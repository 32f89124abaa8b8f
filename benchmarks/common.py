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


def paired_ratios(ours: Callable[[], Any], base: Callable[[], Any], repeat: int) -> tuple[list[tuple[float, float]], Any, Any]:
    """Wall times of ``repeat`` interleaved pairs (ours, base), after one unmeasured run of each; the order alternates
    pair by pair, so both sides meet the same machine state (memory already touched, other load). Returns the pairs
    and the last results."""
    out_a, out_b = ours(), base()
    pairs = []
    for i in range(repeat):
        times = {}
        for name, fn in (("a", ours), ("b", base)) if i % 2 == 0 else (("b", base), ("a", ours)):
            t = time.perf_counter()
            result = fn()
            times[name] = time.perf_counter() - t
            out_a, out_b = (result, out_b) if name == "a" else (out_a, result)
        pairs.append((times["a"], times["b"]))
    return pairs, out_a, out_b


def utc_stamps(ns: np.ndarray) -> pd.Series:
    """int64 nanoseconds (int64 min = missing) as a UTC time-stamp Series."""
    return pd.Series(pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"))
