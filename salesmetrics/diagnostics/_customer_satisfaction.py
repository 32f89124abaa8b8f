"""Sign 5, customer satisfaction: :func:`customer_satisfaction`, with its churn link."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import data_first, find_stack_level
from ..data import NO_GROUP, Inputs, group_codes, group_labels, resolve
from ..formatting import format_p
from ..i18n import text
from ..periods import duration, freq_alias, period_ordinals
from ..stats import relative_risk
from ._common import (
    Assessment,
    _all_time,
    _finding,
    _findings,
    _ordinals,
    _periods,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData


_COLUMNS = ["csat", "csat_4plus", "csat_responses", "nps", "nps_responses"]
"""The columns of :func:`customer_satisfaction`'s table after ``period`` and the ``by`` column."""


@data_first("data")
def customer_satisfaction(
    data: SalesData,
    /,
    *,
    freq: str | None = "Q",
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
    data : SalesData
        The bundle; the tables this sign needs are named above.
    freq : {"Q", "M", "Y"} or None, default "Q"
        The periods compared: months, quarters or (fiscal) years. None: all time — not assessed, since
        the sign compares periods (one ``info`` finding, metric "not_assessed", says so; the table has
        its usual columns and no rows).
    by : str or None, default "region"
        A column of accounts (or surveys) to break CSAT down by; None assesses the company only.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts, and only periods complete by then are compared.
    recent_periods : int, default 4
        Complete periods whose mean CSAT is compared with the periods before.
    min_drop : float, default 0.3
        The smallest fall in mean CSAT (points on the 1–5 scale) that is flagged.
    alpha : float, default 0.01
        Significance level of Welch's t-test.
    low_score : float, default 2
        A CSAT response at or below it is "low".
    horizon : str, default "6M"
        How long after each response churn is looked for, in calendar months ("6M", "1Y"); only
        responses at least that long before ``as_of`` are used.
    lang : {"en", "ko"}, default "en"
        Language of the evidence and recommendations (the same findings in every language).
    horizon_months : int, optional
        The 0.1 spelling of ``horizon`` (deprecated, with a FutureWarning).

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
                      "be removed in 0.3.", FutureWarning, stacklevel=find_stack_level())
        if isinstance(horizon_months, bool) or not isinstance(horizon_months, (int, np.integer)) or horizon_months < 1:
            raise ValueError(f"horizon_months must be a whole number of months, 1 or more, got {horizon_months!r}.")
        horizon = f"{int(horizon_months)}M"
    months = duration(horizon, name="horizon", unit="months")
    assert isinstance(months, int)
    horizon_months = months
    inputs = resolve(data, "surveys")
    surveys = inputs.require("surveys", "customer_satisfaction")
    if freq is None:  # all time is one period: no recent score to compare with the periods before
        out = _all_time("customer_satisfaction", "customer_satisfaction", ["period", by or "group", *_COLUMNS], lang,
                        churn_relative_risk={}, churn_horizon_months=int(horizon_months))
        out.table.attrs["churn_link_note"] = out.findings["evidence"].iloc[0]
        return out
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
    from ..revenue import _CHURN, _change_points

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
