"""Interactive (plotly) charts of salesmetrics results, for exploring in Jupyter and for the HTML report.

The same function names as :mod:`salesmetrics.plot` (static matplotlib charts for slides); each takes
what a metric function returned and gives a ``plotly.graph_objects.Figure`` in the library's style
(Okabe–Ito colours, compact money, percentages). This module was ``salesmetrics.plotly`` before 0.2:
named after its role rather than its library, it no longer shadows the ``plotly`` package in a user's
namespace (``from salesmetrics import plotly`` hid plotly itself); the old name still imports, with a
FutureWarning, until 0.3.

Each chart accepts its metric's output as returned: a diagnostic's result object (``sm.rep_turnover(data)``)
as well as its ``.table``; ``cohort_retention`` or ``cohort_triangle``; ``sm.kaplan_meier(...)``'s curve
or ``sm.sales_cycle(data, method="km")``'s per-period quartiles. Every chart takes keyword-only
``currency=`` and ``lang=``; left out, they are what the frame carries in ``attrs`` (set by the metric
functions, lost by a ``merge``), else USD and English — pass them when the frame went through a merge.

    >>> import salesmetrics as sm
    >>> from salesmetrics import interactive
    >>> fig = interactive.mrr_bridge(sm.mrr_bridge(sm.load_sample(), freq="Q"))
    >>> fig.layout.title.text
    'MRR bridge, 2025Q3'
    >>> interactive.kaplan_meier(sm.sales_cycle(sm.load_sample(), method="km", freq="Q"), lang="ko").layout.yaxis.title.text
    '일수'
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from .._charts import (
    bridge_row,
    bridge_span,
    cohort_grid,
    context,
    escape_figure,
    findings_of,
    group_columns,
    is_cycle_summary,
    km_curves,
    km_title_keys,
    mrr_levels,
    require_columns,
    summary_parts,
    table_of,
)
from ..errors import import_optional
from ..formatting import (
    MUTED,
    NEGATIVE,
    PALETTE,
    POSITIVE,
    SEVERITY_COLOURS,
    format_money,
    format_percent,
    format_value,
    funnel_labels,
    scorecard_cells,
    sign_overview,
)
from ..i18n import text

__all__ = ["attrition", "cohort_heatmap", "cycle_distribution", "decline_drivers", "findings", "funnel", "kaplan_meier",
           "mrr_bridge", "mrr_trend", "scorecard", "sla_compliance", "trend", "win_rate"]


_F = TypeVar("_F", bound=Callable[..., Any])

_REFERENCE_LINE_WIDTH = 2.0
"""Width of every reference line (a target, an average, a median, a baseline): the template draws shapes 0 wide."""


def _go() -> Any:
    return import_optional("plotly.graph_objects", "plotly")


def _text_safe(chart: _F) -> _F:
    """Every public chart returns its figure through :func:`~salesmetrics._charts.escape_figure`: a team called
    ``<a href=...>`` is shown as those characters, never as a link."""

    @functools.wraps(chart)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return escape_figure(chart(*args, **kwargs))

    return wrapper  # type: ignore[return-value]


def _layout(fig: Any, title: str, *, percent: bool = False, height: int = 420) -> Any:
    fig.update_layout(title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 17}}, template="simple_white",
                      colorway=PALETTE, height=height, margin={"l": 60, "r": 20, "t": 60, "b": 50},
                      legend={"orientation": "h", "y": -0.2}, font={"family": "Arial, sans-serif", "size": 12})
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def _money_ticks(fig: Any, values: Any, currency: str, lang: str, axis: str = "y", floor: float = 0.0) -> None:
    """Money tick labels from the library's one formatter ($1.4M; ₩1.2억 in Korean), at round values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return
    lo, hi = min(floor, float(v.min())), float(v.max())
    span = (hi - lo) or abs(hi) or 1.0
    step = 10 ** np.floor(np.log10(span / 5))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if span / (step * m) <= 6)
    ticks = np.arange(np.ceil(lo / step) * step, hi + step, step)
    labels = [format_money(t, currency, compact=True, lang=lang) for t in ticks]
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(tickvals=ticks, ticktext=labels)


@_text_safe
def mrr_bridge(bridge: pd.DataFrame, *, period: Any = None, currency: str | None = None, lang: str | None = None) -> Any:
    """Waterfall of one period's MRR bridge (default: the last period); ``bridge`` is the output of ``mrr_bridge``.

    Parameters
    ----------
    bridge : pandas.DataFrame
        The output of :func:`~salesmetrics.mrr_bridge`, in MRR or ARR (all time, ``freq=None``, is
        one waterfall); ``by`` groups are summed.
    period : str or pandas.Period, optional
        The period to show, matched on its label ("2025Q3"); default: the last.
    currency : str, optional
        Currency of the money labels; default: the frame's ``attrs["currency"]``, else "USD".
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> from salesmetrics import interactive
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"],
    ...                      "start_date": ["2025-01-01", "2025-02-01"], "amount": [100, 50]})
    >>> bridge = sm.mrr_bridge(subs, freq="M", as_of="2025-02-28")
    >>> interactive.mrr_bridge(bridge).layout.title.text, interactive.mrr_bridge(bridge, period="2025-01").layout.title.text
    ('MRR bridge, 2025-02', 'MRR bridge, 2025-01')
    """
    go = _go()
    cur, lang = context(bridge, currency, lang)
    row, shown_period = bridge_row(bridge, period, lang)
    start_col = "starting_arr" if "starting_arr" in row.index else "starting_mrr"
    end_col = "ending_arr" if "ending_arr" in row.index else "ending_mrr"
    moves = ["new", "expansion", "reactivation", "contraction", "churn"]
    fig = go.Figure(go.Waterfall(
        x=[text("chart.start", lang), *[text(f"chart.{m}", lang) for m in moves], text("chart.end", lang)],
        measure=["absolute", *["relative"] * len(moves), "total"],
        y=[row[start_col], *[row[m] for m in moves], 0],
        text=[format_money(v, cur, compact=True, lang=lang) for v in [row[start_col], *[row[m] for m in moves], row[end_col]]],
        textposition="outside", increasing={"marker": {"color": POSITIVE}}, decreasing={"marker": {"color": NEGATIVE}},
        totals={"marker": {"color": PALETTE[0]}}, connector={"line": {"color": MUTED}}))
    low, top = bridge_span(row, start_col, end_col)
    fig.update_yaxes(range=[low, top], title=text("chart.money_axis", lang, currency=cur))
    fig = _layout(fig, text("chart.mrr_bridge", lang, unit="ARR" if "arr" in start_col else "MRR", period=shown_period))
    _money_ticks(fig, [low, top], cur, lang, floor=low)
    return fig


@_text_safe
def mrr_trend(bridge: pd.DataFrame, *, arr: bool = False, currency: str | None = None, lang: str | None = None) -> Any:
    """Ending MRR (or ARR) per period; one line per group when the bridge has a ``by`` column.

    ``bridge`` is the output of ``mrr_bridge`` (or of ``mrr``: its accounts are summed per period).

    Parameters
    ----------
    bridge : pandas.DataFrame
        The output of :func:`~salesmetrics.mrr_bridge` by period, or of :func:`~salesmetrics.mrr` (its
        accounts summed per period); a ``by`` column gives one line per group.
    arr : bool, default False
        Show ARR (12 × MRR); a table already in ARR is shown as it is.
    currency : str, optional
        Currency of the money labels; default: the frame's ``attrs["currency"]``, else "USD".
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> from salesmetrics import interactive
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"],
    ...                      "start_date": ["2025-01-01", "2025-02-01"], "amount": [100, 50]})
    >>> fig = interactive.mrr_trend(sm.mrr_bridge(subs, freq="M", as_of="2025-02-28"), arr=True)
    >>> [float(y) for y in fig.data[0].y]
    [1200.0, 1800.0]
    """
    go = _go()
    cur, lang = context(bridge, currency, lang)
    levels, col = mrr_levels(bridge)
    scale = 12 if arr and col in ("ending_mrr", "mrr") else 1
    groups = group_columns(levels)
    fig = go.Figure()
    unit = text("kpi.arr" if arr or "arr" in col else "kpi.mrr", lang)  # the line's name too, as the native chart's
    parts = levels.groupby(groups[0]) if groups else [(unit, levels)]
    for g, part in parts:
        fig.add_scatter(x=part["period"].astype(str), y=part[col] * scale, mode="lines+markers", name=str(g))
    fig.update_yaxes(title=text("chart.money_axis", lang, currency=cur))
    fig = _layout(fig, text("chart.mrr_trend", lang, unit=unit))
    _money_ticks(fig, levels[col] * scale, cur, lang)
    return fig


@_text_safe
def cohort_heatmap(cohorts: pd.DataFrame, *, value: str = "value", last: int = 12, currency: str | None = None,
                   lang: str | None = None) -> Any:
    """Retention by acquisition cohort and age, the last ``last`` cohorts (``cohort_retention`` or ``cohort_triangle``).

    Parameters
    ----------
    cohorts : pandas.DataFrame
        The long output of :func:`~salesmetrics.cohort_retention` (by period), or the grid of
        :func:`~salesmetrics.cohort_triangle`.
    value : str, default "value"
        The column of the long frame to show (a grid is shown as it is).
    last : int, default 12
        How many of the latest cohorts to show.
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> from salesmetrics import interactive
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"],
    ...                      "start_date": ["2025-01-01", "2025-01-10"], "end_date": [None, "2025-03-01"],
    ...                      "amount": [100, 50]})
    >>> fig = interactive.cohort_heatmap(sm.cohort_retention(subs, freq="M", as_of="2025-03-31"))
    >>> fig.data[0].text  # cohort 2025-01 at ages 0, 1 and 2
    (['100%', '100%', '50%'],)
    """
    go = _go()
    _cur, lang = context(cohorts, currency, lang)
    grid = cohort_grid(cohorts, value, last)
    cells = [[format_percent(v) if not np.isnan(v) else "" for v in row] for row in grid.to_numpy(float)]
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(float), x=[str(c) for c in grid.columns], y=[str(c) for c in grid.index],
                               colorscale="Blues", text=cells, texttemplate="%{text}", zmin=0, zmax=1,
                               colorbar={"tickformat": ".0%"}))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=text("chart.cohort_age", lang))
    return _layout(fig, text("chart.cohorts", lang), height=460)


@_text_safe
def funnel(stages: pd.DataFrame, *, currency: str | None = None, lang: str | None = None) -> Any:
    """Entities reaching each stage, with stage-to-stage conversion (output of ``funnel``).

    Parameters
    ----------
    stages : pandas.DataFrame
        The output of :func:`~salesmetrics.funnel`; its rows are summed per stage (over periods and
        ``by`` groups).
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> from salesmetrics import interactive
    >>> leads = pd.DataFrame({"lead_id": ["l1", "l2", "l3", "l4"], "created_at": ["2025-01-02"] * 4,
    ...                       "mql_at": ["2025-01-03", "2025-01-04", "2025-01-05", None],
    ...                       "sql_at": ["2025-01-06", None, None, None]})
    >>> fig = interactive.funnel(sm.funnel(leads, ["created_at", "mql_at", "sql_at"], freq=None, as_of="2025-06-30"))
    >>> list(fig.data[0].text)
    ['4', '3  (75% of the stage before)', '1  (33% of the stage before)']
    """
    go = _go()
    _cur, lang = context(stages, currency, lang)
    names, counts, texts = funnel_labels(stages, lang)
    fig = go.Figure(go.Bar(y=names, x=counts, orientation="h", marker={"color": PALETTE[0]}, text=texts, textposition="outside",
                           cliponaxis=False))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, max(counts) * 1.6 if max(counts) else 1], title=text("chart.funnel_axis", lang))
    return _layout(fig, text("chart.funnel", lang))


def _band(frame: pd.DataFrame, value: str, low: str, high: str, title: str, name: str) -> Any:
    """A rate per period with its 95% band; ``name`` is the line's when the frame has no groups (each group's otherwise)."""
    go = _go()
    fig = go.Figure()
    groups = group_columns(frame)
    parts = frame.groupby(groups[0]) if groups else [(name, frame)]
    for i, (g, part) in enumerate(parts):
        x = part["period"].astype(str)
        colour = PALETTE[i % len(PALETTE)]
        fig.add_scatter(x=x, y=part[high], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=x, y=part[low], mode="lines", line={"width": 0}, fill="tonexty", fillcolor=_alpha(colour, 0.18),
                        showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=x, y=part[value], mode="lines+markers", line={"color": colour}, name=str(g))
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, title, percent=True)


def _alpha(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


@_text_safe
def win_rate(rates: pd.DataFrame, *, currency: str | None = None, lang: str | None = None) -> Any:
    """Win rate per period with its 95% Wilson band (output of ``win_rate``).

    Parameters
    ----------
    rates : pandas.DataFrame
        The output of :func:`~salesmetrics.win_rate` by period, with ``weight="count"`` (the one with an
        interval); a ``by`` column gives one line per group.
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> from salesmetrics import interactive
    >>> opps = pd.DataFrame({"opportunity_id": list("abcd"), "created_at": ["2025-01-05"] * 4,
    ...                      "status": ["won", "lost", "won", "lost"],
    ...                      "closed_at": ["2025-02-01", "2025-03-01", "2025-04-02", "2025-05-01"]})
    >>> fig = interactive.win_rate(sm.win_rate(opps))
    >>> fig.layout.title.text
    'Win rate (95% interval)'
    """
    _cur, lang = context(rates, currency, lang)
    return _band(rates, "win_rate", "win_rate_low", "win_rate_high", text("chart.win_rate", lang), text("chart.win_rate_series", lang))


@_text_safe
def sla_compliance(sla: pd.DataFrame, *, target: float | None = None, currency: str | None = None, lang: str | None = None) -> Any:
    """First-response SLA compliance per period with its 95% band and the target (output of ``response_sla``).

    Parameters
    ----------
    sla : pandas.DataFrame
        The aggregate output of :func:`~salesmetrics.response_sla` by period (not ``detail=True``); a
        ``by`` column gives one line per group.
    target : float, optional
        A compliance target (0.9 for 90%), drawn as a dashed line; default: none.
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> from salesmetrics import interactive
    >>> leads = pd.DataFrame({"lead_id": ["l1", "l2"], "created_at": ["2025-01-06 09:00"] * 2,
    ...                       "mql_at": ["2025-01-06 10:00", "2025-01-07 10:00"]})
    >>> acts = pd.DataFrame({"activity_id": ["x1", "x2"], "owner_id": ["r1", "r1"], "lead_id": ["l1", "l2"],
    ...                      "occurred_at": ["2025-01-06 11:00", "2025-01-09 10:00"]})
    >>> reps = pd.DataFrame({"rep_id": ["r1"], "team": ["SDR"], "role": ["SDR"], "hired_at": ["2024-01-01"]})
    >>> sla = sm.response_sla(leads, activities=acts, reps=reps, as_of="2025-03-31")
    >>> fig = interactive.sla_compliance(sla, target=0.9)
    >>> fig.layout.title.text, fig.layout.annotations[0].text
    ('SLA compliance: first touch within 24h', 'target 90%')
    """
    _cur, lang = context(sla, currency, lang)
    fig = _band(sla, "compliance", "compliance_low", "compliance_high",
                text("chart.sla", lang, within=format_value(sla.attrs.get("within", "24h"), "duration", lang=lang)),
                text("chart.sla_series", lang))
    if target is not None:
        fig.add_hline(y=target, line_dash="dash", line_color=NEGATIVE, line_width=_REFERENCE_LINE_WIDTH,
                      annotation_text=text("chart.target", lang, value=format_percent(target)))
    return fig


def _quartile_ranges(summary: pd.DataFrame, lang: str) -> Any:
    """Median days with the 25th–75th percentile as an error bar, per period and group (a ``sales_cycle`` summary)."""
    go = _go()
    x, parts = summary_parts(summary, text("chart.all_deals", lang))
    fig = go.Figure()
    for i, (g, part) in enumerate(parts):
        med = part["median_days"].to_numpy(float)
        fig.add_scatter(x=part["period"].astype(str), y=med, mode="lines+markers" if len(parts) == 1 else "markers",
                        name=g or text("chart.days", lang), showlegend=g is not None, marker={"color": PALETTE[i % len(PALETTE)]},
                        error_y={"type": "data", "symmetric": False, "array": part["p75_days"].to_numpy(float) - med,
                                 "arrayminus": med - part["p25_days"].to_numpy(float), "thickness": 3, "width": 0})
    title, xlabel = km_title_keys(summary)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=x,
                     title=text(xlabel, lang) if "period" in summary.columns else None)
    fig.update_yaxes(title=text("chart.days", lang), rangemode="tozero")
    return _layout(fig, text(title, lang))


@_text_safe
def kaplan_meier(km: pd.DataFrame, *, currency: str | None = None, lang: str | None = None) -> Any:
    """Share of deals still open after t days (Kaplan–Meier; open deals censored), with the median marked.

    ``km`` is either the curve of ``sm.kaplan_meier(durations, observed[, groups])`` (one step line per
    group), or the summary of ``sm.sales_cycle(data, method="km")``. A summary holds only the quartiles of
    each period's curve, not the curve, so it is drawn as what it is: per period (and ``by`` group) the
    median days to close with the 25th–75th percentile as its bar.

    Parameters
    ----------
    km : pandas.DataFrame
        The curve of :func:`~salesmetrics.kaplan_meier`, or the summary of
        :func:`~salesmetrics.sales_cycle` (either method).
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> from salesmetrics import interactive
    >>> fig = interactive.kaplan_meier(sm.kaplan_meier([10, 20, 30, 40], [True, True, True, False]))
    >>> fig.layout.annotations[0].text  # S = 3/4 after 10 days, 1/2 after 20: the first S <= 1/2
    'median 20 days'
    """
    go = _go()
    _cur, lang = context(km, currency, lang)
    if is_cycle_summary(km):
        return _quartile_ranges(km, lang)
    require_columns(km, ("time", "survival"), "kaplan_meier",
                    "Pass sm.kaplan_meier(durations, observed) or sm.sales_cycle(data, method='km').")
    curves = km_curves(km)
    fig = go.Figure()
    for i, (g, part) in enumerate(curves):
        t = np.concatenate([[0.0], part["time"].to_numpy(float)])
        s = np.concatenate([[1.0], part["survival"].to_numpy(float)])
        fig.add_scatter(x=t, y=s, mode="lines", line={"shape": "hv", "color": PALETTE[i % len(PALETTE)]},
                        name=g or text("chart.km_y", lang), showlegend=g is not None)
        below = np.flatnonzero(s <= 0.5 + 1e-12)  # S(t) <= 1/2, as km_summary: exp(log) may land a hair above 1/2
        if len(below) and len(curves) == 1:
            fig.add_vline(x=t[below[0]], line_dash="dot", line_color=MUTED, line_width=_REFERENCE_LINE_WIDTH,
                          annotation_text=text("chart.median_days", lang, days=f"{t[below[0]]:.0f}"))
    fig.update_xaxes(title=text("chart.km_x", lang))
    fig.update_yaxes(title=text("chart.km_y", lang))
    return _layout(fig, text("chart.km", lang), percent=True)


@_text_safe
def cycle_distribution(days: Any, *, bins: int = 30, currency: str | None = None, lang: str | None = None) -> Any:
    """Histogram of sales-cycle days of won deals, with the median.

    ``days`` is the days of each deal (a Series or array), or the summary of ``sm.sales_cycle(...)``
    (either method), which holds each period's quartiles rather than the deals: it is drawn as one box
    per period (and ``by`` group) from the 25th to the 75th percentile with the median and the mean;
    the whiskers stop at the box, since the summary has no extremes.

    Parameters
    ----------
    days : array-like of float or pandas.DataFrame
        The days of each deal, or the summary of :func:`~salesmetrics.sales_cycle` (either method).
    bins : int, default 30
        Number of histogram bins (for the days of each deal).
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> from salesmetrics import interactive
    >>> fig = interactive.cycle_distribution([12, 20, 31, 45, 90], bins=5)
    >>> fig.layout.annotations[0].text
    'median 31 days'
    """
    go = _go()
    _cur, lang = context(days, currency, lang)
    if is_cycle_summary(days):
        return _boxes(days, lang)
    if isinstance(days, pd.DataFrame):
        require_columns(days, ("median_days", "p25_days", "p75_days"), "cycle_distribution",
                        "Pass the days of each deal (a Series) or sm.sales_cycle(data).")
    values = pd.Series(days, dtype=float).dropna()
    fig = go.Figure(go.Histogram(x=values, nbinsx=bins, marker={"color": PALETTE[0]}))
    if len(values):
        fig.add_vline(x=float(values.median()), line_dash="dash", line_color=NEGATIVE, line_width=_REFERENCE_LINE_WIDTH,
                      annotation_text=text("chart.median_days", lang, days=f"{values.median():.0f}"))
    fig.update_xaxes(title=text("chart.cycle_x", lang))
    fig.update_yaxes(title=text("chart.cycle_y", lang))
    return _layout(fig, text("chart.cycle", lang))


def _boxes(summary: pd.DataFrame, lang: str) -> Any:
    go = _go()
    x, parts = summary_parts(summary, text("chart.all_deals", lang))
    fig = go.Figure()
    for i, (g, part) in enumerate(parts):
        shown = part[part["median_days"].notna()]
        q1 = shown["p25_days"].fillna(shown["median_days"])
        q3 = shown["p75_days"].fillna(shown["median_days"])
        fig.add_trace(go.Box(x=shown["period"].astype(str), q1=q1, median=shown["median_days"], q3=q3, lowerfence=q1, upperfence=q3,
                             mean=shown["mean_days"], name=g or text("chart.days", lang), showlegend=g is not None,
                             marker={"color": PALETTE[i % len(PALETTE)]}))
    title, xlabel = km_title_keys(summary)
    fig.update_layout(boxmode="group")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=x,
                     title=text(xlabel, lang) if "period" in summary.columns else None)
    fig.update_yaxes(title=text("chart.days", lang), rangemode="tozero")
    return _layout(fig, text(title, lang))


@_text_safe
def scorecard(card: pd.DataFrame, *, currency: str | None = None, lang: str | None = None) -> Any:
    """The team scorecard as a table, attainment coloured (output of ``scorecard``).

    Parameters
    ----------
    card : pandas.DataFrame
        The output of :func:`~salesmetrics.scorecard`: ``period``, ``team``, ``kpi``, ``label``,
        ``value``, ``target``, ``unit`` and ``attainment`` are shown.
    currency : str, optional
        Currency of the money labels; default: the frame's ``attrs["currency"]``, else "USD".
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> from salesmetrics import interactive
    >>> card = pd.DataFrame({"period": ["2025Q3"] * 2, "team": ["Sales"] * 2, "kpi": ["win_rate", "bookings"],
    ...                      "label": ["win rate", "revenue (new bookings)"], "value": [0.27, 1_250_000.0],
    ...                      "target": [0.30, 1_000_000.0], "unit": ["rate", "money"], "attainment": [0.9, 1.25]})
    >>> fig = interactive.scorecard(card)
    >>> fig.layout.title.text, fig.data[0].cells.values[2]
    ('Team scorecard, 2025Q3', ['27%', '$1.25M'])
    """
    go = _go()
    cur, lang = context(card, currency, lang)
    header, rows, fills = scorecard_cells(card, cur, lang)
    colour = [fill or "white" for fill in fills]
    fig = go.Figure(go.Table(
        header={"values": header, "fill_color": PALETTE[0], "font": {"color": "white"}, "align": "left"},
        cells={"values": [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in header],
               "fill_color": [["white"] * len(card)] * 4 + [colour], "align": "left", "height": 26},
        columnwidth=[1.3, 3, 1, 1, 1]))
    # every row shown: title and margins (110 px), the header (30) and 26 px a row, plus room for a wrapped label
    return _layout(fig, text("chart.scorecard", lang, period=card["period"].iloc[0] if len(card) else ""),
                   height=150 + 30 * len(card))


@_text_safe
def attrition(turnover: Any, *, currency: str | None = None, lang: str | None = None) -> Any:
    """Annualised attrition per team against the company (``rep_turnover``'s result, or its ``.table``).

    Parameters
    ----------
    turnover : pandas.DataFrame or Assessment
        :func:`~salesmetrics.rep_turnover`'s result, or its ``.table``: a row per team
        (``scope_type`` "team") and one for the company, with ``scope``, ``attrition`` and ``departures``.
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> from salesmetrics import interactive
    >>> turnover = pd.DataFrame({"scope_type": ["company", "team", "team"], "scope": ["company", "SDR", "New Business"],
    ...                          "attrition": [0.2, 0.55, 0.1], "departures": [6, 5, 1]})
    >>> turnover.attrs["window"] = "2024Q4–2025Q3"
    >>> fig = interactive.attrition(turnover)
    >>> fig.layout.title.text, list(fig.data[0].text)
    ('Rep attrition, annualised (2024Q4–2025Q3)', ['10% (1 left)', '55% (5 left)'])
    """
    go = _go()
    turnover = table_of(turnover)
    _cur, lang = context(turnover, currency, lang)
    teams = turnover[turnover["scope_type"] == "team"].sort_values("attrition")
    company = turnover.loc[turnover["scope_type"] == "company", "attrition"]
    rate = float(company.iloc[0]) if len(company) else np.nan
    fig = go.Figure(go.Bar(y=teams["scope"].astype(str), x=teams["attrition"], orientation="h",
                           marker={"color": [NEGATIVE if v >= 2 * rate else PALETTE[0] for v in teams["attrition"]]},
                           text=[text("chart.left", lang, rate=f"{v:.0%}", n=d)
                                 for v, d in zip(teams["attrition"], teams["departures"], strict=True)],
                           textposition="outside"))
    if not np.isnan(rate):
        fig.add_vline(x=rate, line_dash="dash", line_color=MUTED, line_width=_REFERENCE_LINE_WIDTH,
                      annotation_text=text("chart.company_rate", lang, rate=f"{rate:.0%}"))
    fig.update_xaxes(tickformat=".0%", range=[0, max(float(teams["attrition"].max()) if len(teams) else 0, rate if rate == rate else 0) * 1.3 + 0.05])
    return _layout(fig, text("chart.attrition", lang, window=turnover.attrs.get("window", "")))


@_text_safe
def decline_drivers(decline: Any, *, scope: str | None = None, periods: int = 8, currency: str | None = None,
                    lang: str | None = None) -> Any:
    """Bookings and its three drivers indexed to 100 at the first period shown (``sales_decline``'s result or its ``.table``).

    With no complete period for the scope, the figure is empty and says what it needs.

    Parameters
    ----------
    decline : pandas.DataFrame or Assessment
        :func:`~salesmetrics.sales_decline`'s result, or its ``.table``: ``scope``, ``period``,
        ``bookings``, ``opportunities``, ``wins_per_new_deal`` and ``avg_deal``.
    scope : str, optional
        A value of the table's ``scope`` column (a segment); default: "company".
    periods : int, default 8
        How many of the scope's latest periods to show.
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> from salesmetrics import interactive
    >>> decline = pd.DataFrame({"scope": "company", "period": pd.PeriodIndex(["2025Q1", "2025Q2", "2025Q3"], freq="Q"),
    ...                         "bookings": [100_000.0, 90_000.0, 80_000.0], "opportunities": [50, 50, 50],
    ...                         "wins_per_new_deal": [0.2, 0.18, 0.16], "avg_deal": [10_000.0] * 3})
    >>> fig = interactive.decline_drivers(decline)
    >>> fig.layout.title.text, [float(y) for y in fig.data[0].y]  # bookings, indexed to 2025Q1
    ('What moved bookings: company', [100.0, 90.0, 80.0])
    """
    go = _go()
    decline = table_of(decline)
    _cur, lang = context(decline, currency, lang)
    part = decline[decline["scope"] == (scope or "company")].tail(periods)
    fig = go.Figure()
    if not len(part):  # nothing to index to: say what more data is needed instead of failing
        freq = decline.attrs.get("freq")
        unit = text(f"unit.{freq if freq in ('M', 'Q', 'Y') else 'Q'}", lang)
        fig.add_scatter(x=[], y=[], mode="lines", showlegend=False)
        fig.add_annotation(text=text("chart.no_periods", lang, unit=unit, scope=scope or text("chart.company", lang)), x=0.5, y=0.5,
                           xref="paper", yref="paper", showarrow=False, font={"color": MUTED})
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return _layout(fig, text("chart.drivers", lang, scope=scope or text("chart.company", lang)))
    for col, key in (("bookings", "bookings"), ("opportunities", "created"), ("wins_per_new_deal", "close"), ("avg_deal", "deal")):
        name = text(f"drv.{key}", lang)
        base = part[col].iloc[0]
        fig.add_scatter(x=part["period"].astype(str), y=part[col] / base * 100 if base else part[col] * np.nan, mode="lines+markers",
                        name=name, line={"width": 3 if col == "bookings" else 1.5})
    fig.add_hline(y=100, line_color=MUTED, line_width=_REFERENCE_LINE_WIDTH)
    fig.update_yaxes(title=text("chart.index", lang, period=str(part["period"].iloc[0])))
    return _layout(fig, text("chart.drivers", lang, scope=scope or text("chart.company", lang)))


@_text_safe
def findings(found: Any, *, currency: str | None = None, lang: str | None = None) -> Any:
    """The five signs at a glance, coloured by each sign's most severe finding (``diagnose``, or one sign's result).

    Parameters
    ----------
    found : pandas.DataFrame or Assessment
        The output of :func:`~salesmetrics.diagnose`, or one sign's result (its ``.findings``): a row per
        finding with ``sign``, ``severity``, ``scope`` and ``metric``.
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> from salesmetrics import interactive
    >>> found = pd.DataFrame({"sign": ["rep_turnover", "market_response"], "severity": ["critical", "warning"],
    ...                       "scope": ["SDR", "Digital Native"], "metric": ["attrition", "conversion"]})
    >>> fig = interactive.findings(found)
    >>> list(fig.data[0].text)
    ['no sign', 'WARNING: Digital Native', 'no sign', 'CRITICAL: SDR', 'no sign']
    """
    go = _go()
    found = findings_of(found)
    _cur, lang = context(found, currency, lang)
    rows = sign_overview(found, lang)
    labels = [name for _, name, _, _ in rows]
    colours = [SEVERITY_COLOURS.get(worst, MUTED) for _, _, worst, _ in rows]
    texts = [shown for _, _, _, shown in rows]
    fig = go.Figure(go.Bar(y=labels[::-1], x=[1] * len(labels), orientation="h", marker={"color": colours[::-1]},
                           text=texts[::-1], textposition="inside", insidetextanchor="start", hoverinfo="text"))
    fig.update_xaxes(visible=False, range=[0, 1])
    return _layout(fig, text("chart.findings", lang), height=320)


@_text_safe
def trend(frame: Any, *, value: str, by: str | None = None, title: str = "", unit: str = "count",
          highlight: Any = None, currency: str | None = None, lang: str | None = None) -> Any:
    """Any metric over periods, one line per ``by`` group; ``highlight`` names groups drawn bold (the rest muted).

    A sign's result is accepted as well as its ``.table``; ``unit="money"`` formats the axis in ``currency``.

    Parameters
    ----------
    frame : pandas.DataFrame or Assessment
        A table with a ``period`` column, or a sign's result (its ``.table``).
    value : str
        The column to draw.
    by : str, optional
        A column whose groups get one line each; default: one line.
    title : str, default ""
        The chart's title; default: ``value`` with spaces for underscores.
    unit : {"count", "rate", "money"}, default "count"
        How the value axis is labelled: as it is, as percentages, or as money in ``currency``.
    highlight : str or list of str, optional
        Groups drawn bold, the others muted; default: all drawn alike.
    currency : str, optional
        Currency of the money labels with ``unit="money"``; default: the frame's ``attrs["currency"]``,
        else "USD".
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> from salesmetrics import interactive
    >>> leads = pd.DataFrame({"period": ["2025Q1", "2025Q2"] * 2, "segment": ["SMB", "SMB", "Enterprise", "Enterprise"],
    ...                       "leads": [120, 150, 40, 38]})
    >>> fig = interactive.trend(leads, value="leads", by="segment", highlight="SMB", title="Leads by segment")
    >>> [(line.name, line.line.width) for line in fig.data]
    [('Enterprise', 1.5), ('SMB', 3)]
    """
    go = _go()
    frame = table_of(frame)
    cur, lang = context(frame, currency, lang)
    marked = {str(h) for h in ([highlight] if isinstance(highlight, str) else highlight or [])}
    fig = go.Figure()
    parts = frame.groupby(by) if by else [(value, frame)]
    for i, (g, part) in enumerate(parts):
        strong = not marked or str(g) in marked
        fig.add_scatter(x=part["period"].astype(str), y=part[value], mode="lines+markers", name=str(g),
                        line={"color": PALETTE[i % len(PALETTE)] if strong else MUTED, "width": 3 if marked and strong else 1.5},
                        opacity=1 if strong else 0.6)
    fig = _layout(fig, title or value.replace("_", " "), percent=unit == "rate")
    if unit == "money":
        _money_ticks(fig, frame[value], cur, lang)
    return fig
