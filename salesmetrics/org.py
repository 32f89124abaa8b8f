"""Organisation designs, KPI ownership, team scorecards and the reverse-funnel plan.

The metric definitions (docs/metrics.md, "Organisation") name two designs from the seed article:

- functional — marketing (leads, lead conversion, CAC); sales (revenue, deal size, close rate,
  win rate); product (retention, MRR/ARR); support (retention, cycle length);
- process-based — marketing (leads, lead conversion, CAC); sales (SDR, AE, ops: revenue, deal
  size, close rate, win rate, cycle length, lead conversions); customer success (retention,
  MRR/ARR, LTV).

Every KPI value comes from the library's own metric functions (see ``KPIS``). Targets are read
from the targets table by period, metric and scope: the design team's name, else one of the rep
teams it contains (``reps.team``), else the company.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._api import data_first
from ._compat import flags
from .periods import as_timestamp, freq_alias, parse_period
from .stats import ratio

if TYPE_CHECKING:  # pragma: no cover
    from .data import SalesData

__all__ = ["KPIS", "OrgDesign", "Team", "kpi_gaps", "kpi_window", "plan_funnel", "scorecard"]


# ----------------------------------------------------------------------------------------------------------
# KPIs: name -> how to compute it per period with the library's functions
# ----------------------------------------------------------------------------------------------------------


ALL_TIME = "all time"
"""The ``period`` label of a scorecard computed with ``freq=None``."""


def _series(frame: pd.DataFrame, column: str) -> pd.Series:
    """A KPI by period; with ``freq=None`` (no period column) its one all-time value, labelled ``ALL_TIME``."""
    if "period" not in frame.columns:
        return pd.Series([frame[column].iloc[0] if len(frame) else np.nan], index=[ALL_TIME], name=column)
    return frame.set_index("period")[column]


def _new_business(data: Any) -> Any:
    """The bundle with only the opportunities every pipeline KPI counts: new business (``type`` missing or "new_business").

    Expansion deals are revenue from existing customers (they show in MRR as expansion), not new bookings;
    ``sales_decline`` counts the same deals. A bundle without a ``type`` column, or with new business
    only, is returned as it is; otherwise a shallow copy whose opportunities are the new-business rows
    (the bundle itself is not touched, and its ``as_of`` stays the same).
    """
    import copy

    opps = getattr(data, "opportunities", None)
    if opps is None or "type" not in opps.columns:
        return data
    keep = (opps["type"].isna() | (opps["type"] == "new_business")).to_numpy()
    if keep.all():
        return data
    cached = data.__dict__.get("_new_business")
    if cached is not None and cached[0] is opps:
        return cached[1]
    view = copy.copy(data)
    view.__dict__["_positions"] = {}  # positions looked up on the whole table do not hold for a part of it
    view.__dict__["_as_of"] = data.as_of  # the whole bundle's reporting date, not the subset's latest event
    view.__dict__.pop("_new_business", None)
    view.opportunities = opps[keep]
    data.__dict__["_new_business"] = (opps, view)  # a look-up cache, like the positions: the tables are untouched
    return view


def _table(frame: pd.DataFrame, value: str, num: str | None = None, den: str | pd.Series | None = None,
           incomplete: str | pd.Series | None = None) -> pd.DataFrame:
    """A KPI's table: ``period`` (when the frame has one), ``value``, and ``num`` / ``den`` / ``incomplete`` when given."""
    out = pd.DataFrame({"value": frame[value].to_numpy(float)}, index=frame.index)
    if "period" in frame.columns:
        out.insert(0, "period", frame["period"])
    if num is not None:
        out["num"] = frame[num].to_numpy(float)
        out["den"] = (frame[den] if isinstance(den, str) else den).to_numpy(float)  # type: ignore[union-attr]
    if incomplete is not None:
        marks = frame[incomplete] if isinstance(incomplete, str) else incomplete
        out["incomplete"] = flags(marks)
    return out.reset_index(drop=True)


def _t_mqls(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .funnels import funnel

    return _table(funnel(data, ["created_at", "mql_at"], freq=freq, method="period", as_of=as_of), "converted")


def _t_lead_conversion(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .funnels import funnel

    return _table(funnel(data, ["created_at", "won_at"], freq=freq, as_of=as_of), "rate", "converted", "entered", "incomplete")


def _t_mql_to_sql(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .funnels import funnel

    return _table(funnel(data, ["mql_at", "sql_at"], freq=freq, as_of=as_of), "rate", "converted", "entered", "incomplete")


def _t_bookings(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .pipeline import deal_size

    return _table(deal_size(_new_business(data), freq=freq, as_of=as_of), "total")


def _t_deal_size(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .pipeline import deal_size

    return _table(deal_size(_new_business(data), freq=freq, as_of=as_of), "mean", "total", "won")


def _t_close_rate(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .pipeline import close_rate

    return _table(close_rate(data, freq=freq, as_of=as_of), "close_rate", "won", "created", "incomplete")


def _t_win_rate(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .pipeline import win_rate

    r = win_rate(data, freq=freq, as_of=as_of)
    return _table(r, "win_rate", "won", r["won"] + r["lost"])


def _t_cycle(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .pipeline import sales_cycle

    return _table(sales_cycle(data, freq=freq, as_of=as_of), "median_days")


def time_to_close_curve(data: Any, as_of: Any, created: tuple[Any, Any] | None = None) -> pd.DataFrame:
    """Kaplan–Meier curve of the days from creation to close (won or lost), deals still open censored at ``as_of``.

    Every opportunity created by ``as_of`` (or, with ``created=(start, end)``, in ``[start, end)``) counts;
    a close after ``as_of`` has not happened yet. The review draws this curve, and its median is the KPI
    ``time_to_close_days``.

    Parameters
    ----------
    data : SalesData
        Needs opportunities.
    as_of : time stamp
        Nothing after it counts.
    created : tuple of time stamps, optional
        Only deals created in ``[start, end)``.

    Returns
    -------
    pandas.DataFrame
        ``time`` (days), ``at_risk``, ``events``, ``censored``, ``survival`` (see :func:`~salesmetrics.kaplan_meier`).

    Examples
    --------
    >>> import salesmetrics as sm
    >>> data = sm.load_sample()
    >>> float(time_to_close_curve(data, data.as_of)["survival"].iloc[-1]) < 0.1
    True
    """
    from .stats import kaplan_meier

    o = data.opportunities
    now = as_timestamp(as_of, data.timezone)
    seen = o[o["created_at"] <= now]
    if created is not None:
        seen = seen[(seen["created_at"] >= created[0]) & (seen["created_at"] < created[1])]
    closed = seen["closed_at"].notna() & (seen["closed_at"] <= now)
    days = (seen["closed_at"].where(closed, now) - seen["created_at"]).dt.total_seconds() / 86_400
    return kaplan_meier(days, closed)


def curve_median(curve: pd.DataFrame) -> float:
    """The median of a Kaplan–Meier curve: the first time its survival is at or below one half (NaN if never).

    Parameters
    ----------
    curve : pandas.DataFrame
        ``time`` and ``survival``, as :func:`~salesmetrics.kaplan_meier` returns them.

    Returns
    -------
    float

    Examples
    --------
    >>> import pandas as pd
    >>> curve_median(pd.DataFrame({"time": [1.0, 2.0, 3.0], "survival": [0.8, 0.5, 0.1]}))
    2.0
    """
    times, survival = np.r_[0.0, curve["time"].to_numpy(float)], np.r_[1.0, curve["survival"].to_numpy(float)]
    hit = np.flatnonzero(survival <= 0.5)
    return float(times[hit[0]]) if len(hit) else np.nan


def _t_time_to_close(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    """Median days from creation to close, won or lost, of the deals created in the period (Kaplan–Meier, open deals censored)."""
    from .periods import period_bounds, to_period

    now = as_timestamp(as_of, data.timezone) if as_of is not None else data.as_of
    assert now is not None and data.opportunities is not None  # its needs are checked before it runs
    if freq is None:
        return pd.DataFrame({"value": [curve_median(time_to_close_curve(data, now))]})
    o = data.opportunities
    periods = pd.PeriodIndex(sorted(set(to_period(o.loc[o["created_at"] <= now, "created_at"], freq,
                                                  fiscal_year_start=data.fiscal_year_start))))
    starts, ends = period_bounds(periods, tz=data.timezone)
    curves = [time_to_close_curve(data, now, (a, b)) for a, b in zip(starts, ends, strict=True)]
    return pd.DataFrame({"period": periods, "value": [curve_median(c) for c in curves],
                         "incomplete": [bool(b > now or c["censored"].sum() > 0) for b, c in zip(ends, curves, strict=True)]})


def _t_wins_per_new_deal(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    """The decline decomposition's ratio (``sales_decline``'s ``wins_per_new_deal``): new-business deals won in the period ÷
    new-business deals created in it. The wins may come from deals of earlier periods, so it can exceed 1."""
    from .pipeline import close_rate, win_rate

    nb = _new_business(data)
    won = win_rate(nb, freq=freq, as_of=as_of)
    created = close_rate(nb, freq=freq, as_of=as_of)
    if freq is None:
        both = pd.DataFrame({"won": won["won"].to_numpy(float), "created": created["created"].to_numpy(float)})
    else:
        both = pd.merge(won[["period", "won"]], created[["period", "created"]], on="period", how="outer").sort_values("period")
        both = both.fillna({"won": 0, "created": 0}).reset_index(drop=True)
    both["value"] = ratio(both["won"].to_numpy(float), both["created"].to_numpy(float))
    return _table(both, "value", "won", "created")


def _t_logo_churn(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .revenue import retention

    return _table(retention(data, freq=freq, as_of=as_of), "logo_churn_rate", "churned_customers", "starting_customers")


def _t_nrr(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .revenue import retention

    return _table(retention(data, freq=freq, as_of=as_of), "nrr", "starting_accounts_ending_mrr", "starting_mrr")


def _t_grr(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .revenue import retention

    return _table(retention(data, freq=freq, as_of=as_of), "grr", "retained_mrr", "starting_mrr")


def _t_mrr(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .revenue import mrr_bridge

    return _table(mrr_bridge(data, freq=freq, as_of=as_of), "ending_mrr")


def _t_arr(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .revenue import mrr_bridge

    return _table(mrr_bridge(data, freq=freq, arr=True, as_of=as_of), "ending_arr")


def _t_sla(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .sla import response_sla

    r = response_sla(data, freq=freq, as_of=as_of)
    return _table(r, "compliance", "met", r["met"] + r["breached"])


def _t_response_hours(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .sla import response_sla

    return _table(response_sla(data, freq=freq, as_of=as_of), "median_response_hours")


def _t_cac(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .economics import cac

    return _table(cac(data, freq=freq, by=None, as_of=as_of), "cac", "spend", "new_customers")


def _ltv_frame(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .economics import ltv

    return ltv(data, freq=freq, warn=False, as_of=as_of)


def _t_ltv(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    """LTV with gross margin 1 (ChartMogul's form): a scorecard has no margin to assume."""
    return _table(_ltv_frame(data, freq, as_of), "ltv")


def _t_arpa(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    return _table(_ltv_frame(data, freq, as_of), "arpa")


def _t_monthly_churn(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    return _table(_ltv_frame(data, freq, as_of), "monthly_logo_churn")


def _economics(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    from .economics import unit_economics

    return unit_economics(data, freq=freq, gross_margin=1.0, as_of=as_of)


def _t_ltv_cac(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    return _table(_economics(data, freq, as_of), "ltv_cac")


def _t_payback(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    return _table(_economics(data, freq, as_of), "payback_months")


LEAD_FUNNEL = ("created_at", "mql_at", "sql_at", "opportunity_created_at", "won_at")
"""The stages of the lead funnel the plan works back through, in order."""


def _lead_cohorts(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
    """The funnel of the leads created in each period: per period and stage, ``entered``, ``converted`` and ``rate``.

    Stages the export does not have are skipped (a lead that skipped a stage still reached the later ones).
    """
    from .funnels import funnel, lead_journeys
    from .periods import to_period

    # the four funnel steps share one computation per (freq, as_of) on the same tables (a look-up cache, like the
    # positions: a table replaced on the bundle is a different object, so its entry no longer matches)
    cache = data.__dict__.setdefault("_lead_cohorts", {}) if hasattr(data, "__dict__") else {}
    key = (freq, str(as_of), id(getattr(data, "leads", None)), id(getattr(data, "opportunities", None)))
    hit = cache.get(key)
    if hit is not None and hit[0] is getattr(data, "leads", None) and hit[1] is getattr(data, "opportunities", None):
        return hit[2]
    journeys = lead_journeys(data, as_of=as_of)
    stages = [s for s in LEAD_FUNNEL if s in journeys.columns and (s == "created_at" or journeys[s].notna().any()
                                                                   or s in ("opportunity_created_at", "won_at"))]
    if freq is None:
        out = funnel(journeys, stages, freq=None, as_of=as_of)
    else:
        cohorts = to_period(journeys["created_at"], freq, fiscal_year_start=data.fiscal_year_start)
        journeys = journeys.assign(_cohort=cohorts.astype(str))
        out = funnel(journeys, stages, by="_cohort", freq=None, as_of=as_of)
        out.insert(0, "period", [pd.Period(c, freq_alias(freq, data.fiscal_year_start)) for c in out.pop("_cohort")])
        out = out.sort_values(["period"], kind="stable").reset_index(drop=True)
    cache[key] = (getattr(data, "leads", None), getattr(data, "opportunities", None), out)
    return out


def _step(stage: str) -> Callable[[Any, str | None, Any], pd.DataFrame]:
    """The lead-funnel step into ``stage``: of the period's new leads that reached the stage before it, the share that reached it."""
    def table(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
        f = _lead_cohorts(data, freq, as_of)
        return _table(f[f["next_stage"] == stage], "rate", "converted", "entered", "incomplete")
    table.__name__ = f"_t_funnel_{stage}"
    return table


def _t_capacity(role: str, stage: str) -> Callable[[Any, str | None, Any], pd.DataFrame]:
    """Work handled per rep of ``role`` in post a month: MQLs per SDR, opportunities per AE.

    The work is the period's entries into ``stage`` (MQLs; new-business opportunities created); the
    capacity is the rep-months of ``role`` in post (a rep is in post in a month when hired by its middle
    and not gone by then; no hire date counts as in post, and without ``terminated_at`` nobody has left), in the
    role held that month when the bundle has assignments.
    """
    def table(data: SalesData, freq: str | None, as_of: Any) -> pd.DataFrame:
        from .periods import as_timestamp, to_period

        now = as_timestamp(as_of, data.timezone) if as_of is not None else data.as_of
        assert now is not None and data.reps is not None  # its needs are checked before it runs
        stamps = data.leads["mql_at"] if stage == "mql_at" and data.leads is not None else _new_business(data).opportunities["created_at"]
        stamps = stamps[stamps.notna() & (stamps <= now)]
        reps = data.reps
        months = pd.period_range(to_period(stamps, "M").min() if len(stamps) else pd.Period(now.tz_localize(None), "M"),
                                 pd.Period(now.tz_localize(None), "M"), freq="M")
        mids = pd.DatetimeIndex([m.start_time + (m.end_time - m.start_time) / 2 for m in months]).tz_localize(data.timezone)
        from .data import resolve
        from .data._lookups import labels_over_time

        roles_then = labels_over_time(resolve(data, "reps"), reps, "role", pd.Series(mids)).T  # months x reps
        held: np.ndarray = np.asarray(roles_then == role, dtype=bool)
        ever = held.any(axis=0)
        mine, held = reps[ever], held[:, ever]

        def stamps_of(column: str) -> np.ndarray:
            """The column as UTC nanoseconds (NaT: unknown), or all unknown where the export has no such column."""
            if not data.has_column("reps", column):
                return np.full(len(mine), np.iinfo("int64").min)
            return np.asarray(pd.DatetimeIndex(pd.to_datetime(mine[column], utc=True)).as_unit("ns").asi8)

        at = np.asarray(mids.tz_convert("UTC").as_unit("ns").asi8)[:, None]
        hired, left = stamps_of("hired_at")[None, :], stamps_of("terminated_at")[None, :]
        unknown = np.iinfo("int64").min
        hired_ok = (hired == unknown) | (hired <= at)
        gone = (left != unknown) & (left <= at)
        in_post = (hired_ok & ~gone & held).sum(axis=1).astype(float)  # in post, in the role that month
        handled = pd.Series(1.0, index=to_period(stamps, "M")).groupby(level=0).sum().reindex(months, fill_value=0.0)
        frame = pd.DataFrame({"month": months, "handled": handled.to_numpy(), "rep_months": in_post})
        if freq is None:
            total = frame[["handled", "rep_months"]].sum()
            return pd.DataFrame({"value": [float(ratio(total["handled"], total["rep_months"]))], "num": [total["handled"]],
                                 "den": [total["rep_months"]]})
        frame["period"] = pd.PeriodIndex([m.asfreq(freq_alias(freq, data.fiscal_year_start), how="E") for m in months])
        per = frame.groupby("period", sort=True)[["handled", "rep_months"]].sum().reset_index()
        per["value"] = ratio(per["handled"].to_numpy(), per["rep_months"].to_numpy())
        return _table(per, "value", "handled", "rep_months")
    table.__name__ = f"_t_capacity_{role}"
    return table


def _value(table: Callable[[Any, str | None, Any], pd.DataFrame]) -> Callable[[Any, str | None, Any], pd.Series]:
    def compute(data: Any, freq: str | None, as_of: Any) -> pd.Series:
        return _series(table(data, freq, as_of), "value")
    compute.__name__ = table.__name__.replace("_t_", "_kpi_")
    compute.__doc__ = table.__doc__
    return compute


@dataclass(frozen=True)
class Kpi:
    """A KPI: how to compute it, what its target is called, which way is good, and what it needs.

    ``table(data, freq, as_of)`` is the KPI's one definition: per period its ``value``, with ``num`` and
    ``den`` (value = num / den) when it is a ratio, and ``incomplete`` where the period's cohort is still
    maturing at ``as_of``. ``combine`` says how periods add up: "ratio" (Σnum / Σden), "sum" (Σvalue) or
    "none" (a median or a stock: not over several periods). ``needs`` names the tables and columns
    (``"reps.role"``) it cannot be computed without. ``compute`` is ``table``'s ``value`` by period.
    """

    label: str
    compute: Callable[[Any, str | None, Any], pd.Series]
    """``compute(data, freq, as_of)``: the KPI per period, nothing after ``as_of`` counted."""
    target_metric: str
    higher_is_better: bool = True
    unit: str = "count"
    table: Callable[[Any, str | None, Any], pd.DataFrame] | None = None
    combine: str = "none"
    needs: tuple[str, ...] = ()


def _kpi(label: str, table: Callable[[Any, str | None, Any], pd.DataFrame], target_metric: str, *, unit: str,
         combine: str = "none", needs: tuple[str, ...] = (), higher_is_better: bool = True) -> Kpi:
    return Kpi(label, _value(table), target_metric, higher_is_better, unit, table, combine, needs)


_OPPS = ("opportunities",)
_LEADS = ("leads", "opportunities")

KPIS: dict[str, Kpi] = {
    "mqls": _kpi("leads (MQLs delivered)", _t_mqls, "mqls", unit="count", combine="sum", needs=("leads", "leads.mql_at")),
    "lead_conversion": _kpi("lead conversion rate (lead to won)", _t_lead_conversion, "lead_conversion", unit="rate",
                            combine="ratio", needs=_LEADS),
    "cac": _kpi("customer acquisition cost", _t_cac, "cac", unit="money", combine="ratio", needs=("spend", "subscriptions"),
                higher_is_better=False),
    "bookings": _kpi("revenue (new-business bookings)", _t_bookings, "bookings", unit="money", combine="sum",
                     needs=("opportunities", "opportunities.amount")),
    "deal_size": _kpi("average deal size (new business)", _t_deal_size, "deal_size", unit="money", combine="ratio",
                      needs=("opportunities", "opportunities.amount")),
    "close_rate": _kpi("deal closing ratio", _t_close_rate, "close_rate", unit="rate", combine="ratio", needs=_OPPS),
    "win_rate": _kpi("win rate", _t_win_rate, "win_rate", unit="rate", combine="ratio", needs=_OPPS),
    "sales_cycle_days": _kpi("sales cycle length (median days)", _t_cycle, "sales_cycle_days", unit="days", needs=_OPPS,
                             higher_is_better=False),
    "lead_conversions": _kpi("lead conversions (MQL to SQL)", _t_mql_to_sql, "mql_to_sql_rate", unit="rate", combine="ratio",
                             needs=("leads", "leads.mql_at", "leads.sql_at")),
    "logo_churn_rate": _kpi("customer churn rate (retention)", _t_logo_churn, "logo_churn_rate", unit="rate", combine="ratio",
                            needs=("subscriptions",), higher_is_better=False),
    "nrr": _kpi("net revenue retention", _t_nrr, "nrr", unit="rate", combine="ratio", needs=("subscriptions",)),
    "mrr": _kpi("MRR", _t_mrr, "mrr", unit="money", needs=("subscriptions",)),
    "arr": _kpi("ARR", _t_arr, "arr", unit="money", needs=("subscriptions",)),
    "ltv": _kpi("customer lifetime value", _t_ltv, "ltv", unit="money", needs=("subscriptions",)),
    "sla_compliance": _kpi("first-contact SLA compliance", _t_sla, "sla_compliance", unit="rate", combine="ratio",
                           needs=("leads", "activities", "leads.mql_at")),
    # the review's further figures: each is one definition too, wherever the deck shows it
    "grr": _kpi("gross revenue retention", _t_grr, "grr", unit="rate", combine="ratio", needs=("subscriptions",)),
    "sla_response_hours": _kpi("median first response (hours)", _t_response_hours, "sla_response_hours", unit="hours",
                               needs=("leads", "activities", "leads.mql_at"), higher_is_better=False),
    "arpa": _kpi("average revenue per account (ARPA)", _t_arpa, "arpa", unit="money", needs=("subscriptions",)),
    "monthly_churn": _kpi("monthly customer churn (6-month mean)", _t_monthly_churn, "monthly_churn", unit="rate",
                          needs=("subscriptions",), higher_is_better=False),
    "ltv_cac": _kpi("LTV:CAC", _t_ltv_cac, "ltv_cac", unit="ratio", needs=("spend", "subscriptions")),
    "payback_months": _kpi("CAC payback (months)", _t_payback, "payback_months", unit="months", needs=("spend", "subscriptions"),
                           higher_is_better=False),
    "time_to_close_days": _kpi("time to close, won or lost (median days)", _t_time_to_close, "time_to_close_days", unit="days",
                               needs=_OPPS, higher_is_better=False),
    "wins_per_new_deal": _kpi("wins per new deal (can exceed 100%)", _t_wins_per_new_deal, "wins_per_new_deal", unit="rate",
                              combine="ratio", needs=_OPPS),
    "funnel_mql": _kpi("new leads that became MQLs", _step("mql_at"), "funnel_mql", unit="rate", combine="ratio",
                       needs=("leads", "leads.mql_at")),
    "funnel_sql": _kpi("their MQLs that became SQLs", _step("sql_at"), "funnel_sql", unit="rate", combine="ratio",
                       needs=("leads", "leads.mql_at", "leads.sql_at")),
    "funnel_opportunity": _kpi("their SQLs that became opportunities", _step("opportunity_created_at"), "funnel_opportunity",
                               unit="rate", combine="ratio", needs=_LEADS),
    "funnel_won": _kpi("their opportunities that were won", _step("won_at"), "funnel_won", unit="rate", combine="ratio",
                       needs=_LEADS),
    "mqls_per_sdr": _kpi("MQLs handled per SDR a month", _t_capacity("SDR", "mql_at"), "mqls_per_sdr", unit="count",
                         combine="ratio", needs=("leads", "leads.mql_at", "reps", "reps.role")),
    "opportunities_per_ae": _kpi("opportunities worked per AE a month", _t_capacity("AE", "created_at"), "opportunities_per_ae",
                                 unit="count", combine="ratio", needs=("opportunities", "reps", "reps.role")),
}
"""Every KPI a design can assign, by name: the one definition each figure of the review comes from."""


def kpi_gaps(data: Any, name: str) -> list[str]:
    """What ``data`` lacks for the KPI ``name``: its ``needs`` that are absent ("leads", "reps.role"), in order.

    A column counts as absent when its table is there without it, or (for ``reps.role``) when it holds no value.

    Parameters
    ----------
    data : SalesData
        The bundle.
    name : str
        A key of :data:`KPIS`.

    Returns
    -------
    list of str
        Tables ("leads") and columns ("reps.role") to add; empty when the KPI can be computed.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> data = sm.load_sample()
    >>> deals_only = sm.SalesData(opportunities=data.opportunities, fx_rates=data.fx_rates)
    >>> kpi_gaps(data, "win_rate"), kpi_gaps(deals_only, "mrr"), kpi_gaps(deals_only, "mqls_per_sdr")
    ([], ['subscriptions'], ['leads', 'reps'])
    """
    tables = getattr(data, "tables", {})
    gaps = []
    for need in KPIS[name].needs:
        table, _, column = need.partition(".")
        if tables.get(table) is None:
            if need == table:
                gaps.append(need)
            continue  # the missing table is named once
        if column and (not data.has_column(table, column) or (need == "reps.role" and not tables[table][column].notna().any())):
            gaps.append(need)
    return gaps


# ----------------------------------------------------------------------------------------------------------
# designs
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    """A team in an org design: its roles, the KPIs it owns, the funnel stages each role owns, its rep teams.

    Parameters
    ----------
    name : str
        The team's name in scorecards; targets scoped to it apply to it.
    roles : tuple of str
        The ``reps.role`` values of its people.
    kpis : tuple of str
        The KPIs it owns: keys of :data:`~salesmetrics.KPIS`.
    stages : mapping of str to tuple of str, optional
        Role → the funnel stages it owns (the lanes :func:`~salesmetrics.role_clarity` reads).
    rep_teams : tuple of str, optional
        The ``reps.team`` values whose people belong to it: a by-team design (``OrgDesign(..., by_team=True)``)
        counts only their deals, leads and activities (:func:`team_view`); targets scoped to them apply too.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> regions = sm.OrgDesign("regions", tuple(sm.Team(r, ("AE",), ("bookings", "win_rate"), rep_teams=(r,))
    ...                                          for r in ("Central", "East", "West")), by_team=True)
    >>> [t.name for t in regions.teams]
    ['Central', 'East', 'West']
    """

    name: str
    roles: tuple[str, ...]
    kpis: tuple[str, ...]
    stages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rep_teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrgDesign:
    """Teams, their roles, the KPIs each owns and the funnel stages each role owns.

    Use :meth:`functional` or :meth:`process` (the seed article's two designs), or build your own.

    Parameters
    ----------
    name : str
        The design's name, shown in its repr and in reports.
    teams : tuple of Team
        The teams; every KPI a team names must be a key of :data:`~salesmetrics.KPIS` (a ValueError
        names the unknown ones).
    by_team : bool, default False
        Each team's KPIs from its own reps' deals, leads and activities (:func:`team_view`) instead of the
        company's; KPIs of accounts (retention, MRR, LTV, CAC) have no team and a scorecard shows them once,
        for the company. :meth:`at` designs are by team.

    Examples
    --------
    >>> OrgDesign.process().kpi_owners().query("team == 'Customer Success'")["kpi"].tolist()
    ['logo_churn_rate', 'nrr', 'mrr', 'arr', 'ltv']
    """

    name: str
    teams: tuple[Team, ...]
    by_team: bool = False

    def __post_init__(self) -> None:
        unknown = sorted({k for t in self.teams for k in t.kpis} - set(KPIS))
        if unknown:
            raise ValueError(f"org design {self.name!r} names unknown KPIs {unknown}; known: {sorted(KPIS)}.")

    def __repr__(self) -> str:
        teams = ", ".join(f"{t.name} ({'/'.join(t.roles)}; {len(t.kpis)} KPIs)" for t in self.teams)
        return f"OrgDesign({self.name!r}: {teams})"

    def _repr_html_(self) -> str:
        """The design in Jupyter: one row per team with its roles and KPIs; every string is escaped."""
        from html import escape

        rows = "".join(
            f"<tr><td>{escape(t.name)}</td><td>{escape(', '.join(t.roles))}</td>"
            f"<td>{escape(', '.join(KPIS[k].label for k in t.kpis))}</td></tr>"
            for t in self.teams
        )
        return (f"<div><strong>OrgDesign {escape(self.name)}</strong><table><thead><tr><th>team</th><th>roles</th>"
                f"<th>KPIs</th></tr></thead><tbody>{rows}</tbody></table></div>")

    def kpi_owners(self) -> pd.DataFrame:
        """One row per team and KPI.

        Examples
        --------
        >>> print(OrgDesign.process().kpi_owners().head(2).to_string(index=False))
             team             kpi                              label
        Marketing            mqls             leads (MQLs delivered)
        Marketing lead_conversion lead conversion rate (lead to won)
        """
        rows = [(t.name, k, KPIS[k].label) for t in self.teams for k in t.kpis]
        return pd.DataFrame(rows, columns=["team", "kpi", "label"])

    def role_stages(self) -> dict[str, tuple[str, ...]]:
        """Role → the funnel stages it owns, across all teams.

        Examples
        --------
        >>> OrgDesign.process().role_stages()["SDR"]
        ('mql_at', 'sql_at')
        """
        out: dict[str, tuple[str, ...]] = {}
        for t in self.teams:
            out.update(t.stages)
        return out

    @classmethod
    def at(cls, data: Any, date: Any, *, base: str | OrgDesign = "process") -> OrgDesign:
        """The design in force on ``date``, read from the bundle's ``assignments``: one team per team name then, with
        the roles its reps held; each team owns the KPIs and stages that ``base`` gives those roles.

        Parameters
        ----------
        data : SalesData
            A bundle with an ``assignments`` table.
        date : date-like
            The day whose design to read (an assignment is in force on ``[start_date, end_date)``).
        base : {"process", "functional"} or OrgDesign, default "process"
            Which KPIs and stages each role owns: a team holding SDRs and AEs owns what ``base``'s teams with
            those roles own. A role ``base`` does not know owns nothing.

        Returns
        -------
        OrgDesign
            Named ``"as assigned on <date>"``; a team's ``rep_teams`` is its own name, and its KPIs count its
            own reps' work (``by_team``).

        Examples
        --------
        >>> import pandas as pd
        >>> import salesmetrics as sm
        >>> reps = pd.DataFrame({"rep_id": ["r1", "r2"], "team": ["Pod A", "Pod A"]})
        >>> plan = pd.DataFrame({"rep_id": ["r1", "r2", "r2"], "team": ["Pod A", "SDR desk", "Pod A"],
        ...     "role": ["AE", "SDR", "SDR"], "start_date": ["2024-01-01", "2024-01-01", "2025-07-01"],
        ...     "end_date": [None, "2025-07-01", None]})
        >>> data = sm.SalesData(reps=reps, assignments=plan)
        >>> sm.OrgDesign.at(data, "2025-03-31")
        OrgDesign('as assigned on 2025-03-31': Pod A (AE; 6 KPIs), SDR desk (SDR; 6 KPIs))
        >>> sm.OrgDesign.at(data, "2025-09-30").teams[0].roles
        ('AE', 'SDR')
        """
        from .errors import MissingDataError

        plan = getattr(data, "assignments", None)
        if plan is None:
            raise MissingDataError("OrgDesign.at reads the bundle's assignments table, which this bundle does not have: pass "
                             "sm.SalesData(..., assignments=<rep_id, team, role, start_date, end_date>).")
        stamp = as_timestamp(date, None, name="date")
        day = (stamp.tz_localize(None) if stamp.tzinfo is not None else stamp).normalize()
        now = plan[(plan["start_date"] <= day) & (plan["end_date"].isna() | (plan["end_date"] > day))]
        if not len(now):
            raise ValueError(f"OrgDesign.at: no assignment is in force on {day.date()} (assignments run from "
                             f"{plan['start_date'].min().date()}).")
        model = _design(base)
        teams = []
        for name, rows in now.groupby(now["team"].astype(str), sort=True):
            roles = tuple(sorted(rows["role"].dropna().astype(str).unique())) if "role" in rows else ()
            owners = [t for t in model.teams if set(t.roles) & set(roles)]
            kpis = tuple(dict.fromkeys(k for t in owners for k in t.kpis))
            stages = {r: st for t in owners for r, st in t.stages.items() if r in roles}
            teams.append(Team(str(name), roles, kpis, stages, (str(name),)))
        return cls(f"as assigned on {day.date()}", tuple(teams), by_team=True)

    @classmethod
    def functional(cls) -> OrgDesign:
        """Teams by function (docs/metrics.md): marketing, sales, product, support.

        Examples
        --------
        >>> [team.name for team in OrgDesign.functional().teams]
        ['Marketing', 'Sales', 'Product', 'Support']
        """
        return cls("functional", (
            Team("Marketing", ("MKT",), ("mqls", "lead_conversion", "cac"), {"MKT": ("created_at", "mql_at")}, ("Marketing",)),
            Team("Sales", ("SDR", "AE", "AM", "OPS", "SE"), ("bookings", "deal_size", "close_rate", "win_rate"),
                 {"SDR": ("mql_at", "sql_at"), "AE": ("sql_at", "opportunity_created_at", "won_at"), "AM": ("expansion",)},
                 ("SDR", "New Business", "Account Management", "Sales Ops", "Solutions Engineering")),
            Team("Product", ("PM",), ("logo_churn_rate", "mrr", "arr"), {}, ("Product",)),
            Team("Support", ("CSM",), ("logo_churn_rate", "sales_cycle_days"), {"CSM": ("retention",)}, ("Customer Success", "Support")),
        ))

    @classmethod
    def process(cls) -> OrgDesign:
        """Teams by process, common in B2B (docs/metrics.md): marketing, sales (SDR, AE, ops), customer success.

        Examples
        --------
        >>> OrgDesign.process()
        OrgDesign('process': Marketing (MKT; 3 KPIs), Sales (SDR/AE/OPS/SE; 6 KPIs), Customer Success (CSM/AM; 5 KPIs))
        """
        return cls("process", (
            Team("Marketing", ("MKT",), ("mqls", "lead_conversion", "cac"), {"MKT": ("created_at", "mql_at")}, ("Marketing",)),
            Team("Sales", ("SDR", "AE", "OPS", "SE"),
                 ("bookings", "deal_size", "close_rate", "win_rate", "sales_cycle_days", "lead_conversions"),
                 {"SDR": ("mql_at", "sql_at"), "AE": ("sql_at", "opportunity_created_at", "won_at")},
                 ("SDR", "New Business", "Sales Ops", "Solutions Engineering")),
            Team("Customer Success", ("CSM", "AM"), ("logo_churn_rate", "nrr", "mrr", "arr", "ltv"),
                 {"CSM": ("retention",), "AM": ("expansion", "renewal")}, ("Customer Success", "Account Management")),
        ))


def _design(org: str | OrgDesign, data: Any = None, as_of: Any = None) -> OrgDesign:
    """The design ``org`` names; "assigned" is the one in force at ``as_of`` (default: the bundle's) in ``data``'s
    assignments (:meth:`OrgDesign.at`)."""
    if isinstance(org, OrgDesign):
        return org
    if org == "process":
        return OrgDesign.process()
    if org == "functional":
        return OrgDesign.functional()
    if org == "assigned" and data is not None:
        stamp = as_timestamp(as_of) if as_of is not None else data.as_of
        if stamp is None:
            raise ValueError("org='assigned' reads the design in force at as_of: pass as_of, or data with time stamps.")
        tz = data.timezone
        return OrgDesign.at(data, (stamp.tz_convert(tz) if stamp.tz is not None else stamp.tz_localize(tz)).tz_localize(None))
    raise ValueError(f"org must be 'process', 'functional', 'assigned' (with a bundle that has assignments) or an "
                     f"OrgDesign, got {org!r}.")


_TEAM_TABLES = frozenset({"opportunities", "leads", "activities"})
_COMPANY = Team("company", (), (), {}, ("company",))
"""The team a by-team scorecard gives the KPIs no team owns alone (those of accounts: retention, MRR, LTV, CAC)."""


def team_view(data: SalesData, team: Team) -> SalesData:
    """The bundle with only the deals, leads and activities that ``team``'s reps owned: those whose owner's team
    (the assignment in force at the row's time, as every grouping by team reads it) is one of ``team.rep_teams``.

    A table without ``owner_id`` is no team's: the view holds none of its rows. The other tables are the bundle's
    own, and so is ``as_of``. No row is checked again: a subset of validated rows is valid.

    Parameters
    ----------
    data : SalesData
    team : Team

    Returns
    -------
    SalesData

    Examples
    --------
    >>> import salesmetrics as sm
    >>> data = sm.load_sample()
    >>> sales = sm.OrgDesign.process().teams[1]
    >>> sales.rep_teams
    ('SDR', 'New Business', 'Sales Ops', 'Solutions Engineering')
    >>> len(team_view(data, sales).opportunities), len(data.opportunities)  # the rest are Account Management's
    (1808, 1978)
    """
    from .data import group_labels, resolve

    tables = dict(data.tables)
    for name in sorted(_TEAM_TABLES):
        frame = tables.get(name)
        if frame is None:
            continue
        if not data.has_column(name, "owner_id"):  # nobody's in particular: no team's own (the scorecard says why)
            tables[name] = frame.iloc[:0]
            continue
        try:
            labels = group_labels(resolve(data, name), frame, "team")
        except ValueError as err:
            from .errors import MissingDataError

            one = {"opportunities": "deal", "leads": "lead", "activities": "activity"}[name]
            raise MissingDataError(f"team {team.name!r}: a by-team design counts each {one} in its owner's team, and this "
                                   f"bundle cannot say which that is ({err})") from err
        if labels is not None:
            tables[name] = frame[labels.astype(object).isin(list(team.rep_teams)).to_numpy()].reset_index(drop=True)
    return type(data)._checked(tables, timezone=data.timezone, currency=data.currency, fiscal_year_start=data.fiscal_year_start,
                               as_of=data.as_of, absent=data.absent_columns)


def _card_rows(data: SalesData, design: OrgDesign) -> list[tuple[Team, str, SalesData]]:
    """A scorecard's rows: (team, KPI, the bundle it is computed on). A design that is not ``by_team`` computes
    each KPI on the whole bundle; one that is computes a KPI of deals, leads or activities on each team's
    :func:`team_view`, and a KPI of accounts once, for :data:`_COMPANY`, after the teams.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> [(team.name, kpi) for team, kpi, _ in _card_rows(sm.load_sample(), sm.OrgDesign.process())][:2]
    [('Marketing', 'mqls'), ('Marketing', 'lead_conversion')]
    """
    if not design.by_team:
        return [(team, name, data) for team in design.teams for name in team.kpis]

    def own(name: str) -> bool:
        return {n.split(".")[0] for n in KPIS[name].needs} <= _TEAM_TABLES

    rows: list[tuple[Team, str, SalesData]] = []
    for team in design.teams:
        if any(own(name) for name in team.kpis):
            view = team_view(data, team)
            rows += [(team, name, view) for name in team.kpis if own(name)]
    shared = dict.fromkeys(name for team in design.teams for name in team.kpis if not own(name))
    return rows + [(_COMPANY, name, data) for name in shared]


def _none_owned(data: SalesData, view: SalesData, name: str) -> str:
    """The table KPI ``name`` counts of which a :func:`team_view` holds no row though ``data`` has some (the team's
    reps own none of them), or ""."""
    if view is data:
        return ""
    for table in dict.fromkeys(n.split(".")[0] for n in KPIS[name].needs):
        frame = view.tables.get(table)
        if frame is not None and not len(frame) and len(data.tables[table]):
            return table
    return ""


def _as_company(design: OrgDesign) -> OrgDesign:
    """``design`` as one team, the company, owning every KPI of its teams once (a by-team design's company figures).

    Examples
    --------
    >>> _as_company(OrgDesign.process()).teams[0].kpis[:3]
    ('mqls', 'lead_conversion', 'cac')
    """
    kpis = tuple(dict.fromkeys(k for team in design.teams for k in team.kpis))
    roles = tuple(dict.fromkeys(r for team in design.teams for r in team.roles))
    return OrgDesign(design.name, (Team("company", roles, kpis, design.role_stages(), ("company",)),))


@data_first("data")
def scorecard(
    data: SalesData,
    /,
    *,
    org: str | OrgDesign = "process",
    freq: str | None = "Q",
    as_of: Any = None,
) -> pd.DataFrame:
    """Each team's KPIs under an org design: value, target, attainment and change from the previous period.

    The period reported is the one holding ``as_of`` (default: the data's latest time stamp).
    Every value comes from the library's metric functions (``KPIS[kpi].compute``); a KPI whose
    tables are missing from the bundle gives NaN with the reason in ``note``.

    Parameters
    ----------
    data : SalesData
        The bundle; each KPI uses the tables it needs.
    org : {"process", "functional", "assigned"} or OrgDesign, default "process"
        The design whose teams own the KPIs (see :class:`OrgDesign`). "assigned" reads the design in force at
        ``as_of`` from the bundle's assignments (:meth:`OrgDesign.at`, KPIs by role as in "process"), so a
        scorecard of an earlier period shows the teams of that period.
    freq : {"Q", "M", "Y"} or None, default "Q"
        The reporting period. None (all time) reports every KPI over all the data up to
        ``as_of`` with ``period`` "all time"; there is no previous period and no target
        (targets are set per period), so ``previous``, ``change``, ``target`` and
        ``attainment`` are NaN.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.

    Returns
    -------
    pandas.DataFrame
        ``team``, ``kpi``, ``label``, ``period``, ``value``, ``previous``, ``change``,
        ``target``, ``attainment`` (value / target, or target / value when lower is better),
        ``higher_is_better``, ``unit``, ``note``.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> card = scorecard(sm.load_sample(), org="process")
    >>> card.groupby("team").size().to_dict()
    {'Customer Success': 5, 'Marketing': 3, 'Sales': 6}
    """
    tz = data.timezone
    stamp = as_timestamp(as_of) if as_of is not None else data.as_of
    if stamp is None:
        raise ValueError("scorecard needs as_of or time stamps in the data.")
    stamp = stamp.tz_convert(tz) if stamp.tz is not None else stamp.tz_localize(tz)
    design = _design(org, data, stamp)
    period: pd.Period | str = (pd.Period(stamp.tz_localize(None), freq_alias(freq, data.fiscal_year_start))
                               if freq is not None else ALL_TIME)
    targets = data.targets
    cache: dict[tuple[int, str], tuple[pd.Series | None, str]] = {}
    rows = []
    for team, name, bundle in _card_rows(data, design):
        kpi = KPIS[name]
        if (id(bundle), name) not in cache:
            gaps = kpi_gaps(bundle, name)  # what the bundle lacks for it, said as what to add (nothing swallowed)
            empty = _none_owned(data, bundle, name)
            cache[id(bundle), name] = ((None, "not available: add " + ", ".join(g if "." in g else f"the {g} table" for g in gaps))
                                       if gaps else (None, f"not available: the {empty} have no owner_id to tell whose they are"
                                                     if not data.has_column(empty, "owner_id")
                                                     else f"not available: the team's reps own none of the {empty}") if empty
                                       else (kpi.compute(bundle, freq, stamp), ""))
        series, note = cache[id(bundle), name]
        value = previous = np.nan
        if series is not None:
            value = float(series.get(period, np.nan))
            previous = float(series.get(period - 1, np.nan)) if isinstance(period, pd.Period) else np.nan
        target = (_target(targets, kpi.target_metric, team, period, data.fiscal_year_start, company=bundle is data)
                  if isinstance(period, pd.Period) else np.nan)
        if not isinstance(period, pd.Period) and name in ("logo_churn_rate", "nrr") and not note:
            note = "not defined over all time: nobody is a customer at its start; pick a freq"
        att = ratio(target, value) if not kpi.higher_is_better else ratio(value, target)
        rows.append({"team": team.name, "kpi": name, "label": kpi.label, "period": period, "value": value,
                     "previous": previous, "change": value - previous, "target": target, "attainment": float(att),
                     "higher_is_better": kpi.higher_is_better, "unit": kpi.unit, "note": note})
    out = pd.DataFrame(rows)
    out.attrs.update(org=design.name, freq=freq, as_of=str(stamp))
    return out


def _target(targets: pd.DataFrame | None, metric: str, team: Team, period: pd.Period, fys: int, *, company: bool = True) -> float:
    """The target for a metric and period: the team's own scope, else one of its rep teams, else (``company``) the
    company's. A figure of the team's own reps' work (:func:`team_view`) does not take the company's target.

    Monthly targets are summed into a quarter or year for counts (e.g. MQLs per month)."""
    if targets is None:
        return np.nan
    rows = targets[targets["metric"] == metric]
    if rows.empty:
        return np.nan
    parsed = [parse_period(p, fiscal_year_start=fys) for p in rows["period"]]
    same = np.array([p == period for p in parsed])
    inside = np.array([p.freqstr == "M" and p.asfreq(period.freqstr, how="E") == period for p in parsed]) if period.freqstr != "M" else np.zeros(len(rows), bool)
    for scopes in ((team.name,), team.rep_teams, ("company",) if company else ()):
        in_scope = rows["scope"].isin(list(scopes)).to_numpy()
        if (in_scope & same).any():
            return float(rows.loc[in_scope & same, "target"].iloc[0])
        if (in_scope & inside).any():
            return float(rows.loc[in_scope & inside, "target"].sum())
    return np.nan


def kpi_window(frame: pd.DataFrame | None, kpi: str, first: pd.Period | None = None, last: pd.Period | None = None) -> float:
    """The KPI over the periods ``first``–``last`` of its table: Σnum / Σden for a ratio, the sum of a count or an
    amount, NaN for a median or a stock (they do not add up) or when no period is in the window.

    ``frame`` is ``KPIS[kpi].table(data, freq, as_of)``; a table over all time (``freq=None``, no ``period``
    column) is its one value. The deck's windows and :func:`plan_funnel` combine periods this one way.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"period": pd.PeriodIndex(["2025Q1", "2025Q2"], freq="Q"), "value": [0.5, 0.25],
    ...                       "num": [1.0, 1.0], "den": [2.0, 4.0]})
    >>> kpi_window(frame, "win_rate", pd.Period("2025Q1", "Q"), pd.Period("2025Q2", "Q"))  # 2 / 6, not the mean
    0.3333333333333333
    """
    if frame is None or not len(frame):
        return np.nan
    if "period" not in frame.columns:
        return float(frame["value"].iloc[0])
    rows = frame
    if first is not None:
        rows = rows[rows["period"] >= first]
    if last is not None:
        rows = rows[rows["period"] <= last]
    how = KPIS[kpi].combine
    if how == "ratio" and len(rows) and rows["den"].sum() > 0:
        return float(rows["num"].sum() / rows["den"].sum())
    if how == "sum" and len(rows):
        return float(rows["value"].sum())
    return np.nan


_PLAN_STEPS = (("deals", None), ("opportunities", "funnel_won"), ("sqls", "funnel_opportunity"), ("mqls", "funnel_sql"),
              ("leads", "funnel_mql"))
"""The reverse funnel: each stage and the KPI (the rate into the stage after it) that works it back."""
_PLAN_PEOPLE = (("SDR", "mqls_per_sdr", "mqls"), ("AE", "opportunities_per_ae", "opportunities"))
"""Each role, the KPI of its capacity (work a rep in post handles a month) and the stage that work is."""


@dataclass
class _Plan:
    """A bookings goal worked back to whole deals, stages and people (what :func:`plan_funnel` and the deck show).

    ``counts``: stage -> whole number needed in the period; ``people``: role -> (headcount, capacity a rep
    a month); ``assumed``: KPI -> the value assumed (deal size, the rates used, capacities); ``missing``:
    (stage or role, KPI) that could not be worked out, as the bundle lacks the KPI or its history.
    """

    goal: float
    months: int
    counts: dict[str, float] = field(default_factory=dict)
    people: dict[str, tuple[float, float]] = field(default_factory=dict)
    assumed: dict[str, float] = field(default_factory=dict)
    missing: list[tuple[str, str]] = field(default_factory=list)


def _work_back(goal: float, months: int, window: Callable[[str], float], gaps: Callable[[str], list[str]]) -> _Plan:
    """Deals = ⌈goal ÷ deal size⌉; each earlier stage = ⌈later ÷ its rate⌉; people = ⌈monthly work ÷ capacity⌉.

    ``window(kpi)`` is the KPI over the measurement window; ``gaps(kpi)`` what the bundle lacks for it. The rate
    into won is the lead funnel's where the export has leads, else the deal closing ratio (and no earlier stage).
    """
    plan = _Plan(goal, months)
    deal = window("deal_size")
    plan.assumed["deal_size"] = deal
    need = float(np.ceil(goal / deal)) if deal > 0 else np.nan
    for stage, rate in _PLAN_STEPS:
        if rate is not None:
            if rate == "funnel_won" and gaps("funnel_won"):
                rate = "close_rate"
            if np.isnan(need):
                continue
            r = window(rate)
            if np.isnan(r) or r <= 0:
                plan.missing.append((stage, rate))
                need = np.nan
                continue
            plan.assumed[rate] = r
            need = float(np.ceil(need / r))
        elif np.isnan(need):
            plan.missing.append((stage, "deal_size"))
            continue
        plan.counts[stage] = need
    for role, kpi, stage in _PLAN_PEOPLE:
        if stage not in plan.counts:  # the volume it would handle is unknown: said above
            continue
        capacity = window(kpi)
        if np.isnan(capacity) or capacity <= 0:
            plan.missing.append((role, kpi))
            continue
        plan.assumed[kpi] = capacity
        plan.people[role] = (float(np.ceil(np.ceil(plan.counts[stage] / months) / capacity)), capacity)
    return plan


_PLAN_ITEMS = {"deals": "won deals needed", "opportunities": "opportunities needed", "sqls": "SQLs needed", "mqls": "MQLs needed",
               "leads": "leads needed"}


@data_first("data")
def plan_funnel(
    data: SalesData,
    /,
    *,
    target_bookings: float,
    period: str,
    lookback: int = 4,
    freq: str | None = "Q",
    as_of: Any = None,
    capacity: Mapping[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Work a bookings target back through the funnel: deals, opportunities, SQLs, MQLs, leads and people needed.

    Every assumption is a KPI of :data:`KPIS` over the ``lookback`` periods before ``period`` (the same
    numbers the deck's plan page shows): the average new-business deal (``deal_size``), the lead funnel's
    rates (``funnel_won``, ``funnel_opportunity``, ``funnel_sql``, ``funnel_mql``; without leads, the deal
    closing ratio and no earlier stage), and the work an SDR or AE in post handles a month
    (``mqls_per_sdr``, ``opportunities_per_ae``). Deals, stages and people are whole numbers, rounded up.
    Everything is measured at ``period``'s start or ``as_of``, whichever comes first.

    Parameters
    ----------
    data : SalesData
        Needs opportunities with amounts; leads (with their stage dates) for the stages before
        opportunities; reps with ``role`` for headcount.
    target_bookings : float
        New-business bookings to win in ``period``, in the reporting currency.
    period : str
        The period to plan, e.g. ``"2025Q4"`` (a month, quarter or year).
    lookback : int, default 4
        How many ``freq`` periods before ``period`` the assumptions are measured over.
    freq : {"Q", "M", "Y"} or None, default "Q"
        The length of ``period`` and of the lookback periods. None (all time) measures over
        everything before ``period`` (``lookback`` is then ignored), and ``period`` keeps its own length.
    as_of : date-like, optional
        Default: the bundle's. Nothing after it counts.
    capacity : mapping, optional
        Deprecated (removed in 0.3): headcount is the SDR and AE capacity KPIs; passing it warns.

    Returns
    -------
    pandas.DataFrame
        ``item``, ``kpi``, ``value``, ``per_month``, ``basis``: the deals, opportunities, SQLs, MQLs and
        leads needed and the headcount per role (whole numbers; ``per_month`` rounded up), then each
        assumption (``kpi`` names it; empty on the other rows), then the median lead-to-win time (when to generate the leads). A
        figure that cannot be worked out is NaN with what to add in ``basis``.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> plan = plan_funnel(sm.load_sample(), target_bookings=2_000_000, period="2025Q4").set_index("item")
    >>> bool(plan.loc["won deals needed", "value"] > 0 and plan.loc["won deals needed", "value"].is_integer())
    True
    """
    from .funnels import lead_journeys

    if capacity is not None:
        import warnings

        from ._api import find_stack_level

        warnings.warn("plan_funnel(capacity=...) is no longer used and goes in 0.3: headcount is measured by the KPIs "
                      "mqls_per_sdr and opportunities_per_ae (SDRs handle MQLs, AEs opportunities); drop the argument.",
                      FutureWarning, stacklevel=find_stack_level())
    tz = data.timezone
    now = as_timestamp(as_of, tz) if as_of is not None else data.as_of
    if now is None:
        raise ValueError("the bundle has no time stamps to measure the plan on; pass as_of='YYYY-MM-DD'.")
    goal = parse_period(period, fiscal_year_start=data.fiscal_year_start)
    if freq is not None:
        goal = goal.asfreq(freq_alias(freq, data.fiscal_year_start), how="E")
    months = (goal.asfreq("M", how="E") - goal.asfreq("M", how="S")).n + 1
    goal_start = pd.Timestamp(goal.start_time).tz_localize(tz)
    measured = min(now, goal_start - pd.Timedelta(1))  # what was known when the period began
    first, last = (goal - lookback, goal - 1) if freq is not None else (None, None)
    tables: dict[str, pd.DataFrame | None] = {}

    def window(kpi: str) -> float:
        if kpi not in tables:
            tables[kpi] = None if kpi_gaps(data, kpi) else KPIS[kpi].table(data, freq, measured)  # type: ignore[misc]
        return kpi_window(tables[kpi], kpi, first, last)

    plan = _work_back(float(target_bookings), months, window, lambda kpi: kpi_gaps(data, kpi))
    span = f"{first}–{last}" if first is not None else f"all time before {goal}"
    rows: list[tuple[str, str, float, float, str]] = []
    missing = dict(plan.missing)

    def why_not(kpi: str) -> str:
        gaps = kpi_gaps(data, kpi)
        return f"add {', '.join(gaps)}" if gaps else f"no history of {span} to measure {KPIS[kpi].label} on"

    root = ""  # the first stage that could not be worked out: every stage before it fails for the same reason
    for stage, _rate in _PLAN_STEPS:
        item = _PLAN_ITEMS[stage]
        if stage in plan.counts:
            n = plan.counts[stage]
            rows.append((item, "", n, float(np.ceil(n / months)), f"for {target_bookings:,.0f} of new-business bookings in {goal}"))
        else:
            root = root or (why_not(missing[stage]) if stage in missing else "")
            rows.append((item, "", np.nan, np.nan, f"not available: {root or 'a later stage is missing'}"))
    for role, kpi, stage in _PLAN_PEOPLE:
        if role in plan.people:
            heads, per_rep = plan.people[role]
            monthly = np.ceil(plan.counts[stage] / months)
            work = {"mqls": "MQLs", "opportunities": "opportunities"}[stage]
            rows.append((f"{role} headcount", "", heads, np.nan,
                         f"{monthly:,.0f} {work} a month at {per_rep:,.1f} per {role} in post a month (measured {span})"))
        elif role in missing or stage in plan.counts:
            gaps = kpi_gaps(data, kpi)
            why = f"add {', '.join(gaps)}" if gaps else f"no {role} in post in {span}"
            rows.append((f"{role} headcount", "", np.nan, np.nan, f"not available: {why}"))
    for kpi, value in plan.assumed.items():
        rows.append((KPIS[kpi].label, kpi, value, np.nan, f"assumed: measured {span}" if not np.isnan(value) else
                     f"not available: {why_not(kpi)}"))
    journeys = lead_journeys(data, as_of=measured) if data.leads is not None else None
    if journeys is not None:
        lo = pd.Timestamp(first.start_time).tz_localize(tz) if first is not None else journeys["created_at"].min()
        won = journeys[(journeys["created_at"] >= lo) & journeys["won_at"].notna()]
        days = float(((won["won_at"] - won["created_at"]).dt.total_seconds() / 86400).median()) if len(won) else np.nan
        rows.append(("median lead-to-win days", "", days, np.nan,
                     f"leads created {span} and won by {measured:%Y-%m-%d}: generate the leads this long before {goal}"))
    out = pd.DataFrame(rows, columns=["item", "kpi", "value", "per_month", "basis"])
    out.attrs.update(target_bookings=target_bookings, period=str(goal), lookback=span, as_of=str(measured))
    return out
