"""Reorg diagnostics: the five signs that a sales reorganisation is due, with evidence and what to do.

Definitions follow the metric definitions (docs/metrics.md, "Organisation and reorg diagnostics"); the signs and the advice for each
come from the seed article:

1. **declining_sales** — bookings falling for several quarters; decomposed into opportunities created ×
   close ratio × average deal size so the finding names the driver that moved.
2. **rep_turnover** — annualised attrition of a team far above the rest of the company.
3. **unclear_roles** — a role working in another role's lane (out-of-lane share), overlap, orphans.
4. **market_response** — a segment whose leads grow while its conversion falls or nobody owns them.
5. **customer_satisfaction** — CSAT or NPS falling, and low-satisfaction accounts churning more.

Each part returns an :class:`Assessment` (``table, findings = sm.sales_decline(data)``). A finding is
raised only when an effect is both *large* (a documented threshold) and *unlikely to be noise* (a
significance test at a documented level), so that healthy companies of any size stay quiet. Only
complete periods are assessed: the period holding ``as_of`` counts only when ``as_of`` is on its last day.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._api import data_first
from ._signs import SIGNS
from .data import NO_GROUP, Inputs, can_group, group_codes, group_labels, resolve
from .errors import DefinitionWarning, MissingDataError
from .formatting import format_money, format_p, shorten
from .i18n import text
from .money import to_reporting
from .periods import duration, freq_alias, last_complete_period, period_ordinals
from .stats import poisson_excess_p, proportion_drop_p, ratio, relative_risk, trend

if TYPE_CHECKING:  # pragma: no cover
    from .data import SalesData
    from .org import OrgDesign

__all__ = ["FINDING_COLUMNS", "RECOMMENDATIONS", "SIGNS", "Assessment", "customer_satisfaction", "diagnose",
           "market_response", "rep_turnover", "role_clarity", "sales_decline"]


RECOMMENDATIONS = {sign: text(f"rec.{sign}") for sign in SIGNS}
"""What the seed article advises for each sign (English; ``text("rec.<sign>", lang)`` for others)."""

FINDING_COLUMNS = ["sign", "severity", "scope_type", "scope", "metric", "value", "baseline", "period", "evidence",
                   "recommendation"]
_SEVERITY = {"critical": 0, "warning": 1, "info": 2}


@dataclass
class Assessment:
    """A metric table and the findings drawn from it; unpacks as ``table, findings``."""

    table: pd.DataFrame
    findings: pd.DataFrame

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return iter((self.table, self.findings))

    def _counts(self) -> str:
        found = self.findings["severity"].value_counts() if len(self.findings) else pd.Series(dtype="int64")
        return ", ".join(f"{int(found[s])} {s}" for s in _SEVERITY if s in found.index) or "no findings"

    def __repr__(self) -> str:
        signs = ", ".join(str(s) for s in self.findings["sign"].unique()) if len(self.findings) else "no sign"
        return f"Assessment({signs}: {self._counts()}; table of {len(self.table):,} rows)"

    def _repr_html_(self) -> str:
        """The findings in Jupyter, most severe first; every cell is escaped (scopes come from the data)."""
        from html import escape

        body = self.findings.to_html(index=False, escape=True) if len(self.findings) else "<p>no findings</p>"
        return f"<div><strong>{escape(repr(self))}</strong>{body}</div>"


def _findings(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    if len(out):
        out["recommendation"] = out["recommendation"].fillna(out["sign"].map(RECOMMENDATIONS))
        out = out.sort_values(["severity", "sign"], key=lambda s: s.map(_SEVERITY) if s.name == "severity" else s,
                              kind="stable").reset_index(drop=True)
    return out


def _finding(sign: str, severity: str, scope_type: str, scope: str, metric: str, value: float, baseline: float,
             period: Any, evidence: str, lang: str = "en") -> dict[str, Any]:
    return {"sign": sign, "severity": severity, "scope_type": scope_type, "scope": scope, "metric": metric,
            "value": float(value) if value is not None else np.nan,
            "baseline": float(baseline) if baseline is not None else np.nan, "period": str(period),
            "evidence": evidence, "recommendation": text(f"rec.{sign}", lang)}


def _periods(inputs: Inputs, as_of: Any, freq: str) -> tuple[pd.Timestamp, pd.Period]:
    """as_of, and the last complete period (the one holding as_of when as_of is on its last day)."""
    now = inputs.as_of_timestamp(as_of)
    return now, last_complete_period(now, freq, fiscal_year_start=inputs.fiscal_year_start)


def _ordinals(stamps: pd.Series, inputs: Inputs, freq: str) -> np.ndarray:
    return period_ordinals(stamps, freq, fiscal_year_start=inputs.fiscal_year_start)


def _money(value: float, currency: str) -> str:
    return format_money(value, currency, compact=True)


def _word(freq: str, lang: str = "en", plural: bool = False) -> str:
    return text(f"{'units' if plural else 'unit'}.{freq if freq in ('M', 'Q', 'Y') else 'Q'}", lang)


def _sign_name(sign: str, lang: str) -> str:
    """The sign's name inside a sentence ("rep turnover" in English, as written in other languages)."""
    name = text(f"sign.{sign}", lang)
    return name.lower() if lang == "en" else name


# Canonical columns a sign cannot be measured without, beyond its tables. ``_NEEDS_VALUES``: columns
# that must also hold at least one value (an empty ``terminated_at`` is a real answer, nobody left; an
# empty ``role`` column says nothing).
_NEEDS_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "rep_turnover": (("reps", "terminated_at"),),
    "unclear_roles": (("reps", "role"),),
}
_NEEDS_VALUES = {("reps", "role")}


def _column_gaps(inputs: Inputs, sign: str) -> list[tuple[str, str, bool]]:
    """``(table, column, empty)`` for each column ``sign`` needs that the data lacks (``empty``: present, but no values)."""
    gaps = []
    for table, column in _NEEDS_COLUMNS.get(sign, ()):
        df = inputs.get(table)
        if df is None:
            continue  # the missing table is reported as such
        if not inputs.has_column(table, column):
            gaps.append((table, column, False))
        elif (table, column) in _NEEDS_VALUES and not df[column].notna().any():
            gaps.append((table, column, True))
    return gaps


def _gap_sentence(sign: str, table: str, column: str, empty: bool, lang: str = "en") -> str:
    """Why ``sign`` cannot be assessed without ``table.column``, and the fix, as a finding's evidence."""
    key = "ev.not_assessed_empty" if empty else "ev.not_assessed_column"
    return text(key, lang, sign=_sign_name(sign, lang), table=table, column=column, why=text(f"why.{table}.{column}", lang),
                fix=text(f"fix.{table}.{column}", lang))


def _require_columns(inputs: Inputs, sign: str, purpose: str) -> None:
    """Raise a MissingDataError naming the table, the column and the fix when ``sign`` needs a column the data lacks."""
    for table, column, empty in _column_gaps(inputs, sign):
        where = f"{table}.{column} is empty in every row" if empty else f"the {table} table has no {column} column"
        raise MissingDataError(f"{purpose} cannot be measured: {where}, so {text(f'why.{table}.{column}')}. "
                         f"Fix: add {column} to {table} ({text(f'fix.{table}.{column}')}).")


def _not_assessed(sign: str, evidence: str, lang: str = "en", metric: str = "not_assessed") -> dict[str, Any]:
    """An info finding: the sign could not be assessed, and why (never the same as "no sign")."""
    return _finding(sign, "info", "company", "company", metric, np.nan, np.nan, "", evidence, lang)


# ----------------------------------------------------------------------------------------------------------
# 1. declining sales
# ----------------------------------------------------------------------------------------------------------


@data_first("data")
def sales_decline(
    data: SalesData,
    /,
    *,
    freq: str = "Q",
    by: str | None = "segment",
    as_of: Any = None,
    min_declines: int = 2,
    min_drop: float = 0.2,
    alpha: float = 0.05,
    baseline_periods: int = 4,
    trend_periods: int = 8,
    min_deals: int = 8,
    lang: str = "en",
) -> Assessment:
    """Bookings falling for several periods, in total and per segment, with the driver that moved.

    Bookings are new-business won amounts (reporting currency) closed in the period. They decompose
    exactly as opportunities created × close ratio × average deal size, with close ratio = won /
    created in the same period, so the log-changes of the three add up to the change in bookings and
    the finding names the factor that fell most.

    A finding needs a run of at least ``min_declines`` consecutive period-on-period declines ending with
    the last complete period, a total fall of at least ``min_drop``, and bookings over the run
    significantly below the ``baseline_periods`` before it (one-sided compound-Poisson z-test at
    ``alpha``: each deal's amount squared estimates the variance). A significant Theil–Sen /
    Mann–Kendall downtrend over ``trend_periods`` with the same level test also counts. Critical: three
    or more declines and a fall of 35% or more. Scopes with fewer than ``min_deals`` won deals in the
    baseline are not assessed; when that is the company itself (or there are fewer than three periods),
    an ``info`` finding (metric "insufficient_data") says why. Rows whose ``by`` value is missing or
    whose account is not in the export are in the company's figures but never a finding's scope.

    Returns
    -------
    Assessment
        ``table``: ``period``, ``scope_type``, ``scope``, ``opportunities``, ``won``, ``close_ratio``,
        ``avg_deal``, ``bookings``; ``findings``: see :func:`diagnose`.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> table, findings = sm.sales_decline(sm.load_sample())
    >>> findings[["severity", "scope"]].values.tolist()[:1]
    [['critical', 'Mid-Market']]
    """
    inputs = resolve(data, "opportunities")
    opps = inputs.require("opportunities", "sales_decline")
    now, last = _periods(inputs, as_of, freq)
    nb = opps if "type" not in opps.columns else opps[opps["type"].isna() | (opps["type"] == "new_business")]
    nb = nb.reset_index(drop=True)
    won = (nb["status"] == "won").to_numpy() & (nb["closed_at"] <= now).to_numpy()
    amount = np.where(won, to_reporting(nb["amount"].to_numpy(float), nb["currency"], nb["closed_at"].fillna(nb["created_at"]),
                                        inputs.get("fx_rates"), inputs.currency), 0.0)
    amount = np.nan_to_num(amount)
    created_p = _ordinals(nb["created_at"], inputs, freq)
    closed_p = _ordinals(nb["closed_at"], inputs, freq)
    first = int(created_p.min()) if len(nb) else last.ordinal
    span = np.arange(first, last.ordinal + 1)
    scopes: list[tuple[str, str, np.ndarray]] = [("company", "company", np.ones(len(nb), dtype=bool))]
    if by is not None:
        labels = group_labels(inputs, nb, by)
        assert labels is not None
        for g in sorted(pd.unique(labels.dropna())):
            if g not in NO_GROUP:
                scopes.append((by, str(g), (labels == g).to_numpy()))
    rows, findings = [], []
    for scope_type, scope, mask in scopes:
        n_created = np.bincount(created_p[mask] - first, minlength=len(span))[: len(span)] if mask.any() else np.zeros(len(span))
        w = mask & won & (closed_p >= first) & (closed_p <= last.ordinal)
        idx = closed_p[w] - first
        n_won = np.bincount(idx, minlength=len(span))
        booked = np.bincount(idx, weights=amount[w], minlength=len(span))
        squares = np.bincount(idx, weights=amount[w] ** 2, minlength=len(span))
        for i, p in enumerate(span):
            rows.append((pd.Period(ordinal=int(p), freq=freq_alias(freq, inputs.fiscal_year_start)), scope_type, scope,
                         int(n_created[i]), int(n_won[i]), ratio(n_won[i], n_created[i]).item(), ratio(booked[i], n_won[i]).item(),
                         float(booked[i])))
        finding = _decline_finding(scope_type, scope, span, n_created, n_won, booked, squares, inputs, freq, min_declines,
                                   min_drop, alpha, baseline_periods, trend_periods, min_deals, lang)
        if isinstance(finding, dict):
            findings.append(finding)
        elif finding is not None and scope_type == "company":  # too little data for the company: not assessed, not "no sign"
            findings.append(_not_assessed("declining_sales", text("ev.not_assessed_data", lang, sign=_sign_name("declining_sales", lang),
                                                                  why=finding), lang, "insufficient_data"))
    table = pd.DataFrame(rows, columns=["period", "scope_type", "scope", "opportunities", "won", "close_ratio", "avg_deal", "bookings"])
    table.attrs.update(currency=inputs.currency, freq=freq)
    return Assessment(table, _findings(findings))


def _decline_finding(scope_type: str, scope: str, span: np.ndarray, created: np.ndarray, won: np.ndarray, booked: np.ndarray,
                     squares: np.ndarray, inputs: Inputs, freq: str, min_declines: int, min_drop: float, alpha: float,
                     baseline_periods: int, trend_periods: int, min_deals: int, lang: str = "en") -> dict[str, Any] | str | None:
    """A finding, None when assessed with no sign, or why the scope could not be assessed (a phrase)."""
    n = len(span)
    if n < 3:
        return text("why.decline.periods", lang, n=n, units=_word(freq, lang, plural=True), needed=3)
    run = 0
    while run < n - 1 and booked[n - 1 - run] < booked[n - 2 - run]:
        run += 1
    slope, p_trend = trend(booked[-trend_periods:]) if n >= 4 else (np.nan, np.nan)
    recent = 2  # the last two periods against the baseline: up to baseline_periods ending with the peak before the run
    start = n - recent
    peak = n - 1 - run if run >= recent else start - 1
    base = slice(max(0, peak + 1 - baseline_periods), peak + 1)
    if won[base].sum() >= min_deals and booked[base].sum() <= 0:
        return text("why.decline.amounts", lang)
    if won[base].sum() < min_deals:
        return text("why.decline.deals", lang, won=int(won[base].sum()), k=base.stop - base.start, units=_word(freq, lang, plural=True),
                    needed=min_deals)
    k_b = base.stop - base.start
    m_r, m_b = booked[start:].mean(), booked[base].mean()
    var = squares[start:].sum() / recent**2 + squares[base].sum() / k_b**2
    p_level = NormalDist().cdf((m_r - m_b) / var**0.5) if var > 0 else 1.0
    drop = 1 - booked[-1] / booked[peak] if run >= min_declines and booked[peak] > 0 else 1 - m_r / m_b
    by_run = run >= min_declines and drop >= min_drop and p_level < alpha
    by_trend = (not np.isnan(p_trend) and p_trend < alpha and slope < 0 and slope / max(booked[-trend_periods:].mean(), 1e-9) <= -0.05
                and p_level < alpha and m_r < (1 - min_drop) * m_b)
    if not (by_run or by_trend):
        return None
    # the driver: log-changes of the three factors between the baseline and the recent window
    c_b, c_r = created[base].sum() / k_b, created[start:].sum() / recent
    r_b, r_r = ratio(won[base].sum(), created[base].sum()).item(), ratio(won[start:].sum(), created[start:].sum()).item()
    d_b, d_r = ratio(booked[base].sum(), won[base].sum()).item(), ratio(booked[start:].sum(), won[start:].sum()).item()
    with np.errstate(divide="ignore", invalid="ignore"):
        parts = {"opportunities created": np.log(c_r / c_b), "close ratio": np.log(r_r / r_b), "average deal size": np.log(d_r / d_b)}
    parts = {k: (v if np.isfinite(v) else -np.inf if k != "average deal size" or won[start:].sum() else np.nan) for k, v in parts.items()}
    driver = min((k for k in parts if not np.isnan(parts[k])), key=lambda k: parts[k])
    severity = "critical" if run >= 3 and drop >= 0.35 else "warning"
    names = {"opportunities created": text("ev.driver.created", lang), "close ratio": text("ev.driver.close", lang),
             "average deal size": text("ev.driver.deal", lang)}
    money = lambda v: format_money(v, inputs.currency, compact=True, lang=lang)  # noqa: E731
    fmt = {"opportunities created": text("ev.per_unit", lang, before=f"{c_b:.1f}", after=f"{c_r:.1f}", unit=_word(freq, lang)),
           "close ratio": f"{r_b:.0%} → {r_r:.0%}",
           "average deal size": f"{money(d_b)} → {money(d_r) if won[start:].sum() else text('ev.no_deals', lang)}"}
    others = ", ".join(f"{names[k]} {fmt[k]}" for k in parts if k != driver)
    label = text("ev.company", lang) if scope_type == "company" else scope
    periods = [pd.Period(ordinal=int(p), freq=freq_alias(freq, inputs.fiscal_year_start)) for p in span]
    units = _word(freq, lang, plural=True)
    how = (text("ev.decline.run", lang, run=run, units=units) if run >= min_declines
           else text("ev.decline.trend", lang, n=min(trend_periods, n), units=units, p=format_p(p_trend)))
    since = run >= min_declines
    evidence = text("ev.decline", lang, label=label, how=how, start_value=money(booked[peak] if since else m_b),
                    start_period=periods[peak] if since else text("ev.decline.baseline", lang), end_value=money(booked[-1]),
                    end_period=periods[-1], change=f"{-drop:+.0%}", units=units, k=k_b, base_end=periods[base.stop - 1],
                    p=format_p(p_level), driver=names[driver], driver_change=fmt[driver], others=others)
    return _finding("declining_sales", severity, scope_type, scope, "bookings", booked[-1], m_b, periods[-1], evidence, lang)


# ----------------------------------------------------------------------------------------------------------
# 2. rep turnover
# ----------------------------------------------------------------------------------------------------------


@data_first("data")
def rep_turnover(
    data: SalesData,
    /,
    *,
    freq: str = "Q",
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
                      DefinitionWarning, stacklevel=2)
    grid = months.tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]")
    in_post = (no_hire[:, None] | (hired[:, None] <= grid[None, :])) & (np.isnat(left)[:, None] | (left[:, None] > grid[None, :]))
    s, e = np.datetime64(start.tz_convert("UTC").tz_localize(None), "ns"), np.datetime64(end.tz_convert("UTC").tz_localize(None), "ns")
    gone = ~np.isnat(left) & (left >= s) & (left < e)
    tenure = (left - hired).astype("timedelta64[D]").astype(float) / 30.44
    departed_ids = set(reps.loc[~np.isnat(left) & (left <= np.datetime64(now.tz_convert("UTC").tz_localize(None), "ns")), "rep_id"])
    left_behind = _left_behind(inputs, departed_ids, now)
    rows = []
    groups = [("company", "company", np.ones(len(reps), dtype=bool))]
    groups += [("team", str(t), (reps["team"] == t).to_numpy()) for t in sorted(reps["team"].dropna().unique())]
    groups += [("role", str(r), (reps["role"] == r).to_numpy()) for r in sorted(reps["role"].dropna().unique())]
    for scope_type, scope, m in groups:
        avg = in_post[m].sum(axis=0).mean() if n_months else 0.0
        d = int((gone & m).sum())
        owners = set(reps.loc[m, "rep_id"]) & departed_ids
        lb = left_behind[left_behind["owner_id"].isin(owners)] if len(left_behind) else left_behind
        rows.append({"scope_type": scope_type, "scope": scope, "headcount_start": int(in_post[m, 0].sum()) if n_months else 0,
                     "headcount_end": int(((no_hire | (hired <= e)) & (np.isnat(left) | (left > e)) & m).sum()),
                     "avg_headcount": float(avg), "departures": d,
                     "attrition": ratio(d, avg).item() * 12 / max(n_months, 1),
                     "median_tenure_months": float(np.median(known)) if len(known := tenure[gone & m & ~no_hire]) else np.nan,
                     "open_deals": int((lb["kind"] == "deal").sum()) if len(lb) else 0,
                     "open_pipeline": float(lb["amount"].sum()) if len(lb) else 0.0,
                     "open_leads": int((lb["kind"] == "lead").sum()) if len(lb) else 0,
                     "accounts": int(lb["account_id"].nunique()) if len(lb) else 0})
    table = pd.DataFrame(rows)
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
        if row["departures"] >= 1 and (reps.loc[reps["team"] == row["scope"], "role"] == "SDR").any():
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


_OPEN_LEAD_DAYS = 180
"""A lead with no opportunity and no disqualification counts as open for this many days after it arrived."""


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
    from .formatting import format_duration
    from .sla import response_sla

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
    evidence = text("ev.sla", lang, team=team, departures=departures, window=f"{first}–{last}", within=format_duration(within),
                    before=f"{cb:.0%}", base_window=f"{periods[base][0]}–{periods[base][-1]}", after=f"{cr:.0%}",
                    recent_window=f"{periods[recent][0]}–{periods[recent][-1]}", p=format_p(p))
    return _finding("rep_turnover", "warning", "team", team, "sla_compliance", cr, cb, last, evidence, lang)


# ----------------------------------------------------------------------------------------------------------
# 3. unclear roles
# ----------------------------------------------------------------------------------------------------------

_STAGE_LANES = {
    "created_at": ("lead",), "mql_at": ("lead",), "sql_at": ("lead", "prospect"),
    "opportunity_created_at": ("new_business", "prospect"), "won_at": ("new_business", "prospect"),
    "expansion": ("expansion", "customer"), "renewal": ("renewal", "customer"), "retention": ("customer",),
}
"""Funnel stage owned by a role → the kinds of work it covers (the 'lanes' of activities)."""


def _lanes(inputs: Inputs, acts: pd.DataFrame) -> np.ndarray:
    """Each activity's lane: lead, new_business, expansion, renewal (by the deal's type), customer or prospect."""
    lane = np.full(len(acts), "prospect", dtype=object)
    opps = inputs.get("opportunities")
    has_opp = acts["opportunity_id"].notna().to_numpy()
    if opps is not None and has_opp.any():
        pos = inputs.positions("activities", "opportunity_id", "opportunities")
        kind = opps["type"].fillna("new_business").to_numpy(object) if "type" in opps.columns else np.full(len(opps), "new_business", object)
        ok = has_opp & (pos >= 0)
        lane[ok] = kind[pos[ok]]
    on_lead = ~has_opp & acts["lead_id"].notna().to_numpy()
    lane[on_lead] = "lead"
    account_only = ~has_opp & ~on_lead & acts["account_id"].notna().to_numpy()
    subs = inputs.get("subscriptions")
    if subs is not None and account_only.any():
        paid = subs[subs["amount"] > 0]
        first = paid.groupby("account_id")["start_date"].min()
        when = acts.loc[account_only, "occurred_at"].dt.tz_localize(None).to_numpy("datetime64[ns]")
        began = first.reindex(acts.loc[account_only, "account_id"]).to_numpy("datetime64[ns]")
        customer = ~np.isnat(began) & (began <= when)
        idx = np.flatnonzero(account_only)
        lane[idx[customer]] = "customer"
    return lane


@data_first("data")
def role_clarity(
    data: SalesData,
    /,
    *,
    org: str | OrgDesign = "process",
    freq: str = "Q",
    as_of: Any = None,
    recent_periods: int = 2,
    baseline_periods: int = 4,
    min_share: float = 0.03,
    min_ratio: float = 2.0,
    alpha: float = 0.001,
    lang: str = "en",
) -> Assessment:
    """Who works in whose lane: out-of-lane share per role, overlap, orphaned work and handoff latency.

    Each activity falls in a lane — lead, prospect, new_business, expansion, renewal or customer — and
    the org design's role → stages map says which lanes each role owns (an AE owns new business, an AM
    expansion and renewal). Out-of-lane share = a role's activities in lanes it does not own / all its
    activities. A role is flagged when its share over the last ``recent_periods`` is at least
    ``min_share``, at least ``min_ratio`` times its own share over the ``baseline_periods`` before, and
    the rise is significant (two-proportion z-test at ``alpha``). The finding's scope names the role
    and the owners of the lanes it entered (``"AM,AE"``); two roles in each other's lanes are one
    finding, critical.

    Needs ``reps.role`` with values (a ValueError names the column and the fix otherwise; :func:`diagnose`
    reports the sign as not assessed). When no one whose role the design gives lanes to worked in the
    window (roles named otherwise, say), an ``info`` finding says so: pass an :class:`OrgDesign` that
    names your roles. Without ``reps.terminated_at`` every rep counts as active for the orphan rate.

    Returns
    -------
    Assessment
        ``table``: long format, ``period``, ``scope_type``, ``scope``, ``metric``, ``value``,
        ``numerator``, ``denominator`` with metrics ``out_of_lane_share`` (per role),
        ``overlap_rate`` (deals worked by two or more reps of the same role, per role), and at company
        level ``orphan_rate`` (open leads and deals whose owner has left or is missing) and
        ``handoff_hours`` (median hours from SQL to the first AE touch).

    Examples
    --------
    >>> import salesmetrics as sm
    >>> table, findings = sm.role_clarity(sm.load_sample())
    >>> findings["scope"].tolist()
    ['AM,AE']
    """
    from .org import _design

    inputs = resolve(data, "activities")
    acts = inputs.require("activities", "role_clarity")
    reps = inputs.require("reps", "role_clarity")
    _require_columns(inputs, "unclear_roles", "role_clarity")
    design = _design(org)
    now, last = _periods(inputs, as_of, freq)
    alias = freq_alias(freq, inputs.fiscal_year_start)
    owned = {role: {lane for st in stages for lane in _STAGE_LANES.get(st, ())} for role, stages in design.role_stages().items()}
    owners_of: dict[str, list[str]] = {}
    for owner, owner_lanes in owned.items():
        for one in owner_lanes:
            owners_of.setdefault(one, []).append(owner)
    human = ~acts["automated"].to_numpy(bool) & (acts["occurred_at"] <= now).to_numpy()
    rep_pos = inputs.positions("activities", "owner_id", "reps")
    role = np.full(len(acts), None, dtype=object)
    known = rep_pos >= 0
    role[known] = reps["role"].to_numpy(object)[rep_pos[known]]
    lane = _lanes(inputs, acts)
    period = _ordinals(acts["occurred_at"], inputs, freq)
    first = last.ordinal - recent_periods - baseline_periods + 1
    rows: list[tuple[Any, ...]] = []
    findings: list[dict[str, Any]] = []
    intrusions: dict[str, tuple[float, float, float, list[str], list[str]]] = {}
    for r, lanes in owned.items():
        if not lanes:
            continue
        m = human & (role == r) & (period >= first) & (period <= last.ordinal)
        out = m & ~np.isin(lane, list(lanes))
        per_n = np.bincount(period[m] - first, minlength=recent_periods + baseline_periods)
        per_x = np.bincount(period[out] - first, minlength=recent_periods + baseline_periods)
        for i in range(len(per_n)):
            rows.append((pd.Period(ordinal=first + i, freq=alias), "role", r, "out_of_lane_share", ratio(per_x[i], per_n[i]).item(),
                         int(per_x[i]), int(per_n[i])))
        xb, nb = per_x[:baseline_periods].sum(), per_n[:baseline_periods].sum()
        xr, nr = per_x[baseline_periods:].sum(), per_n[baseline_periods:].sum()
        share_r, share_b = ratio(xr, nr).item(), ratio(xb, nb).item()
        p = proportion_drop_p(xb, nb, xr, nr)  # the baseline share lower than the recent one
        if nr > 0 and share_r >= min_share and (nb == 0 or share_r >= min_ratio * share_b) and p < alpha:
            recent_lanes = pd.Series(lane[out & (period > last.ordinal - recent_periods)]).value_counts()
            into = [o for ln in recent_lanes.index for o in owners_of.get(ln, []) if o != r]
            into = list(dict.fromkeys(into)) or ["(no owner)"]
            intrusions[r] = (share_r, share_b, p, into, [str(x) for x in recent_lanes.index[:2]])
    laned = [r for r, lanes in owned.items() if lanes]
    if not (human & np.isin(role, laned) & (period >= first) & (period <= last.ordinal)).any():
        # nobody whose role the design gives lanes to worked in the window: out-of-lane work cannot be measured
        here = [shorten(r, 24) for r in sorted(map(str, pd.unique(reps["role"].dropna())))]
        why = text("why.roles.lanes", lang, window=f"{pd.Period(ordinal=first, freq=alias)}–{last}", org=design.name,
                   roles=", ".join(laned), here=", ".join(here[:6]) + (", …" if len(here) > 6 else "") or "–")
        findings.append(_not_assessed("unclear_roles", text("ev.not_assessed_data", lang, sign=_sign_name("unclear_roles", lang), why=why),
                                      lang, "insufficient_data"))
    done: set[str] = set()
    for r, (share_r, share_b, p, into, lanes_in) in sorted(intrusions.items(), key=lambda kv: -kv[1][0]):
        if r in done:
            continue
        mutual = [o for o in into if o in intrusions and r in intrusions[o][3]]
        scope = ",".join([r, *into[:1]]) if not mutual else ",".join([r, mutual[0]])
        done.update([r, *mutual])
        evidence = text("ev.roles", lang, role=r, share=f"{share_r:.0%}", lanes=", ".join(str(x) for x in lanes_in),
                        window=f"{last - recent_periods + 1}–{last}", before=f"{share_b:.0%}", p=format_p(p))
        if mutual:
            o = mutual[0]
            evidence += text("ev.roles.mutual", lang, other=o, other_share=f"{intrusions[o][0]:.0%}", other_before=f"{intrusions[o][1]:.0%}")
        else:
            evidence += text("ev.roles.single", lang, owners=", ".join(into[:2]))
        findings.append(_finding("unclear_roles", "critical" if mutual else "warning", "role", scope, "out_of_lane_share",
                                 share_r, share_b, last, evidence, lang))
    rows += _overlap_rows(inputs, acts, role, human, period, first, last, alias)
    rows += _orphan_rows(inputs, reps, now, last)
    table = pd.DataFrame(rows, columns=["period", "scope_type", "scope", "metric", "value", "numerator", "denominator"])
    table.attrs.update(org=design.name, freq=freq)
    return Assessment(table, _findings(findings))


def _overlap_rows(inputs: Inputs, acts: pd.DataFrame, role: np.ndarray, human: np.ndarray, period: np.ndarray, first: int,
                  last: pd.Period, alias: str) -> list[tuple[Any, ...]]:
    """Per role and period: deals worked by two or more reps of that role / deals it worked."""
    m = human & acts["opportunity_id"].notna().to_numpy() & (period >= first) & (period <= last.ordinal) & (role != None)  # noqa: E711
    frame = pd.DataFrame({"p": period[m], "role": role[m], "deal": acts["opportunity_id"].to_numpy(object)[m],
                          "rep": acts["owner_id"].to_numpy(object)[m]})
    reps_per = frame.drop_duplicates().groupby(["p", "role", "deal"]).size()
    shared = (reps_per >= 2).groupby(level=["p", "role"]).agg(["sum", "size"])
    p_level, r_level = shared.index.get_level_values(0), shared.index.get_level_values(1)
    return [(pd.Period(ordinal=int(p), freq=alias), "role", str(r), "overlap_rate", ratio(s, n).item(), int(s), int(n))
            for p, r, s, n in zip(p_level, r_level, shared["sum"], shared["size"], strict=True)]


def _orphan_rows(inputs: Inputs, reps: pd.DataFrame, now: pd.Timestamp, last: pd.Period) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    active = set(reps.loc[reps["terminated_at"].isna() | (reps["terminated_at"] > now), "rep_id"])
    leads, opps = inputs.get("leads"), inputs.get("opportunities")
    n_open = n_orphan = 0
    if leads is not None:
        open_lead = (leads["opportunity_id"].isna() & leads["disqualified_at"].isna() & (leads["created_at"] <= now)
                     & (leads["created_at"] > now - pd.Timedelta(days=_OPEN_LEAD_DAYS)))
        n_open += int(open_lead.sum())
        n_orphan += int((open_lead & ~leads["owner_id"].isin(list(active))).sum())
    if opps is not None:
        open_deal = (opps["created_at"] <= now) & ((opps["status"] == "open") | (opps["closed_at"] > now))
        n_open += int(open_deal.sum())
        n_orphan += int((open_deal & ~opps["owner_id"].isin(list(active))).sum())
    rows.append((last, "company", "company", "orphan_rate", ratio(n_orphan, n_open).item(), n_orphan, n_open))
    acts = inputs.get("activities")
    if leads is not None and acts is not None and opps is not None:
        sql = leads.dropna(subset=["sql_at", "opportunity_id"])
        ae = set(reps.loc[reps["role"] == "AE", "rep_id"])
        touches = acts[acts["owner_id"].isin(list(ae)) & acts["opportunity_id"].isin(sql["opportunity_id"])]
        first_touch = touches.groupby("opportunity_id")["occurred_at"].min()
        hours = (first_touch.reindex(sql["opportunity_id"]).to_numpy() - sql["sql_at"].to_numpy()) / pd.Timedelta(hours=1)
        hours = hours[~np.isnan(hours.astype(float))].astype(float)
        rows.append((last, "company", "company", "handoff_hours", float(np.median(hours)) if len(hours) else np.nan,
                     np.nan, len(hours)))
    return rows


# ----------------------------------------------------------------------------------------------------------
# 4. market response
# ----------------------------------------------------------------------------------------------------------


@data_first("data")
def market_response(
    data: SalesData,
    /,
    *,
    freq: str = "Q",
    by: str = "segment",
    as_of: Any = None,
    recent_periods: int = 4,
    min_growth: float = 0.5,
    min_unowned: float = 0.3,
    window_days: int = 60,
    alpha: float = 0.01,
    lang: str = "en",
) -> Assessment:
    """Shifts in the lead and bookings mix, and segments whose leads grow while conversion falls or nobody owns them.

    Per ``by`` group and period: leads, their share of all leads, conversion (leads reaching SQL within
    ``window_days``; the last ``window_days`` of leads are left out as not yet decided), the share of
    leads with no owner (or an owner who has left), and the group's share of bookings. A group is
    flagged when its leads over the last ``recent_periods`` grew by at least ``min_growth`` against the
    same span before (or it is new) *and* either its conversion is significantly below the rest of the
    company's (two-proportion z-test at ``alpha``, and at most half of it), or at least ``min_unowned``
    of its recent leads have no active owner (without ``reps.terminated_at`` every rep in the export
    counts as active). Both at once: critical. When no lead has a ``by`` value
    (every one in "(missing)" or "(unknown)"), an ``info`` finding says the sign could not be assessed.

    Returns
    -------
    Assessment
        ``table``: ``period``, ``by``, ``leads``, ``lead_share``, ``converted``, ``conversion``,
        ``unowned_share``, ``bookings_share``.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> table, findings = sm.market_response(sm.load_sample())
    >>> findings[["severity", "scope"]].values.tolist()
    [['critical', 'Digital Native']]
    """
    inputs = resolve(data, "leads")
    leads = inputs.require("leads", "market_response")
    now, last = _periods(inputs, as_of, freq)
    alias = freq_alias(freq, inputs.fiscal_year_start)
    labels = group_labels(inputs, leads, by)
    assert labels is not None
    period = _ordinals(leads["created_at"], inputs, freq)
    horizon = now - pd.Timedelta(days=window_days)
    decided = (leads["created_at"] <= horizon).to_numpy()
    converted = (leads["sql_at"].notna() & (leads["sql_at"] - leads["created_at"] <= pd.Timedelta(days=window_days))).to_numpy()
    # what the export lacks is not measured: no sql_at means conversion unknown (not 0%), no owner_id ownership unknown
    knows_conversion, knows_owner = inputs.has_column("leads", "sql_at"), inputs.has_column("leads", "owner_id")
    reps = inputs.get("reps")
    if not knows_owner:
        unowned = np.zeros(len(leads), dtype=bool)
    elif reps is not None and "owner_id" in leads.columns:
        active = set(reps.loc[reps["terminated_at"].isna() | (reps["terminated_at"] > now), "rep_id"])
        unowned = ~leads["owner_id"].isin(list(active)).to_numpy()
    else:
        unowned = leads["owner_id"].isna().to_numpy() if "owner_id" in leads.columns else np.zeros(len(leads), dtype=bool)
    first = last.ordinal - 2 * recent_periods + 1
    in_span = (period >= first) & (period <= last.ordinal)
    groups = sorted(g for g in pd.unique(labels) if g not in NO_GROUP)
    bookings = _bookings_by(inputs, by, freq, now)
    rows, findings = [], []
    if not groups and len(leads):  # every lead in "(missing)" or "(unknown)": no segment to compare
        findings.append(_not_assessed("market_response", text("ev.not_assessed_data", lang, sign=_sign_name("market_response", lang),
                                                               why=text("why.market.by", lang, by=by)), lang, "insufficient_data"))
    elif not (knows_conversion or knows_owner):
        findings.append(_not_assessed("market_response", text("ev.not_assessed_data", lang, sign=_sign_name("market_response", lang),
                                                               why=text("why.market.columns", lang)), lang, "insufficient_data"))
        groups = []
    total_leads = np.bincount(period[in_span] - first, minlength=2 * recent_periods)
    lab = labels.to_numpy(object)
    for g in groups:
        m = in_span & (lab == g)
        n = np.bincount(period[m] - first, minlength=2 * recent_periods)
        d = np.bincount(period[m & decided] - first, minlength=2 * recent_periods)
        c = np.bincount(period[m & decided & converted] - first, minlength=2 * recent_periods)
        u = np.bincount(period[m & unowned] - first, minlength=2 * recent_periods)
        for i in range(2 * recent_periods):
            p = pd.Period(ordinal=first + i, freq=alias)
            rows.append((p, g, int(n[i]), ratio(n[i], total_leads[i]).item(), int(c[i]) if knows_conversion else np.nan,
                         ratio(c[i], d[i]).item() if knows_conversion else np.nan,
                         ratio(u[i], n[i]).item() if knows_owner else np.nan, bookings.get((p, g), np.nan)))
        before, recent = n[:recent_periods].sum(), n[recent_periods:].sum()
        growth = ratio(recent - before, before).item() if before else np.inf
        slope, _ = trend(n[recent_periods:])
        if not (recent >= 20 and growth >= min_growth and slope > 0):
            continue
        rest = in_span & (lab != g) & decided & (period > last.ordinal - recent_periods)
        mine = m & decided & (period > last.ordinal - recent_periods)
        x_g, n_g = int((mine & converted).sum()), int(mine.sum())
        x_o, n_o = int((rest & converted).sum()), int(rest.sum())
        p_conv = proportion_drop_p(x_g, n_g, x_o, n_o)
        conv_g, conv_o = ratio(x_g, n_g).item(), ratio(x_o, n_o).item()
        low_conversion = knows_conversion and n_g > 0 and p_conv < alpha and conv_g <= 0.5 * conv_o
        share_unowned = ratio(u[recent_periods:].sum(), recent).item()
        unowned_flag = knows_owner and share_unowned >= min_unowned
        if not (low_conversion or unowned_flag):
            continue
        severity = "critical" if low_conversion and unowned_flag else "warning"
        grew = text("ev.market.new", lang) if not before else text("ev.market.grew", lang, growth=f"{growth:+.0%}")
        evidence = text("ev.market", lang, segment=g, grew=grew, before=before, n=recent_periods, units=_word(freq, lang, plural=True),
                        recent=recent, conv=f"{conv_g:.0%}", days=window_days, other=f"{conv_o:.0%}", p=format_p(p_conv),
                        unowned=f"{share_unowned:.0%}")
        findings.append(_finding("market_response", severity, by, g, "lead_conversion", conv_g, conv_o, last, evidence, lang))
    table = pd.DataFrame(rows, columns=["period", by, "leads", "lead_share", "converted", "conversion", "unowned_share", "bookings_share"])
    table.attrs.update(freq=freq, window_days=window_days)
    return Assessment(table, _findings(findings))


def _bookings_by(inputs: Inputs, by: str, freq: str, now: pd.Timestamp) -> dict[tuple[pd.Period, str], float]:
    """Share of new-business bookings per (period, group)."""
    opps = inputs.get("opportunities")
    if opps is None:
        return {}
    won = opps[(opps["status"] == "won") & (opps["closed_at"] <= now)].reset_index(drop=True)
    if not can_group(inputs, won, by):
        return {}  # deals carry no segment (no accounts table): the bookings share stays unknown (NaN)
    labels = group_labels(inputs, won, by)
    if labels is None or not len(won):
        return {}
    amount = np.nan_to_num(to_reporting(won["amount"].to_numpy(float), won["currency"], won["closed_at"], inputs.get("fx_rates"),
                                        inputs.currency))
    alias = freq_alias(freq, inputs.fiscal_year_start)
    frame = pd.DataFrame({"p": _ordinals(won["closed_at"], inputs, freq), "g": labels.to_numpy(object), "a": amount})
    totals = frame.groupby(["p", "g"])["a"].sum()
    shares = totals / totals.groupby(level="p").transform("sum")
    keys = zip(shares.index.get_level_values(0), shares.index.get_level_values(1), shares.to_numpy(float), strict=True)
    return {(pd.Period(ordinal=int(p), freq=alias), str(g)): float(v) for p, g, v in keys}


# ----------------------------------------------------------------------------------------------------------
# 5. customer satisfaction
# ----------------------------------------------------------------------------------------------------------


@data_first("data")
def customer_satisfaction(
    data: SalesData,
    /,
    *,
    freq: str = "Q",
    by: str | None = "region",
    as_of: Any = None,
    recent_periods: int = 4,
    min_drop: float = 0.3,
    alpha: float = 0.01,
    low_score: float = 2,
    horizon: str = "6M",
    lang: str = "en",
    horizon_months: int | None = None,
) -> Assessment:
    """CSAT and NPS per group and period, their trend, and whether low-satisfaction responses are followed by churn.

    CSAT: mean score (1–5) and share of 4 or 5; NPS = % promoters (9–10) − % detractors (0–6). A group
    (and the company) is flagged when its mean CSAT over the last ``recent_periods`` fell by at least
    ``min_drop`` points against the periods before, significantly (Welch's t-test, one-sided, at
    ``alpha``).

    Churn link (docs/metrics.md, time-aligned): the unit is the **CSAT response**. Every CSAT response given
    at least ``horizon`` (calendar months) before ``as_of`` by an account that was a paying
    customer around it (MRR above 0 at the month-end before the response or at the end of its month)
    is followed for ``horizon``'s number of month-ends, from the end of the response's month on; it counts
    as churned when the account's MRR went to 0 at one of them (the MRR churn of docs/metrics.md, computed
    from the bundle's subscriptions with its currency, fx rates, time zone and ``as_of``). Responses
    scoring ``low_score`` or less are compared with the other responses: relative risk with a 95% Katz
    interval (:func:`~salesmetrics.stats.relative_risk`). An account that answered several times
    contributes several responses, each with its own follow-up. Nothing after ``as_of`` counts:
    later responses are left out, and every follow-up ends before the month holding ``as_of``.
    Comparing all-time mean scores with "churned by ``as_of``" is biased (recent low scorers have not
    had time to churn) and is not used. NPS responses are not part of the link.

    The link is stated in the finding's evidence, with the horizon; when its interval lies above 1
    the finding is critical. When it cannot be measured (no subscriptions table, no response old
    enough for a full horizon, or no churn in one of the two arms) the evidence says so and why.

    Parameters
    ----------
    horizon : str, default "6M"
        How long after each response churn is looked for, in calendar months ("6M", "1Y"); only
        responses at least that long before ``as_of`` are used.
    horizon_months : int, optional
        The 0.1 spelling of ``horizon`` (deprecated, with a FutureWarning).
    low_score : float, default 2
        A CSAT response at or below it is "low".

    Returns
    -------
    Assessment
        ``table``: ``period``, ``by``, ``csat``, ``csat_4plus``, ``csat_responses``, ``nps``, ``nps_responses``
        (the company as ``by`` = "(all)"; with ``by=None`` only the company, in a ``group`` column);
        ``table.attrs["churn_relative_risk"]`` holds the churn link per scope ("company" and each
        group): ``rr``, ``low``, ``high`` (the interval), ``low_churned``, ``low_responses``,
        ``rest_churned``, ``rest_responses``, ``horizon_months``; ``table.attrs["churn_link_note"]``
        says why the link could not be measured at all (None when it could).

    Examples
    --------
    >>> import salesmetrics as sm
    >>> table, findings = sm.customer_satisfaction(sm.load_sample())
    >>> findings[["scope_type", "scope"]].values.tolist()[:1]
    [['region', 'APAC']]
    >>> link = table.attrs["churn_relative_risk"]["APAC"]
    >>> link["horizon_months"], link["rr"] > 1
    (6, True)
    """
    from scipy.stats import ttest_ind

    if horizon_months is not None:
        warnings.warn("customer_satisfaction(horizon_months=...) is deprecated: pass horizon='6M'; horizon_months will "
                      "be removed in 0.3.", FutureWarning, stacklevel=2)
        if isinstance(horizon_months, bool) or not isinstance(horizon_months, (int, np.integer)) or horizon_months < 1:
            raise ValueError(f"horizon_months must be a whole number of months, 1 or more, got {horizon_months!r}.")
        horizon = f"{int(horizon_months)}M"
    months = duration(horizon, name="horizon", unit="months")
    assert isinstance(months, int)
    horizon_months = months
    inputs = resolve(data, "surveys")
    surveys = inputs.require("surveys", "customer_satisfaction")
    now, last = _periods(inputs, as_of, freq)
    alias = freq_alias(freq, inputs.fiscal_year_start)
    s = surveys[surveys["responded_at"] <= now].reset_index(drop=True)
    labels = group_labels(inputs, s, by)
    period = _ordinals(s["responded_at"], inputs, freq)
    frame = pd.DataFrame({"period": period, "group": labels.to_numpy(object) if labels is not None else "(all)",
                          "kind": s["kind"].to_numpy(object), "score": s["score"].to_numpy(float),
                          "account_id": s["account_id"].to_numpy(object)})
    rr, note = _churn_link(data, inputs, s, frame["group"].to_numpy(object), now, low_score, int(horizon_months), lang)
    frame = frame[frame["period"] <= last.ordinal]
    both = pd.concat([frame, frame.assign(group="(all)")], ignore_index=True) if by is not None else frame
    csat = both[both["kind"] == "csat"]
    nps = both[both["kind"] == "nps"]
    keys = ["period", "group"]
    c = (csat.assign(top=csat["score"] >= 4).groupby(keys)
         .agg(csat=("score", "mean"), csat_4plus=("top", "mean"), csat_responses=("score", "size")))
    n = (nps.assign(net=(nps["score"] >= 9).astype(float) - (nps["score"] <= 6).astype(float)).groupby(keys)  # +1 promoter, -1 detractor
         .agg(nps=("net", "mean"), nps_responses=("score", "size")))
    n["nps"] *= 100
    table = c.join(n, how="outer").reset_index()
    table["period"] = pd.PeriodIndex.from_ordinals(table["period"].to_numpy("int64"), freq=alias)  # type: ignore[attr-defined]
    table = table.rename(columns={"group": by or "group"})
    table.attrs.update(freq=freq, churn_relative_risk=rr, churn_horizon_months=int(horizon_months), churn_link_note=note)
    findings = []
    cut = last.ordinal - recent_periods
    for g, rows in csat.groupby("group"):
        if g in NO_GROUP:
            continue  # "(missing)" and "(unknown)" are not a group to name
        recent = rows.loc[rows["period"] > cut, "score"].to_numpy(float)
        before = rows.loc[(rows["period"] <= cut) & (rows["period"] > cut - 2 * recent_periods), "score"].to_numpy(float)
        if len(recent) < 20 or len(before) < 20:
            continue
        drop = before.mean() - recent.mean()
        p = float(ttest_ind(recent, before, equal_var=False, alternative="less").pvalue)
        if drop < min_drop or p >= alpha:
            continue
        scope_type, scope = ("company", "company") if g == "(all)" else (by or "group", str(g))
        link = rr.get(scope)
        linked = link is not None and link["low"] > 1
        evidence = text("ev.csat", lang, label=text("ev.company", lang) if scope_type == "company" else scope, before=f"{before.mean():.2f}",
                        after=f"{recent.mean():.2f}", window=f"{last - recent_periods + 1}–{last}", n=len(recent), p=format_p(p))
        evidence += _link_sentence(link, note, low_score, int(horizon_months), lang)
        findings.append(_finding("customer_satisfaction", "critical" if linked else "warning", scope_type, scope, "csat",
                                 recent.mean(), before.mean(), last, evidence, lang))
    return Assessment(table, _findings(findings))


def _link_sentence(link: dict[str, Any] | None, note: str | None, low_score: float, months: int, lang: str) -> str:
    """The churn link as the end of a CSAT finding's sentence, or why it could not be measured."""
    if link is not None and not np.isnan(link["rr"]):
        return text("ev.csat.link", lang, low=f"{low_score:g}", months=months, rr=f"{link['rr']:.1f}", lo=f"{link['low']:.1f}",
                    hi=f"{link['high']:.1f}", low_churned=link["low_churned"], low_n=link["low_responses"],
                    rest_churned=link["rest_churned"], rest_n=link["rest_responses"])
    if note is None:  # measured, but one arm had no response or no churn: no ratio to give
        assert link is not None
        note = text("why.csat.link_counts", lang, months=months, low=f"{low_score:g}", low_churned=link["low_churned"],
                    low_n=link["low_responses"], rest_churned=link["rest_churned"], rest_n=link["rest_responses"])
    return text("ev.csat.no_link", lang, months=months, why=note)


def _churn_link(data: SalesData, inputs: Inputs, surveys: pd.DataFrame, groups: np.ndarray, now: pd.Timestamp, low_score: float,
                months: int, lang: str = "en") -> tuple[dict[str, dict[str, Any]], str | None]:
    """Time-aligned churn after low CSAT responses against the rest, for the company and each group.

    ``surveys`` are the responses up to ``now`` and ``groups`` their group labels (same rows). Returns
    the link per scope (see :func:`customer_satisfaction`) and, when it cannot be measured at all, why
    (a phrase for the evidence); the per-scope counts are kept even when a ratio is NaN.

    Vectorised: one search of sorted (account, month) keys per response, no loop over accounts. The
    per-account step is the MRR change points (as in :mod:`salesmetrics.revenue`); the aggregation is
    a bincount per group, so it partitions by account like the rest of the library.
    """
    from .revenue import _CHURN, _change_points

    if inputs.get("subscriptions") is None:
        return {}, text("why.csat.subscriptions", lang)
    cutoff = now - pd.DateOffset(months=months)
    eligible = ((surveys["kind"] == "csat") & (surveys["responded_at"] <= cutoff) & surveys["score"].notna()).to_numpy()
    if not eligible.any():
        return {}, text("why.csat.horizon", lang, months=months, date=f"{cutoff:%Y-%m-%d}")
    resp = surveys[eligible]
    label = pd.Series(groups[eligible], dtype=object)
    points = _change_points(data, now)  # the bundle: its currency, fx rates, time zone; nothing after as_of
    code = points.accounts.get_indexer(pd.Index(resp["account_id"].to_numpy(object))).astype("int64")  # -1: never had MRR
    month = period_ordinals(resp["responded_at"], "M")  # wall-clock months, as the change points' months
    lo = int(min(month.min(), points.month.min() if len(points.month) else month.min())) - 1
    hi = int(max(month.max() + months, points.month.max() if len(points.month) else 0)) + 1
    stride = hi - lo + 1
    p_key = points.account.astype("int64") * stride + (points.month - lo)  # sorted by (account, month)
    order = np.argsort(p_key, kind="stable")
    p_key, after = p_key[order], points.after[order]
    churn_key = np.sort(p_key[points.movement[order] == _CHURN])

    def mrr_at(m: np.ndarray) -> np.ndarray:
        """Each response's account MRR (cents) at the end of month ``m``: its last change at or before it."""
        if not len(p_key):
            return np.zeros(len(m), dtype="int64")
        at = np.searchsorted(p_key, code * stride + (m - lo), side="right") - 1
        same = (at >= 0) & (p_key[np.maximum(at, 0)] // stride == code)
        return np.where(same & (code >= 0), after[np.maximum(at, 0)], 0)

    customer = (mrr_at(month - 1) > 0) | (mrr_at(month) > 0)
    first = code * stride + (month - 1 - lo)  # churns at the month-ends from the response's month to h - 1 months later
    churned = (np.searchsorted(churn_key, first + months, side="right") - np.searchsorted(churn_key, first, side="right")) > 0
    low = (resp["score"].to_numpy(float) <= low_score) & customer
    rest = ~low & customer
    g_code, g_names = group_codes(label)
    k = len(g_names)
    count = lambda mask: np.concatenate([[mask.sum()], np.bincount(g_code[mask], minlength=k)]).astype("int64")  # noqa: E731
    n1, a, n2, c = count(low), count(low & churned), count(rest), count(rest & churned)
    ratio_, lower, upper = relative_risk(a, n1, c, n2)
    out: dict[str, dict[str, Any]] = {}
    for i, key in enumerate(["company", *map(str, g_names)]):
        out[key] = {"rr": float(ratio_[i]), "low": float(lower[i]), "high": float(upper[i]), "low_churned": int(a[i]),
                    "low_responses": int(n1[i]), "rest_churned": int(c[i]), "rest_responses": int(n2[i]), "horizon_months": months}
    return out, None


# ----------------------------------------------------------------------------------------------------------
# all five
# ----------------------------------------------------------------------------------------------------------

_PARTS: dict[str, tuple[Callable[..., Assessment], tuple[str, ...]]] = {
    "declining_sales": (sales_decline, ("opportunities",)),
    "rep_turnover": (rep_turnover, ("reps",)),
    "unclear_roles": (role_clarity, ("activities", "reps")),
    "market_response": (market_response, ("leads",)),
    "customer_satisfaction": (customer_satisfaction, ("surveys",)),
}


@data_first("data")
def diagnose(
    data: SalesData,
    /,
    *,
    as_of: Any = None,
    freq: str = "Q",
    org: str | OrgDesign = "process",
    thresholds: Mapping[str, Mapping[str, Any]] | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Do we need to reorganise, and where? The five signs, each with evidence and a recommendation.

    Runs :func:`sales_decline`, :func:`rep_turnover`, :func:`role_clarity`, :func:`market_response` and
    :func:`customer_satisfaction` with their documented defaults, or with ``thresholds`` per sign
    (``{"rep_turnover": {"min_rate": 0.3}}``: any keyword of that function).

    Every sign is accounted for: a sign with a ``warning`` or ``critical`` row was found; a sign that
    could not be assessed has an ``info`` row (``metric`` "not_assessed" when a table or a column it
    needs is missing — rep turnover without ``reps.terminated_at`` is unknown, not 0% — or
    "insufficient_data" when the data is too thin) whose evidence says why and what to add; a sign with
    no row at all was assessed and showed no sign (:func:`~salesmetrics.formatting.sign_overview` and
    the deck read it so). A sign assessed only in part has an ``info`` row with ``metric``
    "partly_assessed" saying which part and why (its ``by`` breakdown when the rows cannot be grouped
    so — the company is still assessed —, or the SLA consequence of a lead-working team's departures
    when there are no leads to measure it on); a part that cannot be measured inside a finding (the
    churn link of a CSAT finding) is said in that finding's evidence. No part is dropped silently, and
    the same data gives the same findings and severities in every language.

    Returns
    -------
    pandas.DataFrame
        One row per finding, most severe first: ``sign``, ``severity`` (critical, warning, info),
        ``scope_type`` (company, segment, team, region, role), ``scope``, ``metric``, ``value``,
        ``baseline``, ``period``, ``evidence`` (one sentence with the numbers), ``recommendation``.
        A finding's scope is never "(missing)" or "(unknown)" (rows without a group, or whose account
        or owner is not in the export).

    Examples
    --------
    >>> import salesmetrics as sm
    >>> found = sm.diagnose(sm.load_sample())
    >>> sorted(found.loc[found["severity"] != "info", "sign"].unique())
    ['customer_satisfaction', 'declining_sales', 'market_response', 'rep_turnover', 'unclear_roles']
    """
    unknown = sorted(set(thresholds or {}) - set(SIGNS))
    if unknown:
        raise ValueError(f"thresholds has unknown signs {unknown}; the signs are {', '.join(SIGNS)}.")
    tables = data.tables if hasattr(data, "tables") else {}
    inputs = resolve(data, "opportunities") if tables else None
    parts = []
    for sign, (fn, needs) in _PARTS.items():
        missing = [t for t in needs if tables.get(t) is None]
        gaps = _column_gaps(inputs, sign) if inputs is not None else []  # of the tables present: all that is to add, at once
        if missing or gaps:
            why = [text("ev.not_assessed", lang, sign=_sign_name(sign, lang), tables=" / ".join(missing))] if missing else []
            why += [_gap_sentence(sign, *gap, lang=lang) for gap in gaps]
            parts.append(_findings([_not_assessed(sign, sentence, lang) for sentence in why]))
            continue
        assert inputs is not None
        kwargs: dict[str, Any] = {"as_of": as_of, "freq": freq, "lang": lang}
        if sign == "unclear_roles":
            kwargs["org"] = org
        kwargs.update((thresholds or {}).get(sign, {}))
        by = kwargs.get("by", _DEFAULT_BY.get(sign))
        reason = _by_problem(inputs, needs[0], by, lang) if by is not None else None
        partly = None
        if reason is not None:
            if sign in ("declining_sales", "customer_satisfaction"):
                kwargs["by"] = None  # the company as a whole is still assessed; the breakdown is not, and that is said
                partly = _findings([_not_assessed(sign, text("ev.partly_assessed", lang, sign=_sign_name(sign, lang), by=by, why=reason),
                                                  lang, "partly_assessed")])
            else:
                parts.append(_findings([_not_assessed(sign, text("ev.not_assessed_data", lang, sign=_sign_name(sign, lang), why=reason),
                                                      lang, "insufficient_data")]))
                continue
        found = fn(data, **kwargs).findings
        # "assessed for the company as a whole" only when the company was in fact assessed
        if partly is not None and (found.empty or not found["metric"].isin(["not_assessed", "insufficient_data"]).all()):
            parts.append(partly)
        parts.append(found)
    rows: list[dict[str, Any]] = [{str(k): v for k, v in row.items()} for part in parts for row in part.to_dict("records")]
    return _findings(rows)


_DEFAULT_BY = {"declining_sales": "segment", "market_response": "segment", "customer_satisfaction": "region"}
"""The ``by=`` each grouped sign uses by default (see its function)."""


def _by_problem(inputs: Inputs, table: str, by: str, lang: str = "en") -> str | None:
    """Why rows of ``table`` cannot be grouped by ``by`` (a phrase for the evidence), or None when they can."""
    frame = inputs.get(table)
    if frame is None or not can_group(inputs, frame, by):
        return text("why.by", lang, table=table, by=by)
    try:
        group_labels(inputs, frame.iloc[:0], by)
    except ValueError as err:  # e.g. both accounts and reps have the column: reported with the library's reason, not dropped
        return text("why.by_error", lang, table=table, by=by, error=str(err))
    return None
