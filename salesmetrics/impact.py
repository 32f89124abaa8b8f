"""Did the reorg work? Each metric before and after a reorg date, per group, net of the groups it did not touch.

For a reorg date ``at``, every metric is measured per group (``by="team"``) over a window before it and a window
after it (``gap`` leaves the days right around the date out). The change after − before comes with an interval
and a test suited to the metric, and a difference-in-differences (the group's change minus the control groups'
change, pooled) takes out what moved everywhere: a market-wide swing is not credited to the reorg. With an
``assignments`` table the groups follow the assignments in force at each event, and the control groups are by
default those whose assignments did not change around the date.

The tests, by kind of metric (``test`` column):

- rates of a yes/no outcome (win rate, SLA compliance, MQL→SQL conversion): the change's interval is Newcombe's
  hybrid score interval (from the two Wilson intervals; Newcombe 1998, Statistics in Medicine 17, method 10), its
  p-value the pooled two-proportion z-test;
- counts over time (won deals, rep departures): Poisson rates per unit of exposure; the p-value is the exact
  conditional test (the after count given the total is binomial with the after window's share of exposure);
- amounts over time (bookings): a compound Poisson rate, whose variance is estimated by the sum of squared
  amounts over the exposure squared;
- means (deal size, CSAT): Welch's t (unequal variances);
- the sales cycle: Kaplan–Meier medians of deals created in each window (censored at the window's end), the
  p-value a log-rank test, the interval a bootstrap of the two samples (fixed seed).

Difference-in-differences intervals are Wald intervals from the sum of the four variances (the bootstrap's for the
cycle). A group whose windows hold fewer than ``min_n`` observations gets no verdict: it says so.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from ._api import find_stack_level
from .data import SalesData, group_labels, resolve
from .data._checks import only_won
from .data._lookups import MISSING_GROUP, NO_GROUP, UNKNOWN_GROUP, index_in
from .periods import as_timestamp, duration
from .pipeline import _ns
from .stats import km_summary, wilson_interval

__all__ = ["reorg_impact"]

METRICS = ("bookings", "won_deals", "win_rate", "deal_size", "sales_cycle", "sla_compliance", "mql_to_sql",
           "rep_attrition", "csat")
"""What :func:`reorg_impact` measures, in its order."""

UNITS = {"bookings": "money", "won_deals": "count", "win_rate": "rate", "deal_size": "money", "sales_cycle": "days",
         "sla_compliance": "rate", "mql_to_sql": "rate", "rep_attrition": "rate", "csat": "score"}
"""Each metric's unit, for display: a "rate" changes in percentage points; bookings and won deals are per month,
rep attrition per rep-year."""

RELATIVE = ("bookings", "won_deals", "rep_attrition")
"""Metrics whose ``did`` is relative (rates over time: the group's after/before over the controls', minus 1)."""

_LOWER_IS_BETTER = {"sales_cycle", "rep_attrition"}
_DAY = 86_400 * 10**9
_MONTH_DAYS = 365.2425 / 12


@dataclass
class _Windows:
    before: tuple[pd.Timestamp, pd.Timestamp]
    after: tuple[pd.Timestamp, pd.Timestamp]

    def which(self, t: pd.Series) -> np.ndarray:
        """0 before, 1 after, -1 in neither window (or no time)."""
        v = _ns(t)  # NaT is int64's minimum: in no window
        out = np.full(len(t), -1, dtype="int64")
        for k, (lo, hi) in enumerate((self.before, self.after)):
            out[(v >= lo.value) & (v < hi.value)] = k
        return out

    def days(self, k: int, since: pd.Timestamp | None = None) -> float:
        """The window's length in days, from ``since`` (where the data starts) when that is later."""
        lo, hi = (self.before, self.after)[k]
        lo = max(lo, since) if since is not None else lo
        return max((hi - lo) / pd.Timedelta(days=1), 0.0)


def _span(value: Any, name: str) -> pd.DateOffset | pd.Timedelta:
    """"6M" / "1Y" as calendar months; "180D", a Timedelta or a number of days as time."""
    if isinstance(value, str) and value.strip()[-1:].upper() in ("M", "Y") and value.strip()[:-1].strip().isdigit():
        n = int(value.strip()[:-1])
        return pd.DateOffset(months=n * (12 if value.strip()[-1].upper() == "Y" else 1))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return pd.Timedelta(days=float(value))
    try:
        return pd.Timedelta(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"reorg_impact: {name}={value!r} is not a duration; use '6M', '1Y', '180D' or a number of days.") from err


def reorg_impact(data: SalesData, /, at: Any, *, metrics: Sequence[str] | None = None, by: str = "team",
                 before: Any = "6M", after: Any = "6M", gap: Any = 0, control: Sequence[str] | None = None,
                 as_of: Any = None, min_n: int = 20, confidence: float = 0.95, convert_within: Any = "30D",
                 boot: int = 400, seed: int = 0) -> pd.DataFrame:
    """Each metric before and after a reorg, per group, with its change and the change net of untouched groups.

    Parameters
    ----------
    data : SalesData
        The bundle. Groups follow its ``assignments`` when it has them (the team in force at each event).
    at : date-like
        The reorg date, in the bundle's zone.
    metrics : sequence of str, optional
        Any of ``METRICS``: "bookings" (won amount per month), "won_deals" (per month), "win_rate",
        "deal_size" (mean won amount), "sales_cycle" (KM median days, deals created in the window),
        "sla_compliance" (first response within the SLA, leads whose clock starts in the window), "mql_to_sql"
        (MQLs of the window that became SQL within ``convert_within``), "rep_attrition" (departures per rep-year),
        "csat" (mean CSAT score; surveys need an ``owner_id`` column to be grouped by team). Default: all.
        A metric the data cannot give is a row saying why ("not assessed"), never left out.
    by : str, default "team"
        The grouping: "team", "role", "manager_id", or any column ``by=`` takes elsewhere.
    before, after : duration, default "6M"
        The windows' lengths: "6M", "1Y", "180D" or days. The after window ends at ``as_of`` at the latest (its
        length is then shorter, and rates are per unit of time, so they stay comparable).
    gap : duration, default 0
        Days left out on each side of ``at`` (the transition): before is ``[at − gap − before, at − gap)``,
        after ``[at + gap, at + gap + after)``.
    control : sequence of str, optional
        The groups the reorg did not touch, pooled as the comparison. By default, with assignments: the groups
        in which no assignment starts or ends within ``max(gap, 30 days)`` of ``at``. Without assignments and
        without ``control``, no difference-in-differences is computed (the rows say so).
    as_of : date-like, optional
        Nothing after it counts; default the bundle's.
    min_n : int, default 20
        Fewest observations (deals, leads, surveys; events for counts) a window needs for a verdict.
    confidence : float, default 0.95
    convert_within : duration, default "30D"
        For "mql_to_sql": the time an MQL has to become an SQL; MQLs too recent to have had it are left out.
    boot : int, default 400
        Bootstrap resamples for the sales cycle's intervals.
    seed : int, default 0
        The bootstrap's seed.

    Returns
    -------
    pandas.DataFrame
        One row per metric and group: ``metric``, ``group``, ``arm`` ("reorganised", "control", "none" for the
        "(missing)"/"(unknown)" rows, or "unclassified" when neither assignments nor ``control`` tell), ``before``,
        ``after``, ``n_before``, ``n_after``, ``change`` with ``change_low``/``change_high`` and ``p_value``,
        ``test``, ``did`` (change net of the control groups; for bookings, won deals and attrition a relative
        effect, the group's after/before over the controls' minus 1) with ``did_low``/``did_high``/``did_p``,
        ``verdict`` ("better", "worse", "no clear change", "too few to say", "not assessed", "control only" for
        the one control group, whose change is the market's; "better (no control)" / "worse (no control)" for a
        change no control group can net), ``note`` and, for "not assessed", ``reason`` (a code: "no_amount",
        "no_surveys", "no_survey_owner", "no_departures", "no_rows", ...). The frame's
        ``attrs`` hold the windows, the controls and the settings; ``data_start`` (``data_end``) maps each metric
        whose data start inside the before window (end inside the after window) to that date, and ``after_days`` /
        ``after_asked_days`` say how long the after
        window is and would be without ``as_of`` (the ``note`` of each row says the same in words).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import salesmetrics as sm
    >>> rng = np.random.default_rng(0)
    >>> n = 800
    >>> created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 360, n), unit="D")
    >>> team = np.where(rng.random(n) < 0.5, "r1", "r2")
    >>> after = created >= pd.Timestamp("2025-07-01")
    >>> p = np.where(team == "r1", np.where(after, 0.45, 0.20), np.where(after, 0.25, 0.20))
    >>> opps = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(n)], "created_at": created,
    ...     "closed_at": created, "status": np.where(rng.random(n) < p, "won", "lost"), "owner_id": team,
    ...     "amount": 1000.0})
    >>> reps = pd.DataFrame({"rep_id": ["r1", "r2"], "team": ["East", "West"]})
    >>> data = sm.SalesData(opportunities=opps, reps=reps)
    >>> out = sm.reorg_impact(data, "2025-07-01", metrics=["win_rate"], control=["West"])
    >>> out[["group", "arm", "verdict"]].values.tolist()
    [['East', 'reorganised', 'better'], ['West', 'control', 'control only']]
    """
    if not isinstance(data, SalesData):
        raise TypeError("reorg_impact needs a SalesData (it reads several tables): sm.SalesData(opportunities=..., reps=..., ...).")
    chosen = list(METRICS if metrics is None else [metrics] if isinstance(metrics, str) else metrics)
    unknown = [m for m in chosen if m not in METRICS]
    if unknown:
        raise ValueError(f"reorg_impact: unknown metric(s) {unknown}; choose from {list(METRICS)}.")
    if not 0 < confidence < 1:
        raise ValueError(f"reorg_impact: confidence must be between 0 and 1, got {confidence!r}.")
    tz = data.timezone
    if as_of is None and data.as_of is None:
        raise ValueError("reorg_impact: nothing in the bundle is dated; pass as_of.")
    now = as_timestamp(data.as_of if as_of is None else as_of, tz)
    date = as_timestamp(at, tz, name="at")
    if date >= now:
        raise ValueError(f"reorg_impact: the reorg date {date.date()} is not before as_of {now.date()}: there is no 'after' yet.")
    pad = _span(gap, "gap") if gap else pd.Timedelta(0)
    b_len, a_len = _span(before, "before"), _span(after, "after")
    # the after window ends at as_of at the latest, as_of included (a metric counts what happened up to as_of)
    end = date + pad + a_len
    windows = _Windows(before=(date - pad - b_len, date - pad), after=(date + pad, end if end <= now else now + pd.Timedelta(1, "ns")))
    if windows.after[1] <= windows.after[0]:
        raise ValueError(f"reorg_impact: the after window starts at {windows.after[0]} (at + gap), on or after as_of {now}; "
                         "use a smaller gap or a later as_of.")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    context = _Context(data, by, windows, now, z, confidence, min_n, convert_within, boot, seed, asked_after=end)
    if isinstance(control, str):
        control = [control]
    touched, controls, why_control = _arms(data, by, date, pad, control)
    if not controls:
        context.no_control = f"no control group ({why_control.replace('; ', ', ')}), so the change is not net of the market"
    rows: list[dict[str, Any]] = []
    with warnings.catch_warnings(record=True) as caught:  # each metric groups the same rows: say each thing once
        warnings.simplefilter("always")
        for metric in chosen:
            rows.extend(_one_metric(context, metric, controls))
    seen: dict[tuple[Any, str], tuple[str, int]] = {}  # each metric groups its own rows: one warning of each kind
    for w in caught:
        key = (w.category, re.sub(r"\d[\d,]*", "#", str(w.message)))
        first, n = seen.get(key, (str(w.message), 0))
        seen[key] = (first, n + 1)
    for (category, _), (message, n) in seen.items():
        more = f" [given by {n} of the metrics' inputs; the count is the first one's]" if n > 1 else ""
        warnings.warn(message + more, category, stacklevel=find_stack_level())
    out = pd.DataFrame(rows, columns=_COLUMNS)
    groups = set(map(str, out["group"].dropna()))
    unknown = sorted(set(controls) - groups) if control is not None and groups else []
    if unknown:
        raise ValueError(f"reorg_impact: control group(s) {unknown} are not {by} values of the data; choose from "
                         f"{sorted(groups - set(NO_GROUP))}.")
    # the reorganised groups: those a move touched, or, with controls given, every other group; with neither, no
    # group can be called reorganised or control ("unclassified")
    changed = out["group"].isin(touched) | (control is not None)
    arms = np.where(out["group"].isin(controls), "control", np.where(out["group"].isin(list(NO_GROUP)), "none",
                                                                     np.where(changed, "reorganised", "unclassified")))
    out.insert(2, "arm", pd.Series(arms, dtype=object).where(out["group"].notna(), None))
    out.attrs.update(at=str(date), before=[str(t) for t in windows.before], after=[str(t) for t in windows.after],
                     controls=list(controls), touched=list(touched), control_rule=why_control, by=by, confidence=confidence,
                     data_start=dict(context.clipped), data_end=dict(context.ended), after_days=windows.days(1),
                     after_asked_days=(end - windows.after[0]) / pd.Timedelta(days=1))
    return out


_COLUMNS = ["metric", "group", "before", "after", "n_before", "n_after", "change", "change_low", "change_high", "p_value",
            "test", "did", "did_low", "did_high", "did_p", "verdict", "note", "reason"]


@dataclass
class _Context:
    data: SalesData
    by: str
    windows: _Windows
    now: pd.Timestamp
    z: float
    confidence: float
    min_n: int
    convert_within: Any
    boot: int
    seed: int
    since: pd.Timestamp | None = None  # where the current metric's data start (rates over time count from there)
    first: pd.Timestamp | None = None  # the current metric's first event in the data, on its own clock
    last: pd.Timestamp | None = None  # and its last, up to as_of
    asked_after: pd.Timestamp | None = None  # where the after window would end without as_of
    no_control: str = "no control group has this metric: the change is not net of the market"
    clipped: dict[str, str] = field(default_factory=dict)  # metric -> where its data start, inside the before window
    ended: dict[str, str] = field(default_factory=dict)  # metric -> where its data end, inside the after window


def _arms(data: SalesData, by: str, date: pd.Timestamp, pad: Any, control: Sequence[str] | None) -> tuple[list[str], list[str], str]:
    """The groups the reorg touched and the control groups, and how the controls were chosen."""
    plan = data.assignments
    touched: list[str] = []
    if plan is not None and by in plan.columns:
        # a move: a rep's assignment that follows another of theirs (a change while employed, not a hire or a
        # departure) and starts near the date; both sides of it are touched, a change of role alone too
        reach = max((date + pad) - date, pd.Timedelta(days=30))
        day = date.tz_localize(None).normalize()
        rows = plan.sort_values(["rep_id", "start_date"], kind="stable")
        prev = rows.groupby("rep_id", sort=False)[by].shift(1)
        moved = prev.notna() & rows["start_date"].between(day - reach, day + reach)
        touched = sorted(set(map(str, rows.loc[moved, by])) | set(map(str, prev[moved])))
    if control is not None:
        known: set[str] = set()
        for table in (plan, data.reps):
            if table is not None and by in table.columns:
                known |= set(map(str, table[by].dropna().unique()))
        unknown = sorted(set(map(str, control)) - known) if known else []
        if unknown:
            raise ValueError(f"reorg_impact: control group(s) {unknown} are not {by} values of the data; choose from "
                             f"{sorted(known)}.")
        return touched, [str(c) for c in control], "given"
    if plan is None or by not in (plan.columns if plan is not None else []):
        return touched, [], "no assignments to tell which groups the reorg touched; pass control="
    everyone = set(map(str, plan[by].dropna().unique()))
    if data.reps is not None and by in data.reps.columns:
        everyone |= set(map(str, data.reps[by].dropna().unique()))
    return touched, sorted(everyone - set(touched)), "untouched: no rep moved into or out of them, nor changed role, near the date"


# ------------------------------------------------------------------------------------------------------------------
# per metric: the observations of each group in each window
# ------------------------------------------------------------------------------------------------------------------

def _one_metric(c: _Context, metric: str, controls: list[str]) -> list[dict[str, Any]]:
    c.since = c.first = c.last = None
    try:
        kind, obs, note = _observations(c, metric)
    except _NotAssessed as why:
        return [{"metric": metric, "group": None, "verdict": "not assessed", "note": str(why), "reason": why.reason}]
    if not len(obs) or (not (obs["window"] == 0).any() and not (obs["window"] == 1).any()):
        w = c.windows
        return [{"metric": metric, "group": None, "verdict": "not assessed", "reason": "no_rows",
                 "note": f"nothing to measure in either window ({w.before[0]:%Y-%m-%d} to {w.after[1]:%Y-%m-%d}): the data hold no "
                         "rows for it then"}]
    w = c.windows
    start = c.since if c.since is not None else c.first
    if start is not None and start > w.before[0] + pd.Timedelta(days=1):
        held = max((w.before[1] - start) / pd.Timedelta(days=1), 0.0)
        c.clipped[metric] = f"{start:%Y-%m-%d}"
        note += (f"; the data start on {start:%Y-%m-%d}, so the before window holds {held:.0f} of its "
                 f"{w.days(0):.0f} days" + (" (rates per month count from there)" if c.since is not None else
                                             ": what the export's start cuts off may tilt it"))
    if c.last is not None and c.last < w.after[1] - 0.1 * (w.after[1] - w.after[0]):
        held = max((c.last - w.after[0]) / pd.Timedelta(days=1), 0.0)
        c.ended[metric] = f"{c.last:%Y-%m-%d}"
        note += (f"; the data end on {c.last:%Y-%m-%d}, so the after window holds {held:.0f} of its {w.days(1):.0f} days: "
                 "what the export's end cuts off may tilt it")
    if c.asked_after is not None and w.days(1) < 0.9 * (c.asked_after - w.after[0]) / pd.Timedelta(days=1):
        note += (f"; the after window ends at as_of ({c.now:%Y-%m-%d}): {w.days(1):.0f} days, not "
                 f"{(c.asked_after - w.after[0]) / pd.Timedelta(days=1):.0f}")
    groups = [g for g in pd.unique(obs["group"]) if g is not None]
    groups = sorted(groups, key=lambda g: (g in NO_GROUP, str(g)))
    out = []
    pooled = obs[obs["group"].isin(controls)]
    for g in groups:
        mine = obs[obs["group"] == g]
        others = pooled[pooled["group"] != g]  # a control group is compared with the other controls
        found = _compare(c, metric, kind, mine, others, g in controls, len(pooled) > 0)
        extra = found.pop("verdict_note", "")
        out.append({"metric": metric, "group": g, **found, "note": f"{note}; {extra}" if extra else note})
    return out


class _NotAssessed(Exception):
    """A metric the data cannot give (a table or column missing): its row says why, in words (``note``) and as a
    code (``reason``) a report can say in its own language."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _labels(c: _Context, table: str, frame: pd.DataFrame, at: pd.Series) -> pd.Series:
    inputs = resolve(c.data, table)
    try:
        labels = group_labels(inputs, frame, c.by, at=at)
    except ValueError as err:
        raise _NotAssessed("no_grouping", f"the {table} cannot be grouped by {c.by!r}: {err}") from err
    assert labels is not None
    values = labels.astype(object)
    if len(values) and values.isin(list(NO_GROUP)).all():
        raise _NotAssessed("no_grouping", f"no row of the {table} has a {c.by} (every one is {MISSING_GROUP} or {UNKNOWN_GROUP}): "
                           f"add {c.by} to the export, or choose another by=")
    return values


def _observations(c: _Context, metric: str) -> tuple[str, pd.DataFrame, str]:
    """(kind, rows of group / window / value [/ event], note) for one metric."""
    d, w = c.data, c.windows
    if metric in ("bookings", "won_deals", "win_rate", "deal_size", "sales_cycle"):
        if d.opportunities is None:
            raise _NotAssessed("no_opportunities", "no opportunities table")
        opps = d.opportunities
        now = c.now
        closed = opps["closed_at"].where(opps["closed_at"] <= now)
        if metric == "sales_cycle":
            created = opps["created_at"]
            k = w.which(created)
            keep = k >= 0
            end_ns = np.where(k == 0, w.before[1].value, w.after[1].value)
            c_ns, x_ns = _ns(created), _ns(closed)
            ended = opps["status"].isin(["won", "lost"]).to_numpy() & ~closed.isna().to_numpy() & (x_ns < end_ns)
            t = np.where(ended, x_ns - c_ns, end_ns - c_ns) / _DAY
            labels = _labels(c, "opportunities", opps, created)
            c.first = closed.min() if closed.notna().any() else None  # no close can be seen before the first
            c.last = created[created <= now].max() if (created <= now).any() else None
            won_only = (" (the export holds won deals only: the cycle of the deals that were won, not of every deal)"
                        if only_won(opps) else "")
            return "survival", pd.DataFrame({"group": labels[keep].to_numpy(), "window": k[keep], "value": np.maximum(t[keep], 0),
                                             "event": ended[keep]}), \
                ("KM median days from creation to close (won or lost) of the deals created in the window, still open ones "
                 "censored at the window's end (the p-value, log-rank, tests the whole curve, the interval and the verdict the "
                 f"median){won_only}")
        done = closed.notna() & opps["status"].isin(["won", "lost"])
        k = np.where(done.to_numpy(), w.which(closed), -1)
        keep = k >= 0
        labels = _labels(c, "opportunities", opps, closed)
        won = (opps["status"] == "won").to_numpy()
        c.first = closed[done].min() if done.any() else None
        c.last = closed[done].max() if done.any() else None
        if metric == "win_rate":
            if only_won(opps):
                raise _NotAssessed("only_won", "every deal in the export is won, so the win rate is 100% by construction: "
                                   "export the lost deals too")
            return "proportion", pd.DataFrame({"group": labels[keep].to_numpy(), "window": k[keep], "value": won[keep].astype(float)}), \
                "won / (won + lost), deals closed in the window"
        sel = keep & won
        if metric in ("bookings", "won_deals") and closed.notna().any():
            c.since = closed.min()  # per month of data: months before the first close in the export are not zeros
        amount = opps["amount"].to_numpy(float)
        if metric == "won_deals":
            return "count", pd.DataFrame({"group": labels[sel].to_numpy(), "window": k[sel], "value": 1.0}), \
                f"won deals per month, a {c.by} total" + (": reps moving in or out change it" if c.by == "team" else "")
        if metric == "bookings" or metric == "deal_size":
            if not d.has_column("opportunities", "amount"):
                raise _NotAssessed("no_amount", "the opportunities export has no amount column")
            sel &= ~np.isnan(amount)
            frame = pd.DataFrame({"group": labels[sel].to_numpy(), "window": k[sel], "value": amount[sel]})
            if metric == "bookings":
                return "amount", frame, (f"won amount per month ({d.currency}), a {c.by} total"
                                         + (": reps moving in or out change it" if c.by == "team" else ""))
            return "mean", frame, f"mean won amount ({d.currency})"
    if metric == "sla_compliance":
        if d.leads is None or d.activities is None:
            raise _NotAssessed("no_activities", "the response SLA needs leads and activities")
        from .sla import response_sla

        detail = response_sla(d, detail=True, as_of=c.now)
        start_col = detail.columns[1]
        leads = d.leads.set_index("lead_id").loc[detail["lead_id"]].reset_index()
        labels = _labels(c, "leads", leads, detail[start_col].reset_index(drop=True))
        k = w.which(detail[start_col])
        c.first = detail[start_col].min() if len(detail) else None
        c.last = detail[start_col].max() if len(detail) else None
        keep = (k >= 0) & detail["status"].isin(["met", "breached"]).to_numpy()
        return "proportion", pd.DataFrame({"group": labels[keep].to_numpy(), "window": k[keep],
                                           "value": (detail["status"].to_numpy() == "met")[keep].astype(float)}), \
            "leads first touched within the SLA, of those whose clock started in the window (pending left out)"
    if metric == "mql_to_sql":
        if d.leads is None or not d.has_column("leads", "mql_at") or not d.has_column("leads", "sql_at"):
            raise _NotAssessed("no_stages", "needs leads with mql_at and sql_at")
        leads = d.leads
        within = duration(c.convert_within, name="convert_within")
        assert isinstance(within, pd.Timedelta)
        mql = leads["mql_at"].where(leads["mql_at"] <= c.now)
        ripe = (mql + within <= c.now).to_numpy()
        k = np.where(ripe & mql.notna().to_numpy(), w.which(mql), -1)
        keep = k >= 0
        sql = leads["sql_at"]
        converted = (sql.notna() & (sql <= mql + within) & (sql <= c.now)).to_numpy()
        labels = _labels(c, "leads", leads, mql)
        c.first = mql.min() if mql.notna().any() else None
        c.last = mql[ripe].max() if ripe.any() else None
        return "proportion", pd.DataFrame({"group": labels[keep].to_numpy(), "window": k[keep], "value": converted[keep].astype(float)}), \
            f"MQLs of the window that became SQL within {within.days} days (MQLs too recent to have had that long left out)"
    if metric == "rep_attrition":
        return "count", *_departures(c)
    if metric == "csat":
        if d.surveys is None:
            raise _NotAssessed("no_surveys", "no surveys table")
        s = d.surveys[(d.surveys["kind"] == "csat") & (d.surveys["responded_at"] <= c.now)]
        if "owner_id" not in s.columns and c.by not in s.columns:
            raise _NotAssessed("no_survey_owner", f"surveys have no owner_id column, so a response cannot be tied to a {c.by}; add the owner "
                               "of the account at the time (the CSM) as surveys.owner_id")
        k = w.which(s["responded_at"])
        keep = k >= 0
        labels = _labels(c, "surveys", s, s["responded_at"])
        c.first = s["responded_at"].min() if len(s) else None
        c.last = s["responded_at"].max() if len(s) else None
        return "mean", pd.DataFrame({"group": labels[keep].to_numpy(), "window": k[keep], "value": s["score"].to_numpy(float)[keep]}), \
            "mean CSAT score (1–5) of responses in the window"
    raise AssertionError(metric)  # pragma: no cover - METRICS is checked above


def _departures(c: _Context) -> tuple[pd.DataFrame, str]:
    """Departures per group and window, with each group's rep-years of exposure in each window (a rep counts in the
    group whose assignment is in force; without assignments, in reps' group)."""
    d, w = c.data, c.windows
    if d.reps is None:
        raise _NotAssessed("no_reps", "no reps table: attrition needs the reps with their hire and departure dates")
    if not d.has_column("reps", "terminated_at") or not d.reps["terminated_at"].notna().any():
        raise _NotAssessed("no_departures", "reps.terminated_at is missing or empty in every row: departures are unknown, not zero")
    reps = d.reps
    tz = d.timezone
    far, first = np.iinfo("int64").max, np.iinfo("int64").min

    def ns(stamps: pd.Series, empty: int) -> np.ndarray:
        """Instants as int64 nanoseconds (UTC), ``empty`` where missing."""
        return np.where(stamps.isna().to_numpy(), empty, _ns(stamps))

    hired = ns(reps["hired_at"], first) if "hired_at" in reps else np.full(len(reps), first)
    left = ns(reps["terminated_at"].where(reps["terminated_at"] <= c.now), far)
    plan = d.assignments
    if plan is not None and c.by in plan.columns:
        has = reps["rep_id"].isin(plan["rep_id"]).to_numpy()
        groups = np.concatenate([plan[c.by].astype(object).to_numpy(),
                                 reps.loc[~has, c.by].astype(object).to_numpy() if c.by in reps else np.full(int((~has).sum()), None)])
        rep_of = pd.concat([plan["rep_id"], reps.loc[~has, "rep_id"]], ignore_index=True)
        start = np.concatenate([ns(plan["start_date"].dt.tz_localize(tz), first), hired[~has]])
        end = np.concatenate([ns(plan["end_date"].dt.tz_localize(tz), far), np.full(int((~has).sum()), far)])
    elif c.by in reps.columns:
        groups, rep_of = reps[c.by].astype(object).to_numpy(), reps["rep_id"].reset_index(drop=True)
        start, end = hired.copy(), np.full(len(reps), far)
    else:
        raise _NotAssessed("no_grouping", f"reps have no {c.by!r} column")
    where = index_in(rep_of, reps["rep_id"])
    seg_hired, seg_left = hired[where], left[where]
    lo, hi = np.maximum(start, seg_hired), np.minimum(end, seg_left)
    year = 365.2425 * _DAY
    rows = []
    for k, (a, b) in enumerate((w.before, w.after)):
        a_ns, b_ns = a.value, b.value
        years = np.maximum(np.minimum(hi, b_ns) - np.maximum(lo, a_ns), 0) / year
        rows.append(pd.DataFrame({"group": groups, "window": k, "exposure": years, "value": 0.0}))
        # a departure counts in the group of the assignment in force at the moment the rep left
        last = (seg_left >= a_ns) & (seg_left < b_ns) & (seg_left != far) & (start <= seg_left) & (seg_left < end)
        rows.append(pd.DataFrame({"group": groups[last], "window": k, "exposure": 0.0, "value": 1.0}))
    obs = pd.concat(rows, ignore_index=True)
    obs["group"] = obs["group"].where(obs["group"].notna(), "(missing)")
    return obs, "departures per rep-year (annualised), in the group the rep was assigned to"


# ------------------------------------------------------------------------------------------------------------------
# the comparison of a group's two windows, and against the controls
# ------------------------------------------------------------------------------------------------------------------

def _summary(c: _Context, kind: str, obs: pd.DataFrame, k: int) -> tuple[float, float, int, Any]:
    """(estimate, variance, n, raw) of one window's observations."""
    x = obs[obs["window"] == k]
    v = x["value"].to_numpy(float)
    if kind == "proportion":
        n = len(v)
        p = v.mean() if n else np.nan
        return p, p * (1 - p) / n if n else np.nan, n, (int(v.sum()), n)
    if kind == "mean":
        n = len(v)
        return (v.mean() if n else np.nan), (v.var(ddof=1) / n if n > 1 else np.nan), n, v
    if kind in ("count", "amount"):
        # per rep-year of exposure (attrition), else per month of the window
        t = float(x["exposure"].sum()) if "exposure" in x else c.windows.days(k, c.since) / _MONTH_DAYS
        n = int((v > 0).sum()) if kind == "count" else len(v)
        total = v.sum()
        rate = total / t if t > 0 else np.nan
        var = (v**2).sum() / t**2 if t > 0 else np.nan
        return rate, var, n, (total, t, n)
    if kind == "survival":
        days = x["value"].to_numpy(float)
        ended = x["event"].to_numpy(bool)
        med = km_summary(np.zeros(len(days), dtype="int64"), days, ended, 1)["median"][0] if len(days) else np.nan
        return med, np.nan, len(days), (days, ended)
    raise AssertionError(kind)  # pragma: no cover


def _newcombe(k0: int, n0: int, k1: int, n1: int, confidence: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 − p0 (method 10 of Newcombe 1998)."""
    l0, u0 = (float(a[0]) for a in wilson_interval([k0], [n0], confidence))
    l1, u1 = (float(a[0]) for a in wilson_interval([k1], [n1], confidence))
    p0, p1 = k0 / n0, k1 / n1
    d = p1 - p0
    return d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def _two_sided(z: float) -> float:
    return float(2 * (1 - NormalDist().cdf(abs(z)))) if np.isfinite(z) else np.nan


def _change(c: _Context, kind: str, obs: pd.DataFrame) -> dict[str, Any]:
    """A group's before, after, change with interval and p-value."""
    from scipy import stats

    (b, vb, nb, rb), (a, va, na, ra) = _summary(c, kind, obs, 0), _summary(c, kind, obs, 1)
    out: dict[str, Any] = {"before": b, "after": a, "n_before": nb, "n_after": na, "change": a - b, "_var": vb + va,
                           "_vb": vb, "_va": va}
    if kind == "proportion":
        lo, hi = _newcombe(rb[0], rb[1], ra[0], ra[1], c.confidence) if nb and na else (np.nan, np.nan)
        pooled = (rb[0] + ra[0]) / (nb + na) if nb + na else np.nan
        se = np.sqrt(pooled * (1 - pooled) * (1 / nb + 1 / na)) if nb and na else np.nan
        out.update(change_low=lo, change_high=hi, p_value=_two_sided((a - b) / se) if se and se > 0 else np.nan,
                   test="two-proportion z (Newcombe interval)")
    elif kind == "mean":
        se = np.sqrt(vb + va)
        if nb > 1 and na > 1:
            dof = (vb + va) ** 2 / (vb**2 / (nb - 1) + va**2 / (na - 1)) if vb + va > 0 else np.inf
            q = stats.t.ppf(0.5 + c.confidence / 2, dof) if np.isfinite(dof) else c.z
            p = float(stats.ttest_ind(ra, rb, equal_var=False).pvalue) if vb + va > 0 else np.nan
        else:
            q, p = np.nan, np.nan
        out.update(change_low=a - b - q * se, change_high=a - b + q * se, p_value=p, test="Welch t")
    elif kind in ("count", "amount"):
        (tot_b, t_b, _), (tot_a, t_a, _) = rb, ra
        se = np.sqrt(vb + va)
        if kind == "count" and t_a + t_b > 0 and tot_a + tot_b > 0:
            p = float(stats.binomtest(round(tot_a), round(tot_a + tot_b), t_a / (t_a + t_b)).pvalue)
            test = "Poisson rates (exact conditional test)"
        else:
            p, test = _two_sided((a - b) / se) if se > 0 else np.nan, "compound Poisson rate (Wald)"
        out.update(change_low=a - b - c.z * se, change_high=a - b + c.z * se, p_value=p, test=test)
        out["n_before"], out["n_after"] = round(tot_b) if kind == "count" else nb, round(tot_a) if kind == "count" else na
    elif kind == "survival":
        (tb, eb), (ta, ea) = rb, ra
        lo, hi, var = _boot_median_change(c, [(tb, eb, 1.0), (ta, ea, -1.0)]) if nb and na else (np.nan, np.nan, np.nan)
        out.update(change_low=lo, change_high=hi, p_value=_logrank(tb, eb, ta, ea) if nb and na else np.nan,
                   test="log-rank (bootstrap interval of the KM medians)", _var=var, _samples=(rb, ra))
    return out


def _logrank(t0: np.ndarray, e0: np.ndarray, t1: np.ndarray, e1: np.ndarray) -> float:
    """Two-sample log-rank test's p-value (Mantel 1966; the usual hypergeometric variance)."""
    from scipy import stats

    t = np.concatenate([t0, t1])
    e = np.concatenate([e0, e1]).astype(bool)
    g = np.concatenate([np.zeros(len(t0), dtype=bool), np.ones(len(t1), dtype=bool)])
    times = np.unique(t[e])
    if not len(times):
        return np.nan
    order = np.sort(t)
    at_risk = len(t) - np.searchsorted(order, times, side="left")
    order1 = np.sort(t[g])
    at_risk1 = g.sum() - np.searchsorted(order1, times, side="left")
    idx = np.searchsorted(times, t[e])
    d = np.bincount(idx, minlength=len(times))
    d1 = np.bincount(idx[g[e]], minlength=len(times))
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = d * at_risk1 / at_risk
        var = np.where(at_risk > 1, d * (at_risk1 / at_risk) * (1 - at_risk1 / at_risk) * (at_risk - d) / (at_risk - 1), 0)
    stat = (d1.sum() - expected.sum()) ** 2 / var.sum() if var.sum() > 0 else np.nan
    return float(stats.chi2.sf(stat, 1)) if np.isfinite(stat) else np.nan


def _boot_median_change(c: _Context, samples: list[tuple[np.ndarray, np.ndarray, float]]) -> tuple[float, float, float]:
    """Percentile interval and variance of Σ sign × KM median over independent resamples of each sample."""
    rng = np.random.default_rng(c.seed)
    total = np.zeros(c.boot)
    for t, e, sign in samples:
        n = len(t)
        pick = rng.integers(0, n, (c.boot, n))
        cell = np.repeat(np.arange(c.boot), n)
        med = km_summary(cell, t[pick].ravel(), e[pick].ravel(), c.boot)["median"]
        total -= sign * med
    ok = total[np.isfinite(total)]
    if len(ok) < 0.9 * c.boot:  # a median the curves often never reach: no interval
        return np.nan, np.nan, np.nan
    alpha = (1 - c.confidence) / 2
    return float(np.quantile(ok, alpha)), float(np.quantile(ok, 1 - alpha)), float(ok.var(ddof=1))


def _compare(c: _Context, metric: str, kind: str, mine: pd.DataFrame, others: pd.DataFrame, is_control: bool,
             have_controls: bool) -> dict[str, Any]:
    own = _change(c, kind, mine)
    few = _few(c, kind, own)
    out = {k: v for k, v in own.items() if not k.startswith("_")}
    out.update(did=np.nan, did_low=np.nan, did_high=np.nan, did_p=np.nan)
    note = ""
    if few:
        out["verdict"] = "too few to say"
        need = "10 events in both windows together" if kind == "count" else f"{c.min_n} in each window"
        note = f"{out['n_before']} before and {out['n_after']} after; a verdict needs {need}"
        out["_extra"] = note
    if have_controls and len(others):
        base = _change(c, kind, others)
        if kind == "survival":
            if own["n_before"] and own["n_after"] and base["n_before"] and base["n_after"]:
                (tb, eb), (ta, ea) = own["_samples"]
                (cb, ceb), (ca, cea) = base["_samples"]
                lo, hi, var = _boot_median_change(c, [(tb, eb, 1.0), (ta, ea, -1.0), (cb, ceb, -1.0), (ca, cea, 1.0)])
                did = own["change"] - base["change"]
                se = np.sqrt(var) if np.isfinite(var) else np.nan
                out.update(did=did, did_low=lo, did_high=hi, did_p=_two_sided(did / se) if se and se > 0 else np.nan)
        elif kind in ("count", "amount"):
            # rates over time grow with a team's size and the company's growth: compared as ratios (the group's
            # after/before over the controls'), on the log scale with the delta method's variance; did is the
            # relative effect (+0.12 = 12% more than the controls' movement would give)
            parts = [(own["after"], own["_va"]), (own["before"], own["_vb"]), (base["after"], base["_va"]), (base["before"], base["_vb"])]
            if all(v > 0 and np.isfinite(v) for v, _ in parts):
                x = np.log(parts[0][0] / parts[1][0]) - np.log(parts[2][0] / parts[3][0])
                se = float(np.sqrt(sum(var / v**2 for v, var in parts)))
                out.update(did=float(np.expm1(x)), did_low=float(np.expm1(x - c.z * se)), did_high=float(np.expm1(x + c.z * se)),
                           did_p=_two_sided(x / se) if se > 0 else np.nan)
        else:
            did = own["change"] - base["change"]
            se = np.sqrt(own["_var"] + base["_var"])
            out.update(did=did, did_low=did - c.z * se, did_high=did + c.z * se, did_p=_two_sided(did / se) if se > 0 else np.nan)
        if _few(c, kind, base):
            out.update(did=np.nan, did_low=np.nan, did_high=np.nan, did_p=np.nan)
            note = (note + "; " if note else "") + "the controls hold too few for a net effect"
    elif is_control:
        note = (note + "; " if note else "") + "the only control group: its change is the market's, with nothing to net it against"
    else:
        note = (note + "; " if note else "") + c.no_control
    if kind == "survival":
        unreached = [name for name, v in (("before", own["before"]), ("after", own["after"])) if own[f"n_{name}"] and not np.isfinite(v)]
        if unreached:
            note = (note + "; " if note else "") + (f"the median was not reached in the {' and '.join(unreached)} window "
                                                    "(fewer than half its deals had closed by the window's end)")
        elif have_controls and len(others) and not np.isfinite(out["did"]) and not few:
            note = (note + "; " if note else "") + "the controls' median was not reached in a window: no net effect"
    if few or not (np.isfinite(out["did_low"]) and np.isfinite(out["did_high"])):
        # a net effect of a group too small for a verdict, or without an interval, is not shown either
        out.update(did=np.nan, did_low=np.nan, did_high=np.nan, did_p=np.nan)
    if not few and is_control and not len(others) and not np.isfinite(out["did"]):
        out["verdict"] = "control only"  # a lone control's change is what moved everywhere: no effect of its own to judge
    elif not few and have_controls and len(others) and not np.isfinite(out["did"]):
        # there are controls, but no net effect could be estimated against them: not a verdict "without control"
        out["verdict"] = "too few to say"
        if "median" not in note:
            note = (note + "; " if note else "") + "no net effect could be estimated against the controls"
    elif not few:
        netted = np.isfinite(out["did"])
        lo, hi = (out["did_low"], out["did_high"]) if netted else (out["change_low"], out["change_high"])
        p = out["did_p"] if netted else out["p_value"]
        alpha = 1 - c.confidence
        if not (np.isfinite(lo) and np.isfinite(hi)):
            out["verdict"] = "too few to say" if kind == "survival" else "no clear change"
            if kind == "survival":
                note = (note + "; " if note else "") + "the median's interval could not be estimated (too few closed deals)"
        elif (lo > 0 or hi < 0) and np.isfinite(p) and p >= alpha:
            # the interval and the test disagree (an exact test on few events, say): no verdict beyond the test's
            out["verdict"] = "no clear change"
            note = (note + "; " if note else "") + f"the interval excludes 0 but the test does not (p = {p:.2g})"
        elif lo > 0 or hi < 0:
            up = lo > 0
            out["verdict"] = "better" if up != (metric in _LOWER_IS_BETTER) else "worse"
            if not netted:  # a change, but not net of the market: it may not be the reorg's
                out["verdict"] += " (no control)"
            elif is_control:
                note = (note + "; " if note else "") + "a control that moved apart from the other controls: check that the reorg did not touch it"
        else:
            out["verdict"] = "no clear change"
    out.pop("_extra", None)
    out["_note"] = note
    return _finish(out)


def _few(c: _Context, kind: str, found: dict[str, Any]) -> bool:
    """Too few observations for a verdict: under ``min_n`` in a window; for counts (exact tests hold for small
    ones), under 10 events in both windows together."""
    if kind == "count":
        return bool(found["n_before"] + found["n_after"] < 10)
    return bool(found["n_before"] < c.min_n or found["n_after"] < c.min_n)


def _finish(out: dict[str, Any]) -> dict[str, Any]:
    note = out.pop("_note")
    if note:
        out["verdict_note"] = note
    return out
