"""Matplotlib charts of salesmetrics results, for decks and reports.

Every function takes the frame a metric function returned and an optional ``ax``, draws on it (or on a
new figure's axes), and returns the Axes. Nothing here touches pyplot's global state, so charts never
leak between notebook cells or threads. The same names exist in :mod:`salesmetrics.plotly`.

    >>> import salesmetrics as sm
    >>> from salesmetrics import plot
    >>> ax = plot.mrr_bridge(sm.mrr_bridge(sm.load_sample(), freq="Q"))
    >>> ax.get_title(loc="left")
    'MRR bridge, 2025Q3'
"""

from __future__ import annotations

import functools
import re
import warnings
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
    funnel_labels,
    label,
    money_axis,
    percent_axis,
    sign_overview,
)
from ..i18n import text

__all__ = ["attrition", "cohort_heatmap", "cycle_distribution", "decline_drivers", "findings", "funnel", "kaplan_meier",
           "mrr_bridge", "mrr_trend", "scorecard", "sla_compliance", "trend", "win_rate"]



_CJK_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "NanumBarunGothic", "Nanum Gothic", "Malgun Gothic",
              "Apple SD Gothic Neo", "AppleGothic", "Source Han Sans KR", "Noto Sans CJK JP", "Noto Sans CJK SC", "UnDotum")
"""Fonts that can draw Hangul, most preferred first."""
_CJK = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_FONT_FIX = ("no installed font can draw Hangul, so Korean text would show as empty boxes. Install one: "
             "`sudo apt-get install fonts-noto-cjk` (Debian/Ubuntu), `brew install --cask font-noto-sans-cjk-kr` (macOS), "
             "or `pip install \"salesmetrics[korean]\"` (brings NanumGothic); then restart Python.")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first installed font that can draw Hangul (Noto Sans CJK, Nanum, ...), or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in _CJK_FONTS if name in installed), None)
    if found is None:  # the optional extra salesmetrics[korean] brings NanumGothic inside koreanize-matplotlib
        import importlib.util
        from pathlib import Path

        spec = importlib.util.find_spec("koreanize_matplotlib")
        if spec is not None and spec.origin:
            for path in sorted(Path(spec.origin).parent.rglob("*.ttf")):
                font_manager.fontManager.addfont(str(path))  # registers the file; no rcParams are changed
            installed = {f.name for f in font_manager.fontManager.ttflist}
            found = next((name for name in _CJK_FONTS if name in installed), None)
    return found


def _finish(ax: Any) -> Any:
    """Give every text that holds Hangul (or other CJK) a font that can draw it; the rest keep the default font.

    The font family becomes [default, CJK font], so matplotlib falls back glyph by glyph: Latin letters and
    digits stay in the default font. With no CJK font installed, one :class:`~salesmetrics.FontWarning` names
    the install command instead of drawing empty boxes.
    """
    from matplotlib.text import Text

    fig = ax.figure
    texts = list(fig.findobj(Text)) + [cell.get_text() for each in fig.axes for table in each.tables
                                       for cell in table.get_celld().values()]
    quick = [t.get_text() for t in texts]
    for axis in (a for each in fig.axes for a in (each.xaxis, each.yaxis)):
        mapping = getattr(axis.units, "_mapping", None) if axis.units is not None else None
        quick += [str(k) for k in (mapping or {})]
    if not any(_CJK.search(text) for text in quick):
        return ax
    font = cjk_font()
    if font is None:
        from ..errors import FontWarning

        warnings.warn(_FONT_FIX, FontWarning, stacklevel=3)
        return ax
    from matplotlib import rcParams

    family = [*rcParams["font.sans-serif"][:1], font]
    for each in fig.axes:
        each.tick_params(labelfontfamily=family)  # tick labels are made at draw time: they take it from here
    for artist in texts:
        if _CJK.search(artist.get_text()):
            artist.set_fontfamily(family)
    return ax


def _axes(ax: Any, size: tuple[float, float] = (8, 4.5)) -> Any:
    """The given Axes, or the Axes of a new Figure (not a pyplot figure: nothing global is touched)."""
    if ax is not None:
        return ax
    import_optional("matplotlib", "plot")
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=110, layout="constrained")
    return fig.add_subplot()


def _style(ax: Any, title: str, ylabel: str | None = None, xlabel: str | None = None) -> None:
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
    if ylabel:
        ax.set_ylabel(ylabel)
    if xlabel:
        ax.set_xlabel(xlabel)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.8)
    ax.set_axisbelow(True)


def _labels(periods: Any) -> list[str]:
    return [str(p) for p in periods]


def _currency(frame: pd.DataFrame, default: str = "USD") -> str:
    return str(frame.attrs.get("currency", default))


def _lang(frame: Any) -> str:
    """The language of a result frame's labels (``frame.attrs["lang"]``, set by the deck); English by default."""
    return str(getattr(frame, "attrs", {}).get("lang", "en"))


def mrr_bridge(bridge: pd.DataFrame, ax: Any = None, *, period: Any = None) -> Any:
    """Waterfall of one period's MRR bridge: starting MRR, each movement, ending MRR (default: the last period)."""
    ax = _axes(ax)
    frame = bridge if "period" in bridge.columns else bridge.reset_index()
    if period is not None:
        frame = frame[frame["period"].astype(str) == str(period)]
    if "by" in frame.attrs or len(frame) == 0:
        pass
    numeric = frame.select_dtypes("number")
    row = numeric.groupby(frame["period"].astype(str)).sum().iloc[-1]
    shown_period = str(frame["period"].iloc[-1])
    start_col = "starting_arr" if "starting_arr" in row.index else "starting_mrr"
    end_col = "ending_arr" if "ending_arr" in row.index else "ending_mrr"
    lang = _lang(bridge)
    steps = [(text("chart.start", lang), row[start_col])] + [(text(f"chart.{m}", lang), row[m])
                                                            for m in ("new", "expansion", "reactivation", "contraction", "churn")]
    level = 0.0
    for i, (_name, value) in enumerate(steps):
        if i == 0:
            ax.bar(i, value, color=PALETTE[0])
            level = value
            continue
        bottom = level if value >= 0 else level + value
        ax.bar(i, abs(value), bottom=bottom, color=POSITIVE if value >= 0 else NEGATIVE)
        ax.annotate(format_money(value, _currency(bridge), compact=True, lang=lang), (i, level + max(value, 0)), ha="center", va="bottom",
                    fontsize=9, xytext=(0, 2), textcoords="offset points")
        level += value
    ax.bar(len(steps), row[end_col], color=PALETTE[0])
    ax.set_xticks(range(len(steps) + 1), [s[0] for s in steps] + [text("chart.end", lang)])
    money_axis(ax, _currency(bridge), lang=lang)
    low = min(row[start_col], row[end_col]) * 0.8
    ax.set_ylim(bottom=max(0, low))
    _style(ax, text("chart.mrr_bridge", lang, unit="ARR" if "arr" in start_col else "MRR", period=shown_period), _currency(bridge))
    return _finish(ax)


def mrr_trend(bridge: pd.DataFrame, ax: Any = None, *, arr: bool = False) -> Any:
    """Ending MRR (or ARR, ×12) per period; one line per group when the bridge has a ``by`` column."""
    ax = _axes(ax)
    col = "ending_arr" if "ending_arr" in bridge.columns else "ending_mrr"
    scale = 12 if arr and col == "ending_mrr" else 1
    groups = [c for c in bridge.columns if c not in ("period",) and bridge[c].dtype == object]
    if groups:
        wide = bridge.pivot_table(index="period", columns=groups[0], values=col, aggfunc="sum") * scale
        for i, g in enumerate(wide.columns):
            ax.plot(_labels(wide.index), wide[g], marker="o", ms=3, color=PALETTE[i % len(PALETTE)], label=str(g))
        ax.legend(frameon=False, fontsize=9)
    else:
        ax.plot(_labels(bridge["period"]), bridge[col] * scale, marker="o", ms=3, color=PALETTE[0])
    money_axis(ax, _currency(bridge), lang=_lang(bridge))
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    unit = "ARR" if arr or col == "ending_arr" else "MRR"
    _style(ax, text("chart.mrr_trend", _lang(bridge), unit=text(f"kpi.{unit.lower()}", _lang(bridge))), _currency(bridge))
    return _finish(ax)


def cohort_heatmap(cohorts: pd.DataFrame, ax: Any = None, *, value: str = "value", last: int = 12) -> Any:
    """Retention by acquisition cohort (rows) and age (columns), the last ``last`` cohorts."""
    ax = _axes(ax, (8, 5))
    grid = cohorts.pivot(index="cohort", columns="age", values=value).tail(last).dropna(axis=1, how="all")
    values = grid.to_numpy(float)
    image = ax.imshow(values, aspect="auto", cmap="Blues", vmin=max(0.0, float(np.nanmin(values)) - 0.15), vmax=max(1.0, float(np.nanmax(values))))
    ax.set_yticks(range(len(grid)), [str(c) for c in grid.index], fontsize=8)
    ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns], fontsize=8)
    if grid.size <= 400:
        for (i, j), v in np.ndenumerate(grid.to_numpy(float)):
            if not np.isnan(v):
                ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=6, color="white" if v > 0.6 else "black")
    ax.figure.colorbar(image, ax=ax, format=lambda v, _p: f"{v:.0%}")
    ax.set_title(text("chart.cohorts", _lang(cohorts)), loc="left", fontsize=13, fontweight="bold")
    ax.set_xlabel(text("chart.cohort_age", _lang(cohorts)))
    return _finish(ax)


def funnel(stages: pd.DataFrame, ax: Any = None) -> Any:
    """Entities reaching each stage, with the conversion to the next stage on each bar (output of ``funnel``)."""
    ax = _axes(ax)
    lang = _lang(stages)
    names, counts, texts = funnel_labels(stages, lang)
    y = np.arange(len(counts))[::-1]
    ax.barh(y, counts, color=PALETTE[0], height=0.6)
    for yy, c, shown in zip(y, counts, texts, strict=True):
        ax.annotate(shown, (c, yy), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(y, names)
    ax.set_xlim(0, max(counts) * 1.45 if max(counts) else 1)
    _style(ax, text("chart.funnel", lang), xlabel=text("chart.funnel_axis", lang))
    ax.grid(False)
    return _finish(ax)


def _band(ax: Any, frame: pd.DataFrame, value: str, low: str, high: str, title: str) -> Any:
    groups = [c for c in frame.columns if frame[c].dtype == object]
    parts = frame.groupby(groups[0]) if groups else [(None, frame)]
    for i, (g, part) in enumerate(parts):
        x = _labels(part["period"]) if "period" in part.columns else [str(i)]
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(x, part[value], marker="o", ms=3, color=colour, label=None if g is None else str(g))
        ax.fill_between(x, part[low], part[high], color=colour, alpha=0.15, linewidth=0)
    if groups:
        ax.legend(frameon=False, fontsize=9)
    percent_axis(ax)
    ax.set_ylim(0, 1)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    _style(ax, title)
    return ax


def win_rate(rates: pd.DataFrame, ax: Any = None) -> Any:
    """Win rate per period with its 95% Wilson band (output of ``win_rate``)."""
    return _finish(_band(_axes(ax), rates, "win_rate", "win_rate_low", "win_rate_high", text("chart.win_rate", _lang(rates))))


def sla_compliance(sla: pd.DataFrame, ax: Any = None, *, target: float | None = None) -> Any:
    """First-response SLA compliance per period with its 95% band, and the target line (output of ``response_sla``)."""
    ax = _band(_axes(ax), sla, "compliance", "compliance_low", "compliance_high",
               text("chart.sla", _lang(sla), within=format_duration(sla.attrs.get("within", "24h"))))
    if target is not None:
        ax.axhline(target, color=NEGATIVE, linestyle="--", linewidth=1)
        ax.annotate(text("chart.target", _lang(sla), value=format_percent(target)), (0, target), xytext=(2, 3), textcoords="offset points", color=NEGATIVE,
                    fontsize=9)
    return _finish(ax)


def kaplan_meier(km: pd.DataFrame, ax: Any = None) -> Any:
    """Share of deals still open after t days (Kaplan–Meier; open deals censored), with the median marked."""
    ax = _axes(ax)
    t = np.concatenate([[0.0], km["time"].to_numpy(float)])
    s = np.concatenate([[1.0], km["survival"].to_numpy(float)])
    ax.step(t, s, where="post", color=PALETTE[0])
    below = np.flatnonzero(s <= 0.5)
    if len(below):
        median = t[below[0]]
        ax.axvline(median, color=MUTED, linestyle=":", linewidth=1)
        ax.annotate(text("chart.median_days", _lang(km), days=f"{median:.0f}"), (median, 0.5), xytext=(4, 4), textcoords="offset points", fontsize=9)
    percent_axis(ax)
    ax.set_ylim(0, 1.02)
    _style(ax, text("chart.km", _lang(km)), text("chart.km_y", _lang(km)), text("chart.km_x", _lang(km)))
    return _finish(ax)


def cycle_distribution(days: Any, ax: Any = None, *, bins: int = 30) -> Any:
    """Histogram of sales-cycle days (created to won) with the median."""
    ax = _axes(ax)
    values = pd.Series(days, dtype=float).dropna()
    ax.hist(values, bins=bins, color=PALETTE[0], alpha=0.85)
    if len(values):
        ax.axvline(values.median(), color=NEGATIVE, linestyle="--", linewidth=1)
        ax.annotate(text("chart.median_days", _lang(days), days=f"{values.median():.0f}"), (values.median(), ax.get_ylim()[1] * 0.9), xytext=(4, 0),
                    textcoords="offset points", fontsize=9)
    _style(ax, text("chart.cycle", _lang(days)), text("chart.cycle_y", _lang(days)), text("chart.cycle_x", _lang(days)))
    return _finish(ax)


def scorecard(card: pd.DataFrame, ax: Any = None) -> Any:
    """The team scorecard as a table: KPI, value, target, attainment (coloured), change."""
    from ..formatting import format_value

    ax = _axes(ax, (9, 0.4 + 0.32 * len(card)))
    ax.axis("off")
    currency = _currency(card)
    units = card["unit"].astype(str).tolist()
    attain = card["attainment"].to_numpy(float)
    lang = _lang(card)
    kpis = [label("kpi", k, lang, default=str(name)) for k, name in zip(card["kpi"], card["label"], strict=True)]
    rows = [[str(t), k, format_value(v, u, currency, compact=True, lang=lang), format_value(g, u, currency, compact=True, lang=lang),
             format_percent(a)] for t, k, v, g, u, a in zip(card["team"], kpis, card["value"], card["target"], units, attain, strict=True)]
    table = ax.table(cellText=rows, colLabels=[text(f"col.{c}", lang) for c in ("team", "kpi", "value", "target", "attainment")],
                     loc="upper left",
                     colLoc="left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.auto_set_column_width(list(range(5)))
    table.scale(1, 1.3)
    for i, a in enumerate(attain, start=1):
        if not np.isnan(a):
            table[i, 4].set_facecolor("#D9F0E3" if a >= 1 else "#FBE3D6" if a < 0.9 else "#FFF3D6")
    ax.set_title(text("chart.scorecard", lang, period=card["period"].iloc[0] if len(card) else ""), loc="left", fontsize=13,
                 fontweight="bold")
    return _finish(ax)


def attrition(turnover: pd.DataFrame, ax: Any = None) -> Any:
    """Annualised attrition per team against the company (the table of ``rep_turnover``)."""
    ax = _axes(ax)
    teams = turnover[turnover["scope_type"] == "team"].sort_values("attrition")
    company = turnover.loc[turnover["scope_type"] == "company", "attrition"]
    rate = float(company.iloc[0]) if len(company) else np.nan
    colours = [NEGATIVE if v >= 2 * rate else PALETTE[0] for v in teams["attrition"]]
    ax.barh(teams["scope"].astype(str), teams["attrition"], color=colours)
    if not np.isnan(rate):
        ax.axvline(rate, color=MUTED, linestyle="--", linewidth=1)
        ax.annotate(text("chart.company_rate", _lang(turnover), rate=f"{rate:.0%}"), (rate, len(teams) - 0.5), xytext=(4, 0), textcoords="offset points", fontsize=9)
    for y, (v, d) in enumerate(zip(teams["attrition"], teams["departures"], strict=True)):
        ax.annotate(text("chart.left", _lang(turnover), rate=f"{v:.0%}", n=d), (v, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    percent_axis(ax, "x")
    ax.set_xlim(0, max(float(teams["attrition"].max()) if len(teams) else 0, 0 if np.isnan(rate) else rate) * 1.3 + 0.05)
    _style(ax, text("chart.attrition", _lang(turnover), window=turnover.attrs.get("window", "")))
    ax.grid(False)
    return _finish(ax)


def decline_drivers(decline: pd.DataFrame, ax: Any = None, *, scope: str | None = None, periods: int = 8) -> Any:
    """Bookings and its three drivers (deals created, close ratio, average deal), indexed to 100 at the first period shown.

    ``decline`` is the table of ``sales_decline``; ``scope`` picks a segment (default: the company).
    When the table has no complete period for the scope (one month of data, say), the chart is empty
    and says what it needs: at least one complete period before ``as_of``.
    """
    ax = _axes(ax)
    part = decline[decline["scope"] == (scope or "company")].tail(periods)
    x = _labels(part["period"])
    lang = _lang(decline)
    if not len(part):  # nothing to index to: say what more data is needed instead of failing
        freq = decline.attrs.get("freq")
        unit = text(f"unit.{freq if freq in ('M', 'Q', 'Y') else 'Q'}", lang)
        ax.text(0.5, 0.5, text("chart.no_periods", lang, unit=unit, scope=scope or text("chart.company", lang)), ha="center",
                va="center", wrap=True, fontsize=10, color=MUTED, transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        _style(ax, text("chart.drivers", lang, scope=scope or text("chart.company", lang)))
        return _finish(ax)
    for i, (col, key) in enumerate((("bookings", "bookings"), ("opportunities", "created"), ("close_ratio", "close"), ("avg_deal", "deal"))):
        name = text(f"drv.{key}", lang)
        base = part[col].iloc[0]
        ax.plot(x, part[col] / base * 100 if base else part[col] * np.nan, marker="o", ms=3, color=PALETTE[i],
                linewidth=2.5 if col == "bookings" else 1.5, label=name)
    ax.axhline(100, color=MUTED, linewidth=0.8)
    ax.legend(frameon=False, fontsize=9)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    _style(ax, text("chart.drivers", lang, scope=scope or text("chart.company", lang)), text("chart.index", lang, period=x[0] if x else ""))
    return _finish(ax)


def findings(found: pd.DataFrame, ax: Any = None) -> Any:
    """The five signs at a glance: one row per sign, coloured by its most severe finding, with the scopes."""
    ax = _axes(ax, (9, 3.6))
    rows = sign_overview(found, _lang(found))
    for y, (_sign, name, worst, shown) in enumerate(rows[::-1]):
        ink = "white" if worst != "ok" else "black"
        ax.barh(y, 1, color=SEVERITY_COLOURS.get(worst, MUTED), height=0.8)
        ax.text(0.02, y, name, va="center", fontsize=11, fontweight="bold", color=ink)
        ax.text(0.45, y, shown, va="center", fontsize=10, color=ink)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, len(rows) - 0.5)
    ax.axis("off")
    ax.set_title(text("chart.findings", _lang(found)), loc="left", fontsize=13, fontweight="bold")
    return _finish(ax)


def trend(frame: pd.DataFrame, ax: Any = None, *, value: str, by: str | None = None, title: str = "", unit: str = "count",
          highlight: Any = None) -> Any:
    """Any metric over periods, one line per ``by`` group; ``highlight`` names groups drawn bold (the rest muted).

    Used for the evidence of the signs without a chart of their own: out-of-lane share per role
    (``role_clarity``), leads per segment (``market_response``), CSAT per region (``customer_satisfaction``).
    """
    ax = _axes(ax)
    marked = {str(h) for h in ([highlight] if isinstance(highlight, str) else highlight or [])}
    parts = frame.groupby(by) if by else [(value, frame)]
    for i, (g, part) in enumerate(parts):
        strong = not marked or str(g) in marked
        ax.plot(_labels(part["period"]), part[value], marker="o", ms=3, label=str(g),
                color=PALETTE[i % len(PALETTE)] if strong else MUTED, linewidth=2.5 if marked and strong else 1.2,
                alpha=1 if strong else 0.6)
    if unit == "rate":
        percent_axis(ax)
    elif unit == "money":
        money_axis(ax, _currency(frame), lang=_lang(frame))
    if by:
        ax.legend(frameon=False, fontsize=9)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    _style(ax, title or value.replace("_", " "))
    return _finish(ax)
