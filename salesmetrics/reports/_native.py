"""Editable charts for the PPTX deck: native PowerPoint charts with their data embedded (issue #17, point 4).

A RevOps analyst can restyle a native chart in PowerPoint, or open its data sheet; an image only shows.
:func:`add_native_chart` draws a deck :class:`~salesmetrics.reports.deck.Chart` natively when its
``salesmetrics.plot`` function has a native counterpart (``_BUILDERS``: one builder per chart name, reading
the same frame, with the same title, series, colours and axis formats from the same catalogue), and
returns False otherwise, so that the deck inserts the matplotlib image as before.

Native: the lines over periods (``win_rate`` and ``sla_compliance`` with their 95% interval as two thin
lines and the SLA target as a dashed series; ``mrr_trend``; ``trend``; ``decline_drivers``, its category
axis crossing at the index's 100), the horizontal bars (``funnel``, ``attrition`` with the company rate as
a grey bar), the Kaplan–Meier curve as an XY line through the vertices of its steps (exact: a step curve
is straight segments), and the two charts that are tables (``scorecard``, the ``findings`` board) as
PowerPoint tables. Images remain for what no native chart says faithfully: the MRR waterfall (python-pptx
has no waterfall; a stacked-column imitation would embed helper "base" columns instead of the bridge, and
editing a movement would silently break the running totals), the cohort heatmap (no heatmap type), the
``sales_cycle`` quartile summaries and the histogram (not in the deck).

Money axes are number formats ("$1.4M", "$250k"). A number format can divide by thousands only, not count in
만 / 억 (powers of 10⁴): where the charts do (KRW in Korean), the values of a money chart are written in 억 or
만 (whichever keeps its largest value at or above 1; :func:`_money_scale`), its axis reads "₩19억" as the image's
does, and its axis title names the unit ("금액 (억 원)"), so that an analyst who opens the chart's data sheet knows
that 19.2 there is ₩19.2억 (the sheet's cells carry the same number format).

A value axis title is written horizontally, above the axis at the top left, not turned 90° beside it: LibreOffice
sets turned Hangul upright and stacked, or over the tick labels (:func:`_title_above_axis`).

Text from the data is written as the deck writes it: without the characters XML cannot hold, and never as a
formula in a chart's embedded sheet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._charts import context, findings_of, group_columns, is_cycle_summary, km_curves, mrr_levels, table_of
from ..formatting import (
    MUTED,
    NEGATIVE,
    PALETTE,
    SEVERITY_COLOURS,
    format_money,
    format_percent,
    format_value,
    funnel_labels,
    label,
    scorecard_cells,
    sign_overview,
)
from ..i18n import text
from .export import XML_ILLEGAL

if TYPE_CHECKING:  # pragma: no cover
    from .deck import Chart

__all__ = ["IMAGE_ONLY", "add_native_chart"]

IMAGE_ONLY = {
    "mrr_bridge": "a waterfall: python-pptx has none, and a stacked-column imitation embeds helper columns, not the bridge",
    "cohort_heatmap": "a heatmap: no native chart type",
    "cycle_distribution": "a histogram of bins computed at drawing time (not in the deck)",
}
"""The charts that stay images, and why."""

_GRID, _SOFT_MUTED = "#E5E5E5", "#BABABA"  # matplotlib's grid; MUTED at alpha 0.6 on white (the trend's muted lines)


@dataclass
class _Series:
    name: str
    values: list[float | None]
    colour: str = PALETTE[0]
    width: float = 1.5  # points
    marker: bool = True
    dash: bool = False
    in_legend: bool = True
    x: list[float] | None = None  # XY charts
    labels: list[str] | None = None  # one data label per point
    colours: list[str] | None = None  # one fill per bar


@dataclass
class _Plot:
    kind: str  # "line", "bar" (horizontal) or "xy"
    title: str
    series: list[_Series]
    categories: list[str] = field(default_factory=list)
    number_format: str = "General"
    x_format: str = "#,##0"  # XY charts
    low: float | None = None
    high: float | None = None
    y_title: str = ""
    x_title: str = ""
    baseline: float | None = None  # where the category axis crosses the value axis (an index's 100)
    top_down: bool = False  # bars: the first category at the top
    grid: bool = True


@dataclass
class _Grid:
    title: str
    rows: list[list[str]]
    fills: list[list[str | None]]
    header: list[str] | None = None
    ink: list[str] | None = None  # text colour per row
    widths: list[float] | None = None  # shares of the width


def _values(values: Any) -> list[float | None]:
    """Floats, with None (a gap) where the value is missing: the chart XML cannot hold NaN."""
    return [None if pd.isna(v) else float(v) for v in values]


def _money_format(currency: str, lang: str) -> str:
    """A number format that writes money as the charts do: "$1.4M", "$250k"; whole amounts where the charts count
    in 만 / 억 (powers of 10⁴, which a number format's thousands scaling cannot express)."""
    symbol = _symbol(currency)
    if not format_money(1_000_000, currency, compact=True, lang=lang).endswith("M"):
        return f"{symbol}#,##0"
    return f'[>=1000000]{symbol}#,##0.0#,,"M";[>=1000]{symbol}#,##0,"k";{symbol}#,##0'


def _money_scale(values: Any, currency: str, lang: str) -> tuple[float, str]:
    """``(divisor, unit)`` to write money values in: ``(1e8, "억")`` or ``(1e4, "만")`` where the charts count
    ``currency`` in 만 / 억 in ``lang`` (KRW in Korean) and the largest value reaches that unit, else ``(1.0, "")``.

    Examples
    --------
    >>> _money_scale([0, 1.9e9], "KRW", "ko"), _money_scale([3e5], "KRW", "ko"), _money_scale([1.9e9], "USD", "ko")
    ((100000000.0, '억'), (10000.0, '만'), (1.0, ''))
    """
    if format_money(1_000_000, currency, compact=True, lang=lang).endswith("M"):  # thousands: the number format does it
        return 1.0, ""
    finite = [abs(float(v)) for v in values if v is not None and np.isfinite(v)]
    top = max(finite, default=0.0)
    for power in (8, 4):
        if top >= 10**power:
            found = re.search(r"1\s*([^\d\s.,]+)\s*$", format_money(10**power, currency, compact=True, lang=lang))  # "₩1억"
            if found:
                return float(10**power), found.group(1)
    return 1.0, ""


def _in_money(plan: _Plot, currency: str, lang: str) -> _Plot:
    """``plan`` with a money axis: the number format of :func:`_money_format`, or, where the charts count in 만 / 억
    and the values are that large, the values divided into that unit, a format that says it ("₩19억") and an
    axis title that names it ("금액 (억 원)") for whoever edits the chart's data."""
    divisor, unit = _money_scale([v for s in plan.series for v in s.values], currency, lang)
    if divisor == 1:
        plan.number_format = _money_format(currency, lang)
        return plan
    for s in plan.series:
        s.values = [None if v is None else v / divisor for v in s.values]
    plan.low, plan.high = (None if v is None else v / divisor for v in (plan.low, plan.high))
    symbol = _symbol(currency)
    plan.number_format = f'{symbol}General"{unit}";-{symbol}General"{unit}"'  # General: "₩19억", "₩2.5억", no stray "."
    plan.y_title = text("chart.money_axis_unit", lang, currency=currency, unit=unit)
    return plan


def _symbol(currency: str) -> str:
    """The currency's symbol as a quoted literal of a number format: ``"$"``, ``"₩"``."""
    return '"' + format_money(0, currency, compact=True)[:-1].replace('"', "") + '"'


def _tint(colour: str, keep: float = 0.55) -> str:
    """``colour`` mixed with white (the fill of a matplotlib band, as a line)."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c * keep + 255 * (1 - keep)):02X}" for c in rgb)


def _interval(lang: str) -> str:
    """The words for the 95% interval, as the win-rate title says them ("95% interval", "95% 구간")."""
    found = re.search(r"\(([^()]*)\)\s*$", text("chart.win_rate", lang))
    return found.group(1) if found else "95%"


def _periods(frame: pd.DataFrame) -> list[Any]:
    return sorted(frame["period"].dropna().unique())


def _by_period(part: pd.DataFrame, column: str, periods: list[Any]) -> list[float | None]:
    return _values(part.set_index("period")[column].reindex(periods))


def _band(frame: pd.DataFrame, value: str, kpi: str, title: str, lang: str, target: float | None = None) -> _Plot:
    """A rate per period with its 95% interval (two thin lines in the series' tint), and a dashed target."""
    groups = group_columns(frame)
    parts = list(frame.groupby(groups[0], sort=True)) if groups else [(None, frame)]
    periods = _periods(frame)
    series = []
    for i, (g, part) in enumerate(parts):
        colour = PALETTE[i % len(PALETTE)]
        series.append(_Series(label("kpi", kpi, lang) if g is None else str(g), _by_period(part, value, periods), colour))
        series += [_Series(_interval(lang), _by_period(part, f"{value}_{end}", periods), _tint(colour), width=0.75, marker=False,
                           in_legend=end == "low" and i == 0) for end in ("low", "high")]
    if target is not None:
        series.append(_Series(text("chart.target", lang, value=format_percent(target)), [float(target)] * len(periods), NEGATIVE,
                              width=1, marker=False, dash=True))
    return _Plot("line", title, series, [str(p) for p in periods], "0%", low=0, high=1)


def _win_rate(rates: pd.DataFrame, cur: str, lang: str) -> _Plot:
    return _band(rates, "win_rate", "win_rate", text("chart.win_rate", lang), lang)


def _sla_compliance(sla: pd.DataFrame, cur: str, lang: str, target: float | None = None) -> _Plot:
    title = text("chart.sla", lang, within=format_value(sla.attrs.get("within", "24h"), "duration", lang=lang))
    return _band(sla, "compliance", "sla_compliance", title, lang, target)


def _mrr_trend(bridge: pd.DataFrame, cur: str, lang: str, arr: bool = False) -> _Plot:
    levels, col = mrr_levels(bridge)
    scale = 12 if arr and col in ("ending_mrr", "mrr") else 1
    unit = text(f"kpi.{'arr' if arr or 'arr' in col else 'mrr'}", lang)
    groups = group_columns(levels)
    if groups:
        wide = levels.pivot_table(index="period", columns=groups[0], values=col, aggfunc="sum", observed=True) * scale
        series = [_Series(str(g), _values(wide[g]), PALETTE[i % len(PALETTE)]) for i, g in enumerate(wide.columns)]
        periods = [str(p) for p in wide.index]
    else:
        series, periods = [_Series(unit, _values(levels[col] * scale))], [str(p) for p in levels["period"]]
    return _in_money(_Plot("line", text("chart.mrr_trend", lang, unit=unit), series, periods), cur, lang)


def _trend(frame: Any, cur: str, lang: str, value: str, by: str | None = None, title: str = "", unit: str = "count",
           highlight: Any = None) -> _Plot:
    frame = table_of(frame)
    marked = {str(h) for h in ([highlight] if isinstance(highlight, str) else highlight or [])}
    parts = list(frame.groupby(by)) if by else [(value, frame)]
    periods = _periods(frame)
    series = []
    for i, (g, part) in enumerate(parts):
        strong = not marked or str(g) in marked
        series.append(_Series(str(g), _by_period(part, value, periods), PALETTE[i % len(PALETTE)] if strong else _SOFT_MUTED,
                              width=2.5 if marked and strong else 1.2))
    numbers = frame[value].dropna().to_numpy(float)
    fmt = ("0%" if unit == "rate" else "#,##0" if np.array_equal(numbers, np.round(numbers)) else "#,##0.0#")
    plan = _Plot("line", title or value.replace("_", " "), series, [str(p) for p in periods], fmt, low=_floor(numbers),
                 high=None if len(numbers) else 1)  # nothing measured (a role with no activity): an empty 0–1 frame
    return _in_money(plan, cur, lang) if unit == "money" else plan


def _floor(numbers: np.ndarray) -> float | None:
    """A round lower bound for the value axis when the values sit far above zero (CSAT 2.9–4.5 starts at 2.5, as
    matplotlib's autoscaling does, instead of PowerPoint's 0 flattening the fall); None (automatic) otherwise."""
    if not len(numbers) or numbers.min() <= 0 or not 0 < np.ptp(numbers) < numbers.min():
        return None
    step = 10 ** np.floor(np.log10(np.ptp(numbers))) / 2
    return float(np.floor((numbers.min() - np.ptp(numbers) / 10) / step) * step)


def _decline_drivers(decline: Any, cur: str, lang: str, scope: str | None = None, periods: int = 8) -> _Plot | None:
    decline = table_of(decline)
    part = decline[decline["scope"] == (scope or "company")].tail(periods)
    if not len(part):  # the image says what more data is needed
        return None
    x = [str(p) for p in part["period"]]
    series = []
    for i, (col, key) in enumerate((("bookings", "bookings"), ("opportunities", "created"), ("wins_per_new_deal", "close"), ("avg_deal", "deal"))):
        base = part[col].iloc[0]
        series.append(_Series(text(f"drv.{key}", lang), _values(part[col] / base * 100 if base else part[col] * np.nan), PALETTE[i],
                              width=2.5 if col == "bookings" else 1.5))
    return _Plot("line", text("chart.drivers", lang, scope=scope or text("chart.company", lang)), series, x, "0",
                 y_title=text("chart.index", lang, period=x[0]), baseline=100)


def _attrition(turnover: Any, cur: str, lang: str) -> _Plot:
    """Attrition per team, lowest at the bottom; the company rate (a dashed line in the image) is a grey bar."""
    turnover = table_of(turnover)
    teams = turnover[turnover["scope_type"] == "team"].sort_values("attrition")
    company = turnover.loc[turnover["scope_type"] == "company", "attrition"]
    rate = float(company.iloc[0]) if len(company) else np.nan
    bars = [(str(s), float(v), NEGATIVE if v >= 2 * rate else PALETTE[0], text("chart.left", lang, rate=f"{v:.0%}", n=d))
            for s, v, d in zip(teams["scope"], teams["attrition"], teams["departures"], strict=True)]
    if not np.isnan(rate):
        shown = text("chart.company_rate", lang, rate=f"{rate:.0%}")
        bars.insert(sum(b[1] < rate for b in bars), (text("chart.company", lang), rate, MUTED, shown))
    title = text("chart.attrition", lang, window=turnover.attrs.get("window", ""))
    top = max([b[1] for b in bars] or [0])
    return _Plot("bar", title, [_Series(title, [b[1] for b in bars], colours=[b[2] for b in bars], labels=[b[3] for b in bars])],
                 [b[0] for b in bars], "0%", low=0, high=top * 1.3 + 0.05, grid=False)


def _funnel(stages: pd.DataFrame, cur: str, lang: str) -> _Plot:
    names, counts, texts = funnel_labels(stages, lang)
    axis = text("chart.funnel_axis", lang)
    return _Plot("bar", text("chart.funnel", lang), [_Series(axis, [float(c) for c in counts], labels=texts)], names, "#,##0",
                 low=0, high=max(counts) * 1.45 if max(counts) else 1, x_title=axis, top_down=True, grid=False)


def _steps(t: np.ndarray, s: np.ndarray) -> tuple[list[float], list[float]]:
    """The vertices of a right-continuous step curve: where it changes, and where it ends."""
    keep = np.r_[True, s[1:] != s[:-1]]
    keep[-1] = True
    return np.repeat(t[keep], 2)[1:].tolist(), np.repeat(s[keep], 2)[:-1].tolist()


def _kaplan_meier(km: pd.DataFrame, cur: str, lang: str) -> _Plot | None:
    if is_cycle_summary(km):  # quartiles per period, drawn as ranges: stays an image
        return None
    curves = km_curves(km)
    series = []
    for i, (g, part) in enumerate(curves):
        t = np.concatenate([[0.0], part["time"].to_numpy(float)])
        s = np.concatenate([[1.0], part["survival"].to_numpy(float)])
        x, y = _steps(t, s)
        series.append(_Series(g or text("chart.km_y", lang), list(y), PALETTE[i % len(PALETTE)], marker=False, x=x))
        below = np.flatnonzero(s <= 0.5 + 1e-12)  # S(t) <= 1/2, as km_summary: exp(log) may land a hair above 1/2
        if len(below) and len(curves) == 1:
            median = float(t[below[0]])
            series.append(_Series(text("chart.median_days", lang, days=f"{median:.0f}"), [0.0, 1.0], MUTED, width=1, marker=False,
                                  dash=True, x=[median, median]))
    return _Plot("xy", text("chart.km", lang), series, number_format="0%", low=0, high=1, y_title=text("chart.km_y", lang),
                 x_title=text("chart.km_x", lang))


def _scorecard(card: pd.DataFrame, cur: str, lang: str) -> _Grid:
    header, rows, shade = scorecard_cells(card, cur, lang)
    fills: list[list[str | None]] = [[None, None, None, None, colour] for colour in shade]  # attainment, as in the image
    return _Grid(text("chart.scorecard", lang, period=card["period"].iloc[0] if len(card) else ""), rows, fills,
                 header=header, widths=[2, 4, 1.3, 1.3, 1.3])


def _findings(found: Any, cur: str, lang: str) -> _Grid:
    rows = sign_overview(findings_of(found), lang)
    return _Grid(text("chart.findings", lang), [[name, shown] for _sign, name, _worst, shown in rows],
                 [[SEVERITY_COLOURS.get(worst, MUTED)] * 2 for _s, _n, worst, _sh in rows],
                 ink=["#FFFFFF" if worst == "critical" else "#000000" for _s, _n, worst, _sh in rows], widths=[0.45, 0.55])


_BUILDERS: dict[str, Callable[..., _Plot | _Grid | None]] = {
    "win_rate": _win_rate, "sla_compliance": _sla_compliance, "mrr_trend": _mrr_trend, "trend": _trend,
    "decline_drivers": _decline_drivers, "attrition": _attrition, "funnel": _funnel, "kaplan_meier": _kaplan_meier,
    "scorecard": _scorecard, "findings": _findings,
}
"""Chart name (a function of salesmetrics.plot) -> builder(frame, currency, lang, **the chart's kwargs)."""


def _plan(chart: Chart) -> _Plot | _Grid | None:
    """What to draw natively for ``chart``, or None (no native form: the deck inserts the image)."""
    builder = _BUILDERS.get(chart.name)
    if builder is None:
        return None
    kwargs = {k: v for k, v in chart.kwargs.items() if k not in ("currency", "lang")}
    attrs = getattr(chart.frame, "attrs", None) or {}
    deck = None if attrs.get("currency") else getattr(chart, "currency", None)  # as Chart.draw: the frame's, else the deck's
    cur, lang = context(chart.frame, chart.kwargs.get("currency") or deck, chart.kwargs.get("lang") or chart.lang)
    return builder(chart.frame, cur, lang, **kwargs)


def add_native_chart(slide: Any, chart: Chart, left: int, top: int, width: int, height: int) -> bool:
    """Draw ``chart`` on ``slide`` as a native, editable PowerPoint chart (or table) in the given box (EMU).

    Returns False, drawing nothing, when the chart has no native form (:data:`IMAGE_ONLY`, an empty
    driver chart, a ``sales_cycle`` summary): the caller then inserts the matplotlib image.
    """
    plan = _plan(chart)
    if plan is None:
        return False
    if isinstance(plan, _Grid):
        _draw_grid(slide, plan, left, top, width, height)
    else:
        _draw_plot(slide, plan, left, top, width, height)
    return True


# ----------------------------------------------------------------------------------------------------------
# drawing (python-pptx)
# ----------------------------------------------------------------------------------------------------------




def _text(value: Any) -> str:
    """Text from the data as the chart XML can hold it: the characters XML cannot hold dropped (as the deck does)."""
    return XML_ILLEGAL.sub("", str(value))


def _cell(value: Any) -> str:
    """A series name or category, which also goes into the chart's embedded sheet: there xlsxwriter would store
    "=..." as a formula, so such text gets a leading apostrophe, as the deck's CSV export (``to_csv``) does."""
    shown = _text(value)
    return "'" + shown if shown.startswith(("=", "{=")) else shown


def _rgb(colour: str) -> Any:
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(colour.lstrip("#"))


def _xml(tag: str, inner: str) -> Any:
    """A ``c:`` (chart) element, e.g. ``_xml("legendEntry", '<c:idx val="1"/>')``."""
    from pptx.oxml import parse_xml
    from pptx.oxml.ns import nsdecls

    return parse_xml(f"<c:{tag} {nsdecls('c')}>{inner}</c:{tag}>")


def _draw_plot(slide: Any, plan: _Plot, left: int, top: int, width: int, height: int) -> None:
    from pptx.chart.data import CategoryChartData, XyChartData
    from pptx.enum.chart import (
        XL_CHART_TYPE,
        XL_LABEL_POSITION,
        XL_LEGEND_POSITION,
        XL_MARKER_STYLE,
        XL_TICK_LABEL_POSITION,
        XL_TICK_MARK,
    )
    from pptx.enum.dml import MSO_LINE_DASH_STYLE
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    data: Any
    if plan.kind == "xy":
        data = XyChartData(number_format=plan.number_format)
        for s in plan.series:
            points = data.add_series(_cell(s.name), number_format=plan.number_format)
            for x, y in zip(s.x or [], s.values, strict=True):
                points.add_data_point(x, y)
        kind = XL_CHART_TYPE.XY_SCATTER_LINES_NO_MARKERS
    else:
        data = CategoryChartData(number_format=plan.number_format)
        data.categories = [_cell(c) for c in plan.categories]
        for s in plan.series:
            data.add_series(_cell(s.name), s.values)
        kind = XL_CHART_TYPE.BAR_CLUSTERED if plan.kind == "bar" else XL_CHART_TYPE.LINE_MARKERS
    chart = slide.shapes.add_chart(kind, left, top, width, height, data).chart
    chart.font.size = Pt(10)
    chart.has_title = True
    chart.chart_title.text_frame.text = _text(plan.title)
    chart.chart_title.text_frame.paragraphs[0].font.size = Pt(13)
    chart.chart_title.text_frame.paragraphs[0].font.bold = True
    layout = chart.element.find(qn("c:chart")).find(qn("c:title")).find(qn("c:layout"))  # the title at the left, as in the images
    layout.append(_xml("manualLayout", '<c:xMode val="edge"/><c:yMode val="edge"/><c:x val="0.01"/><c:y val="0.01"/>'))

    shown = [i for i, s in enumerate(plan.series) if s.in_legend]
    chart.has_legend = len(shown) > 1
    if chart.has_legend:
        chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
        chart.legend.font.size = Pt(9)
        where = chart.legend._element.find(qn("c:legendPos"))
        for i in sorted(set(range(len(plan.series))) - set(shown), reverse=True):
            where.addnext(_xml("legendEntry", f'<c:idx val="{i}"/><c:delete val="1"/>'))

    values, categories = chart.value_axis, chart.category_axis
    values.tick_labels.number_format, values.tick_labels.number_format_is_linked = plan.number_format, False
    values.minimum_scale, values.maximum_scale = plan.low, plan.high
    values.has_major_gridlines = plan.grid
    if plan.grid:
        values.major_gridlines.format.line.color.rgb = _rgb(_GRID)
    values.format.line.fill.background()
    categories.tick_labels.font.size = Pt(9)
    categories.format.line.color.rgb = _rgb(MUTED)
    for axis, title in ((values, plan.y_title if plan.kind != "bar" else plan.x_title), (categories, plan.x_title if plan.kind == "xy" else "")):
        if title:
            axis.axis_title.text_frame.text = _text(title)
            axis.axis_title.text_frame.paragraphs[0].font.size = Pt(10)
            axis.axis_title.text_frame.paragraphs[0].font.bold = False
    if plan.kind != "bar" and plan.y_title:  # the vertical axis: its title above it, written horizontally
        _title_above_axis(values.axis_title._title)
    if plan.kind == "xy":
        categories.tick_labels.number_format, categories.tick_labels.number_format_is_linked = plan.x_format, False
        categories.minimum_scale = 0
    if plan.baseline is not None:  # the horizontal axis line at the index's 100, its labels at the bottom
        values.crosses_at = plan.baseline
        categories.tick_label_position = XL_TICK_LABEL_POSITION.LOW
        categories.major_tick_mark = XL_TICK_MARK.NONE
    if plan.top_down:  # the first category at the top, the value axis still at the bottom
        categories.reverse_order = True
        values._element.find(qn("c:crosses")).set("val", "max")
    if plan.kind == "bar":
        chart.plots[0].gap_width, chart.plots[0].vary_by_categories = 67, False  # bars 0.6 high, as in the images

    for s, ser in zip(plan.series, chart.series, strict=True):
        if plan.kind == "bar":
            ser.format.fill.solid()
            ser.format.fill.fore_color.rgb = _rgb(s.colour)
            for i, colour in enumerate(s.colours or []):
                ser.points[i].format.fill.solid()
                ser.points[i].format.fill.fore_color.rgb = _rgb(colour)
            for i, shown_text in enumerate(s.labels or []):
                label_ = ser.points[i].data_label
                label_.text_frame.word_wrap = False  # on one line, as in the images
                run = label_.text_frame.paragraphs[0].add_run()
                run.text, run.font.size = _text(shown_text), Pt(9)
                label_.position = XL_LABEL_POSITION.OUTSIDE_END
            continue
        line = ser.format.line
        line.color.rgb, line.width = _rgb(s.colour), Pt(s.width)
        if s.dash:
            line.dash_style = MSO_LINE_DASH_STYLE.DASH
        ser.smooth = False
        ser.marker.style = XL_MARKER_STYLE.CIRCLE if s.marker else XL_MARKER_STYLE.NONE
        if s.marker:
            ser.marker.size = 5
            ser.marker.format.fill.solid()
            ser.marker.format.fill.fore_color.rgb = _rgb(s.colour)
            ser.marker.format.line.color.rgb = _rgb(s.colour)


_AXIS_TITLE_Y = 0.085
"""Where a vertical axis's title goes, as a share of the chart's height from its top: below the chart's title."""


def _title_above_axis(title: Any) -> None:
    """Write a vertical axis's title (a ``c:title``) horizontally at the top left, above the axis and its tick labels.

    PowerPoint turns a value axis title 90° beside the tick labels by default; LibreOffice sets turned Hangul
    upright, one syllable under the other, or over the tick labels ("지수 (2023Q4 = 100)", "열려 있는 비율").
    Unturned (``rot="0"``, ``vert="horz"``) and placed by hand under the chart's title, it reads the same in
    both, and the plot area keeps its width.
    """
    from pptx.oxml.ns import qn

    body = title.find(qn("c:tx")).find(qn("c:rich")).find(qn("a:bodyPr"))
    body.set("rot", "0")
    body.set("vert", "horz")
    layout = title.find(qn("c:layout"))
    for old in list(layout):
        layout.remove(old)
    layout.append(_xml("manualLayout", f'<c:xMode val="edge"/><c:yMode val="edge"/><c:x val="0.01"/><c:y val="{_AXIS_TITLE_Y}"/>'))


def _grid_font_size(grid: _Grid, rows: list[list[Any]], widths: list[int], row_height: int) -> float:
    """The largest size (11 pt for a board, 10 for a table, down to 7) at which every cell's text, wrapped in its
    column and measured with the deck's fonts, fits the row height (a long table squeezed by a note stays inside)."""
    from ..formatting import text_height
    from ..plot import cjk_font

    ea, emu_pt, margin_x, margin_y = cjk_font(), 12_700, 0.1 * 72, 0.03 * 72  # python-pptx's default side margins: 0.1 in
    room = row_height / emu_pt - 2 * margin_y
    sizes = (11.0, 10.0, 9.0, 8.0, 7.0) if grid.header is None else (10.0, 9.0, 8.0, 7.0)
    for size in sizes:
        if all(text_height(_text(value), width / emu_pt - 2 * margin_x, size, cjk_font=ea) <= room
               for values in rows for value, width in zip(values, widths, strict=True)):
            return size
    return sizes[-1]


def _draw_grid(slide: Any, grid: _Grid, left: int, top: int, width: int, height: int) -> None:
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Emu, Inches, Pt

    title = slide.shapes.add_textbox(left, top, width, Inches(0.4))
    title.text_frame.text = _text(grid.title)
    title.text_frame.paragraphs[0].font.size, title.text_frame.paragraphs[0].font.bold = Pt(13), True
    title.text_frame.paragraphs[0].alignment, title.text_frame.word_wrap = PP_ALIGN.LEFT, True  # at the left, as in the images
    rows = grid.rows if grid.header is None else [grid.header, *grid.rows]
    row_height = min(Inches(0.45 if grid.header is None else 0.3), (height - Inches(0.5)) // max(len(rows), 1))
    shape = slide.shapes.add_table(len(rows), len(rows[0]), left, top + Inches(0.45), width, Emu(row_height * len(rows)))
    table = shape.table
    table.first_row = grid.header is not None
    table.horz_banding = grid.header is not None  # a header: the deck's table style; none: a board of coloured rows
    shares = grid.widths or [1.0] * len(rows[0])
    for j, share in enumerate(shares):
        table.columns[j].width = Emu(int(width * share / sum(shares)))
    for row in table.rows:
        row.height = Emu(row_height)
    offset = 0 if grid.header is None else 1
    size = _grid_font_size(grid, rows, [int(width * share / sum(shares)) for share in shares], row_height)
    for i, values in enumerate(rows):
        for j, value in enumerate(values):
            cell = table.cell(i, j)
            cell.text = _text(value)
            cell.margin_top = cell.margin_bottom = Emu(Inches(0.03))
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            font = cell.text_frame.paragraphs[0].font
            font.size = Pt(size)
            if i < offset:
                continue
            fill = grid.fills[i - offset][j]
            if fill is not None:
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb(fill)
            if grid.ink is not None:
                font.color.rgb = _rgb(grid.ink[i - offset])
            font.bold = grid.header is None and j == 0
