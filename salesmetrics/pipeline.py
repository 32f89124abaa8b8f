"""Pipeline: win rate, close rate, deal size, sales cycle (with Kaplan–Meier), velocity and coverage.

Definitions follow the metric definitions (docs/metrics.md, "Pipeline"):

- Win rate = won / (won + lost) among opportunities *closed* in the period;
  open deals are not in it. ``weight="amount"`` gives won amount / closed amount.
- Close rate (deal closing ratio) = won / all opportunities *created* in the
  period (open ones count), optionally won within a window after creation.
- Average deal size = mean amount of won opportunities closed in the period.
- Sales cycle = days from creation to close of won deals closed in the period;
  ``method="km"`` estimates time to close (won or lost) by Kaplan–Meier with
  open deals censored at ``as_of``, so long-open deals are not ignored.
- Sales velocity (per day) = open opportunities × win rate × average deal size / median cycle days.
- Pipeline coverage = open pipeline for the period / the period's bookings target.

Amounts convert to the reporting currency at the rate of the close date (or
the creation date for open deals). ``by=`` takes any column of the
opportunities table or of the accounts joined to it; rows without a value
form the group "(missing)" (:func:`salesmetrics.data.group_labels`). Every rate stands beside its numerator and
denominator, and rates of counts carry a 95% Wilson interval. Aggregations are
integer-coded bincounts, so they stay fast at tens of millions of rows.
"""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ._api import data_first, find_stack_level
from ._kernels import in_ranges, positions, text_in
from .data import Inputs, group_codes, group_labels, resolve
from .errors import DataQualityWarning
from .money import in_reporting, to_reporting
from .periods import datetime_array, duration, freq_alias, parse_period, period_ordinals
from .stats import censored_rate, group_quantiles, km_summary, ratio, wilson_interval

if TYPE_CHECKING:  # pragma: no cover
    from .data import SalesData

__all__ = ["close_rate", "deal_size", "pipeline_coverage", "sales_cycle", "sales_velocity", "win_rate"]

_DAY_NS = 86_400_000_000_000


# ----------------------------------------------------------------------------------------------------------
# shared machinery: groups, periods, cells, result frames (also used by funnel.py)
# ----------------------------------------------------------------------------------------------------------


class Cells:
    """Integer cells (period x group) for bincount aggregation, and the frame they become."""

    def __init__(self, when: pd.Series | None, labels: pd.Series | None, freq: str | None, fiscal_year_start: int,
                 by: str | None, n: int, span: tuple[int, int] | None = None, rows: np.ndarray | None = None,
                 ordinals: np.ndarray | None = None, grouped: tuple[np.ndarray, pd.Index] | None = None) -> None:
        """``rows`` (positions): cells of those rows only (``cell`` has their length), with the groups of every row
        of ``labels``; ``span`` then gives the periods. ``ordinals`` (the period ordinals of ``when``, computed
        already; this array is then reused in place) and ``grouped`` (:func:`group_codes` of ``labels``) save a
        caller that builds several cells over the same rows from computing them again."""
        self.by = by
        self.freq = freq
        if grouped is not None:
            group, self.groups = grouped
        elif labels is None:
            group = None
            self.groups = pd.Index(["all"])
        else:
            group, self.groups = group_codes(labels)
        if rows is not None:
            n = len(rows)
            group = group[rows] if group is not None else None
            if when is not None:
                when = pd.Series(when.array.take(rows))
        self.n_groups = len(self.groups)
        nat = np.iinfo("int64").min
        if freq is None or (when is None and ordinals is None):
            self.periods: pd.PeriodIndex | None = None
            cell = np.zeros(n, dtype="int64") if group is None else group.copy()
        else:
            # a new array (or the caller's, given to be used up): worked in place below
            cell = ordinals if ordinals is not None else period_ordinals(when, freq, fiscal_year_start=fiscal_year_start)
            if span is not None:  # a fixed range of period ordinals, shared by several tables
                lo, hi = span
            else:
                hi = int(cell.max()) if len(cell) else nat  # NaT is the smallest int64: it never wins
                lo = int(np.min(cell, where=cell != nat, initial=np.iinfo("int64").max)) if hi != nat else 0
                hi = hi if hi != nat else -1  # no time stamp: no period

            def place(a: int, b: int) -> None:  # in place, a range of rows per core
                part = cell[a:b]
                outside = (part < lo) | (part > hi)  # NaT (int64 min) included
                part -= lo
                if self.n_groups != 1:
                    part *= self.n_groups
                if group is not None:
                    part += group[a:b]
                    outside |= group[a:b] < 0
                part[outside] = -1

            in_ranges(len(cell), place)
            alias = freq_alias(freq, fiscal_year_start)
            self.periods = pd.PeriodIndex(pd.period_range(pd.Period(ordinal=lo, freq=alias), periods=hi - lo + 1, freq=alias)) \
                if hi >= lo else pd.PeriodIndex([], freq=alias)
        if group is not None and self.periods is None:
            cell[group < 0] = -1
        self.n_periods = 1 if self.periods is None else len(self.periods)
        self.size = self.n_periods * self.n_groups
        self.cell = cell

    @functools.cached_property
    def _binned(self) -> np.ndarray:
        """``cell`` with the rows in no cell (-1) in one more bin, ``size``: counted without selecting rows."""
        return np.where(self.cell >= 0, self.cell, self.size)

    def count(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Rows per cell where ``mask`` (every row without it)."""
        # a bincount weighted by the mask costs less than selecting the rows (a random mask defeats branch prediction);
        # float sums of ones are exact far beyond any row count
        if mask is None:
            return np.bincount(self._binned, minlength=self.size + 1)[:self.size]
        return np.bincount(self._binned, weights=mask, minlength=self.size + 1)[:self.size].astype("int64")

    def count_codes(self, code: np.ndarray, k: int) -> np.ndarray:
        """Rows per cell and code (``0 <= code < k``; others are not counted), as a (cells, k) array: one pass over the
        rows for several counts."""
        key = self._binned * k
        key += code
        if len(code) and (code.min() < 0 or code.max() >= k):
            key[(code < 0) | (code >= k)] = self.size * k  # not counted: the bin of the rows in no cell
        return np.bincount(key, minlength=(self.size + 1) * k)[:self.size * k].reshape(self.size, k)

    def total(self, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Sum per cell of ``values`` where ``mask``, NaN values left out."""
        # zeros in place of the rows left out: the same sums (x + 0.0 == x) without selecting rows
        return np.bincount(self._binned, weights=np.where(mask & ~np.isnan(values), values, 0.0), minlength=self.size + 1)[:self.size]

    def frame(self, columns: dict[str, Any]) -> pd.DataFrame:
        return cells_frame(self.periods, self.groups, self.by, columns)


def cells_frame(periods: pd.PeriodIndex | None, groups: pd.Index, by: str | None, columns: dict[str, Any]) -> pd.DataFrame:
    """The result frame of cells (period x group, period-major): ``period`` and ``by`` (when given), then ``columns``
    (one value per cell). :meth:`Cells.frame`, and :func:`salesmetrics.combine` after summing partials."""
    n_periods = 1 if periods is None else len(periods)
    data: dict[str, Any] = {}
    if periods is not None:
        data["period"] = periods[np.repeat(np.arange(n_periods), len(groups))]
    if by is not None:
        data[by] = np.tile(np.asarray(groups, dtype=object), n_periods)
    for name, values in columns.items():
        data[name] = values
    return pd.DataFrame(data)


def censored_cohorts(cells: Cells, entered: np.ndarray, lag: np.ndarray, success: np.ndarray, failed: np.ndarray,
                     age: np.ndarray, win: pd.Timedelta | None, now_local: pd.Timestamp) -> dict[str, Any]:
    """Censoring-aware cohort rates per cell, shared by :func:`~salesmetrics.funnel` and :func:`close_rate`.

    Each entity of a cohort (``entered``, ``age`` ns since it entered, at ``as_of``) succeeded after ``lag``
    (``success``, within the window), is a known failure (``failed``: dropped out, lost, or succeeded only
    after the window) or is still in progress: censored when its window ends or at ``as_of``. The rate
    is the Kaplan–Meier estimate (:func:`~salesmetrics.stats.censored_rate`) with a window; without one
    it is converted / entered exactly (those in progress count in the denominator, docs/metrics.md), with
    a Wilson interval. ``pending`` counts those in progress whose window is still running (without a
    window: younger than the slowest success seen);
    a cohort is ``incomplete`` when some are pending, when it was followed for less than the window,
    or when its period has not ended by ``as_of`` (more entities may still enter it).

    Computed in two steps, :func:`cohort_sums` and :func:`cohort_finish`, so that pieces of the data can be
    summed in between (:func:`salesmetrics.partial`).
    """
    sums = cohort_sums(cells, entered, lag, success, failed, age, win)
    return cohort_finish(sums, cells.size, cells.periods, cells.n_groups, win, now_local)


def cohort_sums(cells: Cells, entered: np.ndarray, lag: np.ndarray, success: np.ndarray, failed: np.ndarray,
                age: np.ndarray, win: pd.Timedelta | None) -> dict[str, Any]:
    """:func:`censored_cohorts`' additive part: per cell, entities entered and succeeded; the longest follow-up
    (``longest``, combined by maximum); with a window, the pending count and (``values``: cell, seconds, success)
    what the Kaplan–Meier estimate needs; without one, the slowest success (``horizon``, the same in every cell,
    combined by maximum) and (``progress``: cell, age) the entities still in progress, which are pending while
    younger than it."""
    sel = entered & (cells.cell >= 0)
    follow = np.minimum(age, win.value) if win is not None else age
    longest = np.full(cells.size, -1, dtype="int64")
    np.maximum.at(longest, cells.cell[sel], follow[sel])
    out: dict[str, Any] = {"entered": cells.count(entered), "success": cells.count(success), "longest": longest}
    in_progress = entered & ~success & ~failed
    if win is not None:
        out["pending"] = cells.count(in_progress & (age < win.value))
        time = np.where(success, lag, np.where(failed, win.value, follow)) // 1_000_000_000  # whole seconds: exact, fast to sort
        out["values"] = (cells.cell[sel], time[sel], success[sel])
    else:
        out["horizon"] = np.full(cells.size, int(lag[success].max()) if success.any() else 0, dtype="int64")
        keep = in_progress & (cells.cell >= 0)
        out["progress"] = (cells.cell[keep], age[keep])
    return out


def cohort_finish(sums: dict[str, Any], size: int, periods: pd.PeriodIndex | None, n_groups: int,
                  win: pd.Timedelta | None, now_local: pd.Timestamp) -> dict[str, Any]:
    """:func:`censored_cohorts`' columns from its sums (whole, or added up over pieces)."""
    k, n, longest = sums["success"], sums["entered"], sums["longest"]
    if win is not None:
        cell, seconds, success = sums["values"]
        r = censored_rate(np.asarray(cell, dtype="int64"), np.asarray(seconds, dtype="int64"), np.asarray(success, dtype=bool), size)
        n_pending = sums["pending"]
    else:
        low, high = wilson_interval(k, n)
        r = {"rate": ratio(k, n), "rate_low": low, "rate_high": high}
        horizon = int(np.max(sums["horizon"])) if len(sums["horizon"]) else 0
        cell, age = sums["progress"][:2]
        young = np.asarray(age) < horizon
        n_pending = np.bincount(np.asarray(cell, dtype="int64")[young], minlength=size)
    incomplete = n_pending > 0
    if win is not None:
        incomplete |= (longest >= 0) & (longest < win.value)
    if periods is not None:
        still_open = np.asarray(periods.end_time > now_local)
        incomplete |= np.repeat(still_open, n_groups)
    return {"entered": n, "success": k, "pending": n_pending, "followed_days": np.where(longest >= 0, longest / _DAY_NS, np.nan),
            "rate": r["rate"], "rate_low": r["rate_low"], "rate_high": r["rate_high"], "incomplete": incomplete}


def parse_window(window: Any) -> pd.Timedelta | None:
    """``None``, or a duration in the library's spelling (:func:`~salesmetrics.periods.duration`: "90D", days)."""
    if window is None:
        return None
    found = duration(window, name="window")
    assert isinstance(found, pd.Timedelta)
    return found


def _opportunities(data: SalesData | pd.DataFrame, accounts: pd.DataFrame | None, fx_rates: pd.DataFrame | None) -> tuple[Inputs, pd.DataFrame]:
    inputs = resolve(data, "opportunities", accounts=accounts, fx_rates=fx_rates)
    return inputs, inputs.require("opportunities", "this pipeline metric")


def _amounts(inputs: Inputs, opps: pd.DataFrame, when: pd.Series) -> np.ndarray:
    """Amounts in the reporting currency at the rate of ``when`` (the creation date where ``when`` is missing)."""
    currency = inputs.currency  # read first: for a bare table, finding it shows whether all of it is in it
    if ("opportunities" in inputs.uniform_currency and inputs.get("opportunities") is opps) or in_reporting(opps["currency"], currency):
        return opps["amount"].to_numpy(float)
    return to_reporting(opps["amount"].to_numpy(float), opps["currency"], when.fillna(opps["created_at"]),
                        inputs.get("fx_rates"), currency)


def _outcomes(inputs: Inputs, opps: pd.DataFrame, as_of: Any) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``as_of`` (int ns) and, as they stood then: creation and close times, won and lost.

    A deal created after ``as_of`` does not exist yet, and one closed after it is still open: nothing
    after ``as_of`` counts.
    """
    now = inputs.as_of_timestamp(as_of).value if as_of is not None or inputs.as_of is not None else np.iinfo("int64").max
    created, closed = _ns(opps["created_at"]), _ns(opps["closed_at"])
    status = text_in(opps["status"], ("won", "lost"))
    won, lost = np.empty(len(status), dtype=bool), np.empty(len(status), dtype=bool)

    def mark(lo: int, hi: int) -> None:  # a range of rows at a time, on every core: no ten-million-row temporaries
        when, code = closed[lo:hi], status[lo:hi]
        done = (when != _NAT) & (when <= now) & (created[lo:hi] <= now)
        np.logical_and(done, code == 0, out=won[lo:hi])
        np.logical_and(done, code == 1, out=lost[lo:hi])

    in_ranges(len(status), mark)
    return now, created, closed, won, lost


def _ns(s: pd.Series) -> np.ndarray:
    """Time stamps as int64 nanoseconds (UTC); NaT -> int64 min."""
    array = datetime_array(s)
    return np.asarray((array if array.unit == "ns" else array.as_unit("ns")).asi8)


_NAT = np.iinfo("int64").min


# ----------------------------------------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------------------------------------


@data_first("opportunities")
def win_rate(
    data: SalesData | pd.DataFrame,
    /,
    *,
    freq: str | None = "Q",
    by: str | None = None,
    weight: Literal["count", "amount"] = "count",
    as_of: Any = None,
    accounts: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Win rate of the opportunities closed in each period (open deals are not in it).

    A deal closed after ``as_of`` (default: the bundle's, or the data's latest time stamp) is still
    open then, so it is not in any period.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
    freq : {"Q", "M", "Y"} or None, default "Q"
        None gives one row for all time.
    by : str, optional
        A column of opportunities or of accounts (segment, region, owner_id, source, ...).
    weight : {"count", "amount"}, default "count"
        "amount": won amount / (won + lost amount), in the reporting currency.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    accounts : pandas.DataFrame, optional
        Needed with a bare opportunities table for ``by=`` an accounts column; replaces the bundle's.
    fx_rates : pandas.DataFrame, optional
        Needed with a bare opportunities table in several currencies; replaces the bundle's.

    Returns
    -------
    pandas.DataFrame
        ``period``, (``by``), ``won``, ``lost``, ``win_rate``, ``win_rate_low``,
        ``win_rate_high`` (95% Wilson). With ``weight="amount"``: ``won``, ``lost``,
        ``won_amount``, ``lost_amount``, ``win_rate`` (no interval: amounts are not counts).

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c", "d"],
    ...     "created_at": ["2025-01-05", "2025-01-10", "2025-02-01", "2025-03-01"],
    ...     "status": ["won", "lost", "won", "open"], "closed_at": ["2025-02-01", "2025-03-01", "2025-04-02", None],
    ...     "amount": [100, 300, 50, 999]})
    >>> print(win_rate(opps, freq="Q")[["period", "won", "lost", "win_rate"]].to_string(index=False))
    period  won  lost  win_rate
    2025Q1    1     1       0.5
    2025Q2    1     0       1.0
    """
    inputs, cells, sums = _win_rate_sums(data, freq=freq, by=by, weight=weight, as_of=as_of, accounts=accounts,
                                         fx_rates=fx_rates)
    out = cells.frame(_win_rate_finish(sums, weight=weight))
    out.attrs.update(freq=freq, weight=weight)
    if weight == "amount":  # counts carry no currency (and a bare table's currency column is then never read)
        out.attrs["currency"] = inputs.currency
    return out


def _win_rate_sums(data: SalesData | pd.DataFrame, *, freq: str | None, by: str | None, weight: str, as_of: Any,
                   accounts: pd.DataFrame | None, fx_rates: pd.DataFrame | None) -> tuple[Inputs, Cells, dict[str, Any]]:
    """win_rate's additive part: per cell, deals won and lost (and their amounts)."""
    if weight not in ("count", "amount"):
        raise ValueError(f"weight must be 'count' or 'amount', got {weight!r}.")
    inputs, opps = _opportunities(data, accounts, fx_rates)
    _now, _created, _closed, won, lost = _outcomes(inputs, opps, as_of)
    span = _span(_closed, won, lost, opps["closed_at"].dtype, freq, inputs.fiscal_year_start)
    cells = Cells(opps["closed_at"], group_labels(inputs, opps, by), freq, inputs.fiscal_year_start, by, len(opps), span=span)
    both = cells.count_codes(won.view("int8") + 2 * lost.view("int8"), 3)  # 1 won, 2 lost: one pass for both counts
    sums: dict[str, Any] = {"won": both[:, 1], "lost": both[:, 2]}
    if weight == "amount":
        amount = _amounts(inputs, opps, opps["closed_at"])
        sums.update(won_amount=cells.total(won, amount), lost_amount=cells.total(lost, amount))
        valued = lost & np.isfinite(amount) & (amount > 0)
        if lost.any() and not valued.any():
            warnings.warn(f"win_rate(weight='amount'): none of the {int(lost.sum()):,} lost deals carries an amount (0 or "
                          "missing: many CRMs clear the value of a lost deal), so the amount-weighted win rate reads 100%; "
                          "use weight='count', or export the lost deals' amounts.", DataQualityWarning,
                          stacklevel=find_stack_level())
    return inputs, cells, sums


def _win_rate_finish(sums: dict[str, Any], *, weight: str) -> dict[str, Any]:
    """win_rate's columns from its sums (after combining, for partials)."""
    n_won, n_lost = sums["won"], sums["lost"]
    if weight == "amount":
        won_amount, lost_amount = sums["won_amount"], sums["lost_amount"]
        return {"won": n_won, "lost": n_lost, "won_amount": won_amount, "lost_amount": lost_amount,
                "win_rate": ratio(won_amount, won_amount + lost_amount)}
    low, high = wilson_interval(n_won, n_won + n_lost)
    return {"won": n_won, "lost": n_lost, "win_rate": ratio(n_won, n_won + n_lost), "win_rate_low": low, "win_rate_high": high}


@data_first("opportunities")
def close_rate(
    data: SalesData | pd.DataFrame,
    /,
    *,
    freq: str | None = "Q",
    by: str | None = None,
    window: Any = None,
    as_of: Any = None,
    accounts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Close rate (deal closing ratio) of the cohort of opportunities created in each period.

    ``close_rate`` is the share of the cohort won (within ``window`` after creation when given),
    with open deals in the cohort: it can never exceed 1 (docs/metrics.md). Without a window it is
    exactly ``won / created`` (deals open at ``as_of`` count in the denominator), with a Wilson
    interval. With a window, deals whose window is still open at ``as_of`` are *censored*, neither
    won nor lost: the rate is the Kaplan–Meier estimate of winning within ``followed_days`` (the
    window, or the cohort's longest follow-up when that is shorter), as in :func:`~salesmetrics.funnel`. Lost deals, and deals won only after their window, are known
    failures and stay in the denominator. For a cohort with no deal left open (or none whose
    window is still running) this is exactly ``won / created``. ``pending`` counts the open deals
    whose window is still running at ``as_of`` (without a window: those younger than the slowest
    win observed). A cohort is ``incomplete`` when some deals are pending, when it was followed for
    less than the window, or when its period has not ended by ``as_of``. Deals created after
    ``as_of`` do not exist yet; a close after ``as_of`` has not happened yet.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or an opportunities table (raw exports are conformed first).
    freq : {"Q", "M", "Y"} or None, default "Q"
        The creation period of a cohort; None (all time) is one cohort of every deal created by
        ``as_of``, one row.
    by : str, optional
        A column of opportunities, or of the accounts or reps joined to them (segment, region,
        owner_id, team, source, ...); rows without a value form the group "(missing)".
    window : str, pandas.Timedelta or number, optional
        Count a deal as won only when it was won within this long after creation ("90D", a
        Timedelta, or days); default None: won at any time.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    accounts : pandas.DataFrame, optional
        Needed with a bare opportunities table for ``by=`` an accounts column; replaces the bundle's.

    Returns
    -------
    pandas.DataFrame
        ``period``, (``by``), ``created``, ``won``, ``pending``, ``followed_days``, ``close_rate``,
        ``close_rate_low``, ``close_rate_high``, ``incomplete``.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c", "d"],
    ...     "created_at": ["2025-01-05", "2025-01-10", "2025-02-01", "2025-03-20"],
    ...     "status": ["won", "lost", "won", "open"], "closed_at": ["2025-02-01", "2025-03-01", "2025-06-01", None],
    ...     "amount": [100, 300, 50, 999]})
    >>> r = close_rate(opps, freq="Q", window=30, as_of="2025-04-01")
    >>> print(r[["period", "created", "won", "pending", "close_rate", "incomplete"]].to_string(index=False, float_format="%.4f"))
    period  created  won  pending  close_rate  incomplete
    2025Q1        4    1        1      0.3333        True

    Deal a was won in 27 days (a win); b was lost and c was won after 121 days, outside the
    window (both failures); d, open for 12 days, may still close in time: it is censored on day 12.
    Of the three deals still followed on day 27, one is won: 1 − (1 − 1/3) = 1/3, where counting d
    as lost would read 1/4.
    """
    _inputs, cells, sums = _close_rate_sums(data, freq=freq, by=by, window=window, as_of=as_of, accounts=accounts)
    as_of_ts = sums["as_of"]
    out = cells.frame(_close_rate_finish(sums, cells.size, cells.periods, cells.n_groups, window=window, as_of=as_of_ts))
    out.attrs.update(freq=freq, window=str(parse_window(window)) if window is not None else None, as_of=as_of_ts)
    return out


def _close_rate_sums(data: SalesData | pd.DataFrame, *, freq: str | None, by: str | None, window: Any, as_of: Any,
                     accounts: pd.DataFrame | None) -> tuple[Inputs, Cells, dict[str, Any]]:
    """close_rate's additive part (:func:`cohort_sums` of the deals created per cell), and ``as_of`` in the bundle's zone."""
    inputs, opps = _opportunities(data, accounts, None)
    win = parse_window(window)
    now, created, closed, won, lost = _outcomes(inputs, opps, as_of)
    exists = created <= now
    lag = np.where(won, np.maximum(closed - created, 0), 0)
    success = won & (lag <= win.value) if win is not None else won
    labels = group_labels(inputs, opps, by, at=opps["created_at"])  # a cohort of deals: the team that opened them
    ordinals = period_ordinals(opps["created_at"], freq, fiscal_year_start=inputs.fiscal_year_start) if freq is not None else None
    if ordinals is not None:
        ordinals[~exists] = _NAT  # a deal created after as_of is in no cohort yet
    cells = Cells(opps["created_at"], labels, freq, inputs.fiscal_year_start, by, len(opps), ordinals=ordinals)
    sums = cohort_sums(cells, exists, lag, success, lost | (won & ~success), np.where(exists, now - created, 0), win)
    return inputs, cells, {**sums, "as_of": pd.Timestamp(now, tz="UTC").tz_convert(inputs.timezone)}


def _close_rate_finish(sums: dict[str, Any], size: int, periods: pd.PeriodIndex | None, n_groups: int, *, window: Any,
                       as_of: pd.Timestamp) -> dict[str, Any]:
    """close_rate's columns from its sums."""
    c = cohort_finish(sums, size, periods, n_groups, parse_window(window), as_of.tz_localize(None))
    return {"created": c["entered"], "won": c["success"], "pending": c["pending"], "followed_days": c["followed_days"],
            "close_rate": c["rate"], "close_rate_low": c["rate_low"], "close_rate_high": c["rate_high"],
            "incomplete": c["incomplete"]}


@data_first("opportunities")
def deal_size(
    data: SalesData | pd.DataFrame,
    /,
    *,
    freq: str | None = "Q",
    by: str | None = None,
    as_of: Any = None,
    accounts: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Size of the deals won in each period, in the reporting currency.

    Deals won after ``as_of`` (default: the bundle's, or the data's latest time stamp) are not won yet.

    Won deals without an amount are left out (they were reported when the data was loaded); ``won``
    counts the deals sized. A period whose won deals all lack an amount has ``total`` NaN (unknown,
    not zero), and an export with no amount column warns.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or an opportunities table (raw exports are conformed first).
    freq : {"Q", "M", "Y"} or None, default "Q"
        The period of the close; None (all time) is one row of every deal won by ``as_of``.
    by : str, optional
        A column of opportunities, or of the accounts or reps joined to them (segment, region,
        owner_id, team, source, ...); rows without a value form the group "(missing)".
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    accounts : pandas.DataFrame, optional
        Needed with a bare opportunities table for ``by=`` an accounts column; replaces the bundle's.
    fx_rates : pandas.DataFrame, optional
        Needed with a bare opportunities table in several currencies; replaces the bundle's.

    Returns
    -------
    pandas.DataFrame
        ``period``, (``by``), ``won``, ``total``, ``mean``, ``median``.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({"opportunity_id": list("abc"), "created_at": ["2025-01-01"] * 3,
    ...     "status": ["won", "won", "won"], "closed_at": ["2025-02-01", "2025-02-15", "2025-03-01"],
    ...     "amount": [100, 200, 900]})
    >>> print(deal_size(opps, freq="Q").to_string(index=False))
    period  won  total  mean  median
    2025Q1    3 1200.0 400.0   200.0
    """
    inputs, cells, sums = _deal_size_sums(data, freq=freq, by=by, as_of=as_of, accounts=accounts, fx_rates=fx_rates)
    out = cells.frame(_deal_size_finish(sums, cells.size))
    out.attrs.update(currency=inputs.currency, freq=freq)
    return out


def _deal_size_sums(data: SalesData | pd.DataFrame, *, freq: str | None, by: str | None, as_of: Any,
                    accounts: pd.DataFrame | None, fx_rates: pd.DataFrame | None) -> tuple[Inputs, Cells, dict[str, Any]]:
    """deal_size's additive part: per cell, deals won and sized and their total, and (``values``: cell, amount) the
    amounts themselves, which the median needs. Only the won deals are placed in cells; the periods span every
    close (won or lost), as in :func:`win_rate`."""
    inputs, opps = _opportunities(data, accounts, fx_rates)
    _now, _created, closed, won, lost = _outcomes(inputs, opps, as_of)
    if not inputs.has_column("opportunities", "amount"):
        warnings.warn("deal_size: the opportunities export has no amount column, so deal size and bookings are unknown "
                      "(NaN, not 0); map your amount column with columns={'<your column>': 'amount'}.",
                      DataQualityWarning, stacklevel=find_stack_level())
    rows = positions(won)
    amount = _amounts(inputs, opps, opps["closed_at"])[rows]
    span = _span(closed, won, lost, opps["closed_at"].dtype, freq, inputs.fiscal_year_start)
    cells = Cells(opps["closed_at"], group_labels(inputs, opps, by), freq, inputs.fiscal_year_start, by, len(opps), span=span,
                  rows=rows)
    sized = ~np.isnan(amount)
    won_any = cells.count()
    if sized.all():  # the usual case: every won deal has an amount
        n_sized, values = won_any, (cells.cell, amount)  # rows in no cell (-1) are left out by group_quantiles
    else:
        sel = sized & (cells.cell >= 0)
        n_sized, values = cells.count(sized), (cells.cell[sel], amount[sel])
    return inputs, cells, {"sized": n_sized, "won_any": won_any, "total": cells.total(sized, amount), "values": values}


def _span(stamps: np.ndarray, won: np.ndarray, lost: np.ndarray, dtype: Any, freq: str | None,
          fiscal_year_start: int) -> tuple[int, int] | None:
    """The (first, last) period ordinals of the time stamps ``stamps`` (int64 ns) of the deals won or lost; ``(0, -1)``,
    no period, when there are none; None without ``freq``."""
    if freq is None:
        return None
    top, bottom = np.iinfo("int64").max, np.iinfo("int64").min

    def ends(lo: int, hi: int) -> tuple[int, int]:  # a range of rows per core, without a ten-million-row mask
        closed = won[lo:hi] | lost[lo:hi]
        part = stamps[lo:hi]
        return int(np.min(part, where=closed, initial=top)), int(np.max(part, where=closed, initial=bottom))

    found = in_ranges(len(stamps), ends)
    first, last = min(a for a, _ in found), max(b for _, b in found)
    if first > last:
        return (0, -1)
    zone = getattr(dtype, "tz", None)
    index = pd.DatetimeIndex(np.array([first, last], dtype="datetime64[ns]"))
    index = index.tz_localize("UTC").tz_convert(zone) if zone is not None else index
    lo, hi = period_ordinals(index, freq, fiscal_year_start=fiscal_year_start)
    return int(lo), int(hi)


def _deal_size_finish(sums: dict[str, Any], size: int) -> dict[str, Any]:
    """deal_size's columns from its sums."""
    n = sums["sized"]
    # a period whose won deals all lack an amount has unknown bookings (NaN), not zero bookings
    total = np.where((n == 0) & (sums["won_any"] > 0), np.nan, sums["total"])
    cell, amount = sums["values"][:2]
    return {"won": n, "total": total, "mean": ratio(total, n), "median": group_quantiles(cell, amount, size, (0.5,))[0.5]}


@data_first("opportunities")
def sales_cycle(
    data: SalesData | pd.DataFrame,
    /,
    *,
    freq: str | None = "Q",
    by: str | None = None,
    method: Literal["won", "km"] = "won",
    as_of: Any = None,
    accounts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Sales-cycle length in days.

    ``method="won"`` (the headline): days from creation to close of the won
    deals closed in each period (by ``as_of``: a deal won later is not won yet). ``method="km"``: Kaplan–Meier time from
    creation to close (won or lost) for the deals *created* in each period,
    with deals still open at ``as_of`` censored there (deals closed after
    ``as_of`` count as open), so a pile of long-open deals lengthens the cycle
    instead of vanishing. KM quantiles are the first time the survival curve
    falls to 1 − p (NaN if it never does); ``mean_days`` is then the mean
    restricted to the longest observed time.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or an opportunities table (raw exports are conformed first).
    freq : {"Q", "M", "Y"} or None, default "Q"
        The period of the close ("won") or of the creation ("km"); None (all time) is one row
        over every deal won (with "km": created) by ``as_of``, without ``period``.
    by : str, optional
        A column of opportunities, or of the accounts or reps joined to them (segment, region,
        owner_id, team, source, ...); rows without a value form the group "(missing)".
    method : {"won", "km"}, default "won"
        Won deals' days to close, or the Kaplan–Meier time to close with open deals censored.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts (with "km", deals still open are
        censored there).
    accounts : pandas.DataFrame, optional
        Needed with a bare opportunities table for ``by=`` an accounts column; replaces the bundle's.

    Returns
    -------
    pandas.DataFrame
        (``period``), (``by``), ``n``, ``median_days``, ``mean_days``, ``p25_days``,
        ``p75_days``; for "km" also ``events`` and ``censored``.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({"opportunity_id": list("abcd"),
    ...     "created_at": ["2025-01-01", "2025-01-01", "2025-01-01", "2025-01-01"],
    ...     "status": ["won", "won", "lost", "open"], "closed_at": ["2025-01-11", "2025-01-31", "2025-01-21", None]})
    >>> print(sales_cycle(opps, freq=None).to_string(index=False))
     n  median_days  mean_days  p25_days  p75_days
     2         20.0       20.0      15.0      25.0
    >>> print(sales_cycle(opps, freq=None, method="km", as_of="2025-02-10").to_string(index=False))
     n  events  censored  median_days  mean_days  p25_days  p75_days
     4       3         1         20.0       25.0      10.0      30.0

    By hand: closes at 10, 20 and 30 days, one deal open for 40 days (censored):
    S = 3/4, 2/4, 1/4 after each close; the median is 20 days and the restricted
    mean 10·1 + 10·0.75 + 10·0.5 + 10·0.25 = 25 days.
    """
    _inputs, cells, sums = _sales_cycle_sums(data, freq=freq, by=by, method=method, as_of=as_of, accounts=accounts)
    out = cells.frame(_sales_cycle_finish(sums, cells.size, method=method))
    out.attrs.update(freq=freq, method=method)
    return out


def _sales_cycle_sums(data: SalesData | pd.DataFrame, *, freq: str | None, by: str | None, method: str, as_of: Any,
                      accounts: pd.DataFrame | None) -> tuple[Inputs, Cells, dict[str, Any]]:
    """sales_cycle's additive part: per cell, the won deals and their days; and the values the quantiles need
    (``values``: cell, days of each won deal; with ``method="km"``: cell, seconds followed, closed or not)."""
    if method not in ("won", "km"):
        raise ValueError(f"method must be 'won' or 'km', got {method!r}.")
    inputs, opps = _opportunities(data, accounts, None)
    created = _ns(opps["created_at"])
    closed = _ns(opps["closed_at"])
    labels = group_labels(inputs, opps, by)
    if method == "won":
        won, lost = _outcomes(inputs, opps, as_of)[3:]
        days = np.where(won, (closed - created) / _DAY_NS, np.nan)
        cells = Cells(opps["closed_at"].where(won | lost), labels, freq, inputs.fiscal_year_start, by, len(opps))
        sel = won & (cells.cell >= 0)
        return inputs, cells, {"n": cells.count(won), "days": cells.total(won, days), "values": (cells.cell[sel], days[sel])}
    now = inputs.as_of_timestamp(as_of).value
    known = created <= now
    ended = (closed != _NAT) & (closed <= now)
    seconds = np.where(ended, closed - created, now - created) // 1_000_000_000  # whole seconds: an exact, fast sort key
    cells = Cells(opps["created_at"], labels, freq, inputs.fiscal_year_start, by, len(opps))
    sel = known & (cells.cell >= 0)
    return inputs, cells, {"values": (cells.cell[sel], seconds[sel], ended[sel])}


def _sales_cycle_finish(sums: dict[str, Any], size: int, *, method: str) -> dict[str, Any]:
    """sales_cycle's columns from its sums."""
    if method == "won":
        cell, days = sums["values"][:2]
        q = group_quantiles(cell, days, size, (0.25, 0.5, 0.75))
        n = sums["n"]
        return {"n": n, "median_days": q[0.5], "mean_days": ratio(sums["days"], n), "p25_days": q[0.25], "p75_days": q[0.75]}
    cell, seconds, ended = sums["values"]
    s = km_summary(cell, np.asarray(seconds, dtype="int64"), np.asarray(ended, dtype=bool), size)
    day = 86_400.0
    return {"n": s["n"].astype("int64"), "events": s["events"].astype("int64"), "censored": s["censored"].astype("int64"),
            "median_days": s["median"] / day, "mean_days": s["mean"] / day, "p25_days": s["p25"] / day,
            "p75_days": s["p75"] / day}


def _open_at(created: np.ndarray, closed: np.ndarray, instant: int) -> np.ndarray:
    return (created <= instant) & ((closed == _NAT) | (closed > instant))


@data_first("opportunities")
def sales_velocity(
    data: SalesData | pd.DataFrame,
    /,
    *,
    freq: str | None = "Q",
    by: str | None = None,
    as_of: Any = None,
    accounts: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Sales velocity per day = open opportunities × win rate × average deal size / median cycle days.

    Open opportunities are counted at each period's end (at ``as_of`` for the
    last, and with ``freq=None``); win rate, deal size and the median cycle of won
    deals are the period's own (all time with ``freq=None``), and stand beside the
    result. Nothing after ``as_of`` counts.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or an opportunities table (raw exports are conformed first).
    freq : {"Q", "M", "Y"} or None, default "Q"
        Reporting period; None (all time) is one row: the deals open at ``as_of`` with the
        all-time win rate, deal size and median cycle.
    by : str, optional
        A column of opportunities, or of the accounts or reps joined to them (segment, region,
        owner_id, team, source, ...); rows without a value form the group "(missing)".
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    accounts : pandas.DataFrame, optional
        Needed with a bare opportunities table for ``by=`` an accounts column; replaces the bundle's.
    fx_rates : pandas.DataFrame, optional
        Needed with a bare opportunities table in several currencies; replaces the bundle's.

    Returns
    -------
    pandas.DataFrame
        ``period``, (``by``), ``open_opportunities``, ``win_rate``, ``mean_deal_size``,
        ``median_cycle_days``, ``velocity_per_day``.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({"opportunity_id": list("abcd"), "created_at": ["2025-01-01"] * 4,
    ...     "status": ["won", "lost", "open", "open"], "closed_at": ["2025-01-21", "2025-02-01", None, None],
    ...     "amount": [1000, 500, 800, 800]})
    >>> print(sales_velocity(opps, as_of="2025-03-31")[["open_opportunities", "win_rate", "velocity_per_day"]].to_string(index=False))
     open_opportunities  win_rate  velocity_per_day
                      2       0.5              50.0
    """
    wr = win_rate(data, freq=freq, by=by, as_of=as_of, accounts=accounts, fx_rates=fx_rates)
    size = deal_size(data, freq=freq, by=by, as_of=as_of, accounts=accounts, fx_rates=fx_rates)
    cycle = sales_cycle(data, freq=freq, by=by, as_of=as_of, accounts=accounts)
    inputs, opps = _opportunities(data, accounts, fx_rates)
    keys = (["period"] if freq is not None else []) + ([by] if by else [])
    if keys:
        out = wr[[*keys, "win_rate"]].merge(size[[*keys, "mean"]], on=keys, how="outer").merge(
            cycle[[*keys, "median_days"]], on=keys, how="outer")
    else:  # all time: one row each
        out = pd.concat([wr[["win_rate"]], size[["mean"]], cycle[["median_days"]]], axis=1)
    out = out.rename(columns={"mean": "mean_deal_size", "median_days": "median_cycle_days"})
    created, closed = _ns(opps["created_at"]), _ns(opps["closed_at"])
    labels = group_labels(inputs, opps, by)
    now = inputs.as_of_timestamp(as_of)
    periods = pd.PeriodIndex(out["period"]).unique() if freq is not None else [None]
    counts: list[dict[str, Any]] = []
    for period in periods:
        instant = now if period is None else\
            min(pd.Timestamp(period.end_time).tz_localize(inputs.timezone, ambiguous=True, nonexistent="shift_forward"), now)
        live = _open_at(created, closed, instant.value)
        head = {} if period is None else {"period": period}
        if labels is None:
            counts.append({**head, "open_opportunities": int(live.sum())})
        else:
            for g, n in pd.Series(live).groupby(labels.to_numpy()).sum().items():
                counts.append({**head, str(by): g, "open_opportunities": int(n)})
    found = pd.DataFrame(counts)
    out = out.merge(found, on=keys, how="left") if keys else out.assign(open_opportunities=found["open_opportunities"].to_numpy())
    out["open_opportunities"] = out["open_opportunities"].fillna(0).astype("int64")
    out["velocity_per_day"] = ratio(out["open_opportunities"] * out["win_rate"] * out["mean_deal_size"], out["median_cycle_days"])
    cols = [*keys, "open_opportunities", "win_rate", "mean_deal_size", "median_cycle_days", "velocity_per_day"]
    out = out[cols]
    if keys:
        out = out.sort_values(keys, kind="stable")
    out = out.reset_index(drop=True)
    out.attrs.update(currency=inputs.currency, freq=freq)
    return out


@data_first("opportunities", was_positional=("targets",))
def pipeline_coverage(
    data: SalesData | pd.DataFrame,
    /,
    *,
    targets: pd.DataFrame | None = None,
    freq: str | None = "Q",
    metric: str = "bookings",
    scope: str = "company",
    expected_close: str = "expected_close_at",
    as_of: Any = None,
    fx_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Pipeline coverage = open pipeline for the period / the period's bookings target.

    The open pipeline of a period is the amount of the deals open at its start, or at
    ``as_of`` for a period that starts later (the forward look: what is open now for next
    quarter's target); nothing after ``as_of`` counts.
    When the opportunities carry an expected close date (column
    ``expected_close``, e.g. exported from the CRM), only deals expected to
    close inside the period count. Targets are the rows of the targets table
    with this ``metric`` and ``scope`` whose period matches.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or an opportunities table.
    targets : pandas.DataFrame, optional
        The targets table, with a bare opportunities table (a bundle brings its own).
    freq : {"Q", "M", "Y"} or None, default "Q"
        The target periods to cover; None takes every target period whatever its length
        (months, quarters and years side by side).
    metric : str, default "bookings"
        The targets' ``metric`` to cover.
    scope : str, default "company"
        The targets' ``scope`` (a team name, or "company").
    expected_close : str, default "expected_close_at"
        Opportunities column with the expected close date, when the export has one.
    as_of : date-like, optional
        Default: the bundle's; deals created after it do not exist yet and deals closed
        after it are still open.
    fx_rates : pandas.DataFrame, optional
        Needed with a bare opportunities table in several currencies.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``open_deals``, ``pipeline``, ``target``, ``coverage``.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({"opportunity_id": list("abc"), "created_at": ["2025-03-01", "2025-03-10", "2025-05-01"],
    ...     "status": ["won", "open", "open"], "closed_at": ["2025-05-01", None, None], "amount": [300, 200, 1000]})
    >>> targets = pd.DataFrame({"period": ["2025Q2"], "metric": ["bookings"], "target": [250.0]})
    >>> print(pipeline_coverage(opps, targets=targets).to_string(index=False))
    period  open_deals  pipeline  target  coverage
    2025Q2           2     500.0   250.0       2.0
    """
    inputs = resolve(data, "opportunities", fx_rates=fx_rates, **({"targets": targets} if targets is not None else {}))
    opps = inputs.require("opportunities", "pipeline coverage")
    tgt = inputs.require("targets", "pipeline coverage")
    tgt = tgt[(tgt["metric"] == metric) & (tgt["scope"] == scope)]
    if tgt.empty:
        raise ValueError(f"no targets with metric={metric!r} and scope={scope!r}; the targets table has metrics {sorted(inputs.tables['targets']['metric'].unique())}.")
    parsed = [parse_period(p, fiscal_year_start=inputs.fiscal_year_start) for p in tgt["period"]]
    if freq is None:  # every target period, whatever its length
        keep = [True] * len(parsed)
    else:
        alias = freq_alias(freq, inputs.fiscal_year_start)
        keep = [p.freqstr == pd.Period(p.start_time, alias).freqstr for p in parsed]
    rows = [(p, float(t)) for p, t, k in zip(parsed, tgt["target"], keep, strict=True) if k]
    if not rows:
        raise ValueError(f"no {metric} targets at freq={freq!r}; their periods are {sorted(set(tgt['period']))}.")
    created, closed = _ns(opps["created_at"]), _ns(opps["closed_at"])
    amount = _amounts(inputs, opps, opps["created_at"])
    expected = _ns(opps[expected_close]) if expected_close in opps.columns else None
    now = inputs.as_of_timestamp(as_of).value
    closed = np.where(closed > now, _NAT, closed)  # closed after as_of: still open then
    out = []
    for period, target in sorted(rows, key=lambda r: (r[0].start_time, r[0].end_time)):
        start = pd.Timestamp(period.start_time).tz_localize(inputs.timezone, ambiguous=True, nonexistent="shift_forward")
        end = pd.Timestamp((period + 1).start_time).tz_localize(inputs.timezone, ambiguous=True, nonexistent="shift_forward")
        snapshot = min(start.value, now + 1)
        live = (created < snapshot) & ((closed == _NAT) | (closed >= snapshot))
        if expected is not None:
            live &= (expected >= start.value) & (expected < end.value)
        pipe = float(np.nansum(amount[live]))
        out.append({"period": period, "open_deals": int(live.sum()), "pipeline": pipe, "target": target,
                    "coverage": float(ratio(pipe, target))})
    frame = pd.DataFrame(out)
    if freq is not None:
        frame["period"] = pd.PeriodIndex(frame["period"])
    frame.attrs.update(currency=inputs.currency, freq=freq, as_of=str(inputs.as_of_timestamp(as_of)))
    return frame
