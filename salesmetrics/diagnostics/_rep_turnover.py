"""Sign 2, rep turnover: :func:`rep_turnover`, and what the leavers left behind."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import data_first, find_stack_level
from ..data import Inputs, resolve
from ..data._lookups import NO_GROUP
from ..errors import DefinitionWarning
from ..formatting import format_money, format_p
from ..i18n import text
from ..money import to_reporting
from ..stats import poisson_excess_p, proportion_drop_p, ratio
from ._common import (
    _OPEN_LEAD_DAYS,
    Assessment,
    _all_time,
    _finding,
    _findings,
    _not_assessed,
    _periods,
    _require_columns,
    _sign_name,
    _word,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData


_COLUMNS = ["scope_type", "scope", "headcount_start", "headcount_end", "avg_headcount", "departures", "attrition",
            "median_tenure_months", "open_deals", "open_pipeline", "open_leads", "accounts"]
"""The columns of :func:`rep_turnover`'s table."""


def _membership(inputs: Inputs, reps: pd.DataFrame, months: pd.DatetimeIndex, end: pd.Timestamp) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per kind ("team", "role"): each rep's value at each month's start (reps x months), and the value a rep counts
    under at the end of the window or when they left (the assignment in force then; reps' own column without an
    assignments table)."""
    from ..data import group_labels
    from ..data._lookups import labels_over_time

    last = reps["terminated_at"].where(reps["terminated_at"] < end, end) - pd.Timedelta(1, "ns")
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for kind in ("team", "role"):
        monthly = labels_over_time(inputs, reps, kind, pd.Series(months))
        if inputs.has_column("assignments", kind):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = group_labels(inputs, reps[["rep_id"]].rename(columns={"rep_id": "owner_id"}), kind, at=last)
            assert found is not None
            v = found.to_numpy(object)
            at_exit = np.where(pd.isna(v) | np.isin(v.astype(str), list(NO_GROUP)), "", v.astype(str))
        else:
            at_exit = monthly[:, 0] if monthly.shape[1] else reps[kind].astype(object).fillna("").to_numpy()
        out[kind] = (monthly, at_exit)
    return out


@data_first("data")
def rep_turnover(
    data: SalesData,
    /,
    *,
    freq: str | None = "Q",
    as_of: Any = None,
    window_periods: int = 4,
    min_departures: int = 3,
    min_ratio: float = 2.0,
    min_rate: float = 0.4,
    alpha: float = 0.001,
    lang: str = "en",
) -> Assessment:
    """Annualised rep attrition per team and role against the rest of the company, and what the leavers left.

    Attrition = departures / average headcount × 12 / months (docs/metrics.md), over the last
    ``window_periods`` complete periods. A team is flagged when its attrition is at least ``min_ratio``
    times the rest of the company's and at least ``min_rate`` a year, with ``min_departures`` or more
    departures, and more departures than the rest's rate predicts (Poisson, one-sided, at ``alpha``).
    Critical: three times the rest and at least 50% a year.

    The consequence for leads is assessed on its own, whether or not the team's attrition is flagged:
    for every team with an SDR that lost at least one rep in the window, its first-response SLA
    compliance (24 hours from ``mql_at``, its leads by their owner's team) over the last two periods
    is compared with the four before; a fall of 10 points or more, significant at ``alpha``
    (two-proportion z-test), is a ``warning`` finding of its own (metric "sla_compliance"). When it
    cannot be checked (no leads or activities, no ``leads.mql_at``, too few periods), the reason is
    added to the team's attrition finding, or is an ``info`` row (metric "partly_assessed") when
    attrition is not flagged: never dropped silently.

    Needs ``reps.terminated_at``: without leaving dates departures cannot be counted, so a reps export
    without that column raises a ValueError (attrition is unknown, not 0%; :func:`diagnose` reports the
    sign as not assessed). ``hired_at`` may be missing (the whole column or some reps): a rep with no
    hire date counts as in post from before the window until they left (a DefinitionWarning says so),
    which overstates headcount, and so understates attrition, where reps were hired during the window;
    departures stay exact, and tenure at exit is left out for those reps. Role rows need ``reps.role``.
    When no rep was in post in the window, an ``info`` finding says the sign could not be assessed.

    Parameters
    ----------
    data : SalesData
        The bundle; the tables this sign needs are named above.
    freq : {"Q", "M", "Y"} or None, default "Q"
        The periods compared: months, quarters or (fiscal) years. None: all time — not assessed, since
        the sign compares periods (one ``info`` finding, metric "not_assessed", says so; the table has
        its usual columns and no rows).
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts, and only periods complete by then are compared.
    window_periods : int, default 4
        Complete periods over which attrition is measured.
    min_departures : int, default 3
        Departures a team needs in the window to be flagged.
    min_ratio : float, default 2.0
        How many times the rest of the company's attrition a team's must be.
    min_rate : float, default 0.4
        The lowest annualised attrition that is flagged (0.4 = 40% a year).
    alpha : float, default 0.001
        Significance level of the Poisson test (and of the SLA-consequence test).
    lang : {"en", "ko"}, default "en"
        Language of the evidence and recommendations (the same findings in every language).

    Returns
    -------
    Assessment
        ``table``: ``scope_type`` (company, team, role), ``scope``, ``headcount_start``, ``headcount_end``,
        ``avg_headcount``, ``departures``, ``attrition``, ``median_tenure_months`` (of leavers),
        ``open_deals``, ``open_pipeline``, ``open_leads`` (leads of the last 180 days with no deal and no
        disqualification), ``accounts`` (of those deals and leads) left with departed owners.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> table, findings = sm.rep_turnover(sm.load_sample())
    >>> findings.loc[findings["metric"] == "attrition", "scope"].tolist()
    ['SDR']
    """
    inputs = resolve(data, "reps")
    reps = inputs.require("reps", "rep_turnover")
    _require_columns(inputs, "rep_turnover", "rep_turnover")
    if freq is None:  # all time is one period: no window to annualise, no rest-of-company rate to compare with
        return _all_time("rep_turnover", "rep_turnover", _COLUMNS, lang, currency=inputs.currency)
    now, last = _periods(inputs, as_of, freq)
    first = last - (window_periods - 1)
    start, end = first.start_time.tz_localize(inputs.timezone), (last + 1).start_time.tz_localize(inputs.timezone)
    months = pd.date_range(first.start_time, (last + 1).start_time, freq="MS", inclusive="left").tz_localize(inputs.timezone)
    n_months = len(months)
    hired = reps["hired_at"].to_numpy("datetime64[ns]")
    left = reps["terminated_at"].to_numpy("datetime64[ns]")
    no_hire = np.isnat(hired)  # no hire date: in post from before the window (see the docstring)
    if no_hire.any():
        why = ("your reps export has no hired_at column" if not inputs.has_column("reps", "hired_at")
               else f"{int(no_hire.sum())} of {len(reps)} reps have no hired_at")
        warnings.warn(f"rep_turnover: {why}; those reps count as in post from the start of the window until they left, so "
                      "headcount can be overstated and attrition understated where reps were hired in the window, and their "
                      "tenure at exit is unknown. Add hired_at to reps (each rep's start date) for exact figures.",
                      DefinitionWarning, stacklevel=find_stack_level())
    grid = months.tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]")
    in_post = (no_hire[:, None] | (hired[:, None] <= grid[None, :])) & (np.isnat(left)[:, None] | (left[:, None] > grid[None, :]))
    s, e = np.datetime64(start.tz_convert("UTC").tz_localize(None), "ns"), np.datetime64(end.tz_convert("UTC").tz_localize(None), "ns")
    gone = ~np.isnat(left) & (left >= s) & (left < e)
    tenure = (left - hired).astype("timedelta64[D]").astype(float) / 30.44
    departed_ids = set(reps.loc[~np.isnat(left) & (left <= np.datetime64(now.tz_convert("UTC").tz_localize(None), "ns")), "rep_id"])
    left_behind = _left_behind(inputs, departed_ids, now)
    rows = []
    member = _membership(inputs, reps, months, end)  # (rep x month) in each team and role: the assignment in force
    groups: list[tuple[str, str, np.ndarray, np.ndarray]] = [("company", "company", np.ones(in_post.shape, dtype=bool),
                                                             np.ones(len(reps), dtype=bool))]
    for kind in ("team", "role"):
        at_month, at_exit = member[kind]
        names = sorted(set(map(str, pd.unique(at_month.ravel()))) - {"", "nan", "None"})
        groups += [(kind, name, at_month == name, at_exit == name) for name in names]
    now_alive = (no_hire | (hired <= e)) & (np.isnat(left) | (left > e))
    for scope_type, scope, m_month, m_rep in groups:
        avg = (in_post & m_month).sum(axis=0).mean() if n_months else 0.0
        d = int((gone & m_rep).sum())  # a departure counts in the team the rep left from
        owners = set(reps.loc[m_rep, "rep_id"]) & departed_ids
        lb = left_behind[left_behind["owner_id"].isin(owners)] if len(left_behind) else left_behind
        rows.append({"scope_type": scope_type, "scope": scope, "headcount_start": int((in_post[:, 0] & m_month[:, 0]).sum()) if n_months else 0,
                     "headcount_end": int((now_alive & m_rep).sum()),
                     "avg_headcount": float(avg), "departures": d,
                     "attrition": ratio(d, avg).item() * 12 / max(n_months, 1),
                     "median_tenure_months": float(np.median(known)) if len(known := tenure[gone & m_rep & ~no_hire]) else np.nan,
                     "open_deals": int((lb["kind"] == "deal").sum()) if len(lb) else 0,
                     "open_pipeline": float(lb["amount"].sum()) if len(lb) else 0.0,
                     "open_leads": int((lb["kind"] == "lead").sum()) if len(lb) else 0,
                     "accounts": int(lb["account_id"].nunique()) if len(lb) else 0})
    table = pd.DataFrame(rows, columns=_COLUMNS)
    table.attrs.update(window=f"{first}–{last}", months=n_months, currency=inputs.currency, reps_without_hire_date=int(no_hire.sum()))
    company = table.iloc[0]
    findings = []
    if not company["avg_headcount"] > 0:
        findings.append(_not_assessed("rep_turnover", text("ev.not_assessed_data", lang, sign=_sign_name("rep_turnover", lang),
                                                           why=text("why.turnover.headcount", lang, window=f"{first}–{last}")),
                                      lang, "insufficient_data"))
    teams = table[table["scope_type"] == "team"]
    for _, row in teams.iterrows():
        rest_d = company["departures"] - row["departures"]
        rest_avg = company["avg_headcount"] - row["avg_headcount"]
        rest_rate = ratio(rest_d, rest_avg).item() * 12 / max(n_months, 1)
        expected = rest_rate * row["avg_headcount"] * n_months / 12
        p = poisson_excess_p(row["departures"], expected)
        attrition: dict[str, Any] | None = None
        if (row["departures"] >= min_departures and row["attrition"] >= min_rate and p < alpha
                and (np.isnan(rest_rate) or row["attrition"] >= min_ratio * rest_rate)):
            severity = "critical" if row["attrition"] >= 0.5 and (np.isnan(rest_rate) or row["attrition"] >= 3 * rest_rate) else "warning"
            evidence = text("ev.turnover" if not np.isnan(row["median_tenure_months"]) else "ev.turnover.no_tenure", lang, team=row["scope"], departures=row["departures"], window=f"{first}–{last}",
                            avg=f"{row['avg_headcount']:.1f}", rate=f"{row['attrition']:.0%}", rest=f"{rest_rate:.0%}", p=format_p(p),
                            start=row["headcount_start"], end=row["headcount_end"], tenure=f"{row['median_tenure_months']:.0f}",
                            deals=row["open_deals"], pipeline=format_money(row["open_pipeline"], inputs.currency, compact=True, lang=lang),
                            leads=row["open_leads"])
            attrition = _finding("rep_turnover", severity, "team", row["scope"], "attrition", row["attrition"], rest_rate, last, evidence, lang)
            findings.append(attrition)
        # the consequence is assessed on its own: a lead-working team that lost reps, flagged or not
        if row["departures"] >= 1 and ((member["team"][0] == row["scope"]) & (member["role"][0] == "SDR")).any():
            sla = _sla_consequence(data, inputs, row["scope"], int(row["departures"]), freq, now, first, last, alpha, lang)
            if isinstance(sla, dict):
                findings.append(sla)
            elif isinstance(sla, str):  # could not be checked: said where the attrition is, or as its own row
                sentence = text("ev.sla.not_assessed", lang, team=row["scope"], why=sla)
                if attrition is not None:
                    attrition["evidence"] += " " + sentence
                else:
                    findings.append(_finding("rep_turnover", "info", "team", row["scope"], "partly_assessed", np.nan, np.nan, last,
                                             sentence, lang))
    return Assessment(table, _findings(findings))



def _left_behind(inputs: Inputs, departed: set[str], now: pd.Timestamp) -> pd.DataFrame:
    """Open deals and open leads whose owner has left, with amounts in the reporting currency."""
    parts = []
    opps = inputs.get("opportunities")
    if opps is not None and "owner_id" in opps.columns:
        o = opps[(opps["created_at"] <= now) & ((opps["status"] == "open") | (opps["closed_at"] > now))
                 & opps["owner_id"].isin(list(departed))]
        amount = to_reporting(o["amount"].to_numpy(float), o["currency"], o["created_at"], inputs.get("fx_rates"), inputs.currency)
        parts.append(pd.DataFrame({"kind": "deal", "owner_id": o["owner_id"].to_numpy(object),
                                   "account_id": o["account_id"].to_numpy(object), "amount": np.nan_to_num(amount)}))
    leads = inputs.get("leads")
    if leads is not None and "owner_id" in leads.columns:
        open_lead = (leads["opportunity_id"].isna() & leads["disqualified_at"].isna() & (leads["created_at"] <= now)
                     & (leads["created_at"] > now - pd.Timedelta(days=_OPEN_LEAD_DAYS)))
        lo = leads[open_lead & leads["owner_id"].isin(list(departed))]
        parts.append(pd.DataFrame({"kind": "lead", "owner_id": lo["owner_id"].to_numpy(object),
                                   "account_id": lo["account_id"].to_numpy(object) if "account_id" in lo.columns else None,
                                   "amount": 0.0}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["kind", "owner_id", "account_id", "amount"])


def _sla_consequence(data: SalesData, inputs: Inputs, team: str, departures: int, freq: str, now: pd.Timestamp, first: pd.Period,
                     last: pd.Period, alpha: float, lang: str = "en") -> dict[str, Any] | str | None:
    """After a lead-working team lost reps: did its first-response SLA compliance fall (last two periods vs the four before)?

    A finding when it fell by 10 points or more, significantly (two-proportion z-test at ``alpha``); None
    when it was assessed and did not; a phrase saying why when it cannot be assessed (no leads or
    activities, no ``leads.mql_at``, too few periods with decided leads). Leads are the team's when the
    leads carry ``owner_id`` (by their owner's team), else all leads.
    """
    from ..formatting import format_value
    from ..sla import response_sla

    missing = [t for t in ("leads", "activities") if inputs.get(t) is None]
    if missing:
        return text("why.sla.tables", lang, tables=" / ".join(missing))
    if not inputs.has_column("leads", "mql_at"):
        return text("why.sla.mql", lang)
    per_team = inputs.has_column("leads", "owner_id")
    s = response_sla(data, freq=freq, as_of=now, by="owner.team" if per_team else None)
    within = s.attrs.get("within", "24h")
    if per_team:
        s = s[s["owner.team"] == team]
    s = s.sort_values("period", kind="stable")
    decided = (s["met"] + s["breached"]).to_numpy()
    ords = np.asarray([p.ordinal for p in s["period"]], dtype="int64")
    recent = (ords > last.ordinal - 2) & (ords <= last.ordinal) & (decided > 0)
    base = (ords > last.ordinal - 6) & (ords <= last.ordinal - 2) & (decided > 0)
    if not recent.any() or base.sum() < 2:
        return text("why.sla.periods", lang, units=_word(freq, lang, plural=True), recent=int(recent.sum()), base=int(base.sum()))
    met = s["met"].to_numpy()
    xr, nr = met[recent].sum(), decided[recent].sum()
    xb, nb = met[base].sum(), decided[base].sum()
    p = proportion_drop_p(xr, nr, xb, nb)
    cr, cb = ratio(xr, nr).item(), ratio(xb, nb).item()
    if not (p < alpha and cb - cr >= 0.10):
        return None
    periods = s["period"].to_numpy(object)
    evidence = text("ev.sla", lang, team=team, departures=departures, window=f"{first}–{last}", within=format_value(within, "duration", lang=lang),
                    before=f"{cb:.0%}", base_window=f"{periods[base][0]}–{periods[base][-1]}", after=f"{cr:.0%}",
                    recent_window=f"{periods[recent][0]}–{periods[recent][-1]}", p=format_p(p))
    return _finding("rep_turnover", "warning", "team", team, "sla_compliance", cr, cb, last, evidence, lang)
