"""Matplotlib charts of salesmetrics results, for decks and reports.

Every function takes what a metric function returned and an optional ``ax``, draws on it (or on a
new figure's axes), and returns the Axes. Nothing here touches pyplot's global state, so charts never
leak between notebook cells or threads. The same names exist in :mod:`salesmetrics.interactive` (plotly).

Each chart accepts its metric's output as returned: a diagnostic's result object (``sm.rep_turnover(data)``)
as well as its ``.table``; ``cohort_retention`` or ``cohort_triangle``; ``sm.kaplan_meier(...)``'s curve
or ``sm.sales_cycle(data, method="km")``'s per-period quartiles. Every chart takes keyword-only
``currency=`` and ``lang=``; left out, they are what the frame carries in ``attrs`` (set by the metric
functions, lost by a ``merge``), else USD and English — pass them when the frame went through a merge.

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

from .._api import find_stack_level
from .._charts import (
    bridge_row,
    bridge_span,
    cohort_grid,
    context,
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
    money_axis,
    percent_axis,
    scorecard_cells,
    sign_overview,
)
from ..i18n import text

__all__ = ["attrition", "cohort_heatmap", "cycle_distribution", "decline_drivers", "findings", "funnel", "kaplan_meier",
           "mrr_bridge", "mrr_trend", "scorecard", "sla_compliance", "trend", "win_rate"]



_CJK_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "NanumBarunGothic", "Nanum Gothic", "Malgun Gothic",
              "Apple SD Gothic Neo", "AppleGothic", "Source Han Sans KR", "Noto Sans CJK JP", "Noto Sans CJK SC", "UnDotum")
"""Fonts that can draw Hangul, most preferred first."""
_CJK_FILE = re.compile(r"(?i)cjk|nanum|notosanskr|malgun|applesdgothic|applegothic|sourcehansans|undotum")
"""File names of those fonts, for the ones matplotlib's cached font list predates."""
_CJK = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_FONT_FIX = ("no installed font can draw Hangul, so Korean text would show as empty boxes. Install one: "
             "`sudo apt-get install fonts-noto-cjk` (Debian/Ubuntu), `brew install --cask font-noto-sans-cjk-kr` (macOS), "
             "or `pip install \"salesmetrics[korean]\"` (brings NanumGothic); then restart Python.")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first installed font that can draw Hangul (Noto Sans CJK, Nanum, ...), or None."""
    from pathlib import Path

    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in _CJK_FONTS if name in installed), None)
    if found is None:  # installed after matplotlib cached its font list (it does not look again): register the files
        for path in font_manager.findSystemFonts():
            if _CJK_FILE.search(Path(path).name):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError) as exc:  # an unreadable file: skipped, as matplotlib's own scan does
                    from ..errors import FontWarning

                    warnings.warn(f"font file {path} could not be read ({exc}); skipped", FontWarning, stacklevel=2)
        installed = {f.name for f in font_manager.fontManager.ttflist}
        found = next((name for name in _CJK_FONTS if name in installed), None)
    if found is None:  # the optional extra salesmetrics[korean] brings NanumGothic inside koreanize-matplotlib
        import importlib.util

        spec = importlib.util.find_spec("koreanize_matplotlib")
        if spec is not None and spec.origin:
            for bundled in sorted(Path(spec.origin).parent.rglob("*.ttf")):
                font_manager.fontManager.addfont(str(bundled))  # registers the file; no rcParams are changed
            installed = {f.name for f in font_manager.fontManager.ttflist}
            found = next((name for name in _CJK_FONTS if name in installed), None)
    return found


_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
"""Control, bidirectional and zero-width characters: no font has a glyph for them."""


def _visible(text: str) -> str:
    """``text`` with its control, bidi and zero-width characters shown as escape codes (``\\x1b``, ``\\u202e``)."""
    return _INVISIBLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _as_written(fig: Any) -> None:
    """Every text of ``fig`` drawn as written, never parsed as mathtext, control characters shown as escape codes.

    Two ``$`` in one label (a team called "$\\frac$", a range "$5M–$10M") would start mathtext and the chart would
    not draw. Texts that exist now (titles, labels, legends, annotations, table cells) stop parsing math; tick labels
    are made at draw time by the axis's formatter, so the formatters of text ticks (categories from the data, fixed
    labels) escape ``$`` instead.
    """
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    axes = [(each.xaxis, each.yaxis) for each in fig.axes]
    ticks = {id(label) for pair in axes for axis in pair for tick in (*axis.majorTicks, *axis.minorTicks)
             for label in (tick.label1, tick.label2)}
    texts = list(fig.findobj(Text)) + [cell.get_text() for each in fig.axes for table in each.tables
                                       for cell in table.get_celld().values()]
    for artist in texts:
        if id(artist) in ticks:
            continue
        artist.set_parse_math(False)
        shown = _visible(artist.get_text())
        if shown != artist.get_text():
            artist.set_text(shown)
    for axis in (axis for pair in axes for axis in pair):
        made = axis.get_major_formatter()
        if isinstance(made, (StrCategoryFormatter, FixedFormatter)):
            axis.set_major_formatter(FuncFormatter(
                lambda x, pos=None, made=made: _visible(str(made(x, pos))).replace("$", r"\$")))


def _finish(ax: Any) -> Any:
    """Give every text that holds Hangul (or other CJK) a font that can draw it; the rest keep the default font.

    The font family becomes [default, CJK font], so matplotlib falls back glyph by glyph: Latin letters and
    digits stay in the default font. With no CJK font installed, one :class:`~salesmetrics.FontWarning` names
    the install command instead of drawing empty boxes. Every text is drawn as written (:func:`_as_written`).
    """
    from matplotlib.text import Text

    fig = ax.figure
    _as_written(fig)
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

        warnings.warn(_FONT_FIX, FontWarning, stacklevel=find_stack_level())
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
    import_optional("matplotlib", "matplotlib")
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


def mrr_bridge(bridge: pd.DataFrame, ax: Any = None, *, period: Any = None, currency: str | None = None,
               lang: str | None = None) -> Any:
    """Waterfall of one period's MRR bridge: starting MRR, each movement, ending MRR (default: the last period).

    ``bridge`` is the output of ``mrr_bridge``; ``currency`` and ``lang`` default to what it carries.

    Parameters
    ----------
    bridge : pandas.DataFrame
        The output of :func:`~salesmetrics.mrr_bridge`, in MRR or ARR (all time, ``freq=None``, is
        one waterfall); ``by`` groups are summed.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
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
    >>> from salesmetrics import plot
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"],
    ...                      "start_date": ["2025-01-01", "2025-02-01"], "amount": [100, 50]})
    >>> bridge = sm.mrr_bridge(subs, freq="M", as_of="2025-02-28")
    >>> plot.mrr_bridge(bridge).get_title(loc="left"), plot.mrr_bridge(bridge, period="2025-01").get_title(loc="left")
    ('MRR bridge, 2025-02', 'MRR bridge, 2025-01')
    """
    ax = _axes(ax)
    cur, lang = context(bridge, currency, lang)
    row, shown_period = bridge_row(bridge, period, lang)
    start_col = "starting_arr" if "starting_arr" in row.index else "starting_mrr"
    end_col = "ending_arr" if "ending_arr" in row.index else "ending_mrr"
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
        ax.annotate(format_money(value, cur, compact=True, lang=lang), (i, level + max(value, 0)), ha="center", va="bottom",
                    fontsize=9, xytext=(0, 2), textcoords="offset points")
        level += value
    ax.bar(len(steps), row[end_col], color=PALETTE[0])
    names = [s[0] for s in steps] + [text("chart.end", lang)]
    ax.set_xticks(range(len(steps) + 1), names)
    width_in = ax.get_position().width * ax.figure.get_figwidth()
    if max(len(n) for n in names) * 0.075 > width_in / len(names):  # 9-pt labels wider than their slot: slant them
        ax.tick_params(axis="x", labelrotation=30)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")
    money_axis(ax, cur, lang=lang)
    ax.set_ylim(*bridge_span(row, start_col, end_col))  # every running level and its label inside the axes
    _style(ax, text("chart.mrr_bridge", lang, unit="ARR" if "arr" in start_col else "MRR", period=shown_period),
           text("chart.money_axis", lang, currency=cur))
    return _finish(ax)


def mrr_trend(bridge: pd.DataFrame, ax: Any = None, *, arr: bool = False, currency: str | None = None,
              lang: str | None = None) -> Any:
    """Ending MRR (or ARR, ×12) per period; one line per group when the bridge has a ``by`` column.

    ``bridge`` is the output of ``mrr_bridge`` (or of ``mrr``: its accounts are summed per period).

    Parameters
    ----------
    bridge : pandas.DataFrame
        The output of :func:`~salesmetrics.mrr_bridge` by period, or of :func:`~salesmetrics.mrr` (its
        accounts summed per period); a ``by`` column gives one line per group.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
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
    >>> from salesmetrics import plot
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"],
    ...                      "start_date": ["2025-01-01", "2025-02-01"], "amount": [100, 50]})
    >>> ax = plot.mrr_trend(sm.mrr_bridge(subs, freq="M", as_of="2025-02-28"), arr=True)
    >>> ax.lines[0].get_ydata().tolist()
    [1200.0, 1800.0]
    """
    ax = _axes(ax)
    cur, lang = context(bridge, currency, lang)
    levels, col = mrr_levels(bridge)
    scale = 12 if arr and col in ("ending_mrr", "mrr") else 1
    groups = group_columns(levels)
    if groups:
        wide = levels.pivot_table(index="period", columns=groups[0], values=col, aggfunc="sum", observed=True) * scale
        for i, g in enumerate(wide.columns):
            ax.plot(_labels(wide.index), wide[g], marker="o", ms=3, color=PALETTE[i % len(PALETTE)], label=str(g))
        ax.legend(frameon=False, fontsize=9)
    else:
        ax.plot(_labels(levels["period"]), levels[col] * scale, marker="o", ms=3, color=PALETTE[0])
    money_axis(ax, cur, lang=lang)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    unit = "ARR" if arr or "arr" in col else "MRR"
    _style(ax, text("chart.mrr_trend", lang, unit=text(f"kpi.{unit.lower()}", lang)), text("chart.money_axis", lang, currency=cur))
    return _finish(ax)


def cohort_heatmap(cohorts: pd.DataFrame, ax: Any = None, *, value: str = "value", last: int = 12, currency: str | None = None,
                   lang: str | None = None) -> Any:
    """Retention by acquisition cohort (rows) and age (columns), the last ``last`` cohorts.

    ``cohorts`` is the output of ``cohort_retention`` (``value`` picks the column) or of ``cohort_triangle``.

    Parameters
    ----------
    cohorts : pandas.DataFrame
        The long output of :func:`~salesmetrics.cohort_retention` (by period), or the grid of
        :func:`~salesmetrics.cohort_triangle`.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
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
    >>> from salesmetrics import plot
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"],
    ...                      "start_date": ["2025-01-01", "2025-01-10"], "end_date": [None, "2025-03-01"],
    ...                      "amount": [100, 50]})
    >>> ax = plot.cohort_heatmap(sm.cohort_retention(subs, freq="M", as_of="2025-03-31"))
    >>> [t.get_text() for t in ax.texts]  # cohort 2025-01 at ages 0, 1 and 2
    ['100%', '100%', '50%']
    """
    ax = _axes(ax, (8, 5))
    _cur, lang = context(cohorts, currency, lang)
    grid = cohort_grid(cohorts, value, last)
    values = grid.to_numpy(float)
    image = ax.imshow(values, aspect="auto", cmap="Blues", vmin=max(0.0, float(np.nanmin(values)) - 0.15), vmax=max(1.0, float(np.nanmax(values))))
    ax.set_yticks(range(len(grid)), [str(c) for c in grid.index], fontsize=8)
    ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns], fontsize=8)
    if grid.size <= 400:
        for (i, j), v in np.ndenumerate(values):
            if not np.isnan(v):
                ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=6, color="white" if v > 0.6 else "black")
    ax.figure.colorbar(image, ax=ax, format=lambda v, _p: f"{v:.0%}")
    ax.set_title(text("chart.cohorts", lang), loc="left", fontsize=13, fontweight="bold")
    ax.set_xlabel(text("chart.cohort_age", lang))
    return _finish(ax)


def funnel(stages: pd.DataFrame, ax: Any = None, *, currency: str | None = None, lang: str | None = None) -> Any:
    """Entities reaching each stage, with the conversion to the next stage on each bar (output of ``funnel``).

    Parameters
    ----------
    stages : pandas.DataFrame
        The output of :func:`~salesmetrics.funnel`; its rows are summed per stage (over periods and
        ``by`` groups).
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> from salesmetrics import plot
    >>> leads = pd.DataFrame({"lead_id": ["l1", "l2", "l3", "l4"], "created_at": ["2025-01-02"] * 4,
    ...                       "mql_at": ["2025-01-03", "2025-01-04", "2025-01-05", None],
    ...                       "sql_at": ["2025-01-06", None, None, None]})
    >>> ax = plot.funnel(sm.funnel(leads, ["created_at", "mql_at", "sql_at"], freq=None, as_of="2025-06-30"))
    >>> [t.get_text() for t in ax.texts]
    ['4', '3  (75% of the stage before)', '1  (33% of the stage before)']
    """
    ax = _axes(ax)
    _cur, lang = context(stages, currency, lang)
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
    groups = group_columns(frame)
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


def win_rate(rates: pd.DataFrame, ax: Any = None, *, currency: str | None = None, lang: str | None = None) -> Any:
    """Win rate per period with its 95% Wilson band (output of ``win_rate``).

    Parameters
    ----------
    rates : pandas.DataFrame
        The output of :func:`~salesmetrics.win_rate` by period, with ``weight="count"`` (the one with an
        interval); a ``by`` column gives one line per group.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> from salesmetrics import plot
    >>> opps = pd.DataFrame({"opportunity_id": list("abcd"), "created_at": ["2025-01-05"] * 4,
    ...                      "status": ["won", "lost", "won", "lost"],
    ...                      "closed_at": ["2025-02-01", "2025-03-01", "2025-04-02", "2025-05-01"]})
    >>> ax = plot.win_rate(sm.win_rate(opps))
    >>> ax.get_title(loc="left")
    'Win rate (95% interval)'
    """
    _cur, lang = context(rates, currency, lang)
    return _finish(_band(_axes(ax), rates, "win_rate", "win_rate_low", "win_rate_high", text("chart.win_rate", lang)))


def sla_compliance(sla: pd.DataFrame, ax: Any = None, *, target: float | None = None, currency: str | None = None,
                   lang: str | None = None) -> Any:
    """First-response SLA compliance per period with its 95% band, and the target line (output of ``response_sla``).

    Parameters
    ----------
    sla : pandas.DataFrame
        The aggregate output of :func:`~salesmetrics.response_sla` by period (not ``detail=True``); a
        ``by`` column gives one line per group.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
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
    >>> from salesmetrics import plot
    >>> leads = pd.DataFrame({"lead_id": ["l1", "l2"], "created_at": ["2025-01-06 09:00"] * 2,
    ...                       "mql_at": ["2025-01-06 10:00", "2025-01-07 10:00"]})
    >>> acts = pd.DataFrame({"activity_id": ["x1", "x2"], "owner_id": ["r1", "r1"], "lead_id": ["l1", "l2"],
    ...                      "occurred_at": ["2025-01-06 11:00", "2025-01-09 10:00"]})
    >>> reps = pd.DataFrame({"rep_id": ["r1"], "team": ["SDR"], "role": ["SDR"], "hired_at": ["2024-01-01"]})
    >>> sla = sm.response_sla(leads, activities=acts, reps=reps, as_of="2025-03-31")
    >>> ax = plot.sla_compliance(sla, target=0.9)
    >>> ax.get_title(loc="left"), [t.get_text() for t in ax.texts]
    ('SLA compliance: first touch within 24h', ['target 90%'])
    """
    _cur, lang = context(sla, currency, lang)
    ax = _band(_axes(ax), sla, "compliance", "compliance_low", "compliance_high",
               text("chart.sla", lang, within=format_value(sla.attrs.get("within", "24h"), "duration", lang=lang)))
    if target is not None:
        ax.axhline(target, color=NEGATIVE, linestyle="--", linewidth=1)
        ax.annotate(text("chart.target", lang, value=format_percent(target)), (0, target), xytext=(2, 3), textcoords="offset points",
                    color=NEGATIVE, fontsize=9)
    return _finish(ax)


def _quartile_ranges(ax: Any, summary: pd.DataFrame, lang: str) -> Any:
    """Median days (dot) and the 25th–75th percentile (bar) per period and group, from a ``sales_cycle`` summary."""
    x, parts = summary_parts(summary, text("chart.all_deals", lang))
    width = 0.6 / max(len(parts), 1)
    for i, (g, part) in enumerate(parts):
        pos = np.array([x.index(str(p)) for p in part["period"]], float) + (i - (len(parts) - 1) / 2) * width
        colour = PALETTE[i % len(PALETTE)]
        ax.vlines(pos, part["p25_days"], part["p75_days"], color=colour, linewidth=4, alpha=0.35)
        ax.plot(pos, part["median_days"], "o-" if len(parts) == 1 else "o", ms=4, color=colour, label=g)
    return _summary_axes(ax, x, len(parts) > 1, summary, lang)


def kaplan_meier(km: pd.DataFrame, ax: Any = None, *, currency: str | None = None, lang: str | None = None) -> Any:
    """Share of deals still open after t days (Kaplan–Meier; open deals censored), with the median marked.

    ``km`` is either the curve of ``sm.kaplan_meier(durations, observed[, groups])`` (one step line per
    group), or the summary of ``sm.sales_cycle(data, method="km")``. A summary holds only the quartiles of
    each period's curve, not the curve, so it is drawn as what it is: per period (and ``by`` group) the
    median days to close (dot) and the 25th–75th percentile (bar).

    Parameters
    ----------
    km : pandas.DataFrame
        The curve of :func:`~salesmetrics.kaplan_meier`, or the summary of
        :func:`~salesmetrics.sales_cycle` (either method).
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> from salesmetrics import plot
    >>> ax = plot.kaplan_meier(sm.kaplan_meier([10, 20, 30, 40], [True, True, True, False]))
    >>> [t.get_text() for t in ax.texts]  # S = 3/4 after 10 days, 1/2 after 20: the first S <= 1/2
    ['median 20 days']
    """
    ax = _axes(ax)
    _cur, lang = context(km, currency, lang)
    if is_cycle_summary(km):
        return _finish(_quartile_ranges(ax, km, lang))
    require_columns(km, ("time", "survival"), "kaplan_meier",
                    "Pass sm.kaplan_meier(durations, observed) or sm.sales_cycle(data, method='km').")
    curves = km_curves(km)
    for i, (g, part) in enumerate(curves):
        t = np.concatenate([[0.0], part["time"].to_numpy(float)])
        s = np.concatenate([[1.0], part["survival"].to_numpy(float)])
        ax.step(t, s, where="post", color=PALETTE[i % len(PALETTE)], label=g)
        below = np.flatnonzero(s <= 0.5 + 1e-12)  # S(t) <= 1/2, as km_summary: exp(log) may land a hair above 1/2
        if len(below) and len(curves) == 1:
            median = t[below[0]]
            ax.axvline(median, color=MUTED, linestyle=":", linewidth=1)
            ax.annotate(text("chart.median_days", lang, days=f"{median:.0f}"), (median, 0.5), xytext=(4, 4), textcoords="offset points",
                        fontsize=9)
    if len(curves) > 1:
        ax.legend(frameon=False, fontsize=9)
    percent_axis(ax)
    ax.set_ylim(0, 1.02)
    _style(ax, text("chart.km", lang), text("chart.km_y", lang), text("chart.km_x", lang))
    return _finish(ax)


def cycle_distribution(days: Any, ax: Any = None, *, bins: int = 30, currency: str | None = None, lang: str | None = None) -> Any:
    """Histogram of sales-cycle days (created to won) with the median.

    ``days`` is the days of each deal (a Series or array), or the summary of ``sm.sales_cycle(...)``
    (either method), which holds each period's quartiles rather than the deals: it is drawn as one box
    per period (and ``by`` group) from the 25th to the 75th percentile, the median across it and the
    mean as a dot; no whiskers, since the summary has no extremes.

    Parameters
    ----------
    days : array-like of float or pandas.DataFrame
        The days of each deal, or the summary of :func:`~salesmetrics.sales_cycle` (either method).
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
    bins : int, default 30
        Number of histogram bins (for the days of each deal).
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> from salesmetrics import plot
    >>> ax = plot.cycle_distribution([12, 20, 31, 45, 90], bins=5)
    >>> [t.get_text() for t in ax.texts], len(ax.patches)
    (['median 31 days'], 5)
    """
    ax = _axes(ax)
    _cur, lang = context(days, currency, lang)
    if is_cycle_summary(days):
        return _finish(_boxes(ax, days, lang))
    if isinstance(days, pd.DataFrame):
        require_columns(days, ("median_days", "p25_days", "p75_days"), "cycle_distribution",
                        "Pass the days of each deal (a Series) or sm.sales_cycle(data).")
    values = pd.Series(days, dtype=float).dropna()
    ax.hist(values, bins=bins, color=PALETTE[0], alpha=0.85)
    if len(values):
        ax.axvline(values.median(), color=NEGATIVE, linestyle="--", linewidth=1)
        ax.annotate(text("chart.median_days", lang, days=f"{values.median():.0f}"), (values.median(), ax.get_ylim()[1] * 0.9), xytext=(4, 0),
                    textcoords="offset points", fontsize=9)
    _style(ax, text("chart.cycle", lang), text("chart.cycle_y", lang), text("chart.cycle_x", lang))
    return _finish(ax)


def _boxes(ax: Any, summary: pd.DataFrame, lang: str) -> Any:
    x, parts = summary_parts(summary, text("chart.all_deals", lang))
    width = 0.7 / max(len(parts), 1)
    for i, (g, part) in enumerate(parts):
        shown = part[part["median_days"].notna()]
        stats = [{"med": m, "q1": lo, "q3": hi, "whislo": lo, "whishi": hi, "mean": mean, "fliers": []}
                 for m, lo, hi, mean in zip(shown["median_days"], shown["p25_days"].fillna(shown["median_days"]),
                                            shown["p75_days"].fillna(shown["median_days"]), shown["mean_days"], strict=True)]
        if not stats:
            continue
        pos = np.array([x.index(str(p)) for p in shown["period"]], float) + (i - (len(parts) - 1) / 2) * width
        colour = PALETTE[i % len(PALETTE)]
        ax.bxp(stats, positions=pos, widths=width * 0.9, showmeans=True, showfliers=False, showcaps=False, patch_artist=True,
               boxprops={"facecolor": colour, "alpha": 0.45, "edgecolor": colour}, medianprops={"color": "black"},
               meanprops={"marker": "o", "markerfacecolor": "white", "markeredgecolor": "black", "markersize": 3},
               whiskerprops={"linewidth": 0}, manage_ticks=False)
        if g is not None:  # a legend entry (bxp takes label= only from matplotlib 3.9)
            ax.plot([], [], color=colour, linewidth=6, alpha=0.45, label=g)
    ax.set_xlim(-0.6, len(x) - 0.4)
    return _summary_axes(ax, x, len(parts) > 1, summary, lang)


def _summary_axes(ax: Any, x: list[str], legend: bool, summary: pd.DataFrame, lang: str) -> Any:
    """The shared finish of the charts drawn from a ``sales_cycle`` summary: period ticks, legend, titles."""
    if legend:
        ax.legend(frameon=False, fontsize=9)
    ax.set_xticks(range(len(x)), x)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    ax.set_ylim(bottom=0)
    title, xlabel = km_title_keys(summary)
    _style(ax, text(title, lang), text("chart.days", lang), text(xlabel, lang) if "period" in summary.columns else None)
    return ax


def scorecard(card: pd.DataFrame, ax: Any = None, *, currency: str | None = None, lang: str | None = None) -> Any:
    """The team scorecard as a table: KPI, value, target, attainment (coloured), change (output of ``scorecard``).

    Parameters
    ----------
    card : pandas.DataFrame
        The output of :func:`~salesmetrics.scorecard`: ``period``, ``team``, ``kpi``, ``label``,
        ``value``, ``target``, ``unit`` and ``attainment`` are shown.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
    currency : str, optional
        Currency of the money labels; default: the frame's ``attrs["currency"]``, else "USD".
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> from salesmetrics import plot
    >>> card = pd.DataFrame({"period": ["2025Q3"] * 2, "team": ["Sales"] * 2, "kpi": ["win_rate", "bookings"],
    ...                      "label": ["win rate", "revenue (new bookings)"], "value": [0.27, 1_250_000.0],
    ...                      "target": [0.30, 1_000_000.0], "unit": ["rate", "money"], "attainment": [0.9, 1.25]})
    >>> ax = plot.scorecard(card)
    >>> ax.get_title(loc="left"), [ax.tables[0][2, j].get_text().get_text() for j in range(5)]
    ('Team scorecard, 2025Q3', ['Sales', 'revenue (new-business bookings)', '$1.25M', '$1M', '125%'])
    """
    ax = _axes(ax, (9, 0.4 + 0.32 * len(card)))
    ax.axis("off")
    cur, lang = context(card, currency, lang)
    header, rows, fills = scorecard_cells(card, cur, lang)
    table = ax.table(cellText=rows, colLabels=header, loc="upper left", colLoc="left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.auto_set_column_width(list(range(5)))
    table.scale(1, 1.3)
    for i, fill in enumerate(fills, start=1):
        if fill is not None:
            table[i, 4].set_facecolor(fill)
    ax.set_title(text("chart.scorecard", lang, period=card["period"].iloc[0] if len(card) else ""), loc="left", fontsize=13,
                 fontweight="bold")
    return _finish(ax)


def attrition(turnover: Any, ax: Any = None, *, currency: str | None = None, lang: str | None = None) -> Any:
    """Annualised attrition per team against the company (``rep_turnover``'s result, or its ``.table``).

    Parameters
    ----------
    turnover : pandas.DataFrame or Assessment
        :func:`~salesmetrics.rep_turnover`'s result, or its ``.table``: a row per team
        (``scope_type`` "team") and one for the company, with ``scope``, ``attrition`` and ``departures``.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> from salesmetrics import plot
    >>> turnover = pd.DataFrame({"scope_type": ["company", "team", "team"], "scope": ["company", "SDR", "New Business"],
    ...                          "attrition": [0.2, 0.55, 0.1], "departures": [6, 5, 1]})
    >>> turnover.attrs["window"] = "2024Q4–2025Q3"
    >>> ax = plot.attrition(turnover)
    >>> ax.get_title(loc="left"), [t.get_text() for t in ax.texts]
    ('Rep attrition, annualised (2024Q4–2025Q3)', ['company 20%', '10% (1 left)', '55% (5 left)'])
    """
    ax = _axes(ax)
    turnover = table_of(turnover)
    _cur, lang = context(turnover, currency, lang)
    teams = turnover[turnover["scope_type"] == "team"].sort_values("attrition")
    company = turnover.loc[turnover["scope_type"] == "company", "attrition"]
    rate = float(company.iloc[0]) if len(company) else np.nan
    colours = [NEGATIVE if v >= 2 * rate else PALETTE[0] for v in teams["attrition"]]
    ax.barh(teams["scope"].astype(str), teams["attrition"], color=colours)
    if not np.isnan(rate):
        ax.axvline(rate, color=MUTED, linestyle="--", linewidth=1)
        ax.annotate(text("chart.company_rate", lang, rate=f"{rate:.0%}"), (rate, len(teams) - 0.5), xytext=(4, 0), textcoords="offset points",
                    fontsize=9)
    for y, (v, d) in enumerate(zip(teams["attrition"], teams["departures"], strict=True)):
        ax.annotate(text("chart.left", lang, rate=f"{v:.0%}", n=d), (v, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    percent_axis(ax, "x")
    ax.set_xlim(0, max(float(teams["attrition"].max()) if len(teams) else 0, 0 if np.isnan(rate) else rate) * 1.3 + 0.05)
    _style(ax, text("chart.attrition", lang, window=turnover.attrs.get("window", "")))
    ax.grid(False)
    return _finish(ax)


def decline_drivers(decline: Any, ax: Any = None, *, scope: str | None = None, periods: int = 8, currency: str | None = None,
                    lang: str | None = None) -> Any:
    """Bookings and its three drivers (deals created, wins per new deal, average deal), indexed to 100 at the first period shown.

    ``decline`` is ``sales_decline``'s result or its ``.table``; ``scope`` picks a segment (default: the company).
    When the table has no complete period for the scope (one month of data, say), the chart is empty
    and says what it needs: at least one complete period before ``as_of``.

    Parameters
    ----------
    decline : pandas.DataFrame or Assessment
        :func:`~salesmetrics.sales_decline`'s result, or its ``.table``: ``scope``, ``period``,
        ``bookings``, ``opportunities``, ``wins_per_new_deal`` and ``avg_deal``.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
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
    >>> from salesmetrics import plot
    >>> decline = pd.DataFrame({"scope": "company", "period": pd.PeriodIndex(["2025Q1", "2025Q2", "2025Q3"], freq="Q"),
    ...                         "bookings": [100_000.0, 90_000.0, 80_000.0], "opportunities": [50, 50, 50],
    ...                         "wins_per_new_deal": [0.2, 0.18, 0.16], "avg_deal": [10_000.0] * 3})
    >>> ax = plot.decline_drivers(decline)
    >>> ax.get_title(loc="left"), ax.lines[0].get_ydata().tolist()  # bookings, indexed to 2025Q1
    ('What moved bookings: company', [100.0, 90.0, 80.0])
    """
    ax = _axes(ax)
    decline = table_of(decline)
    _cur, lang = context(decline, currency, lang)
    part = decline[decline["scope"] == (scope or "company")].tail(periods)
    x = _labels(part["period"])
    if not len(part):  # nothing to index to: say what more data is needed instead of failing
        freq = decline.attrs.get("freq")
        unit = text(f"unit.{freq if freq in ('M', 'Q', 'Y') else 'Q'}", lang)
        ax.text(0.5, 0.5, text("chart.no_periods", lang, unit=unit, scope=scope or text("chart.company", lang)), ha="center",
                va="center", wrap=True, fontsize=10, color=MUTED, transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        _style(ax, text("chart.drivers", lang, scope=scope or text("chart.company", lang)))
        return _finish(ax)
    for i, (col, key) in enumerate((("bookings", "bookings"), ("opportunities", "created"), ("wins_per_new_deal", "close"), ("avg_deal", "deal"))):
        name = text(f"drv.{key}", lang)
        base = part[col].iloc[0]
        ax.plot(x, part[col] / base * 100 if base else part[col] * np.nan, marker="o", ms=3, color=PALETTE[i],
                linewidth=2.5 if col == "bookings" else 1.5, label=name)
    ax.axhline(100, color=MUTED, linewidth=0.8)
    ax.legend(frameon=False, fontsize=9)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    _style(ax, text("chart.drivers", lang, scope=scope or text("chart.company", lang)), text("chart.index", lang, period=x[0] if x else ""))
    return _finish(ax)


def findings(found: Any, ax: Any = None, *, currency: str | None = None, lang: str | None = None) -> Any:
    """The five signs at a glance: one row per sign, coloured by its most severe finding, with the scopes.

    ``found`` is the output of ``diagnose``, or one sign's result (``sm.rep_turnover(data)``: its ``.findings``).

    Parameters
    ----------
    found : pandas.DataFrame or Assessment
        The output of :func:`~salesmetrics.diagnose`, or one sign's result (its ``.findings``): a row per
        finding with ``sign``, ``severity``, ``scope`` and ``metric``.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
    currency : str, optional
        Accepted like every chart's; this one shows no money.
    lang : {"en", "ko"}, optional
        Language of the titles and labels; default: the frame's ``attrs["lang"]``, else "en".

    Examples
    --------
    >>> import pandas as pd
    >>> from salesmetrics import plot
    >>> found = pd.DataFrame({"sign": ["rep_turnover", "market_response"], "severity": ["critical", "warning"],
    ...                       "scope": ["SDR", "Digital Native"], "metric": ["attrition", "conversion"]})
    >>> ax = plot.findings(found)
    >>> [t.get_text() for t in ax.texts][2:4]
    ['Slow response to market change', 'WARNING: Digital Native']
    """
    ax = _axes(ax, (9, 3.6))
    found = findings_of(found)
    _cur, lang = context(found, currency, lang)
    rows = sign_overview(found, lang)
    for y, (_sign, name, worst, shown) in enumerate(rows[::-1]):
        ink = "white" if worst != "ok" else "black"
        ax.barh(y, 1, color=SEVERITY_COLOURS.get(worst, MUTED), height=0.8)
        ax.text(0.02, y, name, va="center", fontsize=11, fontweight="bold", color=ink)
        ax.text(0.45, y, shown, va="center", fontsize=10, color=ink)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, len(rows) - 0.5)
    ax.axis("off")
    ax.set_title(text("chart.findings", lang), loc="left", fontsize=13, fontweight="bold")
    return _finish(ax)


def trend(frame: Any, ax: Any = None, *, value: str, by: str | None = None, title: str = "", unit: str = "count",
          highlight: Any = None, currency: str | None = None, lang: str | None = None) -> Any:
    """Any metric over periods, one line per ``by`` group; ``highlight`` names groups drawn bold (the rest muted).

    Used for the evidence of the signs without a chart of their own: out-of-lane share per role
    (``role_clarity``), leads per segment (``market_response``), CSAT per region (``customer_satisfaction``);
    a sign's result is accepted as well as its ``.table``. ``unit="money"`` formats the axis in ``currency``.

    Parameters
    ----------
    frame : pandas.DataFrame or Assessment
        A table with a ``period`` column, or a sign's result (its ``.table``).
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; default: those of a new Figure (pyplot's state is not touched).
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
    >>> from salesmetrics import plot
    >>> leads = pd.DataFrame({"period": ["2025Q1", "2025Q2"] * 2, "segment": ["SMB", "SMB", "Enterprise", "Enterprise"],
    ...                       "leads": [120, 150, 40, 38]})
    >>> ax = plot.trend(leads, value="leads", by="segment", highlight="SMB", title="Leads by segment")
    >>> [(line.get_label(), line.get_linewidth()) for line in ax.lines]
    [('Enterprise', 1.2), ('SMB', 2.5)]
    """
    ax = _axes(ax)
    frame = table_of(frame)
    cur, lang = context(frame, currency, lang)
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
        money_axis(ax, cur, lang=lang)
    if by:
        ax.legend(frameon=False, fontsize=9)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    _style(ax, title or value.replace("_", " "))
    return _finish(ax)
