"""Revenue and retention: MRR/ARR, movements and the MRR bridge, churn, GRR/NRR, cohorts.

Definitions follow the metric definitions (docs/metrics.md, "Revenue and retention"):

- An account's MRR for a period is the sum of amount / billing_months over its
  subscriptions active at the period's end (a subscription is active on
  ``[start_date, end_date)``; no end date means still active). The period that
  holds ``as_of`` is snapshot at ``as_of``. Zero amounts do not make an
  account active.
- Movements compare month-end MRR with the previous month-end: new (0 → >0,
  never active before), reactivation (0 → >0, active before), churn (>0 → 0),
  expansion (up), contraction (down). Values are signed.
- Other currencies convert at the fx rate of each subscription's start date.

Exactness: each subscription's monthly amount is rounded once to the cent of
the reporting currency; everything after is integer-cent arithmetic, so a
bridge reconciles exactly (ending = starting + movements) and quarters are
exact sums of their months. Money columns are floats holding whole cents.

How it computes (and scales). The per-account step turns subscriptions into
*change points*: the months in which an account's MRR changes, with the MRR
before and after and whether the account was ever active before. That is a
sort of two events per subscription, so memory grows with the number of
subscriptions, never with accounts × months. Every table here is then an
aggregation of change points (a ``bincount`` over period and group). The
per-account step depends on one account's subscriptions only, so the bridge
splits by account: :func:`salesmetrics.partial` sums each piece's movements
in integer cents per month and group, and :func:`salesmetrics.combine` adds
them and runs the months-to-periods step once (``sm.on_dask`` shuffles by
account first). Cohort retention splits the same way (changes in active
accounts and in cents per cohort month and month), and the movements are
the pieces' rows, concatenated and sorted by account and month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ._api import data_first
from .data import Inputs, group_codes, group_labels, resolve
from .money import to_reporting
from .periods import freq_alias
from .stats import ratio, wilson_interval

if TYPE_CHECKING:  # pragma: no cover
    from .data import SalesData

__all__ = ["MOVEMENTS", "cohort_retention", "cohort_triangle", "mrr", "mrr_bridge", "mrr_movements", "retention"]

MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
_NEW, _EXPANSION, _CONTRACTION, _CHURN, _REACTIVATION = range(5)


# ----------------------------------------------------------------------------------------------------------
# per-account step: subscriptions -> month ranges in cents -> change points
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _Points:
    """Months in which an account's MRR changes (sorted by account, month)."""

    accounts: pd.Index  # account_id labels; codes index into it
    account: np.ndarray  # int codes
    month: np.ndarray  # epoch month (Period ordinal)
    before: np.ndarray  # MRR in cents at the previous month-end
    after: np.ndarray  # MRR in cents at this month-end
    movement: np.ndarray  # 0..4, see MOVEMENTS
    first_month: int  # first month with any MRR
    last_month: int  # the month holding as_of
    inputs: Inputs

    @property
    def change(self) -> np.ndarray:
        return self.after - self.before


def _months(ordinals: np.ndarray) -> pd.PeriodIndex:
    """Monthly periods from epoch-month numbers (1970-01 is 0)."""
    return pd.PeriodIndex.from_ordinals(ordinals, freq="M")  # type: ignore[attr-defined]


def _change_points(data: SalesData | pd.DataFrame, as_of: Any, **others: pd.DataFrame | None) -> _Points:
    inputs = resolve(data, "subscriptions", **others)
    subs = inputs.require("subscriptions", "MRR")
    as_of_ts = inputs.as_of_timestamp(as_of)
    as_of_day = np.datetime64(as_of_ts.tz_localize(None).normalize().date(), "D")
    last = int(as_of_day.astype("datetime64[M]").astype("int64"))

    start = subs["start_date"].to_numpy("datetime64[D]")
    end = subs["end_date"].to_numpy("datetime64[D]")
    amount = to_reporting(subs["amount"].to_numpy(float), subs["currency"], subs["start_date"], inputs.get("fx_rates"), inputs.currency)
    monthly = amount / subs["billing_months"].to_numpy(float)
    cents = np.rint(monthly * 100).astype("int64")

    # active at the snapshot of month m: start <= snapshot(m) < end, snapshot = month end, or as_of in the last month
    first = start.astype("datetime64[M]").astype("int64")
    first = np.where((first > last) | ((first == last) & (start > as_of_day)), last + 1, first)
    end_month = np.where(np.isnat(end), last + 1, end.astype("datetime64[M]").astype("int64"))
    stop = np.where(end_month < last, end_month, np.where((end_month == last) & (end <= as_of_day), last, last + 1))
    keep = (first < stop) & (cents > 0)

    codes, accounts = pd.factorize(subs["account_id"])
    code = codes[keep]
    first, stop, cents = first[keep], stop[keep], cents[keep]
    if not len(cents):
        empty = np.array([], dtype="int64")
        return _Points(accounts, empty, empty, empty, empty, empty, last, last, inputs)
    base = int(first.min())
    span = last - base + 2
    ends = stop <= last
    acc = np.concatenate([code, code[ends]])
    month = np.concatenate([first, stop[ends]]) - base
    delta = np.concatenate([cents, -cents[ends]])
    key = acc.astype("int64") * span + month
    order = np.argsort(key, kind="stable")
    key, delta = key[order], delta[order]
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    dsum = np.add.reduceat(delta, starts)
    key = key[starts]
    p_acc = key // span
    p_month = key % span + base
    n = len(key)
    new_account = np.concatenate([[True], p_acc[1:] != p_acc[:-1]])
    head = np.maximum.accumulate(np.where(new_account, np.arange(n), 0))
    running = np.cumsum(dsum)
    after = running - running[head] + dsum[head]
    before = after - dsum
    active = after > 0
    seen = np.cumsum(active)
    prior = (seen - active) - (seen[head] - active[head])  # active months-ends before this point, same account
    moved = before != after
    movement = np.select(
        [(before == 0) & (prior == 0), before == 0, after == 0, after > before],
        [_NEW, _REACTIVATION, _CHURN, _EXPANSION],
        _CONTRACTION,
    )
    return _Points(accounts, p_acc[moved], p_month[moved], before[moved], after[moved], movement[moved], base, last, inputs)


def _account_groups(points: _Points, by: str | None) -> tuple[np.ndarray, pd.Index]:
    """Group code per account code and the group labels (one group when ``by`` is None)."""
    if by is None:
        return np.zeros(len(points.accounts), dtype="int64"), pd.Index(["all"])
    frame = pd.DataFrame({"account_id": np.asarray(points.accounts, dtype=object)})
    labels = group_labels(points.inputs, frame, by)
    assert labels is not None
    return group_codes(labels)


def _groups(points: _Points, by: str | None) -> tuple[np.ndarray, pd.Index]:
    """Group code per change point and the group labels."""
    per_account, groups = _account_groups(points, by)
    return per_account[points.account], groups


def _period_map(points: _Points, freq: str | None) -> tuple[np.ndarray, pd.PeriodIndex]:
    """For each month first..last: the index of its reporting period; and the periods (:func:`_month_periods`)."""
    return _month_periods(points.first_month, points.last_month, freq, points.inputs.fiscal_year_start)


def _month_periods(first_month: int, last_month: int, freq: str | None, fiscal_year_start: int) -> tuple[np.ndarray, pd.PeriodIndex]:
    """For each month first..last: the index of its reporting period; and the periods.

    ``freq=None`` (all time) is one period, first month to as_of, labelled by the last month
    (the caller drops the label)."""
    months = _months(np.arange(first_month, last_month + 1))
    if freq is None:
        return np.zeros(len(months), dtype="int64"), months[-1:]
    periods = months.asfreq(freq_alias(freq, fiscal_year_start), how="E")
    unique = pd.PeriodIndex(pd.unique(periods))
    return unique.get_indexer(periods), unique


# ----------------------------------------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------------------------------------

_BRIDGE_MONEY = ["starting_mrr", *MOVEMENTS, "ending_mrr"]
_BRIDGE_COUNTS = ["starting_customers", *[f"{m}_customers" for m in MOVEMENTS], "ending_customers"]


def _bridge_cents(points: _Points, freq: str | None, by: str | None) -> tuple[dict[str, np.ndarray], pd.PeriodIndex, pd.Index]:
    """Bridge arrays in integer cents, shape (groups, periods)."""
    moved, counts, groups = _bridge_months(points, by)
    agg, periods = _bridge_periods(moved, counts, points.first_month, points.last_month, freq, points.inputs.fiscal_year_start)
    return agg, periods, groups


def _bridge_months(points: _Points, by: str | None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], pd.Index]:
    """Per movement, its cents and its count per group and month (shape (groups, months first..last)): the bridge's
    additive part."""
    n_months = points.last_month - points.first_month + 1
    group, groups = _groups(points, by)
    n_groups = len(groups)
    cell = group * n_months + (points.month - points.first_month)
    size = n_groups * n_months
    change = points.change
    out: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    for k, name in enumerate(MOVEMENTS):
        mask = points.movement == k
        out[name] = np.rint(np.bincount(cell[mask], weights=change[mask], minlength=size)).astype("int64").reshape(n_groups, n_months)
        counts[name] = np.bincount(cell[mask], minlength=size).reshape(n_groups, n_months)
    return out, counts, groups


def _bridge_periods(out: dict[str, np.ndarray], counts: dict[str, np.ndarray], first_month: int, last_month: int,
                    freq: str | None, fiscal_year_start: int) -> tuple[dict[str, np.ndarray], pd.PeriodIndex]:
    """The bridge per reporting period from its months: movements sum; starting is the first month's, ending the
    last month's (running sums of the movements from the first month)."""
    net = sum(out[m] for m in MOVEMENTS)
    ending = np.cumsum(net, axis=1)
    joins = counts["new"] + counts["reactivation"] - counts["churn"]
    ending_n = np.cumsum(joins, axis=1)
    month_to_period, periods = _month_periods(first_month, last_month, freq, fiscal_year_start)
    n_periods = len(periods)
    first_of = np.searchsorted(month_to_period, np.arange(n_periods), side="left")
    last_of = np.searchsorted(month_to_period, np.arange(n_periods), side="right") - 1
    agg: dict[str, np.ndarray] = {}
    for name in MOVEMENTS:
        agg[name] = np.add.reduceat(out[name], first_of, axis=1)
        agg[f"{name}_customers"] = np.add.reduceat(counts[name], first_of, axis=1)
    agg["ending_mrr"] = ending[:, last_of]
    agg["starting_mrr"] = (ending - net)[:, first_of]
    agg["ending_customers"] = ending_n[:, last_of]
    agg["starting_customers"] = (ending_n - joins)[:, first_of]
    return agg, periods


def _frame(agg: dict[str, np.ndarray], periods: pd.PeriodIndex, groups: pd.Index, by: str | None, columns: list[str],
           freq: str | None = "Q") -> pd.DataFrame:
    n_groups, n_periods = len(groups), len(periods)
    data: dict[str, Any] = {"period": np.tile(np.asarray(periods), n_groups)}
    if by is not None:
        data[by] = np.repeat(np.asarray(groups, dtype=object), n_periods)
    for name in columns:
        data[name] = agg[name].reshape(-1)
    out = pd.DataFrame(data)
    out["period"] = pd.PeriodIndex(out["period"])
    sort = ["period", by] if by is not None else ["period"]
    out = out.sort_values(sort, kind="stable").reset_index(drop=True)
    return out.drop(columns="period") if freq is None else out


def _bridge_table(agg: dict[str, np.ndarray], periods: pd.PeriodIndex, groups: pd.Index, by: str | None, freq: str | None,
                  arr: bool) -> pd.DataFrame:
    """mrr_bridge's frame from the bridge in cents: money in the currency (× 12 for ARR), counts, ARPA after them."""
    scale = 12 if arr else 1
    money = {k: agg[k] * scale / 100 for k in _BRIDGE_MONEY}
    counts = {k: agg[k] for k in _BRIDGE_COUNTS}
    arpa = ratio(money["ending_mrr"], counts["ending_customers"])
    columns = _BRIDGE_MONEY[:1] + list(MOVEMENTS) + ["ending_mrr"] + _BRIDGE_COUNTS + ["arpa"]
    out = _frame({**money, **counts, "arpa": arpa}, periods, groups, by, columns, freq)
    return out.rename(columns={"starting_mrr": "starting_arr", "ending_mrr": "ending_arr", "arpa": "arpa_arr"}) if arr else out


@dataclass(frozen=True)
class _MonthGrid:
    """The months first..last (period-major cells of months × groups), as :func:`salesmetrics.partial` lays out sums."""

    periods: pd.PeriodIndex
    groups: pd.Index

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    @property
    def size(self) -> int:
        return len(self.periods) * len(self.groups)


def _bridge_sums(data: SalesData | pd.DataFrame, *, freq: str | None, by: str | None, as_of: Any, arr: bool,
                 accounts: pd.DataFrame | None, fx_rates: pd.DataFrame | None) -> tuple[Inputs, _MonthGrid, dict[str, Any]]:
    """mrr_bridge's additive part: per month and group, each movement's cents (integers: exact in any order) and count.
    A piece must hold whole accounts: whether a customer is new or back depends on its earlier months."""
    points = _change_points(data, as_of, accounts=accounts, fx_rates=fx_rates)
    moved, counts, groups = _bridge_months(points, by)
    grid = _MonthGrid(_months(np.arange(points.first_month, points.last_month + 1)), groups)
    sums = {**{f"{m}_cents": moved[m].T.reshape(-1) for m in MOVEMENTS}, **{f"{m}_n": counts[m].T.reshape(-1) for m in MOVEMENTS}}
    return points.inputs, grid, sums


def _bridge_finish(sums: dict[str, Any], months: pd.PeriodIndex | None, groups: pd.Index, by: str | None, freq: str | None,
                   fiscal_year_start: int, arr: bool) -> pd.DataFrame:
    """mrr_bridge from its sums over ``months`` × ``groups`` (period-major)."""
    assert months is not None and len(months), "the bridge's sums are laid out on months"
    n_months, n_groups = len(months), len(groups)

    def grid(values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype="int64").reshape(n_months, n_groups).T

    moved = {m: grid(sums[f"{m}_cents"]) for m in MOVEMENTS}
    counts = {m: grid(sums[f"{m}_n"]) for m in MOVEMENTS}
    first, last = int(months[0].ordinal), int(months[-1].ordinal)
    agg, periods = _bridge_periods(moved, counts, first, last, freq, fiscal_year_start)
    return _bridge_table(agg, periods, groups, by, freq, arr)


@data_first("subscriptions")
def mrr_bridge(
    data: SalesData | pd.DataFrame,
    /,
    *,
    freq: str | None = "Q",
    by: str | None = None,
    as_of: Any = None,
    arr: bool = False,
    accounts: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The MRR bridge: starting MRR, the five movements, ending MRR, and customer counts per period.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or a subscriptions table (raw exports are conformed first).
    freq : {"Q", "M", "Y"} or None, default "Q"
        Quarters and years sum their months' movements; their starting MRR is
        the first month's and their ending MRR the last month's. None (all time)
        is one row from the first month to ``as_of``: starting MRR 0, every
        movement ever, and the MRR at ``as_of``.
    by : str, optional
        An accounts column (segment, region, ...); accounts without a value
        form the group "(missing)", so groups always sum to the total.
    as_of : date-like, optional
        Snapshot date of the last period; default: the latest time stamp in the data.
    arr : bool, default False
        Report ARR (12 × MRR): money columns are multiplied by 12 and
        ``starting_mrr``/``ending_mrr``/``arpa`` become ``starting_arr``/``ending_arr``/``arpa_arr``.
    accounts, fx_rates : pandas.DataFrame, optional
        Needed with a bare subscriptions table for ``by=`` and other currencies.

    Returns
    -------
    pandas.DataFrame
        ``period``, (``by``), ``starting_mrr``, ``new``, ``expansion``, ``contraction``,
        ``churn``, ``reactivation``, ``ending_mrr`` (signed: ending = starting +
        the five, exactly), ``starting_customers``, ``new_customers``,
        ``expansion_customers``, ``contraction_customers``, ``churn_customers``,
        ``reactivation_customers``, ``ending_customers``, ``arpa`` (ending MRR /
        ending customers, NaN when there are none). The ``<movement>_customers`` columns
        count monthly movements, so over a quarter, a year or all time an account that
        expanded in two months counts twice (and ending = starting + new + reactivation
        − churn customers holds exactly).

    Examples
    --------
    An account on $100 a month from January grows to $150 in March and leaves in May:

    >>> import pandas as pd
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "a"],
    ...                      "start_date": ["2025-01-01", "2025-03-01"], "end_date": ["2025-05-01", "2025-05-01"],
    ...                      "amount": [100, 50]})
    >>> b = mrr_bridge(subs, freq="M", as_of="2025-05-31")
    >>> print(b[["period", "starting_mrr", "new", "expansion", "churn", "ending_mrr"]].to_string(index=False))
     period  starting_mrr   new  expansion  churn  ending_mrr
    2025-01           0.0 100.0        0.0    0.0       100.0
    2025-02         100.0   0.0        0.0    0.0       100.0
    2025-03         100.0   0.0       50.0    0.0       150.0
    2025-04         150.0   0.0        0.0    0.0       150.0
    2025-05         150.0   0.0        0.0 -150.0         0.0
    """
    points = _change_points(data, as_of, accounts=accounts, fx_rates=fx_rates)
    agg, periods, groups = _bridge_cents(points, freq, by)
    out = _bridge_table(agg, periods, groups, by, freq, arr)
    out.attrs.update(currency=points.inputs.currency, unit="ARR" if arr else "MRR", freq=freq)
    return out


@data_first("subscriptions")
def mrr_movements(
    data: SalesData | pd.DataFrame,
    /,
    *,
    as_of: Any = None,
    fx_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every monthly MRR movement of every account.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or a subscriptions table (raw exports are conformed first).
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    fx_rates : pandas.DataFrame, optional
        Needed with a bare subscriptions table in other currencies; replaces the bundle's.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``period`` (month), ``mrr``, ``previous_mrr``, ``change``,
        ``movement`` (new, expansion, contraction, churn, reactivation), one row
        per account and month in which its month-end MRR changed, sorted by
        ``account_id`` then month.

    Examples
    --------
    >>> import pandas as pd
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "a"],
    ...                      "start_date": ["2025-01-01", "2025-06-01"], "end_date": ["2025-03-01", None],
    ...                      "amount": [100, 80]})
    >>> print(mrr_movements(subs, as_of="2025-06-30")[["period", "previous_mrr", "mrr", "movement"]].to_string(index=False))
     period  previous_mrr   mrr     movement
    2025-01           0.0 100.0          new
    2025-03         100.0   0.0        churn
    2025-06           0.0  80.0 reactivation
    """
    p = _change_points(data, as_of, fx_rates=fx_rates)
    return _movements_frame(p.accounts, p.account, p.month, p.before, p.after, p.movement)


def _movements_frame(accounts: pd.Index, account: np.ndarray, month: np.ndarray, before: np.ndarray, after: np.ndarray,
                     movement: np.ndarray) -> pd.DataFrame:
    """mrr_movements' frame from its rows, in any order (each row: the code of its account among the labels
    ``accounts``, its epoch month, the MRR in cents before and after, the movement's code): sorted by account label,
    then month. An account and month is one row, so the order is total: the rows of pieces of whole accounts,
    concatenated in any order, give the same frame."""
    labels = np.asarray(accounts, dtype=object)
    rank = np.empty(len(labels), dtype="int64")
    rank[pd.Index(labels).argsort()] = np.arange(len(labels))  # each label's place in label order
    account, month = np.asarray(account, dtype="int64"), np.asarray(month, dtype="int64")
    lo = int(month.min()) if len(month) else 0
    order = np.argsort(rank[account] * (int(month.max()) - lo + 1 if len(month) else 1) + (month - lo), kind="stable")
    before, after = np.asarray(before, dtype="int64")[order], np.asarray(after, dtype="int64")[order]
    return pd.DataFrame({
        "account_id": labels[account[order]],
        "period": _months(month[order]),
        "mrr": after / 100,
        "previous_mrr": before / 100,
        "change": (after - before) / 100,
        "movement": pd.Categorical.from_codes(np.asarray(movement, dtype="int64")[order], categories=pd.Index(MOVEMENTS)),
    })


def _movements_sums(data: SalesData | pd.DataFrame, *, as_of: Any,
                    fx_rates: pd.DataFrame | None) -> tuple[Inputs, _MonthGrid, dict[str, Any]]:
    """mrr_movements' part of a piece of whole accounts: its rows themselves, as records (the month as ``period``,
    the account as ``group``, the MRR before and after in integer cents, the movement's code), on no cell."""
    p = _change_points(data, as_of, fx_rates=fx_rates)
    grid = _MonthGrid(_months(np.arange(p.first_month, p.last_month + 1)), pd.Index([], dtype=object))
    rows = {"period": p.month, "group": np.asarray(p.accounts, dtype=object)[p.account],
            "mrr_cents": p.after, "previous_mrr_cents": p.before, "movement_code": p.movement.astype("int64")}
    return p.inputs, grid, {"movements": rows}


def _movements_finish(rows: pd.DataFrame) -> pd.DataFrame:
    """mrr_movements from the records of every piece (``period``, ``group``, ``mrr_cents``, ``previous_mrr_cents``,
    ``movement_code``), the pandas function's frame step."""
    account, accounts = pd.factorize(np.asarray(rows["group"], dtype=object))
    return _movements_frame(pd.Index(accounts), account, rows["period"].to_numpy("int64"),
                            rows["previous_mrr_cents"].to_numpy("int64"), rows["mrr_cents"].to_numpy("int64"),
                            rows["movement_code"].to_numpy("int64"))


def _period_end_months(points: _Points, freq: str | None) -> tuple[np.ndarray, pd.PeriodIndex]:
    month_to_period, periods = _period_map(points, freq)
    last_of = np.searchsorted(month_to_period, np.arange(len(periods)), side="right") - 1
    return points.first_month + last_of, periods


@data_first("subscriptions")
def mrr(
    data: SalesData | pd.DataFrame,
    /,
    *,
    freq: str | None = "Q",
    as_of: Any = None,
    by: str | None = None,
    arr: bool = False,
    accounts: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """MRR (or ARR) per account and period: the snapshot at each period's end.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or a subscriptions table (raw exports are conformed first).
    freq : {"Q", "M", "Y"} or None, default "Q"
        Reporting period; None (all time) is the snapshot at ``as_of`` alone, one row per
        active account and no ``period`` column.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    by : str, optional
        An accounts column (segment, region, ...) added beside ``account_id``; accounts
        without a value get "(missing)", accounts not in the accounts table "(unknown)".
    arr : bool, default False
        Report ARR (12 × MRR) in an ``arr`` column instead of ``mrr``.
    accounts, fx_rates : pandas.DataFrame, optional
        Needed with a bare subscriptions table for ``by=`` and other currencies; they replace
        the bundle's.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, (``by``), ``period``, ``mrr`` (or ``arr``): one row per
        account and period in which the account is active (MRR > 0) at the
        period's end (at ``as_of`` for the last period).

    Examples
    --------
    A $2,000 annual plan is $166.67 MRR (ChartMogul):

    >>> import pandas as pd
    >>> subs = pd.DataFrame({"subscription_id": ["s1"], "account_id": ["a"], "start_date": ["2025-01-15"],
    ...                      "amount": [2000], "billing_months": [12]})
    >>> print(mrr(subs, freq="Q", as_of="2025-06-30").to_string(index=False))
    account_id period    mrr
             a 2025Q1 166.67
             a 2025Q2 166.67
    """
    points = _change_points(data, as_of, accounts=accounts, fx_rates=fx_rates)
    ends, periods = _period_end_months(points, freq)
    n = len(points.account)
    nxt = np.full(n, points.last_month + 1, dtype="int64")
    same = points.account[1:] == points.account[:-1]
    nxt[:-1] = np.where(same, points.month[1:], points.last_month + 1)
    live = points.after > 0
    lo = np.searchsorted(ends, points.month[live], side="left")
    hi = np.searchsorted(ends, nxt[live], side="left")
    count = hi - lo
    rows = np.repeat(np.flatnonzero(live), count)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    period_pos = np.repeat(lo, count) + offsets
    column = "arr" if arr else "mrr"
    cols: dict[str, Any] = {"account_id": np.asarray(points.accounts, dtype=object)[points.account[rows]]}
    if by is not None:
        group, groups = _groups(points, by)
        cols[by] = np.asarray(groups, dtype=object)[group[rows]]
    cols["period"] = periods[period_pos]
    cols[column] = points.after[rows] * (12 if arr else 1) / 100
    out = pd.DataFrame(cols).sort_values(["account_id", "period"], kind="stable").reset_index(drop=True)
    if freq is None:  # all time: the snapshot at as_of
        out = out.drop(columns="period")
    out.attrs.update(currency=points.inputs.currency, freq=freq)
    return out


def _value_at(points: _Points, month: int) -> tuple[np.ndarray, np.ndarray]:
    """MRR in cents of every account (codes 0..n-1) at the end of ``month``."""
    n_acc = len(points.accounts)
    value = np.zeros(n_acc, dtype="int64")
    if not len(points.account) or month < points.first_month:
        return np.arange(n_acc), value
    span = points.last_month - points.first_month + 2
    keys = points.account * span + (points.month - points.first_month)
    query = np.arange(n_acc) * span + (min(month, points.last_month) - points.first_month)
    pos = np.searchsorted(keys, query, side="right") - 1
    ok = (pos >= 0) & (points.account[np.maximum(pos, 0)] == np.arange(n_acc))
    value[ok] = points.after[pos[ok]]
    return np.arange(n_acc), value


@data_first("subscriptions")
def retention(
    data: SalesData | pd.DataFrame,
    /,
    *,
    freq: str | None = "Q",
    by: str | None = None,
    as_of: Any = None,
    accounts: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Logo churn, GRR, NRR, gross and net MRR churn and the quick ratio per period.

    Every rate stands beside its numerator and denominator; the logo churn
    rate has a 95% Wilson interval. A period with nothing to divide by gives NaN.

    - ``logo_churn_rate`` = ``churned_customers`` / ``starting_customers``:
      accounts active at the period's start and not at its end (accounts that
      join and leave inside the period are not counted; ChartMogul's B2B form).
    - ``grr`` = ``retained_mrr`` / ``starting_mrr`` with retained = Σ min(end, start),
      and ``nrr`` = ``starting_accounts_ending_mrr`` / ``starting_mrr``, both over the
      accounts active at the start (new and reactivated accounts excluded).
    - ``gross_mrr_churn_rate`` = ``lost_mrr`` / ``starting_mrr`` with lost = −(churn +
      contraction); ``net_mrr_churn_rate`` = ``net_lost_mrr`` / ``starting_mrr`` with
      net lost = −(churn + contraction + expansion + reactivation), negative when
      growth from customers outweighs losses; ``quick_ratio`` = ``gained_mrr`` /
      ``lost_mrr`` with gained = new + expansion + reactivation. These three use
      the bridge's movements summed over the period's months.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or a subscriptions table (raw exports are conformed first).
    freq : {"Q", "M", "Y"} or None, default "Q"
        Reporting period; None (all time) is one row from the first month to ``as_of``. No
        account is active before the first month, so the rates over starting customers or
        starting MRR (logo churn, GRR, NRR, gross and net MRR churn) are NaN there and the
        quick ratio is the one rate defined.
    by : str, optional
        An accounts column (segment, region, ...); accounts without a value form the group
        "(missing)", accounts not in the accounts table "(unknown)".
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    accounts, fx_rates : pandas.DataFrame, optional
        Needed with a bare subscriptions table for ``by=`` and other currencies; they replace
        the bundle's.

    Examples
    --------
    ChartMogul's worked example: $100 starting MRR over four accounts, then $10 churn,
    $10 contraction and $10 expansion:

    >>> import pandas as pd
    >>> subs = pd.DataFrame({
    ...     "subscription_id": ["a1", "b1", "b2", "c1", "c2", "d1"], "account_id": ["a", "b", "b", "c", "c", "d"],
    ...     "start_date": ["2024-12-01", "2024-12-01", "2025-02-01", "2024-12-01", "2025-02-01", "2024-12-01"],
    ...     "end_date":   ["2025-02-01", "2025-02-01", None, "2025-02-01", None, None],
    ...     "amount": [10, 20, 10, 30, 40, 40]})
    >>> r = retention(subs, freq="Q", as_of="2025-03-31")
    >>> print(r.loc[r["period"] == pd.Period("2025Q1", "Q"), ["gross_mrr_churn_rate", "net_mrr_churn_rate", "grr", "nrr"]].to_string(index=False))
     gross_mrr_churn_rate  net_mrr_churn_rate  grr  nrr
                      0.2                 0.1  0.8  0.9
    """
    points = _change_points(data, as_of, accounts=accounts, fx_rates=fx_rates)
    agg, periods, groups = _bridge_cents(points, freq, by)
    out = _retention_table(agg, _retention_snapshots(points, freq, by, len(groups)), periods, groups, by, freq)
    out.attrs.update(currency=points.inputs.currency)
    return out


def _retention_sums(data: SalesData | pd.DataFrame, *, freq: str | None, by: str | None, as_of: Any,
                    accounts: pd.DataFrame | None, fx_rates: pd.DataFrame | None) -> tuple[Inputs, _MonthGrid, dict[str, Any]]:
    """retention's additive part on the months × groups grid: the bridge's (:func:`_bridge_sums`), and each period's
    snapshots on the row of the period's last month (the same month in every piece)."""
    inputs, grid, sums = _bridge_sums(data, freq=freq, by=by, as_of=as_of, arr=False, accounts=accounts, fx_rates=fx_rates)
    points = _change_points(data, as_of, accounts=accounts, fx_rates=fx_rates)
    n_groups, n_months = len(grid.groups), grid.n_periods
    ends, _ = _period_end_months(points, freq)
    for name, values in _retention_snapshots(points, freq, by, n_groups).items():
        on_months = np.zeros((n_groups, n_months), dtype="int64")
        on_months[:, ends - points.first_month] = values
        sums[name] = on_months.T.reshape(-1)
    return inputs, grid, sums


def _retention_finish(sums: dict[str, Any], months: pd.PeriodIndex | None, groups: pd.Index, by: str | None, freq: str | None,
                      fiscal_year_start: int) -> pd.DataFrame:
    """retention from its sums over ``months`` × ``groups``: the bridge per period, the snapshots read at each period's
    last month."""
    assert months is not None and len(months), "retention's sums are laid out on months"
    n_months, n_groups = len(months), len(groups)

    def grid(values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype="int64").reshape(n_months, n_groups).T

    first, last = int(months[0].ordinal), int(months[-1].ordinal)
    agg, periods = _bridge_periods({m: grid(sums[f"{m}_cents"]) for m in MOVEMENTS}, {m: grid(sums[f"{m}_n"]) for m in MOVEMENTS},
                                   first, last, freq, fiscal_year_start)
    month_to_period, _ = _month_periods(first, last, freq, fiscal_year_start)
    last_of = np.searchsorted(month_to_period, np.arange(len(periods)), side="right") - 1
    cols = {name: grid(sums[name])[:, last_of] for name in _SNAPSHOTS}
    return _retention_table(agg, cols, periods, groups, by, freq)


_SNAPSHOTS = ("starting_customers_snap", "churned_customers", "retained_mrr", "starting_accounts_ending_mrr", "starting_mrr_snap")


def _retention_snapshots(points: _Points, freq: str | None, by: str | None, n_groups: int) -> dict[str, np.ndarray]:
    """Per group and reporting period (shape (groups, periods)), in cents: the customers live at the period's start,
    those of them churned by its end, and their MRR at the start, retained (the lesser of start and end) and at the end."""
    _, periods = _period_map(points, freq)
    ends, _ = _period_end_months(points, freq)
    month_to_period, _ = _period_map(points, freq)
    starts = points.first_month + np.searchsorted(month_to_period, np.arange(len(periods)), side="left") - 1
    group_of_account, _ = _account_groups(points, by)
    n_periods = len(periods)
    cols = {name: np.zeros((n_groups, n_periods), dtype="int64") for name in _SNAPSHOTS}
    for i in range(n_periods):
        _, v0 = _value_at(points, int(starts[i]))
        _, v1 = _value_at(points, int(ends[i]))
        live = v0 > 0
        g = group_of_account[live]
        cols["starting_customers_snap"][:, i] = np.bincount(g, minlength=n_groups)
        cols["churned_customers"][:, i] = np.bincount(g, weights=(v1[live] == 0), minlength=n_groups)
        cols["retained_mrr"][:, i] = np.rint(np.bincount(g, weights=np.minimum(v0, v1)[live], minlength=n_groups))
        cols["starting_accounts_ending_mrr"][:, i] = np.rint(np.bincount(g, weights=v1[live], minlength=n_groups))
        cols["starting_mrr_snap"][:, i] = np.rint(np.bincount(g, weights=v0[live], minlength=n_groups))
    return cols


def _retention_table(agg: dict[str, np.ndarray], cols: dict[str, np.ndarray], periods: pd.PeriodIndex, groups: pd.Index,
                     by: str | None, freq: str | None) -> pd.DataFrame:
    """retention's frame from the bridge per period (cents) and the snapshots."""
    starting_mrr = cols["starting_mrr_snap"]
    lost = -(agg["churn"] + agg["contraction"])
    gained = agg["new"] + agg["expansion"] + agg["reactivation"]
    net_lost = -(agg["churn"] + agg["contraction"] + agg["expansion"] + agg["reactivation"])
    churned, start_n = cols["churned_customers"], cols["starting_customers_snap"]
    low, high = wilson_interval(churned, start_n)
    res = {
        "starting_customers": start_n,
        "churned_customers": churned,
        "logo_churn_rate": ratio(churned, start_n),
        "logo_churn_rate_low": low,
        "logo_churn_rate_high": high,
        "starting_mrr": starting_mrr / 100,
        "retained_mrr": cols["retained_mrr"] / 100,
        "grr": ratio(cols["retained_mrr"], starting_mrr),
        "starting_accounts_ending_mrr": cols["starting_accounts_ending_mrr"] / 100,
        "nrr": ratio(cols["starting_accounts_ending_mrr"], starting_mrr),
        "lost_mrr": lost / 100,
        "gross_mrr_churn_rate": ratio(lost, starting_mrr),
        "net_lost_mrr": net_lost / 100,
        "net_mrr_churn_rate": ratio(net_lost, starting_mrr),
        "gained_mrr": gained / 100,
        "quick_ratio": ratio(gained, lost),
    }
    out = _frame(res, periods, groups, by, list(res), freq)
    out.attrs.update(freq=freq)
    if freq is None:
        out.attrs["note"] = ("all time starts before the first customer, so nobody is at risk at its start: logo churn, "
                             "GRR, NRR and the MRR churn rates are NaN; the quick ratio is defined. Pick a freq for them.")
    return out


@data_first("subscriptions")
def cohort_retention(
    data: SalesData | pd.DataFrame,
    /,
    *,
    basis: Literal["logo", "revenue"] = "logo",
    freq: str | None = "Q",
    as_of: Any = None,
    fx_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Retention of acquisition cohorts by age, in long form.

    An account's cohort is the period of its first active month. Logo
    retention at age k = cohort accounts active at the end of period
    cohort + k / cohort size; revenue retention at age k = the cohort's MRR
    at that point / its MRR at age 0 (the end of the cohort period).
    Reactivated accounts count as active again in their own cohort.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or a subscriptions table (raw exports are conformed first).
    basis : {"logo", "revenue"}, default "logo"
        Count accounts, or sum their MRR.
    freq : {"Q", "M", "Y"} or None, default "Q"
        Cohort and age period; None (all time) is one row without ``cohort`` and ``age``:
        every account ever acquired, at ``as_of`` against its first active month (logo:
        accounts active at ``as_of`` / accounts acquired; revenue: MRR at ``as_of`` / the
        sum of each account's MRR at the end of its first active month).
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    fx_rates : pandas.DataFrame, optional
        Needed with a bare subscriptions table in other currencies; replaces the bundle's.

    Returns
    -------
    pandas.DataFrame
        ``cohort``, ``age`` (in periods), ``value``, ``numerator``,
        ``denominator``, and for ``basis="logo"`` a 95% Wilson interval
        (``value_low``, ``value_high``). See :func:`cohort_triangle` for the
        cohort × age table.

    Examples
    --------
    >>> import pandas as pd
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"],
    ...                      "start_date": ["2025-01-10", "2025-01-20"], "end_date": [None, "2025-03-01"],
    ...                      "amount": [100, 300]})
    >>> c = cohort_retention(subs, basis="revenue", freq="M", as_of="2025-03-31")
    >>> print(c[["cohort", "age", "value", "numerator", "denominator"]].to_string(index=False))
     cohort  age  value  numerator  denominator
    2025-01    0   1.00      400.0        400.0
    2025-01    1   1.00      400.0        400.0
    2025-01    2   0.25      100.0        400.0
    """
    _check_basis(basis)
    points = _change_points(data, as_of, fx_rates=fx_rates)
    cohort_months, active, cents = _cohort_grid(points)
    return _cohort_finish(cohort_months, active, cents, points.first_month, points.last_month, basis, freq,
                          points.inputs.fiscal_year_start)


def _check_basis(basis: str) -> None:
    if basis not in ("logo", "revenue"):
        raise ValueError(f"basis must be 'logo' or 'revenue', got {basis!r}.")


def _cohort_grid(points: _Points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cohort_retention's additive part, whatever the basis and freq: the cohort months (each account's first active
    month; ascending) and, per cohort month (rows) and month first..last (columns), the change in active accounts and
    in MRR cents. A cohort's accounts all start in its month (each with a "new" change point), so the cell of a cohort
    on its own month holds its size (logo) and its MRR at that month's end (revenue)."""
    n_months = points.last_month - points.first_month + 1
    is_new = points.movement == _NEW
    first_active = np.full(len(points.accounts), -1, dtype="int64")
    first_active[points.account[is_new]] = points.month[is_new]
    cohort_months = np.unique(points.month[is_new])
    row = np.searchsorted(cohort_months, first_active[points.account])
    cell = row * n_months + (points.month - points.first_month)
    size = len(cohort_months) * n_months
    d_active = (points.after > 0).astype("int64") - (points.before > 0).astype("int64")

    def grid(weights: np.ndarray) -> np.ndarray:
        return np.rint(np.bincount(cell, weights=weights, minlength=size)).astype("int64").reshape(len(cohort_months), n_months)

    return cohort_months, grid(d_active), grid(points.change)


def _cohort_finish(cohort_months: np.ndarray, active: np.ndarray, cents: np.ndarray, first_month: int, last_month: int,
                   basis: str, freq: str | None, fiscal_year_start: int) -> pd.DataFrame:
    """cohort_retention from :func:`_cohort_grid`'s sums: rows are cohort months in any order (integer sums, so a
    cohort period's rows add up exactly whatever their order), columns the months first..last (none: no data)."""
    _check_basis(basis)
    cohort_months = np.asarray(cohort_months, dtype="int64")
    own = (np.arange(len(cohort_months)), cohort_months - first_month)  # each cohort on its own month
    if freq is None:
        if basis == "logo":
            return _all_time_retention(float(active.sum()), float(active[own].sum()), basis)
        # MRR at as_of over the sum of each account's MRR at the end of its first active month
        return _all_time_retention(float(cents.sum()) / 100, float(cents[own].sum()) / 100, basis)
    if last_month >= first_month:
        month_to_period, periods = _month_periods(first_month, last_month, freq, fiscal_year_start)
    else:  # no month at all (the partials of pieces without any subscription): no cohort
        month_to_period, periods = np.zeros(0, dtype="int64"), pd.PeriodIndex([], freq=freq_alias(freq, fiscal_year_start))
    n_periods = len(periods)
    ends = np.searchsorted(month_to_period, np.arange(n_periods), side="right") - 1  # each period's last month
    cohort = month_to_period[own[1]]
    changes = np.zeros((n_periods, max(last_month - first_month + 1, 0)), dtype="int64")
    np.add.at(changes, cohort, active if basis == "logo" else cents)
    level = np.cumsum(changes, axis=1)[:, ends]  # cohort x period-end
    size = np.zeros(n_periods, dtype="int64")
    np.add.at(size, cohort, active[own])
    ages = n_periods - np.arange(n_periods)  # cohort c is seen at ages 0 .. n_periods - c - 1
    of = np.repeat(np.arange(n_periods), ages)
    age = np.arange(len(of)) - np.repeat(np.cumsum(ages) - ages, ages)
    out = pd.DataFrame({"cohort": periods[of], "age": age, "numerator": level[of, of + age],
                        "denominator": size[of] if basis == "logo" else level[of, of]})
    out = out[out["denominator"] > 0].reset_index(drop=True)
    if basis == "revenue":
        out["numerator"] = out["numerator"] / 100
        out["denominator"] = out["denominator"] / 100
    out.insert(2, "value", ratio(out["numerator"], out["denominator"]))
    if basis == "logo":
        low, high = wilson_interval(out["numerator"], out["denominator"])
        out["value_low"], out["value_high"] = low, high
    out.attrs.update(basis=basis, freq=freq)
    return out


def _all_time_retention(num: float, den: float, basis: str) -> pd.DataFrame:
    """``cohort_retention(freq=None)``: every account ever acquired, at as_of against its first month."""
    out = pd.DataFrame({"value": [float(ratio(num, den))], "numerator": [num], "denominator": [den]})
    if basis == "logo":
        low, high = wilson_interval(out["numerator"], out["denominator"])
        out["value_low"], out["value_high"] = low, high
    out.attrs.update(basis=basis, freq=None)
    return out


def _cohort_sums(data: SalesData | pd.DataFrame, *, basis: str, freq: str | None, as_of: Any,
                 fx_rates: pd.DataFrame | None) -> tuple[Inputs, _MonthGrid, dict[str, Any]]:
    """cohort_retention's part of a piece of whole accounts, on absolute months × cohorts.

    A piece starts at its own first month, so the sums sit on absolute months (:func:`salesmetrics.combine` lays
    every piece's months on the range of all of them), and the cohort is the cell's *group*: its first month as a
    label, "2025-01". Not a position (a step, or an index into the piece's months), which would mean another cohort
    in another piece; and a month, not the cohort's period under ``freq``: the label survives any engine (a string
    column), adds up across pieces by its value, sorts in time order, and ties the partial to no freq or fiscal
    year. The sums are :func:`_cohort_grid`'s, the same for every basis and freq; only the finish reads those, and
    sums a period's cohort months (integers, exact in any order)."""
    _check_basis(basis)
    points = _change_points(data, as_of, fx_rates=fx_rates)
    cohort_months, active, cents = _cohort_grid(points)
    labels = pd.Index(np.asarray(_months(cohort_months).strftime("%Y-%m"), dtype=object), dtype=object)
    grid = _MonthGrid(_months(np.arange(points.first_month, points.last_month + 1)), labels)
    return points.inputs, grid, {"active_change": active.T.reshape(-1), "mrr_change_cents": cents.T.reshape(-1)}


def _cohort_combined(sums: dict[str, Any], months: pd.PeriodIndex | None, cohorts: pd.Index, basis: str, freq: str | None,
                     fiscal_year_start: int) -> pd.DataFrame:
    """cohort_retention from the combined sums over ``months`` × ``cohorts`` (period-major; cohorts labelled by their
    month, in any order)."""
    assert months is not None, "cohort_retention's sums are laid out on months"
    n_months, n_cohorts = len(months), len(cohorts)

    def grid(values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype="int64").reshape(n_months, n_cohorts).T

    first, last = (int(months[0].ordinal), int(months[-1].ordinal)) if n_months else (0, -1)
    cohort_months = pd.PeriodIndex([str(c) for c in cohorts], freq="M").asi8
    return _cohort_finish(cohort_months, grid(sums["active_change"]), grid(sums["mrr_change_cents"]), first, last, basis,
                          freq, fiscal_year_start)


def cohort_triangle(cohorts: pd.DataFrame, *, value: str = "value") -> pd.DataFrame:
    """Pivot :func:`cohort_retention` output to the familiar cohort × age triangle.

    Parameters
    ----------
    cohorts : pandas.DataFrame
        The long table of :func:`cohort_retention` (with ``freq`` not None): ``cohort``, ``age``
        and the ``value`` column.
    value : str, default "value"
        The column to put in the cells (``"numerator"``, ``"value_low"``, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"cohort": pd.PeriodIndex(["2025-01", "2025-01", "2025-02"], freq="M"),
    ...                      "age": [0, 1, 0], "value": [1.0, 0.5, 1.0]})
    >>> cohort_triangle(long).to_string()
    'age        0    1\\ncohort           \\n2025-01  1.0  0.5\\n2025-02  1.0  NaN'
    """
    if "cohort" not in cohorts.columns:
        raise ValueError("cohort_retention(freq=None) is one all-time figure (every account ever acquired, at as_of), "
                         "not a cohort x age grid; pass freq='M', 'Q' or 'Y' for cohorts.")
    return cohorts.pivot(index="cohort", columns="age", values=value)
