"""Plotly charts of salesmetrics results, for exploring in Jupyter and for the HTML report.

The same function names as :mod:`salesmetrics.plot`; each takes a result frame and returns a
``plotly.graph_objects.Figure`` in the library's style (Okabe–Ito colours, compact money, percentages).

    >>> import salesmetrics as sm
    >>> from salesmetrics import plotly as splot
    >>> fig = splot.mrr_bridge(sm.mrr_bridge(sm.load_sample(), freq="Q"))
    >>> fig.layout.title.text
    'MRR bridge, 2025Q3'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import import_optional
from ..formatting import (
    MUTED,
    NEGATIVE,
    PALETTE,
    POSITIVE,
    SEVERITY_COLOURS,
    format_duration,
    format_money,
    format_percent,
    format_value,
    funnel_labels,
    label,
    sign_overview,
)
from ..i18n import text

__all__ = ["attrition", "cohort_heatmap", "cycle_distribution", "decline_drivers", "findings", "funnel", "kaplan_meier",
           "mrr_bridge", "mrr_trend", "scorecard", "sla_compliance", "trend", "win_rate"]



def _go() -> Any:
    return import_optional("plotly.graph_objects", "plot")


def _layout(fig: Any, title: str, *, percent: bool = False, height: int = 420) -> Any:
    fig.update_layout(title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 17}}, template="simple_white",
                      colorway=PALETTE, height=height, margin={"l": 60, "r": 20, "t": 60, "b": 50},
                      legend={"orientation": "h", "y": -0.2}, font={"family": "Arial, sans-serif", "size": 12})
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def _currency(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("currency", "USD"))


def _lang(frame: Any) -> str:
    return str(getattr(frame, "attrs", {}).get("lang", "en"))


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


def mrr_bridge(bridge: pd.DataFrame, *, period: Any = None) -> Any:
    """Waterfall of one period's MRR bridge (default: the last period)."""
    go = _go()
    frame = bridge if period is None else bridge[bridge["period"].astype(str) == str(period)]
    row = frame.select_dtypes("number").groupby(frame["period"].astype(str)).sum().iloc[-1]
    shown_period = str(frame["period"].iloc[-1])
    start_col = "starting_arr" if "starting_arr" in row.index else "starting_mrr"
    end_col = "ending_arr" if "ending_arr" in row.index else "ending_mrr"
    moves = ["new", "expansion", "reactivation", "contraction", "churn"]
    cur, lang = _currency(bridge), _lang(bridge)
    fig = go.Figure(go.Waterfall(
        x=[text("chart.start", lang), *[text(f"chart.{m}", lang) for m in moves], text("chart.end", lang)],
        measure=["absolute", *["relative"] * len(moves), "total"],
        y=[row[start_col], *[row[m] for m in moves], 0],
        text=[format_money(v, cur, compact=True, lang=lang) for v in [row[start_col], *[row[m] for m in moves], row[end_col]]],
        textposition="outside", increasing={"marker": {"color": POSITIVE}}, decreasing={"marker": {"color": NEGATIVE}},
        totals={"marker": {"color": PALETTE[0]}}, connector={"line": {"color": MUTED}}))
    low = min(row[start_col], row[end_col]) * 0.8
    top = max(row[start_col], row[end_col]) * 1.08
    fig.update_yaxes(range=[max(0, low), top])
    fig = _layout(fig, text("chart.mrr_bridge", lang, unit="ARR" if "arr" in start_col else "MRR", period=shown_period))
    _money_ticks(fig, [max(0, low), top], cur, lang, floor=max(0, low))
    return fig


def mrr_trend(bridge: pd.DataFrame, *, arr: bool = False) -> Any:
    """Ending MRR (or ARR) per period; one line per group when the bridge has a ``by`` column."""
    go = _go()
    col = "ending_arr" if "ending_arr" in bridge.columns else "ending_mrr"
    scale = 12 if arr and col == "ending_mrr" else 1
    groups = [c for c in bridge.columns if c != "period" and bridge[c].dtype == object]
    fig = go.Figure()
    parts = bridge.groupby(groups[0]) if groups else [("MRR", bridge)]
    for g, part in parts:
        fig.add_scatter(x=part["period"].astype(str), y=part[col] * scale, mode="lines+markers", name=str(g))
    unit = "ARR" if arr or col == "ending_arr" else "MRR"
    fig = _layout(fig, text("chart.mrr_trend", _lang(bridge), unit=text(f"kpi.{unit.lower()}", _lang(bridge))))
    _money_ticks(fig, bridge[col] * scale, _currency(bridge), _lang(bridge))
    return fig


def cohort_heatmap(cohorts: pd.DataFrame, *, value: str = "value", last: int = 12) -> Any:
    """Retention by acquisition cohort and age, the last ``last`` cohorts."""
    go = _go()
    grid = cohorts.pivot(index="cohort", columns="age", values=value).tail(last).dropna(axis=1, how="all")
    cells = [[format_percent(v) if not np.isnan(v) else "" for v in row] for row in grid.to_numpy(float)]
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(float), x=[str(c) for c in grid.columns], y=[str(c) for c in grid.index],
                               colorscale="Blues", text=cells, texttemplate="%{text}", zmin=0, zmax=1,
                               colorbar={"tickformat": ".0%"}))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=text("chart.cohort_age", _lang(cohorts)))
    return _layout(fig, text("chart.cohorts", _lang(cohorts)), height=460)


def funnel(stages: pd.DataFrame) -> Any:
    """Entities reaching each stage, with stage-to-stage conversion (output of ``funnel``)."""
    go = _go()
    lang = _lang(stages)
    names, counts, texts = funnel_labels(stages, lang)
    fig = go.Figure(go.Bar(y=names, x=counts, orientation="h", marker={"color": PALETTE[0]}, text=texts, textposition="outside",
                           cliponaxis=False))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, max(counts) * 1.6 if max(counts) else 1], title=text("chart.funnel_axis", lang))
    return _layout(fig, text("chart.funnel", lang))


def _band(frame: pd.DataFrame, value: str, low: str, high: str, title: str) -> Any:
    go = _go()
    fig = go.Figure()
    groups = [c for c in frame.columns if frame[c].dtype == object]
    parts = frame.groupby(groups[0]) if groups else [(value.replace("_", " "), frame)]
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


def win_rate(rates: pd.DataFrame) -> Any:
    """Win rate per period with its 95% Wilson band."""
    return _band(rates, "win_rate", "win_rate_low", "win_rate_high", text("chart.win_rate", _lang(rates)))


def sla_compliance(sla: pd.DataFrame, *, target: float | None = None) -> Any:
    """First-response SLA compliance per period with its 95% band and the target."""
    fig = _band(sla, "compliance", "compliance_low", "compliance_high",
                text("chart.sla", _lang(sla), within=format_duration(sla.attrs.get("within", "24h"))))
    if target is not None:
        fig.add_hline(y=target, line_dash="dash", line_color=NEGATIVE, annotation_text=text("chart.target", _lang(sla), value=format_percent(target)))
    return fig


def kaplan_meier(km: pd.DataFrame) -> Any:
    """Share of deals still open after t days (Kaplan–Meier)."""
    go = _go()
    t = np.concatenate([[0.0], km["time"].to_numpy(float)])
    s = np.concatenate([[1.0], km["survival"].to_numpy(float)])
    fig = go.Figure(go.Scatter(x=t, y=s, mode="lines", line={"shape": "hv", "color": PALETTE[0]}, name="still open"))
    below = np.flatnonzero(s <= 0.5)
    if len(below):
        fig.add_vline(x=t[below[0]], line_dash="dot", line_color=MUTED, annotation_text=text("chart.median_days", _lang(km), days=f"{t[below[0]]:.0f}"))
    fig.update_xaxes(title=text("chart.km_x", _lang(km)))
    return _layout(fig, text("chart.km", _lang(km)), percent=True)


def cycle_distribution(days: Any, *, bins: int = 30) -> Any:
    """Histogram of sales-cycle days of won deals, with the median."""
    go = _go()
    values = pd.Series(days, dtype=float).dropna()
    fig = go.Figure(go.Histogram(x=values, nbinsx=bins, marker={"color": PALETTE[0]}))
    if len(values):
        fig.add_vline(x=float(values.median()), line_dash="dash", line_color=NEGATIVE,
                      annotation_text=text("chart.median_days", _lang(days), days=f"{values.median():.0f}"))
    fig.update_xaxes(title=text("chart.cycle_x", _lang(days)))
    return _layout(fig, text("chart.cycle", _lang(days)))


def scorecard(card: pd.DataFrame) -> Any:
    """The team scorecard as a table, attainment coloured."""
    go = _go()
    cur, lang = _currency(card), _lang(card)
    kpis = [label("kpi", k, lang, default=str(name)) for k, name in zip(card["kpi"], card["label"], strict=True)]
    colour = ["#D9F0E3" if a >= 1 else "#FBE3D6" if a < 0.9 else "#FFF3D6" if not pd.isna(a) else "white" for a in card["attainment"]]
    fig = go.Figure(go.Table(
        header={"values": [text(f"col.{c}", lang) for c in ("team", "kpi", "value", "target", "attainment")], "fill_color": PALETTE[0], "font": {"color": "white"},
                "align": "left"},
        cells={"values": [card["team"].astype(str), kpis,
                          [format_value(v, u, cur, compact=True, lang=lang) for v, u in zip(card["value"], card["unit"], strict=True)],
                          [format_value(v, u, cur, compact=True, lang=lang) for v, u in zip(card["target"], card["unit"], strict=True)],
                          [format_percent(a) for a in card["attainment"]]],
               "fill_color": [["white"] * len(card)] * 4 + [colour], "align": "left"}))
    return _layout(fig, text("chart.scorecard", lang, period=card["period"].iloc[0] if len(card) else ""), height=80 + 28 * len(card))


def attrition(turnover: pd.DataFrame) -> Any:
    """Annualised attrition per team against the company."""
    go = _go()
    teams = turnover[turnover["scope_type"] == "team"].sort_values("attrition")
    company = turnover.loc[turnover["scope_type"] == "company", "attrition"]
    rate = float(company.iloc[0]) if len(company) else np.nan
    fig = go.Figure(go.Bar(y=teams["scope"].astype(str), x=teams["attrition"], orientation="h",
                           marker={"color": [NEGATIVE if v >= 2 * rate else PALETTE[0] for v in teams["attrition"]]},
                           text=[text("chart.left", _lang(turnover), rate=f"{v:.0%}", n=d)
                                 for v, d in zip(teams["attrition"], teams["departures"], strict=True)],
                           textposition="outside"))
    if not np.isnan(rate):
        fig.add_vline(x=rate, line_dash="dash", line_color=MUTED, annotation_text=text("chart.company_rate", _lang(turnover), rate=f"{rate:.0%}"))
    fig.update_xaxes(tickformat=".0%", range=[0, max(float(teams["attrition"].max()) if len(teams) else 0, rate if rate == rate else 0) * 1.3 + 0.05])
    return _layout(fig, text("chart.attrition", _lang(turnover), window=turnover.attrs.get("window", "")))


def decline_drivers(decline: pd.DataFrame, *, scope: str | None = None, periods: int = 8) -> Any:
    """Bookings and its three drivers indexed to 100 at the first period shown (table of ``sales_decline``).

    With no complete period for the scope, the figure is empty and says what it needs.
    """
    go = _go()
    part = decline[decline["scope"] == (scope or "company")].tail(periods)
    fig = go.Figure()
    lang = _lang(decline)
    if not len(part):  # nothing to index to: say what more data is needed instead of failing
        freq = decline.attrs.get("freq")
        unit = text(f"unit.{freq if freq in ('M', 'Q', 'Y') else 'Q'}", lang)
        fig.add_scatter(x=[], y=[], mode="lines", showlegend=False)
        fig.add_annotation(text=text("chart.no_periods", lang, unit=unit, scope=scope or text("chart.company", lang)), x=0.5, y=0.5,
                           xref="paper", yref="paper", showarrow=False, font={"color": MUTED})
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return _layout(fig, text("chart.drivers", lang, scope=scope or text("chart.company", lang)))
    for col, key in (("bookings", "bookings"), ("opportunities", "created"), ("close_ratio", "close"), ("avg_deal", "deal")):
        name = text(f"drv.{key}", lang)
        base = part[col].iloc[0]
        fig.add_scatter(x=part["period"].astype(str), y=part[col] / base * 100 if base else part[col] * np.nan, mode="lines+markers",
                        name=name, line={"width": 3 if col == "bookings" else 1.5})
    fig.add_hline(y=100, line_color=MUTED)
    return _layout(fig, text("chart.drivers", lang, scope=scope or text("chart.company", lang)))


def findings(found: pd.DataFrame) -> Any:
    """The five signs at a glance, coloured by each sign's most severe finding."""
    go = _go()
    lang = _lang(found)
    rows = sign_overview(found, lang)
    labels = [name for _, name, _, _ in rows]
    colours = [SEVERITY_COLOURS.get(worst, MUTED) for _, _, worst, _ in rows]
    texts = [shown for _, _, _, shown in rows]
    fig = go.Figure(go.Bar(y=labels[::-1], x=[1] * len(labels), orientation="h", marker={"color": colours[::-1]},
                           text=texts[::-1], textposition="inside", insidetextanchor="start", hoverinfo="text"))
    fig.update_xaxes(visible=False, range=[0, 1])
    return _layout(fig, text("chart.findings", lang), height=320)


def trend(frame: pd.DataFrame, *, value: str, by: str | None = None, title: str = "", unit: str = "count",
          highlight: Any = None) -> Any:
    """Any metric over periods, one line per ``by`` group; ``highlight`` names groups drawn bold (the rest muted)."""
    go = _go()
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
        _money_ticks(fig, frame[value], _currency(frame), _lang(frame))
    return fig
