"""Sign 4, market response: :func:`market_response`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import data_first
from ..data import NO_GROUP, Inputs, can_group, group_labels, resolve
from ..formatting import format_p
from ..i18n import text
from ..money import to_reporting
from ..periods import freq_alias
from ..stats import proportion_drop_p, ratio, trend
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


_COLUMNS = ["leads", "lead_share", "converted", "conversion", "unowned_share", "bookings_share"]
"""The columns of :func:`market_response`'s table after ``period`` and the ``by`` column."""


@data_first("data")
def market_response(
    data: SalesData,
    /,
    *,
    freq: str | None = "Q",
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

    Parameters
    ----------
    data : SalesData
        The bundle; the tables this sign needs are named above.
    freq : {"Q", "M", "Y"} or None, default "Q"
        The periods compared: months, quarters or (fiscal) years. None: all time — not assessed, since
        the sign compares periods (one ``info`` finding, metric "not_assessed", says so; the table has
        its usual columns and no rows).
    by : str, default "segment"
        A column of leads or of accounts that defines the market groups.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts, and only periods complete by then are compared.
    recent_periods : int, default 4
        Complete periods whose lead growth is compared with the same span before.
    min_growth : float, default 0.5
        The smallest growth in a group's leads that is flagged (0.5 = +50%).
    min_unowned : float, default 0.3
        The share of recent leads with no active owner that is flagged.
    window_days : int, default 60
        A lead converts when it reaches SQL within this many days.
    alpha : float, default 0.01
        Significance level of the two-proportion z-test on conversion.
    lang : {"en", "ko"}, default "en"
        Language of the evidence and recommendations (the same findings in every language).

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
    if freq is None:  # all time is one period: no lead growth to measure
        return _all_time("market_response", "market_response", ["period", by, *_COLUMNS], lang, window_days=window_days)
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
    table = pd.DataFrame(rows, columns=["period", by, *_COLUMNS])
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
