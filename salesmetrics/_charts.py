"""What both chart backends share: reading a metric's result and the context to draw it in.

:mod:`salesmetrics.plot` (matplotlib) and :mod:`salesmetrics.interactive` (plotly) take the same inputs, so
the rules for turning a metric's output into something to draw live here, once:

- a diagnostic's :class:`~salesmetrics.diagnostics.Assessment` is accepted as well as its ``.table``
  (and, by ``findings``, as well as its ``.findings``);
- the currency and language are the ones passed (``currency=``, ``lang=``), else the ones the frame
  carries in ``attrs`` (a ``merge`` or ``concat`` drops those), else USD and English;
- the cohort chart takes :func:`~salesmetrics.cohort_retention`'s long frame or
  :func:`~salesmetrics.cohort_triangle`'s grid;
- the cycle charts take :func:`~salesmetrics.stats.kaplan_meier`'s curve, raw days, or
  :func:`~salesmetrics.sales_cycle`'s per-period summary (the quartiles, drawn as such);
- text from the data is text: plotly draws a subset of HTML inside labels (``<a href>``, ``<b>``, ``<br>``), so
  every interactive chart passes its figure through :func:`escape_figure` once, which escapes ``<``, ``>`` and
  ``&`` in every name, label, tick, hover text, annotation and table cell (plotly shows ``&lt;`` as ``<``).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from .i18n import text

_SUMMARY = ("median_days", "p25_days", "p75_days")


def table_of(result: Any) -> Any:
    """The metric table inside a diagnostic's result (``Assessment.table``), or the result itself."""
    if hasattr(result, "table") and hasattr(result, "findings") and not isinstance(result, pd.DataFrame):
        result = result.table
    if isinstance(result, pd.DataFrame) and "close_ratio" in result.columns and "wins_per_new_deal" not in result.columns:
        result = result.rename(columns={"close_ratio": "wins_per_new_deal"})  # sales_decline's table as 0.1 named it
    return result


def findings_of(result: Any) -> Any:
    """The findings inside a diagnostic's result (``Assessment.findings``), or the result itself (``diagnose``)."""
    if hasattr(result, "table") and hasattr(result, "findings") and not isinstance(result, pd.DataFrame):
        return result.findings
    return result


def context(frame: Any, currency: str | None = None, lang: str | None = None) -> tuple[str, str]:
    """``(currency, lang)``: the ones passed, else the frame's ``attrs``, else ``("USD", "en")``."""
    attrs = getattr(frame, "attrs", None) or {}
    return (str(currency if currency is not None else attrs.get("currency") or "USD"),
            str(lang if lang is not None else attrs.get("lang") or "en"))


def group_columns(frame: pd.DataFrame, skip: tuple[str, ...] = ("period",)) -> list[str]:
    """The ``by=`` columns: label columns (text, object or categorical) other than ``skip`` that hold more than one value.

    A label column with one value (a note a ``merge`` brought in, a breakdown with one group) splits nothing.
    """
    return [c for c in frame.columns if c not in skip and (pd.api.types.is_object_dtype(frame[c])
                                                            or pd.api.types.is_string_dtype(frame[c])
                                                            or isinstance(frame[c].dtype, pd.CategoricalDtype))
            and frame[c].nunique(dropna=False) > 1]


ALL_TIME_COHORTS = ("cohort_retention(freq=None) is one all-time figure (every account ever acquired, at as_of), not a "
                    "cohort x age grid; pass freq='M', 'Q' or 'Y' for cohorts.")


def bridge_row(bridge: pd.DataFrame, period: Any, lang: str) -> tuple[pd.Series, str]:
    """One period's MRR-bridge row (``by`` groups summed) and its label; an all-time bridge is its own period."""
    if "period" not in bridge.columns:
        if period is not None:
            raise ValueError(f"period={period!r}: this bridge is all time (freq=None) and has no periods.")
        return bridge.select_dtypes("number").sum(), text("chart.all_time", lang)
    frame = bridge if period is None else bridge[bridge["period"].astype(str) == str(period)]
    if frame.empty:
        raise ValueError(f"period={period!r} is not in the bridge; its periods run {bridge['period'].iloc[0]}–"
                         f"{bridge['period'].iloc[-1]}.")
    return frame.select_dtypes("number").groupby(frame["period"].astype(str)).sum().iloc[-1], str(frame["period"].iloc[-1])


BRIDGE_MOVES = ("new", "expansion", "reactivation", "contraction", "churn")
"""The MRR bridge's movements, in the order a waterfall draws them."""


def bridge_span(row: pd.Series, start_col: str, end_col: str) -> tuple[float, float]:
    """The y-range of a waterfall of ``row``: from 80% of its lowest running level (0 at most) to its highest plus room
    for the value labels, so a movement that rises above both the start and the end is never cut off."""
    levels = np.cumsum([float(row[start_col]), *(float(row[m]) for m in BRIDGE_MOVES)])
    low = min(float(levels.min()), float(row[end_col]))
    high = max(float(levels.max()), float(row[end_col]))
    floor = max(0.0, low * 0.8)
    return floor, high + 0.12 * (high - floor if high > floor else max(abs(high), 1.0))


def cohort_grid(cohorts: pd.DataFrame, value: str, last: int) -> pd.DataFrame:
    """Cohort × age grid (the last ``last`` cohorts) from ``cohort_retention``'s long frame or ``cohort_triangle``'s grid."""
    if "value" in cohorts.columns and "denominator" in cohorts.columns and "cohort" not in cohorts.columns:
        raise ValueError(ALL_TIME_COHORTS)
    long = {"cohort", "age"} <= set(cohorts.columns)
    grid = cohorts.pivot(index="cohort", columns="age", values=value) if long else cohorts
    return grid.tail(last).dropna(axis=1, how="all").astype(float)


def is_cycle_summary(frame: Any) -> bool:
    """True for :func:`~salesmetrics.sales_cycle` output (quartiles of days per period/group), not a curve or raw days."""
    return isinstance(frame, pd.DataFrame) and all(c in frame.columns for c in _SUMMARY)


def summary_parts(summary: pd.DataFrame, everything: str = "all") -> tuple[list[str], list[tuple[str | None, pd.DataFrame]]]:
    """The x labels (periods, or the groups when there is no period, or ``everything``) and one part per ``by`` group."""
    groups = group_columns(summary)
    if "period" in summary.columns:
        x = sorted({str(p) for p in summary["period"]})
        parts = list(summary.groupby(groups[0], sort=False)) if groups else [(None, summary)]
        return x, [(None if g is None else str(g), part) for g, part in parts]
    if groups:
        labels = summary[groups[0]].astype(str)
        return labels.tolist(), [(None, summary.assign(period=labels.to_numpy()))]
    return [everything], [(None, summary.assign(period=everything))]


def km_title_keys(summary: pd.DataFrame) -> tuple[str, str]:
    """The catalogue keys of the title and x-axis title for a ``sales_cycle`` summary, by its ``method``."""
    km = summary.attrs.get("method") == "km" or "censored" in summary.columns
    return ("chart.cycle_km", "chart.period_created") if km else ("chart.cycle", "chart.period_closed")


def km_curves(km: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    """One Kaplan–Meier curve per ``group`` (the output of :func:`~salesmetrics.stats.kaplan_meier`)."""
    if "group" in km.columns:
        return [(str(g), part) for g, part in km.groupby("group", sort=False)]
    return [(None, km)]


def require_columns(frame: Any, columns: tuple[str, ...], chart: str, hint: str) -> None:
    """A clear ValueError when ``frame`` is not what ``chart`` draws: which columns are missing, and what to pass."""
    have = set(getattr(frame, "columns", ()))
    missing = [c for c in columns if c not in have]
    if missing:
        raise ValueError(f"{chart}() needs the columns {', '.join(columns)}; this input lacks {', '.join(missing)}. {hint}")


def mrr_levels(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """``(frame, column)`` of MRR/ARR per period (and group): :func:`~salesmetrics.mrr_bridge`'s ending level as it is,
    :func:`~salesmetrics.mrr`'s per-account rows summed per period."""
    for col in ("ending_arr", "ending_mrr"):
        if col in frame.columns:
            return frame, col
    col = "arr" if "arr" in frame.columns else "mrr"
    require_columns(frame, ("period", col), "mrr_trend", "Pass the output of sm.mrr_bridge(...) or sm.mrr(...).")
    keys = ["period", *group_columns(frame, ("period", "account_id"))[:1]]
    summed = frame.groupby(keys, sort=True, observed=True)[col].sum().reset_index()
    summed.attrs = dict(frame.attrs)
    return summed, col


def plain(value: Any) -> Any:
    """``value`` as text plotly shows as written: ``<``, ``>`` and ``&`` escaped (plotly turns ``&lt;`` back into ``<``
    on screen, but never makes a link or a tag of it); anything that is not a string is returned as it is.

    Examples
    --------
    >>> plain('<a href="https://evil.example">click</a>'), plain(3)
    ('&lt;a href="https://evil.example"&gt;click&lt;/a&gt;', 3)
    """
    return html.escape(value, quote=False) if isinstance(value, str) else value


def _sequence(values: Any) -> bool:
    return isinstance(values, (list, tuple)) or (isinstance(values, np.ndarray) and values.dtype.kind in "OU")


def _has_text(values: Any) -> bool:
    return isinstance(values, str) or (_sequence(values) and any(_has_text(v) for v in values))


def _plain_all(values: Any) -> Any:
    """``values`` (a string, or a sequence of strings, numbers and nested sequences) with every string made :func:`plain`."""
    if isinstance(values, str):
        return plain(values)
    if _sequence(values):
        return [_plain_all(v) for v in values]
    return values


_TRACE_TEXT = ("name", "text", "hovertext", "x", "y", "labels")
_AXIS_TEXT = ("ticktext", "categoryarray")


def escape_figure(fig: Any) -> Any:
    """Escape every piece of text in a plotly figure, once: trace names, category values, texts and hover texts, table
    headers and cells, titles, axis titles and tick texts, legend titles and annotations.

    Templates (``hovertemplate``, ``texttemplate``) are the library's own and are left as they are; so is the HTML
    page around the figure, which puts the figure's JSON in a ``<script>`` safely (``reports.deck``): nothing is
    escaped twice. A figure escaped before is returned unchanged.
    """
    if getattr(fig, "_salesmetrics_escaped", False):
        return fig
    for trace in fig.data:
        for prop in _TRACE_TEXT:
            if prop in trace and _has_text(trace[prop]):
                trace[prop] = _plain_all(trace[prop])
        for part in ("header", "cells"):  # go.Table
            if part in trace and _has_text(trace[part].values):
                trace[part].values = _plain_all(trace[part].values)
        if "legendgrouptitle" in trace and trace.legendgrouptitle.text:
            trace.legendgrouptitle.text = plain(trace.legendgrouptitle.text)
    layout = fig.layout
    if layout.title.text:
        layout.title.text = plain(layout.title.text)
    if layout.legend.title.text:
        layout.legend.title.text = plain(layout.legend.title.text)

    def axis(ax: Any) -> None:
        if ax.title.text:
            ax.title.text = plain(ax.title.text)
        for prop in _AXIS_TEXT:
            if _has_text(ax[prop]):
                ax[prop] = _plain_all(ax[prop])

    fig.for_each_xaxis(axis)
    fig.for_each_yaxis(axis)
    for note in layout.annotations:
        if note.text:
            note.text = plain(note.text)
    for shape in layout.shapes:
        if shape.label.text:
            shape.label.text = plain(shape.label.text)
    fig._salesmetrics_escaped = True
    return fig
