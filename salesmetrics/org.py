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

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._api import data_first
from .data import SETTINGS_ATTR
from .periods import as_timestamp, freq_alias, parse_period
from .stats import ratio

if TYPE_CHECKING:  # pragma: no cover
    from .data import SalesData

__all__ = ["KPIS", "OrgDesign", "Team", "plan_funnel", "scorecard"]


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


def _kpi_mqls(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .funnels import funnel

    f = funnel(data, ["created_at", "mql_at"], freq=freq, method="period", as_of=as_of)
    return _series(f, "converted")


def _kpi_lead_conversion(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .funnels import funnel

    return _series(funnel(data, ["created_at", "won_at"], freq=freq, as_of=as_of), "rate")


def _kpi_mql_to_sql(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .funnels import funnel

    return _series(funnel(data, ["mql_at", "sql_at"], freq=freq, as_of=as_of), "rate")


def _kpi_bookings(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .pipeline import deal_size

    return _series(deal_size(data, freq=freq, as_of=as_of), "total")


def _kpi_deal_size(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .pipeline import deal_size

    return _series(deal_size(data, freq=freq, as_of=as_of), "mean")


def _kpi_close_rate(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .pipeline import close_rate

    return _series(close_rate(data, freq=freq, as_of=as_of), "close_rate")


def _kpi_win_rate(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .pipeline import win_rate

    return _series(win_rate(data, freq=freq, as_of=as_of), "win_rate")


def _kpi_cycle(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .pipeline import sales_cycle

    return _series(sales_cycle(data, freq=freq, as_of=as_of), "median_days")


def _kpi_logo_churn(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .revenue import retention

    return _series(retention(data, freq=freq, as_of=as_of), "logo_churn_rate")


def _kpi_nrr(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .revenue import retention

    return _series(retention(data, freq=freq, as_of=as_of), "nrr")


def _kpi_mrr(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .revenue import mrr_bridge

    return _series(mrr_bridge(data, freq=freq, as_of=as_of), "ending_mrr")


def _kpi_arr(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .revenue import mrr_bridge

    return _series(mrr_bridge(data, freq=freq, arr=True, as_of=as_of), "ending_arr")


def _kpi_sla(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .sla import response_sla

    return _series(response_sla(data, freq=freq, as_of=as_of), "compliance")


def _kpi_cac(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    from .economics import cac

    return _series(cac(data, freq=freq, by=None, as_of=as_of), "cac")


def _kpi_ltv(data: SalesData, freq: str | None, as_of: Any) -> pd.Series:
    """LTV with gross margin 1 (ChartMogul's form): a scorecard has no margin to assume."""
    from .economics import ltv

    return _series(ltv(data, freq=freq, warn=False, as_of=as_of), "ltv")


@dataclass(frozen=True)
class Kpi:
    """A KPI: how to compute it, what its target is called, and which way is good."""

    label: str
    compute: Callable[[Any, str | None, Any], pd.Series]
    """``compute(data, freq, as_of)``: the KPI per period, nothing after ``as_of`` counted."""
    target_metric: str
    higher_is_better: bool = True
    unit: str = "count"


KPIS: dict[str, Kpi] = {
    "mqls": Kpi("leads (MQLs delivered)", _kpi_mqls, "mqls", unit="count"),
    "lead_conversion": Kpi("lead conversion rate (lead to won)", _kpi_lead_conversion, "lead_conversion", unit="rate"),
    "cac": Kpi("customer acquisition cost", _kpi_cac, "cac", higher_is_better=False, unit="money"),
    "bookings": Kpi("revenue (new bookings)", _kpi_bookings, "bookings", unit="money"),
    "deal_size": Kpi("average deal size", _kpi_deal_size, "deal_size", unit="money"),
    "close_rate": Kpi("deal closing ratio", _kpi_close_rate, "close_rate", unit="rate"),
    "win_rate": Kpi("win rate", _kpi_win_rate, "win_rate", unit="rate"),
    "sales_cycle_days": Kpi("sales cycle length (median days)", _kpi_cycle, "sales_cycle_days", higher_is_better=False, unit="days"),
    "lead_conversions": Kpi("lead conversions (MQL to SQL)", _kpi_mql_to_sql, "mql_to_sql_rate", unit="rate"),
    "logo_churn_rate": Kpi("customer churn rate (retention)", _kpi_logo_churn, "logo_churn_rate", higher_is_better=False, unit="rate"),
    "nrr": Kpi("net revenue retention", _kpi_nrr, "nrr", unit="rate"),
    "mrr": Kpi("MRR", _kpi_mrr, "mrr", unit="money"),
    "arr": Kpi("ARR", _kpi_arr, "arr", unit="money"),
    "ltv": Kpi("customer lifetime value", _kpi_ltv, "ltv", unit="money"),
    "sla_compliance": Kpi("first-contact SLA compliance", _kpi_sla, "sla_compliance", unit="rate"),
}
"""Every KPI a design can assign, by name."""


# ----------------------------------------------------------------------------------------------------------
# designs
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    """A team in an org design: its roles, the KPIs it owns, the funnel stages each role owns, its rep teams."""

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

    Examples
    --------
    >>> OrgDesign.process().kpi_owners().query("team == 'Customer Success'")["kpi"].tolist()
    ['logo_churn_rate', 'nrr', 'mrr', 'arr', 'ltv']
    """

    name: str
    teams: tuple[Team, ...]

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


def _design(org: str | OrgDesign) -> OrgDesign:
    if isinstance(org, OrgDesign):
        return org
    if org == "process":
        return OrgDesign.process()
    if org == "functional":
        return OrgDesign.functional()
    raise ValueError(f"org must be 'process', 'functional' or an OrgDesign, got {org!r}.")


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
    org : {"process", "functional"} or OrgDesign, default "process"
        The design whose teams own the KPIs (see :class:`OrgDesign`).
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
    design = _design(org)
    tz = data.timezone
    stamp = as_timestamp(as_of) if as_of is not None else data.as_of
    if stamp is None:
        raise ValueError("scorecard needs as_of or time stamps in the data.")
    stamp = stamp.tz_convert(tz) if stamp.tz is not None else stamp.tz_localize(tz)
    period: pd.Period | str = (pd.Period(stamp.tz_localize(None), freq_alias(freq, data.fiscal_year_start))
                               if freq is not None else ALL_TIME)
    targets = data.targets
    cache: dict[str, tuple[pd.Series | None, str]] = {}
    rows = []
    for team in design.teams:
        for name in team.kpis:
            kpi = KPIS[name]
            if name not in cache:
                try:
                    cache[name] = (kpi.compute(data, freq, stamp), "")
                except ValueError as err:  # a table the KPI needs is missing
                    cache[name] = (None, str(err))
            series, note = cache[name]
            value = previous = np.nan
            if series is not None:
                value = float(series.get(period, np.nan))
                previous = float(series.get(period - 1, np.nan)) if isinstance(period, pd.Period) else np.nan
            target = (_target(targets, kpi.target_metric, team, period, data.fiscal_year_start)
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


def _target(targets: pd.DataFrame | None, metric: str, team: Team, period: pd.Period, fys: int) -> float:
    """The target for a metric and period: the team's own scope, else one of its rep teams, else the company's.

    Monthly targets are summed into a quarter or year for counts (e.g. MQLs per month)."""
    if targets is None:
        return np.nan
    rows = targets[targets["metric"] == metric]
    if rows.empty:
        return np.nan
    parsed = [parse_period(p, fiscal_year_start=fys) for p in rows["period"]]
    same = np.array([p == period for p in parsed])
    inside = np.array([p.freqstr == "M" and p.asfreq(period.freqstr, how="E") == period for p in parsed]) if period.freqstr != "M" else np.zeros(len(rows), bool)
    for scopes in ((team.name,), team.rep_teams, ("company",)):
        in_scope = rows["scope"].isin(list(scopes)).to_numpy()
        if (in_scope & same).any():
            return float(rows.loc[in_scope & same, "target"].iloc[0])
        if (in_scope & inside).any():
            return float(rows.loc[in_scope & inside, "target"].sum())
    return np.nan


@data_first("data")
def plan_funnel(
    data: SalesData,
    /,
    *,
    target_bookings: float,
    period: str,
    lookback: int = 4,
    freq: str | None = "Q",
    capacity: Mapping[str, tuple[str, str]] | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Work a bookings target back through the funnel: leads, MQLs, SQLs, opportunities and people needed.

    Rates are the measured cohort conversions (lead → MQL → SQL → opportunity → won) of the
    ``lookback`` periods before ``period``, deal size is their mean won deal, and the lead-to-win
    time is their median; headcount divides each monthly volume by the measured monthly volume per
    rep in post over the same window. Every assumption is a row of the output. Headcount needs
    ``reps.role`` (NaN, with the reason in ``basis``, without it); a rep with no ``hired_at`` counts
    as in post, and without ``terminated_at`` nobody has left (``basis`` says so).

    Parameters
    ----------
    data : SalesData
        Needs leads (with their stage dates) and opportunities; reps for headcount.
    target_bookings : float
        New bookings to win in ``period``, in the reporting currency.
    period : str
        The period to plan, e.g. ``"2025Q4"`` (a month, quarter or year).
    lookback : int, default 4
        How many ``freq`` periods before ``period`` the rates, deal size and volumes are measured over.
    freq : {"Q", "M", "Y"} or None, default "Q"
        The length of ``period`` and of the lookback periods. None (all time) measures over
        everything before ``period`` (``lookback`` is then ignored), and ``period`` keeps
        its own length.
    capacity : mapping, optional
        Role → (funnel stage it handles, label). Default: SDRs handle MQLs, AEs handle opportunities.
    as_of : date-like, optional
        Default: the bundle's. Nothing after it counts, so planning a period that has begun (or
        planning on a past date) measures only what was known then.

    Returns
    -------
    pandas.DataFrame
        ``item``, ``value``, ``per_month``, ``basis``: the deals, opportunities, SQLs, MQLs and
        leads needed, the headcount per role, and the rates, deal size and timing assumed.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> plan = plan_funnel(sm.load_sample(), target_bookings=2_000_000, period="2025Q4")
    >>> plan.set_index("item").loc["won deals needed", "value"] > 0
    np.True_
    """
    from .funnels import funnel, lead_journeys
    from .pipeline import deal_size, sales_cycle

    tz = data.timezone
    journeys = lead_journeys(data, as_of=as_of)
    now = journeys.attrs[SETTINGS_ATTR]["as_of"]
    goal = parse_period(period, fiscal_year_start=data.fiscal_year_start)
    if freq is not None:
        goal = goal.asfreq(freq_alias(freq, data.fiscal_year_start), how="E")
    months_per_period = (goal.asfreq("M", how="E") - goal.asfreq("M", how="S")).n + 1
    goal_start = pd.Timestamp(goal.start_time).tz_localize(tz)
    end = min(goal_start, now + pd.Timedelta(1)) if now is not None else goal_start  # nothing after as_of
    if freq is not None:
        first, last = goal - lookback, goal - 1
        start = pd.Timestamp(first.start_time).tz_localize(tz)
        window_months = lookback * months_per_period
    else:  # all time before the period
        earliest = journeys["created_at"].min()
        start = earliest if pd.notna(earliest) and earliest < end else end
        first, last = pd.Period(start.tz_localize(None), "M"), pd.Period(goal_start.tz_localize(None), "M") - 1
        window_months = max(1, (last - first).n + 1)
    recent = journeys[(journeys["created_at"] >= start) & (journeys["created_at"] < end)]
    stages = ["created_at", "mql_at", "sql_at", "opportunity_created_at", "won_at"]
    f = funnel(recent, stages, freq=None)
    rates = dict(zip(f["next_stage"], f["rate"], strict=True))
    ds = deal_size(data, freq="M", as_of=now)
    ds = ds[(ds["period"] >= first.asfreq("M", how="S")) & (ds["period"] <= last.asfreq("M", how="E"))]
    mean_deal = float(ds["total"].sum() / ds["won"].sum()) if ds["won"].sum() else np.nan
    won_recent = recent.dropna(subset=["won_at"])
    lead_to_win_days = float(((won_recent["won_at"] - won_recent["created_at"]).dt.total_seconds() / 86400).median()) if len(won_recent) else np.nan
    cycle = sales_cycle(data, freq=None, as_of=now)
    deals = target_bookings / mean_deal if mean_deal > 0 else np.nan
    need = {"won_at": deals}
    labels = {"won_at": "won deals needed", "opportunity_created_at": "opportunities needed", "sql_at": "SQLs needed",
              "mql_at": "MQLs needed", "created_at": "leads needed"}
    order = ["won_at", "opportunity_created_at", "sql_at", "mql_at", "created_at"]
    for later, earlier in itertools.pairwise(order):
        need[earlier] = ratio(need[later], rates.get(later, np.nan)).item()
    rows = [(labels[s], need[s], need[s] / months_per_period, f"{labels[s].split(' needed')[0]} for {target_bookings:,.0f} in {goal}")
            for s in order]
    capacity = capacity or {"SDR": ("mql_at", "MQLs handled"), "AE": ("opportunity_created_at", "opportunities worked")}
    reps = data.reps
    for role, (stage, what) in capacity.items():
        handled = recent[stage].notna().sum() if stage in recent.columns else 0
        if reps is None:
            rows.append((f"{role} headcount", np.nan, np.nan, "no reps table"))
            continue
        if not data.has_column("reps", "role") or not reps["role"].notna().any():
            rows.append((f"{role} headcount", np.nan, np.nan,
                         "not measured: the reps table has no role column; add role (SDR, AE, ...) to reps"))
            continue
        mid = start + (end - start) / 2
        # a rep with no hire date counts as in post (as in rep_turnover); without terminated_at, nobody has left
        hired = reps["hired_at"].isna() | (reps["hired_at"] <= mid)
        in_post = int(((reps["role"] == role) & hired & (reps["terminated_at"].isna() | (reps["terminated_at"] > mid))).sum())
        per_rep_month = handled / in_post / window_months if in_post else np.nan
        needed = need.get(stage, np.nan) / months_per_period
        caveat = [f"no {c}" for c in ("hired_at", "terminated_at") if not data.has_column("reps", c)]
        counted = f"{in_post} in post mid-window" + (f", assumed: reps table has {' and '.join(caveat)}" if caveat else "")
        rows.append((f"{role} headcount", float(ratio(needed, per_rep_month)), np.nan,
                     f"{needed:,.0f} {what} a month at {per_rep_month:,.1f} per {role} a month (measured, {counted})"))
    for stage in order[:-1]:
        rows.append((f"rate {stage}", rates.get(stage, np.nan), np.nan, f"cohort conversion into {stage}, leads created {first}–{last}"))
    rows += [
        ("mean deal size", mean_deal, np.nan, f"won deals closed {first}–{last}"),
        ("median lead-to-win days", lead_to_win_days, np.nan, "leads of that window that were won: generate the leads this long before the period"),
        ("median sales cycle days", float(cycle["median_days"].iloc[0]), np.nan, "opportunity created to won, all time"),
    ]
    out = pd.DataFrame(rows, columns=["item", "value", "per_month", "basis"])
    out.attrs.update(target_bookings=target_bookings, period=str(goal), lookback=f"{first}–{last}")
    return out
