"""Sign 1, declining sales: :func:`sales_decline`."""

from __future__ import annotations

from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import data_first
from ..data import NO_GROUP, Inputs, group_labels, resolve
from ..formatting import format_money, format_p
from ..i18n import text
from ..money import to_reporting
from ..periods import freq_alias
from ..stats import ratio, trend
from ._common import (
    Assessment,
    _all_time,
    _finding,
    _findings,
    _not_assessed,
    _ordinals,
    _periods,
    _sign_name,
    _word,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData


_COLUMNS = ["period", "scope_type", "scope", "opportunities", "won", "wins_per_new_deal", "avg_deal", "bookings"]
"""The columns of :func:`sales_decline`'s table."""


@data_first("data")
def sales_decline(
    data: SalesData,
    /,
    *,
    freq: str | None = "Q",
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

    Parameters
    ----------
    data : SalesData
        The bundle; the tables this sign needs are named above.
    freq : {"Q", "M", "Y"} or None, default "Q"
        The periods compared: months, quarters or (fiscal) years. None: all time — not assessed, since
        the sign compares periods (one ``info`` finding, metric "not_assessed", says so; the table has
        its usual columns and no rows).
    by : str or None, default "segment"
        The breakdown assessed besides the company: a column of opportunities or of accounts
        (``"segment"``, ``"region"``, ``"owner.team"``); None assesses the company only.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts, and only periods complete by then are compared.
    min_declines : int, default 2
        Consecutive period-on-period declines, ending with the last complete period, that a finding needs.
    min_drop : float, default 0.2
        The smallest total fall over the run (0.2 = 20%).
    alpha : float, default 0.05
        Significance level of the level test against the baseline (and of the trend test).
    baseline_periods : int, default 4
        Periods before the run that bookings are compared with.
    trend_periods : int, default 8
        Periods of the Theil–Sen / Mann–Kendall downtrend test.
    min_deals : int, default 8
        Won deals a scope needs in the baseline to be assessed.
    lang : {"en", "ko"}, default "en"
        Language of the evidence and recommendations (the same findings in every language).

    Returns
    -------
    Assessment
        ``table``: ``period``, ``scope_type``, ``scope``, ``opportunities``, ``won``, ``wins_per_new_deal``
        (won in the period / created in it: it can exceed 1 when older deals close; ``close_ratio`` in 0.1),
        ``avg_deal``, ``bookings``; the groups, "(missing)" and "(unknown)" included, add up to the company
        (those two are never a finding's scope); ``findings``: see :func:`diagnose`.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> table, findings = sm.sales_decline(sm.load_sample())
    >>> findings[["severity", "scope"]].values.tolist()[:1]
    [['critical', 'Mid-Market']]
    """
    inputs = resolve(data, "opportunities")
    opps = inputs.require("opportunities", "sales_decline")
    if freq is None:  # all time is one period: no trend to assess
        return _all_time("declining_sales", "sales_decline", _COLUMNS, lang, currency=inputs.currency)
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
        named = [g for g in sorted(pd.unique(labels.dropna())) if g not in NO_GROUP]
        rest = [g for g in NO_GROUP if (labels == g).any()]  # in the table, so the groups add up to the company; never a finding
        for g in [*named, *rest]:
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
        if scope in NO_GROUP:
            continue
        finding = _decline_finding(scope_type, scope, span, n_created, n_won, booked, squares, inputs, freq, min_declines,
                                   min_drop, alpha, baseline_periods, trend_periods, min_deals, lang)
        if isinstance(finding, dict):
            findings.append(finding)
        elif finding is not None and scope_type == "company":  # too little data for the company: not assessed, not "no sign"
            findings.append(_not_assessed("declining_sales", text("ev.not_assessed_data", lang, sign=_sign_name("declining_sales", lang),
                                                                  why=finding), lang, "insufficient_data"))
    table = pd.DataFrame(rows, columns=_COLUMNS)
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
