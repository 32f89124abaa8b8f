"""Shared statistics: intervals for rates (and, later, trend tests, Kaplan–Meier, shrinkage).

Every rate in salesmetrics travels with its numerator and denominator, and
rates of counts carry a Wilson score interval computed here.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

from ._kernels import CHUNK, in_ranges

__all__ = ["ratio", "wilson_interval"]


def ratio(numerator: Any, denominator: Any) -> np.ndarray:
    """``numerator / denominator`` elementwise; a zero denominator gives NaN, never 0 or an error.

    Parameters
    ----------
    numerator, denominator : array-like of float
        Broadcast against each other, as numpy does.

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
    # no success (all successes): the bound is exactly 0 (1), which floating point leaves as 1e-17-ish
    low = np.where(n > 0, np.where(k == 0, 0.0, np.clip(centre - half, 0, 1)), np.nan)
    high = np.where(n > 0, np.where(k == n, 1.0, np.clip(centre + half, 0, 1)), np.nan)
    return low, high


def group_quantiles(cell: np.ndarray, values: np.ndarray, n_cells: int, qs: tuple[float, ...]) -> dict[float, np.ndarray]:
    """Quantiles of ``values`` within each cell (linear interpolation, as numpy's default), vectorised.

    Cells without values give NaN. NaN values, and values whose cell is outside ``0 .. n_cells - 1``, are ignored.

    Examples
    --------
    >>> out = group_quantiles(np.array([0, 0, 0, 1]), np.array([3.0, 1.0, 2.0, 5.0]), 3, (0.5,))
    >>> out[0.5].tolist()
    [2.0, 5.0, nan]
    """
    if 0 < n_cells <= 4096 and len(values) > 16 * n_cells:
        counts, starts, v = _grouped_by_cell(cell, values, n_cells)
        # few cells, many values: each cell's order statistics are selected in linear time instead of sorting it
        wanted = [(int(starts[i]), int(counts[i])) for i in np.flatnonzero(counts)]

        def select(lo: int, hi: int) -> None:
            for first, size in wanted[lo:hi]:
                ks = sorted({k for q in qs for k in (int(np.floor((size - 1) * q)), int(np.ceil((size - 1) * q)))})
                v[first:first + size].partition(ks)  # in place: the cells' slices do not overlap

        in_ranges(len(wanted), select, size=max(len(wanted) // 4, 1) if len(v) > CHUNK else None)  # on every core when long
    else:
        ok = ~np.isnan(values)
        if len(cell):
            ok &= (cell >= 0) & (cell < n_cells)
        if not ok.all():
            cell, values = cell[ok], values[ok]
        counts = np.bincount(cell, minlength=n_cells)
        starts = np.cumsum(counts) - counts
        v = values[np.lexsort((values, cell))]
    out = {}
    for q in qs:
        pos = (counts - 1) * q
        lo = np.floor(pos).astype("int64")
        hi = np.ceil(pos).astype("int64")
        have = counts > 0
        a = np.where(have, v[np.minimum(starts + lo, max(len(v) - 1, 0))] if len(v) else np.nan, np.nan)
        b = np.where(have, v[np.minimum(starts + hi, max(len(v) - 1, 0))] if len(v) else np.nan, np.nan)
        out[q] = np.where(have, a + (b - a) * (pos - lo), np.nan)
    return out


def _grouped_by_cell(cell: np.ndarray, values: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``values`` grouped by cell (``0 <= cell < n_cells``, fewer than 2**16 cells; other cells and NaN values
    left out): (count per cell, where each cell starts, the grouped values).

    A stable radix sort of the small cell numbers, one range of rows at a time on every core: the gather of each
    range's values stays in the processor's caches, and the ranges are then laid end to end cell by cell.
    """
    small = "uint8" if n_cells <= 256 else "uint16"

    def group(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        c, x = cell[lo:hi], values[lo:hi]
        keep = ~np.isnan(x) & (c >= 0) & (c < n_cells)
        if not keep.all():
            c, x = c[keep], x[keep]
        c = c.astype(small)
        return np.bincount(c, minlength=n_cells), x[np.argsort(c, kind="stable")]

    parts = in_ranges(len(values), group)
    if len(parts) == 1:
        counts, v = parts[0]
        return counts, np.cumsum(counts) - counts, v
    part_counts = np.array([c for c, _ in parts])  # (ranges, cells)
    counts = part_counts.sum(axis=0)
    starts = np.cumsum(counts) - counts
    part_starts = np.cumsum(part_counts, axis=1) - part_counts  # where each cell starts within each range's values
    # where each range's share of a cell goes: after the earlier ranges' shares of it
    dest = starts + np.cumsum(part_counts, axis=0) - part_counts
    v = np.empty(int(counts.sum()), dtype=values.dtype)

    def lay(lo: int, hi: int) -> None:
        for r in range(lo, hi):
            x = parts[r][1]
            for i in np.flatnonzero(part_counts[r]):
                a, size, d = int(part_starts[r, i]), int(part_counts[r, i]), int(dest[r, i])
                v[d:d + size] = x[a:a + size]

    in_ranges(len(parts), lay, size=1)
    return counts, starts, v


def kaplan_meier(durations: Any, observed: Any, groups: Any = None) -> Any:
    """Kaplan–Meier survival estimate, vectorised over groups.

    Parameters
    ----------
    durations : array-like of float
        Time to the event or to censoring; never negative. Missing (NaN) durations are
        left out of the estimate, with a warning that counts them.
    observed : array-like of bool
        True where the event happened, False where the time is censored; no missing values.
    groups : array-like, optional
        One curve per group.

    Returns
    -------
    pandas.DataFrame
        ``group`` (when given), ``time``, ``at_risk``, ``events``, ``censored``,
        ``survival`` — one row per distinct time per group. S(t) = Π (1 − d_i / n_i)
        over event times t_i ≤ t (Kaplan & Meier 1958). ``attrs["left_out"]`` counts
        the NaN durations left out (0 when there were none).

    Raises
    ------
    ValueError
        When a duration is negative (the message says how many, shows one and how to
        fix it), when ``observed`` has missing values, or when the lengths differ.

    Warns
    -----
    DataQualityWarning
        When durations are NaN: those rows are left out, and the warning says how many.

    Notes
    -----
    The product-limit estimate of Kaplan & Meier (1958), "Nonparametric estimation from
    incomplete observations", JASA 53(282): at each distinct event time t_i with n_i at
    risk (still followed just before t_i) and d_i events, S drops by the factor
    (1 − d_i / n_i); an observation censored at t_i counts as at risk at t_i. The checks
    (negative, missing) are made here only: the internal paths behind ``sales_cycle``
    receive clean inputs and do not pay for them.

    Examples
    --------
    Four durations 1, 2, 2, 3, the second 2 censored. At t = 1: 4 at risk, 1 event,
    S = 3/4; at t = 2: 3 at risk, 1 event, S = 3/4 · 2/3 = 0.5; at t = 3: 1 at risk,
    1 event, S = 0:

    >>> km = kaplan_meier([1, 2, 2, 3], [True, True, False, True])
    >>> km[["time", "at_risk", "events", "survival"]].values.tolist()
    [[1.0, 4.0, 1.0, 0.75], [2.0, 3.0, 1.0, 0.5], [3.0, 1.0, 1.0, 0.0]]

    A negative duration is an error, not a silent curve:

    >>> kaplan_meier([4, -2, 3], [True, True, False])
    Traceback (most recent call last):
    ...
    ValueError: kaplan_meier: 1 of 3 durations are negative (e.g. -2.0 at position 1)...
    """
    import warnings

    import pandas as pd

    from ._api import find_stack_level
    from .errors import DataQualityWarning

    t = np.asarray(durations, dtype=float)
    flags = np.asarray(observed)
    if t.ndim != 1 or flags.shape != t.shape or (groups is not None and len(groups) != len(t)):
        raise ValueError(f"kaplan_meier: durations, observed (and groups) must be 1-d and of one length; got "
                         f"{t.shape}, {flags.shape}" + ("" if groups is None else f", ({len(groups)},)") + ".")
    negative = np.flatnonzero(t < 0)
    if len(negative):
        i = int(negative[0])
        raise ValueError(f"kaplan_meier: {len(negative)} of {len(t)} durations are negative (e.g. {float(t[i])!r} at position {i}). "
                         "A duration is the time from the start to the event or censoring: check that start and end are not "
                         "swapped, and drop or correct those rows before the call.")
    missing_flag = np.flatnonzero(pd.isna(flags))
    if len(missing_flag):
        raise ValueError(f"kaplan_meier: observed has {len(missing_flag)} missing values (first at position {int(missing_flag[0])}); "
                         "pass True where the event happened and False where the time is censored.")
    e = flags.astype(bool)
    nan = np.flatnonzero(np.isnan(t))
    if len(nan):
        warnings.warn(f"kaplan_meier: {len(nan)} of {len(t)} durations are NaN (first at position {int(nan[0])}) and were left "
                      "out of the estimate; fill or drop them to silence this warning.", DataQualityWarning, stacklevel=find_stack_level())
    if groups is None:
        codes, labels = np.zeros(len(t), dtype="int64"), None
    else:
        codes, labels = pd.factorize(pd.Series(groups), use_na_sentinel=False)
    cell, time, at_risk, events, censored, survival = _km_arrays(codes, t, e)
    out = pd.DataFrame({"time": time, "at_risk": at_risk.astype(float), "events": events.astype(float),
                        "censored": censored.astype(float), "survival": survival})
    if labels is not None:
        out.insert(0, "group", np.asarray(labels, dtype=object)[cell])
    out.attrs["left_out"] = len(nan)
    return out


def _km_arrays(cell: np.ndarray, t: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per (cell, distinct time): cell, time, at risk, events, censored, survival; sorted by cell and time."""
    ok = np.ones(len(t), dtype=bool) if np.issubdtype(t.dtype, np.integer) else ~np.isnan(t)
    cell, t, e = cell[ok], t[ok], e[ok]
    span = int(t.max()) + 1 if len(t) and np.issubdtype(t.dtype, np.integer) and t.min() >= 0 else 0
    if span and (int(cell.max()) + 1) * span < 2**61:
        # one int64 key per row (cell, time, censored flag) and a plain sort: much faster than lexsort
        key = (cell.astype("int64") * span + t) * 2 + (~e).astype("int64")
        key.sort()
        pair = key >> 1
        cell, t, e = pair // span, pair % span, (key & 1) == 0
    else:
        order = np.lexsort((t, cell))
        cell, t, e = cell[order], t[order], e[order]
    if not len(t):
        empty = np.array([])
        return empty.astype("int64"), empty, empty, empty, empty, empty
    new = np.concatenate([[True], (cell[1:] != cell[:-1]) | (t[1:] != t[:-1])])
    starts = np.flatnonzero(new)
    d = np.add.reduceat(e.astype("int64"), starts)
    c = np.add.reduceat((~e).astype("int64"), starts)
    u_cell, u_time = cell[starts], t[starts]
    size = np.bincount(cell)
    first_of_cell = np.concatenate([[True], u_cell[1:] != u_cell[:-1]])
    leaving = d + c
    before = np.cumsum(leaving) - leaving  # left before this time, all cells
    head = np.maximum.accumulate(np.where(first_of_cell, np.arange(len(u_cell)), 0))
    at_risk = size[u_cell] - (before - before[head])
    # S = prod(1 - d/n) within each cell, as exp(cumulative log); a step to zero (d == n) is tracked apart
    # so that -inf never mixes into the running sums of later cells
    zero = d >= at_risk
    log_s = np.where(zero, 0.0, np.log1p(-np.where(zero, 0, d) / at_risk))
    cum = np.cumsum(log_s)
    cum = cum - (cum[head] - log_s[head])
    zeros = np.cumsum(zero)
    zeros = zeros - (zeros[head] - zero[head])
    return u_cell, u_time, at_risk, d, c, np.where(zeros > 0, 0.0, np.exp(cum))


def km_summary(cell: np.ndarray, t: np.ndarray, e: np.ndarray, n_cells: int) -> dict[str, np.ndarray]:
    """Per cell: n, events, censored, median and quartiles (smallest t with S(t) <= 1 - p) and restricted mean.

    The restricted mean is the area under S(t) up to the cell's last observed time. A quantile the
    curve never reaches is NaN.
    """
    u_cell, u_time, _at_risk, d, c, s = _km_arrays(cell, t, e)
    out: dict[str, np.ndarray] = {
        "n": np.bincount(u_cell, weights=d + c, minlength=n_cells),
        "events": np.bincount(u_cell, weights=d, minlength=n_cells),
        "censored": np.bincount(u_cell, weights=c, minlength=n_cells),
    }
    for name, level in (("p25", 0.75), ("median", 0.5), ("p75", 0.25)):
        hit = s <= level + 1e-12
        first = np.full(n_cells, np.nan)
        if hit.any():
            cells_hit, idx = np.unique(u_cell[hit], return_index=True)
            first[cells_hit] = u_time[hit][idx]
        out[name] = first
    # restricted mean: sum of S(previous time) x (time - previous time), starting from S(0) = 1 at t = 0
    first_of_cell = np.concatenate([[True], u_cell[1:] != u_cell[:-1]]) if len(u_cell) else np.array([], dtype=bool)
    prev_s = np.concatenate([[1.0], s[:-1]]) if len(s) else s
    prev_t = np.concatenate([[0.0], u_time[:-1]]) if len(s) else u_time
    prev_s = np.where(first_of_cell, 1.0, prev_s)
    prev_t = np.where(first_of_cell, 0.0, prev_t)
    area = np.bincount(u_cell, weights=prev_s * (u_time - prev_t), minlength=n_cells)
    out["mean"] = np.where(out["n"] > 0, area, np.nan)
    return out


def beta_binomial_prior(successes: Any, trials: Any) -> tuple[float, float]:
    """Fit a Beta(α, β) prior to group rates by maximum marginal likelihood (beta-binomial).

    Used for empirical-Bayes shrinkage: a group's shrunk rate is (k + α) / (n + α + β).
    Falls back to the method of moments when the optimiser fails, and to a
    flat-ish prior centred on the pooled rate when the groups show no extra
    variation.

    Examples
    --------
    >>> a, b = beta_binomial_prior([10, 20, 30, 5], [100, 100, 100, 100])
    >>> abs(a / (a + b) - 65 / 400) < 0.01   # the prior mean sits near the pooled rate
    True
    """
    from scipy import optimize, special

    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    keep = n > 0
    k, n = k[keep], n[keep]
    pooled = k.sum() / n.sum() if n.sum() > 0 else 0.5
    pooled = min(max(pooled, 1e-6), 1 - 1e-6)

    def nll(params: np.ndarray) -> float:
        a, b = np.exp(params)
        ll = special.betaln(k + a, n - k + b) - special.betaln(a, b)
        return float(-ll.sum())

    fallback = (pooled * 1000.0, (1 - pooled) * 1000.0)  # no extra-binomial variation: near-total pooling
    if len(k) < 2:
        return fallback
    res = optimize.minimize(nll, x0=np.log([pooled * 10, (1 - pooled) * 10]), method="Nelder-Mead",
                            options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 5000})
    a, b = np.exp(res.x)
    if not res.success or not np.isfinite(a + b) or a + b > 1e6:
        return fallback
    return float(a), float(b)


def relative_risk(a: Any, n1: Any, c: Any, n2: Any, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relative risk (a/n1) / (c/n2) with the Katz log interval, vectorised.

    Notes
    -----
    Katz et al. (1978), Biometrics 34(3): log RR ± z·sqrt(1/a − 1/n1 + 1/c − 1/n2). NaN when a or c is 0.

    Examples
    --------
    24 of 119 against 10 of 121: RR = 0.2017 / 0.0826 = 2.44; SE = sqrt(1/24 − 1/119 + 1/10 − 1/121) = 0.354,
    so 2.44 · exp(±1.96 · 0.354) = (1.22, 4.88):

    >>> rr, low, high = relative_risk([24], [119], [10], [121])
    >>> round(float(rr[0]), 2), round(float(low[0]), 2), round(float(high[0]), 2)
    (2.44, 1.22, 4.88)
    """
    a, n1, c, n2 = (np.asarray(v, dtype=float) for v in (a, n1, c, n2))
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    rr = ratio(ratio(a, n1), ratio(c, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
        ok = (a > 0) & (c > 0)
        low = np.where(ok, np.exp(np.log(rr) - z * se), np.nan)
        high = np.where(ok, np.exp(np.log(rr) + z * se), np.nan)
    return np.where(ok, rr, np.nan), low, high


def proportion_drop_p(x_recent: float, n_recent: float, x_base: float, n_base: float) -> float:
    """One-sided p-value that the recent proportion is lower than the baseline one (pooled two-proportion z-test).

    Examples
    --------
    >>> round(proportion_drop_p(30, 100, 50, 100), 4)
    0.0019
    """
    if n_recent <= 0 or n_base <= 0:
        return float("nan")
    p = (x_recent + x_base) / (n_recent + n_base)
    se = (p * (1 - p) * (1 / n_recent + 1 / n_base)) ** 0.5
    if se == 0:
        return 1.0
    return NormalDist().cdf((x_recent / n_recent - x_base / n_base) / se)


def poisson_excess_p(observed: float, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected): are there more events than the rate elsewhere predicts?

    Examples
    --------
    >>> round(poisson_excess_p(8, 2.0), 4)
    0.0011
    """
    from scipy.stats import poisson

    if expected <= 0:
        return 0.0 if observed > 0 else 1.0
    return float(poisson.sf(observed - 1, expected))


def trend(values: Any) -> tuple[float, float]:
    """Theil–Sen slope per step and the two-sided Mann–Kendall p-value of a series (NaNs dropped).

    Mann–Kendall is Kendall's tau between time and the values (Mann 1945; Kendall 1975); the Theil–Sen
    slope is the median of the pairwise slopes (Sen 1968).

    Examples
    --------
    >>> slope, p = trend([10, 9, 8, 8, 6, 5, 4, 2])
    >>> round(slope, 2), p < 0.01
    (-1.0, True)
    """
    from scipy.stats import kendalltau, theilslopes

    y = np.asarray(values, dtype=float)
    t = np.flatnonzero(~np.isnan(y))
    if len(t) < 3:
        return float("nan"), float("nan")
    slope = float(theilslopes(y[t], t)[0])
    p = float(kendalltau(t, y[t]).pvalue)
    return slope, p


def censored_rate(cell: np.ndarray, time: np.ndarray, event: np.ndarray, n_cells: int,
                  confidence: float = 0.95) -> dict[str, np.ndarray]:
    """Per cell: Kaplan–Meier probability of the event by the end of follow-up, with an interval.

    Each entity is followed for ``time`` (integer units, e.g. whole seconds) and either had the event
    then (``event``) or is censored then. The rate is 1 − S(τ), S the Kaplan–Meier survival at τ, the
    cell's longest time; when nobody is censored before the last event it equals events / entities,
    and is computed as that share, exactly. The interval is Wilson's at the effective sample size
    n* = S(1 − S) / Var(S), Var by Greenwood's formula (Greenwood 1926; the effective-n construction
    of Dorey & Korn 1987, Statistics in Medicine 6(6)), which is the plain Wilson interval of
    events / entities when nobody is censored early. When Var(S) = 0 (no events, or all events),
    n* is the events plus the entities followed to τ. Only the cells where someone is censored
    before an event are sorted for the product-limit estimate; the others are counted.

    Returns
    -------
    dict of numpy.ndarray
        ``n``, ``events``, ``rate``, ``rate_low``, ``rate_high``, ``n_effective``; cells without
        entities give NaN rates.

    Examples
    --------
    Six entities: events on days 2 and 5, one censored on day 3, three followed all 10 days without one.
    S = (1 − 1/6)(1 − 1/4) = 0.625 after day 5, so the rate is 0.375 (a plain share would say 2/6):

    >>> r = censored_rate(np.zeros(6, "int64"), np.array([2, 5, 3, 10, 10, 10]),
    ...                   np.array([True, True, False, False, False, False]), 1)
    >>> round(float(r["rate"][0]), 4)
    0.375
    """
    cell = np.asarray(cell, dtype="int64")
    time = np.asarray(time, dtype="int64")
    event = np.asarray(event, dtype=bool)
    # whole-array passes (no selection of rows, which costs more than the pass): counts of (cell, event) pairs
    pairs = np.bincount(2 * cell + event, minlength=2 * n_cells).reshape(n_cells, 2).astype(float)
    n, events = pairs.sum(axis=1), pairs[:, 1]
    # nobody censored before the last event: the estimate is events / n, exactly, with no sort at all
    last_event = np.full(n_cells, -1, dtype="int64")
    np.maximum.at(last_event, cell, np.where(event, time, -1))
    first_censor = np.full(n_cells, np.iinfo("int64").max, dtype="int64")
    np.minimum.at(first_censor, cell, np.where(event, np.iinfo("int64").max, time))
    exact = first_censor >= last_event
    rate = ratio(events, n)
    n_eff = n.copy()
    # no events: S = 1 throughout; the interval counts only those followed to the cell's longest time
    longest = np.full(n_cells, -1, dtype="int64")
    np.maximum.at(longest, cell, time)
    to_end = np.bincount(2 * cell + (time == longest[cell]), minlength=2 * n_cells).reshape(n_cells, 2)[:, 1].astype(float)
    n_eff = np.where(events == 0, to_end, n_eff)
    if not exact.all():  # Kaplan–Meier on the cells where censoring comes before an event
        rows = ~exact[cell]
        u_cell, _u_time, at_risk, d, c, s = _km_arrays(cell[rows], time[rows], event[rows])
        last = np.concatenate([u_cell[1:] != u_cell[:-1], [True]])
        survival = np.full(n_cells, np.nan)
        survival[u_cell[last]] = s[last]
        # Greenwood: Var S = S² Σ d / (n (n − d)) over event times (a step to S = 0 has no variance term)
        term = np.where((d > 0) & (at_risk > d), d / np.where(at_risk > d, at_risk * (at_risk - d), 1.0), 0.0)
        var = survival**2 * np.bincount(u_cell, weights=term, minlength=n_cells)
        end_censored = np.zeros(n_cells)
        end_censored[u_cell[last]] = c[last]
        with np.errstate(invalid="ignore", divide="ignore"):
            km_eff = np.where(var > 0, survival * (1 - survival) / var, events + end_censored)
        rate = np.where(exact, rate, 1 - survival)
        n_eff = np.where(exact, n_eff, km_eff)
    n_eff = np.where(n > 0, n_eff, np.nan)
    low, high = wilson_interval(rate * n_eff, n_eff, confidence)
    return {"n": n, "events": events, "rate": rate, "rate_low": low, "rate_high": high, "n_effective": n_eff}
