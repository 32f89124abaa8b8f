"""The quarterly reorg review: one deck, as PPTX (python-pptx: native charts, matplotlib images where PowerPoint has no such chart) or self-contained HTML (plotly).

The content is built once (:func:`review`) as a list of slides — title, charts (named plot functions
with their result frames), bullets and tables of already formatted strings — and then rendered by
either backend, so both files always tell the same story. Every number is one KPI of
``salesmetrics.KPIS`` (its ``table``), computed once per quarter by the review's ``_Book`` and read from
there wherever it appears; the last slide is a glossary of the KPIs shown. The PPTX measures its text
(``formatting.text_width``/``text_height``, with the fonts it names) so that every box holds its text.

Everything that comes from the data is treated as untrusted: HTML escapes every string (and plotly's
JSON is made safe inside ``<script>``), PPTX drops characters XML cannot hold, and CSV exports
(:func:`to_csv`) neutralise cells a spreadsheet would run as a formula (= + - @).
"""

from __future__ import annotations

import html
import io
import json
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import data_first
from ..errors import import_optional
from ..formatting import format_money, format_number, format_percent, format_value, label
from ..i18n import text
from ..periods import as_timestamp
from .export import XML_ILLEGAL, to_csv, write_review  # to_csv moved to reports.export; still importable from here

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData
    from ..org import OrgDesign

__all__ = ["Slide", "report", "review", "to_csv"]

Progress = Callable[[str], None]


@dataclass
class Chart:
    """A chart to draw: the name of a function in salesmetrics.plot / salesmetrics.interactive, and its arguments."""

    name: str
    frame: Any
    kwargs: dict[str, Any] = field(default_factory=dict)
    lang: str = "en"
    currency: str | None = None  # the deck's: the money's currency where the frame does not carry one

    def draw(self, module: Any) -> Any:
        """Draw with ``module`` (salesmetrics.plot or salesmetrics.interactive), in the chart's language and currency."""
        frame = self.frame.copy() if hasattr(self.frame, "copy") else self.frame
        if hasattr(frame, "attrs"):
            attrs = dict(getattr(self.frame, "attrs", {}))
            if self.currency and not attrs.get("currency"):
                attrs["currency"] = self.currency
            frame.attrs = {**attrs, "lang": self.lang}
        return getattr(module, self.name)(frame, **self.kwargs)


@dataclass
class Slide:
    """One page of the review.

    ``figures`` are the KPI values the page shows (each from the review's one :class:`_Book`), ``notes``
    small print under the content (what a † means, what is not available), ``key`` what the page is
    ("headline", "signs", "sign:rep_turnover", "plan", "glossary", ...).
    """

    title: str
    subtitle: str = ""
    charts: list[Chart] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None  # strings, ready to show
    lang: str = "en"
    notes: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    key: str = ""
    values: pd.DataFrame | None = None  # the table's figures as numbers (same rows and columns), for the workbook


@dataclass(frozen=True)
class Figure:
    """One KPI value as the review shows it: which KPI (a key of ``salesmetrics.KPIS``), which period, the text."""

    kpi: str
    period: str
    value: float
    text: str
    incomplete: bool = False


_FINE_RATES = {"monthly_churn"}
"""Rates too small for whole percentages (a monthly churn of 1.5%); every other rate is shown as the scorecard shows it."""

MATURING = "†"
"""The mark after a value whose period or cohort was still in progress at as_of (the page's notes say so)."""


class _Book:
    """The review's KPI values: each KPI's table (its one definition, ``KPIS[kpi].table``) computed once at as_of,
    and every value the slides show read from it, formatted one way, and recorded (for the glossary)."""

    def __init__(self, data: SalesData, as_of: pd.Timestamp, lang: str, quarter: pd.Period) -> None:
        self.data, self.as_of, self.lang, self.cur, self.quarter = data, as_of, lang, data.currency, quarter
        self.locale: str | None = None  # a CLDR locale for the numbers (report(locale=...)); None: lang's forms
        self._tables: dict[str, pd.DataFrame | None] = {}
        self.used: dict[str, list[str]] = {}

    def view(self, data: SalesData) -> _Book:
        """A book of the same review on another bundle (a team's own work, :func:`~salesmetrics.org.team_view`);
        what it shows is recorded with this book's, for the glossary."""
        other = _Book(data, self.as_of, self.lang, self.quarter)
        other.used, other.locale = self.used, self.locale
        return other

    def gaps(self, kpi: str) -> list[str]:
        from ..org import kpi_gaps

        return kpi_gaps(self.data, kpi)

    def table(self, kpi: str, freq: str | None = "Q") -> pd.DataFrame | None:
        """The KPI per quarter (``freq=None``: over all time), or None when the bundle lacks what it needs (:meth:`gaps`)."""
        from ..org import KPIS

        key = f"{kpi}/{freq}"
        if key not in self._tables:
            self._tables[key] = None if self.gaps(kpi) else KPIS[kpi].table(self.data, freq, self.as_of)  # type: ignore[misc]
        return self._tables[key]

    def ended(self, period: pd.Period) -> bool:
        """Whether ``period`` had ended by as_of (as_of on its last day counts, as for the default quarter)."""
        return bool(self.as_of.tz_localize(None).normalize() >= pd.Timestamp(period.end_time).normalize())

    def label(self, period: pd.Period) -> str:
        """The period's name, with "(to date)" while it is in progress at as_of."""
        return str(period) if self.ended(period) else text("deck.to_date", self.lang, period=period)

    def format(self, kpi: str, value: float) -> str:
        from ..org import KPIS

        if value is None or np.isnan(value):
            return "–"
        unit = KPIS[kpi].unit
        if unit == "ratio":
            return f"{format_number(value, 1, locale=self.locale)}×"
        if unit == "count":
            return format_number(value, 0 if value >= 100 or float(value).is_integer() else 1, locale=self.locale)
        if unit == "rate" and kpi in _FINE_RATES:
            return format_percent(value, 1, locale=self.locale)
        return format_value(value, unit, self.cur, compact=True, lang=self.lang, locale=self.locale)

    def _note(self, kpi: str, period: str, value: float) -> None:
        """Record that the review shows ``kpi`` for ``period`` (a value it has: "–" is not a figure shown)."""
        if np.isnan(value):
            return
        seen = self.used.setdefault(kpi, [])
        if period not in seen:
            seen.append(period)

    def figure(self, kpi: str, period: pd.Period | None) -> Figure:
        """The KPI's value in ``period`` (None: all time), marked when the period or its cohort was still in progress."""
        frame = self.table(kpi, None if period is None else "Q")
        name = text("chart.all_time", self.lang) if period is None else str(period)
        if frame is None:
            return Figure(kpi, name, np.nan, "–")
        row = frame if period is None else frame[frame["period"] == period]
        value = float(row["value"].iloc[0]) if len(row) else np.nan
        self._note(kpi, name, value)
        maturing = bool(len(row) and "incomplete" in row.columns and row["incomplete"].iloc[0])
        maturing |= period is not None and not self.ended(period)
        shown = self.format(kpi, value)
        return Figure(kpi, name, value, f"{shown} {MATURING}" if maturing and shown != "–" else shown, maturing and shown != "–")

    def parts(self, kpi: str, period: pd.Period) -> tuple[float, float]:
        """The numerator and denominator of a ratio KPI in ``period`` (NaN when it has none)."""
        frame = self.table(kpi)
        if frame is None or "num" not in frame.columns:
            return np.nan, np.nan
        row = frame[frame["period"] == period]
        return (float(row["num"].iloc[0]), float(row["den"].iloc[0])) if len(row) else (np.nan, np.nan)

    def window(self, kpi: str, first: pd.Period, last: pd.Period) -> Figure:
        """The KPI over the quarters ``first``–``last``: Σnum / Σden for a ratio, the sum of a count or amount."""
        from ..org import kpi_window

        name = f"{first}–{last}"
        frame = self.table(kpi)
        if frame is None:
            return Figure(kpi, name, np.nan, "–")
        rows = frame[(frame["period"] >= first) & (frame["period"] <= last)]
        value = kpi_window(rows, kpi)
        self._note(kpi, name, value)
        maturing = bool("incomplete" in rows.columns and rows["incomplete"].any()) or not self.ended(last)
        shown = self.format(kpi, value)
        return Figure(kpi, name, value, f"{shown} {MATURING}" if maturing and shown != "–" else shown, maturing and shown != "–")

    def charted(self, kpi: str, periods: Any) -> None:
        """Record that a chart draws ``kpi`` over ``periods`` (the glossary's "shown for" names the range)."""
        periods = sorted(set(periods))
        if periods:
            seen = self.used.setdefault(kpi, [])
            shown = text("deck.charted", self.lang, first=periods[0], last=periods[-1]) if len(periods) > 1 else str(periods[0])
            if shown not in seen:
                seen.append(shown)

    def name(self, kpi: str) -> str:
        from ..org import KPIS

        return label("kpi", kpi, self.lang, default=KPIS[kpi].label)

    def needs_text(self, gaps: list[str]) -> str:
        """What to add, in words: "the leads table", "reps.role"."""
        return ", ".join(g if "." in g else text("deck.the_table", self.lang, table=g) for g in gaps)


def _quarter(data: SalesData, quarter: Any, as_of: Any = None) -> tuple[pd.Period, pd.Timestamp]:
    """The quarter to report and the as_of to compute it at.

    ``as_of`` (default: the data's) is the reporting date: the default quarter is the last complete one
    at it, and figures are computed at the quarter's end or at ``as_of``, whichever comes first.
    """
    from ..periods import freq_alias, last_complete_period, parse_period

    if as_of is None:
        if data.as_of is None:
            raise ValueError("the bundle has no time stamps; nothing to report. Pass as_of='YYYY-MM-DD'.")
        now = data.as_of
    else:
        now = as_timestamp(as_of, data.timezone)
    if quarter is None:
        q = last_complete_period(now, "Q", fiscal_year_start=data.fiscal_year_start)
    else:
        q = parse_period(str(quarter), fiscal_year_start=data.fiscal_year_start).asfreq(freq_alias("Q", data.fiscal_year_start))
    start = pd.Timestamp(q.start_time).tz_localize(data.timezone)
    if start > now:
        raise ValueError(f"quarter {q} starts after as_of {now:%Y-%m-%d}; choose an earlier quarter or a later as_of.")
    return q, min(pd.Timestamp(q.end_time).tz_localize(data.timezone), now)


def review(
    data: SalesData,
    *,
    quarter: Any = None,
    org: str | OrgDesign = "process",
    progress: Progress | None = None,
    lang: str = "en",
    as_of: Any = None,
    reorg_at: Any = None,
    reorg_control: Sequence[str] | None = None,
    reorg_by: str = "team",
    locale: str | None = None,
) -> list[Slide]:
    """The slides of the quarterly reorg review, ready for :func:`report` to render.

    Every figure comes from one KPI of ``salesmetrics.KPIS``, computed once per quarter at as_of and read
    from there wherever it appears; the last slide is a glossary of the KPIs shown.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> slides = review(sm.load_sample(), quarter="2025Q3")
    >>> [s.title for s in slides][:3]
    ['Quarterly sales review, 2025Q3', 'Headline KPIs against targets', 'Do we need to reorganise? The five signs']
    >>> slides[-1].title
    'Glossary: the KPIs in this review'
    """
    import salesmetrics as sm

    from ..formatting import scope_label, shorten, sign_overview
    from ..org import _as_company, _design

    step = progress or (lambda _name: None)
    q, as_of = _quarter(data, quarter, as_of)
    cur = data.currency
    if locale is not None:
        from ..formatting import _cldr

        _cldr(locale)  # an unknown locale, or no babel, is said before any work
    book = _Book(data, as_of, lang, q)
    book.locale = locale
    slides: list[Slide] = []

    def t(key: str, **params: Any) -> str:
        return text(key, lang, **params)

    chart = lambda name, frame, **kw: Chart(name, frame, kw, lang, cur)  # noqa: E731
    design = _design(org, data, as_of)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DefinitionWarning)
        step("scorecards")
        card, books = _scorecard(book, design, q)
        company_card = card if not design.by_team else _scorecard(book, _as_company(design), q)[0]
        shown = (card["note"] == "").to_numpy()
        shown_card, shown_books = card[shown], [b for b, keep in zip(books, shown, strict=True) if keep]
        slides.append(Slide(t("deck.title", quarter=book.label(q)), t("deck.subtitle", date=f"{as_of:%Y-%m-%d}", tz=data.timezone,
                                                                     currency=cur, org=design.name), lang=lang, key="title"))
        slides.append(_headline_slide(book, company_card, q))

        step("diagnostics")
        found = sm.diagnose(data, as_of=as_of, org=org, lang=lang)
        states = {row.sign: row for row in sign_overview(found, lang)}  # what to add: found.attrs["needs"]
        alarms = found[found["severity"] != "info"]
        first = alarms.drop_duplicates("sign")  # the most severe finding of each sign found (its page has them all)
        brief = [f"{states[sign].name} · {scope_label(kind, scope, lang)}: {shorten(ev, 110 if lang == 'en' else 60)}"
                 for sign, kind, scope, ev in zip(first["sign"], first["scope_type"], first["scope"], first["evidence"], strict=True)]
        unassessed = sum(row.state == "not_assessed" for row in states.values())
        signs_sub = t("deck.signs_sub_partial", n=len(alarms), k=unassessed) if unassessed else t("deck.signs_sub", n=len(alarms))
        slides.append(Slide(t("deck.signs"), signs_sub, charts=[chart("findings", found)],
                            bullets=brief, key="signs"))
        for i, sign in enumerate(states, start=1):
            step(sign)
            slides.append(_sign_slide(data, book, found, states[sign], i, as_of, org, lang))
        if reorg_at is not None:
            step("reorg impact")
            slides.extend(_reorg_slides(data, as_of, reorg_at, lang, reorg_control, reorg_by))

        step("revenue")
        if data.subscriptions is not None:
            bridge = sm.mrr_bridge(data, freq="Q", as_of=as_of)
            book.charted("mrr", bridge["period"])
            figs = [book.figure(k, q) for k in ("nrr", "grr", "logo_churn_rate")]
            lost, start = book.parts("logo_churn_rate", q)
            bullets = [t("deck.retention_line", nrr=figs[0].text, grr=figs[1].text, churn=figs[2].text, lost=format_number(lost),
                         start=format_number(start))] if not np.isnan(figs[2].value) else []
            mrr = book.figure("mrr", q)
            slides.append(Slide(t("deck.revenue"), t("deck.revenue_sub", quarter=book.label(q), mrr=mrr.text),
                                charts=[chart("mrr_bridge", bridge, period=q), chart("mrr_trend", bridge)], bullets=bullets,
                                figures=[mrr, *figs] if bullets else [mrr], notes=_maturing_note(book, [mrr, *figs]), key="revenue"))
            slides.append(Slide(t("deck.cohorts"), t("deck.cohorts_sub"), charts=[chart("cohort_heatmap", sm.cohort_retention(data, freq="M", as_of=as_of))],
                                key="cohorts"))

        step("funnel and SLA")
        window_start = q - 3
        if data.leads is not None:
            journeys = sm.lead_journeys(data, as_of=as_of)
            since = pd.Timestamp(window_start.start_time).tz_localize(data.timezone)
            recent = journeys[(journeys["created_at"] >= since) & (journeys["created_at"] <= as_of)]
            stages = sm.funnel(recent, freq=None, as_of=as_of)  # the stages the export has
            charts = [chart("funnel", stages)]
            bullets, figures = [], []
            if not book.gaps("sla_compliance"):
                sla = sm.response_sla(data, freq="Q", as_of=as_of)
                charts.append(chart("sla_compliance", sla, target=0.9))
                book.charted("sla_compliance", sla["period"])
                share, hours = book.figure("sla_compliance", q), book.figure("sla_response_hours", q)
                figures = [share, hours]
                bullets.append(t("deck.sla_kpis", quarter=book.label(q), share=share.text, within=format_value(sla.attrs.get("within", "24h"), "duration", lang=lang),
                                 hours=hours.text))
            sub = t("deck.funnel_window", first=window_start, last=q) if figures else \
                t("deck.funnel_window_nosla", first=window_start, last=q, what=book.needs_text(book.gaps("sla_compliance")))
            slides.append(Slide(t("deck.funnel"), sub, charts=charts, bullets=bullets,
                                figures=figures, notes=_maturing_note(book, figures), key="funnel"))

        step("pipeline")
        if data.opportunities is not None:
            from ..org import time_to_close_curve

            wins = sm.win_rate(data, as_of=as_of)
            book.charted("win_rate", wins.loc[wins["period"] <= q, "period"])
            curve = time_to_close_curve(data, as_of)
            figs = [book.figure(k, q) for k in ("win_rate", "close_rate", "sales_cycle_days")]
            close = book.figure("time_to_close_days", None)
            slides.append(Slide(t("deck.pipeline"), t("deck.pipeline_sub"),
                                charts=[chart("win_rate", wins[wins["period"] <= q]), chart("kaplan_meier", curve)],
                                bullets=[t("deck.pipeline_kpis", quarter=book.label(q), win=figs[0].text, close=figs[1].text, cycle=figs[2].text),
                                         t("deck.pipeline_km", median=close.text)],
                                figures=[*figs, close], notes=[*_all_won_note(data, lang), *_maturing_note(book, figs)], key="pipeline"))
            deals = _open_deals(data, as_of, lang=lang)
            title = t("deck.deals") if deals.attrs.get("sized") else t("deck.deals_oldest")
            slides.append(Slide(title, t("deck.deals_sub", date=f"{as_of:%Y-%m-%d}"), table=deals, values=deals.attrs.get("values"),
                                notes=deals.attrs.get("notes", []),
                                key="deals"))

        step("unit economics")
        kpis = ("arpa", "monthly_churn", "ltv", "cac", "ltv_cac", "payback_months")
        if not any(book.gaps(k) for k in kpis):
            quarters = [q - k for k in range(3, -1, -1)]
            cells = {k: [book.figure(k, p) for p in quarters] for k in kpis}
            columns = {t("col.quarter"): [book.label(p) for p in quarters]}
            heads = {"arpa": "col.arpa", "monthly_churn": "col.churn", "ltv": "col.ltv", "cac": "col.cac", "ltv_cac": "col.ltv_cac",
                     "payback_months": "col.payback"}
            columns.update({t(heads[k]): [f.text for f in cells[k]] for k in kpis})
            values = pd.DataFrame({t("col.quarter"): columns[t("col.quarter")], **{t(heads[k]): [f.value for f in cells[k]] for k in kpis}})
            figures = [f for k in kpis for f in cells[k]]
            slides.append(Slide(t("deck.economics"), t("deck.economics_nomargin"), table=pd.DataFrame(columns), values=values,
                                figures=figures,
                                notes=_maturing_note(book, figures), key="economics"))

        figures = [b.figure(k, q) for b, k in zip(shown_books, shown_card["kpi"], strict=True)]
        # the table shows the book's values as every other page does, marked † while maturing
        shown_card = shown_card.assign(shown=[f.text for f in figures],
                                       shown_target=[book.format(k, v) for k, v in zip(shown_card["kpi"], shown_card["target"], strict=True)])
        pages = _by_team_pages(shown_card)
        for i, rows in enumerate(pages):
            title = t("deck.scorecards", org=design.name)
            last = i == len(pages) - 1
            slides.append(Slide(title if i == 0 else t("deck.continued", title=title), t("deck.scorecards_sub", quarter=book.label(q)),
                                charts=[chart("scorecard", shown_card.iloc[rows])], figures=[figures[r] for r in rows],
                                notes=[*_maturing_note(book, figures), *_unavailable_note(book, card)] if last else [],
                                key="scorecards"))

        step("plan")
        slides.append(_plan_slide(book, _as_company(design) if design.by_team else design, q))

        step("data quality")
        slides.append(_quality_slide(data, lang, as_of=as_of))
        slides.append(_glossary_slide(book, slides))
    return [_without_empty_charts(s, lang) for s in slides]


def _maturing_note(book: _Book, figures: list[Figure]) -> list[str]:
    """The page's note on values still maturing at as_of, when it shows one."""
    late = [f for f in figures if f.incomplete]
    if not late:
        return []
    return [text("deck.maturing", book.lang, mark=MATURING, date=f"{book.as_of:%Y-%m-%d}",
                 kpis=", ".join(dict.fromkeys(book.name(f.kpi) for f in late)))]


_CARD_ROWS = 14
"""Scorecard rows a page holds (at the deck's table row height, with room for the notes)."""


def _by_team_pages(card: pd.DataFrame) -> list[list[int]]:
    """The scorecard's rows (positions) per page: whole teams, up to :data:`_CARD_ROWS` rows a page (a larger team
    alone on its pages). Always one page, empty when the card is."""
    pages: list[list[int]] = [[]]
    for _team, rows in pd.Series(range(len(card)), index=card["team"].to_numpy()).groupby(level=0, sort=False):
        here = rows.tolist()
        if pages[-1] and len(pages[-1]) + len(here) > _CARD_ROWS:
            pages.append([])
        while len(here) > _CARD_ROWS:
            pages[-1] += here[:_CARD_ROWS]
            pages.append([])
            here = here[_CARD_ROWS:]
        pages[-1] += here
    return pages


def _unavailable_note(book: _Book, card: pd.DataFrame) -> list[str]:
    """The KPIs the bundle cannot give, grouped by what to add; and a team's KPIs of work its reps do not own."""
    groups: dict[str, list[str]] = {}
    for kpi in dict.fromkeys(card.loc[card["note"] != "", "kpi"]):
        if book.gaps(kpi):
            groups.setdefault(book.needs_text(book.gaps(kpi)), []).append(book.name(kpi))
    lines = [text("deck.not_available_kpis", book.lang, kpis=", ".join(names), what=what) for what, names in groups.items()]
    unowned = card[(card["note"] != "") & ~card["kpi"].map(lambda k: bool(book.gaps(k)))]
    if len(unowned):
        counts = unowned.groupby("team", sort=False).size()
        lines.append(text("deck.none_owned_kpis", book.lang, teams=", ".join(f"{team} ({n})" for team, n in counts.items())))
    if (card["team"] == text("deck.company", book.lang)).any() and card.attrs.get("by_team"):
        lines.append(text("deck.company_note", book.lang))
    return lines


def _scorecard(book: _Book, design: OrgDesign, q: pd.Period) -> tuple[pd.DataFrame, list[_Book]]:
    """The team scorecard of quarter ``q`` (as :func:`~salesmetrics.scorecard` returns it), from the book's values,
    and the book each row is read from (a by-team design's teams read their own work)."""
    from ..org import KPIS, _card_rows, _none_owned, _target
    from ..stats import ratio

    rows, books = [], []
    data = book.data
    views: dict[int, _Book] = {}
    for team, name, bundle in _card_rows(data, design):
        kpi = KPIS[name]
        b = book if bundle is data else views.setdefault(id(bundle), book.view(bundle))
        gaps = b.gaps(name)
        empty = "" if gaps else _none_owned(data, bundle, name)
        frame = None if empty else b.table(name)
        value = previous = np.nan
        if frame is not None:
            series = frame.set_index("period")["value"]
            value, previous = float(series.get(q, np.nan)), float(series.get(q - 1, np.nan))
        target = _target(data.targets, kpi.target_metric, team, q, data.fiscal_year_start, company=bundle is data)
        att = ratio(value, target) if kpi.higher_is_better else ratio(target, value)
        note = (text("deck.not_available", book.lang, reason=book.needs_text(gaps)) if gaps
                else text("deck.none_owned" if data.has_column(empty, "owner_id") else "deck.no_owner", book.lang,
                          table=label("table", empty, book.lang, default=empty)) if empty else "")
        rows.append({"team": team.name if team.name != "company" else text("deck.company", book.lang), "kpi": name,
                     "label": kpi.label, "period": q, "value": value, "previous": previous,
                     "change": value - previous, "target": target, "attainment": float(att),
                     "higher_is_better": kpi.higher_is_better, "unit": kpi.unit, "note": note})
        books.append(b)
    out = pd.DataFrame(rows)
    out.attrs.update(org=design.name, freq="Q", as_of=str(book.as_of), currency=book.cur, lang=book.lang, by_team=design.by_team)
    return out, books


def _headline_slide(book: _Book, card: pd.DataFrame, q: pd.Period) -> Slide:
    """The design's KPIs this quarter against their targets, with the previous quarter; maturing values marked."""
    t = lambda key, **p: text(key, book.lang, **p)  # noqa: E731
    head = card[card["note"] == ""].drop_duplicates("kpi")
    now = [book.figure(k, q) for k in head["kpi"]]
    before = [book.figure(k, q - 1) for k in head["kpi"]]
    targets = [book.format(k, v) for k, v in zip(head["kpi"], head["target"], strict=True)]
    table = pd.DataFrame({
        t("col.kpi"): [book.name(k) for k in head["kpi"]], book.label(q): [f.text for f in now], t("col.target"): targets,
        t("col.attainment"): [format_percent(a) for a in head["attainment"]], book.label(q - 1): [f.text for f in before]})
    values = pd.DataFrame({table.columns[0]: table.iloc[:, 0], table.columns[1]: [f.value for f in now],
                           table.columns[2]: head["target"].to_numpy(float), table.columns[3]: head["attainment"].to_numpy(float),
                           table.columns[4]: [f.value for f in before]})
    return Slide(t("deck.headline"), t("deck.headline_sub", quarter=book.label(q)), table=table, values=values, figures=[*now, *before],
                 notes=[*_ended_note(book, q), *_export_notes(book), *_maturing_note(book, [*now, *before]),
                        *_unavailable_note(book, card)],
                 lang=book.lang, key="headline")


_EVENT_TABLES = ("leads", "opportunities", "activities", "surveys", "spend")
"""Tables whose rows are the period's events: one that ends before the quarter has nothing to say about it."""


def _export_notes(book: _Book) -> list[str]:
    """What the export's shape does to the figures: no deal type (every deal is new business), no targets, only won deals."""
    data, lines = book.data, []
    opps = data.opportunities
    if opps is not None and not data.has_column("opportunities", "type"):
        lines.append(text("deck.no_type", book.lang))
    if data.targets is None:
        lines.append(text("deck.no_targets", book.lang))
    lines += _all_won_note(data, book.lang)
    return lines


def _all_won_note(data: SalesData, lang: str) -> list[str]:
    """The sentence for an export of won deals only (the win rate and deal closing ratio are 100% by construction)."""
    from ..data._checks import only_won

    opps = data.opportunities
    return [text("deck.all_won", lang, n=f"{len(opps):,}")] if opps is not None and only_won(opps) else []  # as warned on loading


def _ended_note(book: _Book, q: pd.Period) -> list[str]:
    """A line for each event table whose export ends before quarter ``q`` starts (its KPIs show "–" for ``q``)."""
    from ..data._lookups import infer_as_of

    data = book.data
    start = pd.Timestamp(q.start_time).tz_localize(data.timezone)
    lines = []
    for name in _EVENT_TABLES:
        frame = data.tables.get(name)
        latest = infer_as_of({name: frame}, data.timezone).value if frame is not None and len(frame) else None
        if latest is not None and latest < start:  # its latest event of any kind (a deal created or closed, say)
            lines.append(text("deck.table_ended", book.lang, table=label("table", name, book.lang, default=name),
                              date=f"{latest:%Y-%m-%d}", quarter=book.label(q)))
    return lines


def _sign_slide(data: SalesData, book: _Book, found: pd.DataFrame, state: Any, i: int, as_of: pd.Timestamp,
                org: str | OrgDesign, lang: str) -> Slide:
    """A sign's page: its state (the overview's words), its evidence chart when assessed, and the evidence or why not."""
    import salesmetrics as sm

    from ..diagnostics import _DEFAULT_BY

    sign = state.sign
    mine = found[(found["sign"] == sign) & (found["severity"] != "info")]
    info = found[(found["sign"] == sign) & (found["severity"] == "info")]
    charts = []
    if state.state != "not_assessed":  # its tables and columns are there: draw the evidence, as diagnose measured it
        by = None if state.state == "partly" or (info["metric"] == "partly_assessed").any() else _DEFAULT_BY.get(sign)
        kw: dict[str, Any] = {"as_of": as_of}
        if sign in _DEFAULT_BY and sign != "market_response":
            kw["by"] = by
        detectors: dict[str, Callable[..., Any]] = {"declining_sales": sm.sales_decline, "rep_turnover": sm.rep_turnover,
                                                    "unclear_roles": sm.role_clarity, "market_response": sm.market_response,
                                                    "customer_satisfaction": sm.customer_satisfaction}
        compute = detectors[sign]
        if sign == "unclear_roles":
            kw["org"] = org
        part = compute(data, **kw)
        scope = str(mine["scope"].iloc[0]) if len(mine) else None
        drawn = _sign_chart(sign, part, scope, lang)
        charts = [drawn] if drawn is not None else []
    if len(mine):
        bullets = [str(e) for e in mine["evidence"]] + [text("deck.todo", lang, text=mine["recommendation"].iloc[0])]
    elif len(info):  # not assessed, or assessed only in part: why, and what to add
        bullets = [str(e) for e in info["evidence"]] + ([text("deck.no_sign", lang), text(f"rule.{sign}", lang)]
                                                         if state.state == "partly" else [])
    else:  # assessed, nothing found: what it would have taken (the detectors' defaults, as diagnose ran them)
        bullets = [text("deck.no_sign", lang), text(f"rule.{sign}", lang)]
    notes, figures = [], []
    if sign == "declining_sales" and state.state == "found":  # the decomposition's ratio is not the deal closing ratio: say so
        ratio = book.figure("wins_per_new_deal", book.quarter)
        figures.append(ratio)
        notes.append(text("deck.wins_per_new_deal", lang, quarter=book.label(book.quarter), value=ratio.text,
                          close=book.figure("close_rate", book.quarter).text))
    return Slide(text("deck.sign", lang, i=i, name=state.name), state.shown, charts=charts, bullets=bullets, lang=lang, notes=notes,
                 figures=figures, key=f"sign:{sign}")


_REORG_SHOWN = ("bookings", "win_rate", "deal_size", "sales_cycle", "sla_compliance", "mql_to_sql", "rep_attrition", "csat")
"""The reorg page's metrics, in its order (won deals per month stay in the workbook's table only)."""


def _reorg_value(value: float, unit: str, currency: str, lang: str, *, change: bool = False) -> str:
    """A reorg-impact figure as the deck shows it: rates in %, their changes in points (%p in Korean)."""
    if value is None or not np.isfinite(value):
        return "–"
    shown = {"rate": 100, "relative": 100, "days": 1}.get(unit)
    if shown is not None:  # what rounds to zero is shown as 0, never "-0"
        value = round(value * shown) / shown + 0.0
    sign = "+" if change and value > 0 else ""
    if unit == "rate":
        return f"{sign}{value * 100:.0f}{text('deck.reorg_points', lang)}" if change else format_percent(value)
    if unit == "relative":
        return f"{sign}{value * 100:.0f}%"
    if unit == "money":
        return sign + format_money(value, currency, compact=True, lang=lang)
    if unit == "days":
        return sign + format_value(value, "days", lang=lang)
    return f"{sign}{value:,.2f}"


def _reorg_slides(data: SalesData, as_of: pd.Timestamp, reorg_at: Any, lang: str, control: Sequence[str] | None = None,
                  by: str = "team") -> list[Slide]:
    """"Did the reorg work?": per metric and team, before -> after, the change net of the untouched teams, and the
    verdict; the windows, the controls and the metrics that could not be assessed in the notes."""
    from ..impact import RELATIVE, UNITS, reorg_impact

    def t(key: str, **params: Any) -> str:
        return text(key, lang, **params)

    found = reorg_impact(data, reorg_at, as_of=as_of, control=control, by=by)
    shown = found[found["metric"].isin(_REORG_SHOWN) & found["arm"].isin(["reorganised", "control", "unclassified"])]
    shown = shown.assign(_m=shown["metric"].map({m: i for i, m in enumerate(_REORG_SHOWN)}),
                         _a=shown["arm"].map({"reorganised": 0, "unclassified": 1, "control": 2}))
    shown = shown.sort_values(["_m", "_a", "group"], kind="stable")
    cur = data.currency
    rows, values = [], []
    for r in shown.to_dict("records"):
        unit = UNITS[str(r['metric'])]
        net_unit = "relative" if r['metric'] in RELATIVE else unit
        net = "–" if not np.isfinite(r['did']) else (
            f"{_reorg_value(r['did'], net_unit, cur, lang, change=True)} "
            f"[{_reorg_value(r['did_low'], net_unit, cur, lang, change=True)}, {_reorg_value(r['did_high'], net_unit, cur, lang, change=True)}]")
        verdict = str(r['verdict'])
        words = t(f"deck.reorg_verdict.{verdict.replace(' (no control)', '').replace(' ', '_')}")
        if verdict.endswith("(no control)"):
            words = t("deck.reorg_no_control", verdict=words)
        rows.append({t("col.metric"): t(f"deck.reorg_metric.{r['metric']}"), t("col.team"): str(r['group']),
                     t("deck.reorg_col_arm"): t(f"deck.reorg_arm.{r['arm']}"),
                     t("deck.reorg_col_before_after"): f"{_reorg_value(r['before'], unit, cur, lang)} → {_reorg_value(r['after'], unit, cur, lang)}",
                     t("deck.reorg_col_net"): net, t("deck.reorg_col_verdict"): words})
        values.append({t("col.metric"): str(r['metric']), t("col.team"): str(r['group']), t("deck.reorg_col_arm"): str(r['arm']),
                       "before": r['before'], "after": r['after'], "change": r['change'], "did": r['did'], "did_low": r['did_low'],
                       "did_high": r['did_high'], t("deck.reorg_col_verdict"): verdict})
    a = found.attrs
    controls = ", ".join(a["controls"]) if a["controls"] else t("deck.reorg_no_controls")
    notes = [t("deck.reorg_how"), t("deck.reorg_controls", controls=controls)]
    starts = a.get("data_start", {})
    for day in dict.fromkeys(starts.values()):
        names = ", ".join(t(f"deck.reorg_metric.{m}") for m, d in starts.items() if d == day)
        notes.append(t("deck.reorg_data_start", date=day, metrics=names))
    ends = a.get("data_end", {})
    for day in dict.fromkeys(ends.values()):
        names = ", ".join(t(f"deck.reorg_metric.{m}") for m, d in ends.items() if d == day)
        notes.append(t("deck.reorg_data_end", date=day, metrics=names))
    if a.get("after_days", 0) < 0.9 * a.get("after_asked_days", 0):
        notes.append(t("deck.reorg_short_after", days=f"{a['after_days']:.0f}", asked=f"{a['after_asked_days']:.0f}"))
    missing = found[found["verdict"] == "not assessed"]
    for metric, reason in zip(missing["metric"], missing["reason"], strict=True):
        notes.append(t("deck.reorg_not_assessed", metric=t(f"deck.reorg_metric.{metric}"), why=t(f"deck.reorg_reason.{reason}")))
    group = t("col.team").lower() if lang == "en" and by == "team" else t("col.team") if by == "team" else by
    sub = t("deck.reorg_sub", date=a["at"][:10], b0=a["before"][0][:10], b1=a["before"][1][:10], a0=a["after"][0][:10],
            a1=a["after"][1][:10], group=group)
    if not rows:  # nothing measurable: the page says so, and why per metric, instead of an empty table
        return [Slide(t("deck.reorg"), sub, bullets=[t("deck.reorg_nothing", date=a["at"][:10])], notes=notes, lang=lang, key="reorg")]
    return [Slide(t("deck.reorg"), sub, table=pd.DataFrame(rows), values=pd.DataFrame(values), notes=notes, lang=lang, key="reorg")]


def _plan_slide(book: _Book, design: OrgDesign, q: pd.Period) -> Slide:
    """Next quarter's reverse funnel in business terms: whole deals, opportunities, SQLs, MQLs, leads and people (rounded
    up), with the assumptions in words; each assumption is a KPI over the last four quarters."""
    from ..org import _PLAN_PEOPLE, _target, _work_back

    lang, data = book.lang, book.data
    t = lambda key, **p: text(key, lang, **p)  # noqa: E731
    nxt, first = q + 1, q - 3
    goal, basis = np.nan, ""
    targets = data.targets
    team = next((team for team in design.teams if "bookings" in team.kpis), design.teams[0] if design.teams else None)
    for period, key in ((nxt, "deck.goal_target"), (q, "deck.goal_carried")):
        found = _target(targets, "bookings", team, period, data.fiscal_year_start) if team is not None else np.nan
        if not np.isnan(found):
            goal, basis = found, t(key, quarter=period, next=nxt)
            break
    if np.isnan(goal):
        measured = book.figure("bookings", q)
        goal, basis = measured.value, t("deck.goal_repeat", quarter=q)
    if book.gaps("bookings") or np.isnan(goal) or goal <= 0:  # what the whole plan needs: the lead funnel and the deals
        gaps = list(dict.fromkeys([*book.gaps("funnel_mql"), *(book.gaps("bookings") or ["opportunities.amount"])]))
        return Slide(t("deck.plan_missing"), t("deck.plan_sub", quarter=nxt),
                     bullets=[t("deck.not_available", reason=t("deck.plan_needs", what=book.needs_text(gaps)))], lang=lang, key="plan")
    # deals, then each earlier stage at its measured rate, then people: the plan_funnel computation, on the book's KPIs
    plan = _work_back(goal, 3, lambda kpi: book.window(kpi, first, q).value, book.gaps)
    keys = {"deals": "deck.plan_deals", "opportunities": "deck.plan_opportunities", "sqls": "deck.plan_sqls",
            "mqls": "deck.plan_mqls", "leads": "deck.plan_leads"}
    items = [t(keys[stage]) for stage in plan.counts]
    quarter_col = [format_number(n) for n in plan.counts.values()]
    month_col = [format_number(np.ceil(n / 3)) for n in plan.counts.values()]
    for role, (heads, _capacity) in plan.people.items():
        items.append(t("deck.plan_people", role=role))
        quarter_col.append(format_number(heads))
        month_col.append("")
    missing = []
    for item, kpi in plan.missing:
        gaps = book.gaps(kpi)
        name = t(keys[item]) if item in keys else t("deck.plan_people", role=item)
        missing.append(t("deck.plan_gap", item=name, what=book.needs_text(gaps) if gaps else t("deck.no_history", first=first, last=q)))
    deal = book.window("deal_size", first, q)
    rates = {k: book.window(k, first, q) for k in plan.assumed if k in ("funnel_won", "close_rate", "funnel_opportunity", "funnel_sql",
                                                                      "funnel_mql")}
    people = [(role, book.window(kpi, first, q)) for role, kpi, _stage in _PLAN_PEOPLE if role in plan.people]
    table = pd.DataFrame({t("col.item"): items, t("col.per_quarter", quarter=nxt): quarter_col, t("col.per_month"): month_col})
    values = pd.DataFrame({table.columns[0]: items,
                           table.columns[1]: [*plan.counts.values(), *(h for h, _c in plan.people.values())],
                           table.columns[2]: [*(np.ceil(n / 3) for n in plan.counts.values()), *([np.nan] * len(plan.people))]})
    words = {"funnel_won": "deck.assume_won", "close_rate": "deck.assume_close", "funnel_opportunity": "deck.assume_opportunity",
             "funnel_sql": "deck.assume_sql", "funnel_mql": "deck.assume_mql"}
    known = [f for f in rates.values() if not np.isnan(f.value)]
    parts = [t("deck.assume_deal", deal=deal.text)] + [t(words[f.kpi], rate=f.text) for f in known]
    bullets = [t("deck.assumes" if data.leads is not None else "deck.assumes_deals", parts="; ".join(parts), first=first, last=q)]
    if people:
        handled = {"SDR": t("deck.capacity_sdr"), "AE": t("deck.capacity_ae")}
        bullets.append(t("deck.assumes_people", parts="; ".join(t("deck.assume_capacity", role=role, n=f.text, what=handled[role])
                                                                for role, f in people),
                         first=first, last=q))
    bullets += missing
    figures = [deal, *known, *(f for _r, f in people)]
    return Slide(t("deck.plan", goal=format_money(goal, book.cur, compact=True, lang=lang)), t("deck.plan_sub_goal", quarter=nxt, basis=basis),
                 table=table, values=values, bullets=bullets, figures=figures, notes=_maturing_note(book, figures), lang=lang, key="plan")


def _glossary_slide(book: _Book, slides: list[Slide]) -> Slide:
    """Every KPI the review showed: its name (the seed article's, in Korean decks), its formula, and the periods shown
    (quoted or charted); then how close KPIs differ, and how to read the charts and tables the deck has."""
    lang = book.lang
    t = lambda key, **p: text(key, lang, **p)  # noqa: E731
    rows = [(book.name(k), t(f"kpidef.{k}"), ", ".join(sorted(periods))) for k, periods in book.used.items()]
    table = pd.DataFrame(rows, columns=[t("col.kpi"), t("col.definition"), t("col.periods")])
    shown = set(book.used)
    bullets = [t(f"gloss.{key}") for key, kpis in _GLOSS_NOTES.items() if len(shown & kpis) >= 2]
    drawn = {c.name for s in slides for c in s.charts} | {s.key for s in slides}
    bullets += [t(f"gloss.read_{name}") for name in _GLOSS_READING if name in drawn]
    return Slide(t("deck.glossary"), t("deck.glossary_sub", mark=MATURING), table=table, bullets=bullets, lang=lang, key="glossary")


_GLOSS_READING = ("decline_drivers", "mrr_bridge", "win_rate", "funnel", "kaplan_meier", "deals")
"""Charts (by name) and pages (by key) whose reading needs a word: index = 100, the 95% interval, "of the stage
before", the curve of deals still open, days open."""


_GLOSS_NOTES = {
    "rates": {"win_rate", "close_rate", "wins_per_new_deal"},
    "cycle": {"sales_cycle_days", "time_to_close_days"},
    "churn": {"logo_churn_rate", "monthly_churn"},
    "mql_sql": {"lead_conversions", "funnel_sql"},
    "deals": {"bookings", "deal_size", "win_rate"},
}
"""Groups of KPIs close enough to be confused: the glossary says how they differ when it shows two of a group."""


def _without_empty_charts(slide: Slide, lang: str = "en") -> Slide:
    """The slide without the charts that have no rows to draw (one month of data, say), and a line saying so.

    The overview of the signs is kept even when empty: it draws every sign's status from no findings.
    """
    empty = [c for c in slide.charts if c.name != "findings" and hasattr(c.frame, "__len__") and len(c.frame) == 0]
    if not empty:
        return slide
    slide.charts = [c for c in slide.charts if not any(c is e for e in empty)]
    slide.bullets = [*slide.bullets, text("deck.chart_empty", lang, n=len(empty))]
    return slide


def _quality_slide(data: SalesData, lang: str = "en", max_lines: int = 5, as_of: pd.Timestamp | None = None) -> Slide:
    """Rows kept and set aside per table (with the share and the top reasons), unresolved references, and what set as_of.

    ``as_of`` is the time the review's figures were computed at (the title's date); when the data runs later
    (a quarter chosen before its latest event), the page says both.
    """
    from ..formatting import quarantine_lines, share, shorten

    def t(key: str, **params: Any) -> str:
        return text(key, lang, **params)

    summary = data.summary()
    given = {name: int(summary.loc[name, "rows"]) + int(summary.loc[name, "quarantined"]) for name in summary.index}
    table = pd.DataFrame({
        t("col.table"): [label("table", n, lang, default=str(n)) for n in summary.index],
        t("col.rows_kept"): [f"{int(v):,}" for v in summary["rows"]],
        t("col.quarantined"): [f"{int(v):,} ({share(int(v), given[n])})" if v else "0" for n, v in summary["quarantined"].items()],
        t("col.unresolved"): [f"{int(v):,}" for v in summary["unresolved"]],
        t("col.dates"): [f"{a} – {b}" if a else "–" for a, b in zip(summary["first"], summary["last"], strict=True)],
        t("col.date_column"): [_date_words(c, lang) if c else "–" for c in summary["date_column"]],  # words
    })
    values = table.copy()  # the workbook's: counts as numbers
    values[t("col.rows_kept")] = summary["rows"].to_numpy(int)
    values[t("col.quarantined")] = summary["quarantined"].to_numpy(int)
    values[t("col.unresolved")] = summary["unresolved"].to_numpy(int)
    lines = []
    for name, n, total, reasons in quarantine_lines(data):
        top = ", ".join(f"{shorten(_in_words(r, lang, name), 40)} ({k:,})" for r, k in reasons[:2]) or "–"
        lines.append(t("deck.quarantine_line", table=name, n=f"{n:,}", total=f"{total:,}", share=share(n, total), reasons=top))
    columns = ["table", "column", "references", "rows", "distinct", "examples"]
    for name, column, refs, n, distinct, examples in data.unresolved[columns].itertuples(index=False, name=None):
        if lang != "en":  # words, not the names of tables and columns ("opportunities.opportunity_id": 영업 기회 (opportunities))
            column, refs = _in_words(column, lang, name), label("table", str(refs).split(".")[0], lang, default=str(refs))
        lines.append(t("deck.unresolved_line", table=name, column=column, rows=f"{int(n):,}", distinct=f"{int(distinct):,}",
                       references=refs, examples=shorten(examples, 50)))
    lines[:0] = _all_won_note(data, lang)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], f"… (+{len(lines) - max_lines + 1})"]
    source = data.as_of_source
    if source and source != "given" and "." in source:
        table_name, column = source.split(".", 1)
        where = t("deck.asof_latest_in", what=_date_words(column, lang), table=table_name)
    else:
        where = t("deck.asof_given") if source == "given" else t("deck.asof_latest", column=source) if source else "–"
    cutoff = as_of if as_of is not None else data.as_of
    subtitle = t("deck.quality_full", n=f"{int(summary['quarantined'].sum()):,}", u=f"{int(summary['unresolved'].sum()):,}",
                 date=f"{cutoff:%Y-%m-%d}" if cutoff is not None else "–", source=where)
    notes = []
    if cutoff is not None and data.as_of is not None and data.as_of > cutoff:
        notes.append(t("deck.asof_later", date=f"{cutoff:%Y-%m-%d}", latest=f"{data.as_of:%Y-%m-%d}", source=where))
        subtitle = t("deck.quality_cut", n=f"{int(summary['quarantined'].sum()):,}", u=f"{int(summary['unresolved'].sum()):,}",
                     date=f"{cutoff:%Y-%m-%d}")
    return Slide(t("deck.quality"), subtitle, table=table, values=values, bullets=lines or [t("deck.quality_clean")], lang=lang,
                 notes=notes, key="quality")


def _date_words(column: Any, lang: str = "en") -> str:
    """A date column as words of ``lang`` ("created_at": "created", 생성일), not its name; a column the catalogue does not
    know as its name made readable."""
    return label("datecol", column, lang, default=str(column).removesuffix("_at").replace("_", " "))


def _in_words(reason: str, lang: str = "en", table: str | None = None) -> str:
    """A quarantine reason ("created_at: missing_value") as words of ``lang`` ("created: missing value"), not column
    and check names; a reason without a check is a column, in words.

    Other languages take the words from the catalogue: ``field.<column>`` (``field.<table>.<column>`` first, where a
    column means something else in ``table``: fx_rates' rate is an exchange rate) and ``check.<check>``; a column
    the catalogue does not know keeps its name. The columns of a check across several ("lead_id|opportunity_id")
    are each said.

    Examples
    --------
    >>> _in_words("created_at: missing_value"), _in_words("closed_at: closed_not_before_created")
    ('created: missing value', 'closed: closed before it was created')
    >>> _in_words("closed_at: closed_not_before_created", "ko"), _in_words("rate: positive", "ko", "fx_rates")
    ('종료일: 종료일이 생성일보다 앞섬', '환율: 0 이하의 값')
    """
    column, _, check = str(reason).partition(": ")
    if lang == "en":  # the column in words; the check as the catalogue says it ("closed before it was created")
        words = "/".join(c.removesuffix("_at").replace("_", " ") for c in column.split("|"))
        return f"{words}: {label('check', check, lang, default=check.replace('_', ' '))}" if check else words
    words = "/".join(label("field", f"{table}.{c}", lang, default=label("field", c, lang, default=c)) for c in column.split("|"))
    return f"{words}: {label('check', check, lang, default=check.replace('_', ' '))}" if check else words


def _sign_chart(sign: str, part: Any, scope: str | None, lang: str = "en") -> Chart | None:
    """The evidence chart of a sign from its result (as diagnose measured it); None when the table has nothing to draw."""
    table = part.table
    if not len(table):
        return None
    if sign == "declining_sales":
        shown = scope if scope and scope in set(table["scope"]) else None
        mine = table[table["scope"] == (shown or "company")]
        won = mine.loc[mine["won"] > 0, "period"]
        if len(won):  # the chart indexes to its first period: start where the scope first won a deal, not at zero
            trimmed = table[table["period"] >= won.min()]
            trimmed.attrs = dict(table.attrs)
            table = trimmed
        return Chart("decline_drivers", table, {"scope": shown}, lang)
    if sign == "rep_turnover":
        return Chart("attrition", table, {}, lang)
    if sign == "unclear_roles":
        lanes = table[table["metric"] == "out_of_lane_share"]
        return Chart("trend", lanes, {"value": "value", "by": "scope", "unit": "rate", "title": text("chart.lanes", lang),
                                      "highlight": scope.split(",") if scope else None}, lang)
    if sign == "market_response":
        by = next(c for c in table.columns if c not in ("period", "leads", "lead_share", "converted", "conversion", "unowned_share",
                                                    "bookings_share"))
        return Chart("trend", table, {"value": "leads", "by": by, "title": text("chart.leads_by", lang, by=by),
                                      "highlight": scope}, lang)
    groups = [c for c in table.columns if c not in ("period", "csat", "csat_4plus", "csat_responses", "nps", "nps_responses")]
    if not groups:  # assessed for the company only
        return Chart("trend", table, {"value": "csat", "title": text("chart.csat", lang)}, lang)
    by = groups[0]
    return Chart("trend", table[table[by] != "(all)"], {"value": "csat", "by": by, "title": text("chart.csat_by", lang, by=by),
                                                        "highlight": scope}, lang)


def _open_deals(data: SalesData, as_of: pd.Timestamp, n: int = 10, lang: str = "en") -> pd.DataFrame:
    """The largest deals open at ``as_of``, as known then: a deal closed later shows no amount (its final amount came after
    as_of). Without any amount known, the oldest open deals. ``attrs["sized"]`` says which; ``attrs["notes"]`` what is
    missing, in words."""
    from ..money import to_reporting

    o = data.opportunities
    assert o is not None
    live = o[(o["created_at"] <= as_of) & ((o["status"] == "open") | (o["closed_at"] > as_of))].copy()
    amount = to_reporting(live["amount"].to_numpy(float), live["currency"], live["created_at"], data.fx_rates, data.currency)
    later = (live["closed_at"] > as_of).to_numpy()  # its amount is the close's, known only after as_of
    live["_amount"] = np.where(later | (amount <= 0), np.nan, amount)
    sized = bool(live["_amount"].notna().any())
    top = (live.sort_values("_amount", ascending=False, na_position="last") if sized else live.sort_values("created_at")).head(n)

    def shown(ids: pd.Series, table: pd.DataFrame | None, key: str, unknown: str) -> list[str]:
        """Each id's name where the export has one, else the id itself; the catalogue's "(unknown …)" where there is neither."""
        names = table.dropna(subset=["name"]).drop_duplicates(key).set_index(key)["name"] if table is not None and "name" in table.columns \
            else pd.Series(dtype=object)
        return [text(unknown, lang) if pd.isna(i) or str(i).strip() == "" else str(names.get(i, i)) for i in ids]

    columns = {text("col.account", lang): shown(top["account_id"], data.accounts, "account_id", "deck.unknown_account"),
               text("col.owner", lang): shown(top["owner_id"], data.reps, "rep_id", "deck.unknown_owner")}
    if data.has_column("opportunities", "stage") and top["stage"].notna().any():
        columns[text("col.stage", lang)] = [str(v) if pd.notna(v) else "–" for v in top["stage"]]
    if sized:
        columns[text("col.amount", lang)] = [format_money(v, data.currency, compact=True, lang=lang) for v in top["_amount"]]
    columns[text("col.days_open", lang)] = [f"{(as_of - c).days:,}" for c in top["created_at"]]
    out = pd.DataFrame(columns)
    values = out.copy()  # the workbook's: amounts and days as numbers
    if sized:
        values[text("col.amount", lang)] = top["_amount"].to_numpy(float)
    values[text("col.days_open", lang)] = [(as_of - c).days for c in top["created_at"]]
    notes = []
    if not sized and len(live):
        notes.append(text("deck.deals_no_amounts", lang, date=f"{as_of:%Y-%m-%d}"))
    shown_later = int((top["closed_at"] > as_of).sum())  # of the deals listed
    if shown_later:  # open at as_of, closed since: the page is the pipeline as it stood then
        notes.append(text("deck.deals_closed_since", lang, date=f"{as_of:%Y-%m-%d}", n=f"{shown_later:,}"))
        if sized:
            notes.append(text("deck.deals_later", lang, date=f"{as_of:%Y-%m-%d}"))
    out.attrs.update(sized=sized, notes=notes, values=values)
    return out


# ----------------------------------------------------------------------------------------------------------
# rendering
# ----------------------------------------------------------------------------------------------------------


_EMU = 914_400  # per inch
_LEFT, _WIDTH, _BOTTOM = 0.45, 12.4, 7.2  # inches: the content's left edge and width, and where it must end
_INSET_X, _INSET_Y = 0.08, 0.04  # inches: a text box's inner margins
_CELL_X, _CELL_Y = 0.06, 0.03  # inches: a table cell's
_GREY = "#555555"


def _xml_safe(text: Any) -> str:
    return XML_ILLEGAL.sub("", str(text))


def _cjk_family() -> str | None:
    """The installed font the deck names for Hangul (and measures with), or None."""
    try:
        from ..plot import cjk_font
    except ImportError:  # pragma: no cover - matplotlib is needed for the deck anyway
        return None
    return cjk_font()


@dataclass
class _Style:
    """How a paragraph is drawn, and so measured: size (pt), bold, colour, the East Asian font."""

    size: float
    bold: bool = False
    colour: str | None = None
    ea: str | None = None


def _height(paragraphs: list[str], width_in: float, style: _Style, space_after: float = 0.0) -> float:
    """Inches that ``paragraphs`` need in a text box ``width_in`` wide (inner margins included)."""
    from ..formatting import text_height

    inner = (width_in - 2 * _INSET_X) * 72
    return text_height(paragraphs, inner, style.size, bold=style.bold, cjk_font=style.ea, space_after=space_after) / 72 \
        + 2 * _INSET_Y + 0.02


def _runs(paragraph: Any, style: _Style) -> None:
    """Font, size, weight and colour on every run of ``paragraph`` (Latin: Arial; East Asian: the CJK font)."""
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    from ..formatting import LATIN_FONT

    for run in paragraph.runs:
        font = run.font
        font.size, font.bold, font.name = Pt(style.size), style.bold, LATIN_FONT
        if style.colour:
            font.color.rgb = RGBColor.from_string(style.colour.lstrip("#"))
        rpr = run._r.get_or_add_rPr()
        for tag in ("a:ea", "a:cs"):
            old = rpr.find(qn(tag))
            if old is not None:
                rpr.remove(old)
        latin = rpr.find(qn("a:latin"))
        ea = latin.makeelement(qn("a:ea"), {"typeface": style.ea or "Malgun Gothic"})
        latin.addnext(ea)


def _frame(frame: Any, paragraphs: list[str], style: _Style, *, space_after: float = 0.0, align: Any = None,
           inset: tuple[float, float] = (_INSET_X, _INSET_Y)) -> None:
    """Fill a text frame: one paragraph per item, no autofit, word wrap on, the given inner margins."""
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Emu, Pt

    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.margin_left = frame.margin_right = Emu(int(inset[0] * _EMU))
    frame.margin_top = frame.margin_bottom = Emu(int(inset[1] * _EMU))
    for k, item in enumerate(paragraphs):
        para = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        para.text = _xml_safe(item)
        para.line_spacing = 1.0
        para.space_before = Pt(0)
        para.space_after = Pt(space_after if k < len(paragraphs) - 1 else 0)
        if align is not None:
            para.alignment = align
        _runs(para, style)


def _box(slide: Any, left: float, top: float, width: float, paragraphs: list[str], style: _Style, *,
         space_after: float = 0.0, height: float | None = None, align: Any = None) -> float:
    """A text box at (``left``, ``top``), ``width`` wide and as tall as its text (inches); returns its height."""
    from pptx.util import Emu

    need = _height(paragraphs, width, style, space_after)
    tall = max(need, height or 0.0)
    box = slide.shapes.add_textbox(Emu(int(left * _EMU)), Emu(int(top * _EMU)), Emu(int(width * _EMU)), Emu(int(tall * _EMU)))
    _frame(box.text_frame, paragraphs, style, space_after=space_after, align=align)
    return tall


def _fit(paragraphs: list[str], width: float, room: float, sizes: tuple[float, ...], ea: str | None, *,
         space_after: float = 4.0, bold: bool = False) -> float | None:
    """The largest of ``sizes`` at which ``paragraphs`` fit ``room`` inches in a box ``width`` wide, or None."""
    for size in sizes:
        if _height(paragraphs, width, _Style(size, bold, ea=ea), space_after) <= room:
            return size
    return None


@dataclass
class _TableLayout:
    widths: list[float]  # inches
    heights: list[float]  # inches, the header's first
    size: float


def _table_layout(table: pd.DataFrame, width: float, size: float, ea: str | None) -> _TableLayout:
    """Column widths from the measured text (a column as wide as its text where it can be, never narrower than its longest
    word where the table allows), and each row as tall as its wrapped cells."""
    from ..formatting import text_height, text_width

    cells = [[str(c) for c in table.columns], *([str(v) for v in row] for row in table.itertuples(index=False))]
    pad = 2 * _CELL_X
    natural, least = [], []
    for j in range(len(table.columns)):
        column = [(row[j], i == 0) for i, row in enumerate(cells)]
        natural.append(max(text_width(v, size, bold=b, cjk_font=ea) for v, b in column) / 72 + pad + 0.02)
        least.append(max(max((text_width(w, size, bold=b, cjk_font=ea) for w in v.split(" ")), default=0) for v, b in column) / 72 + pad + 0.02)
    total = sum(natural)
    if total <= width:
        widths = [w + (width - total) * w / total for w in natural]
    elif sum(least) < width:
        spare = [n - m for n, m in zip(natural, least, strict=True)]
        widths = [m + (width - sum(least)) * s / sum(spare) for m, s in zip(least, spare, strict=True)]
    else:
        widths = [m * width / sum(least) for m in least]
    heights = []
    for i, row in enumerate(cells):
        need = max(text_height(v, (w - pad) * 72, size, bold=i == 0, cjk_font=ea) for v, w in zip(row, widths, strict=True))
        heights.append(need / 72 + 2 * _CELL_Y + 0.03)
    return _TableLayout(widths, heights, size)


def _add_table(slide: Any, table: pd.DataFrame, left: float, top: float, layout: _TableLayout, rows: range, ea: str | None) -> float:
    """The header and ``rows`` of ``table`` as a PPTX table laid out by ``layout``; returns its height (inches)."""
    from pptx.util import Emu

    heights = [layout.heights[0], *(layout.heights[r + 1] for r in rows)]
    shape = slide.shapes.add_table(len(heights), len(table.columns), Emu(int(left * _EMU)), Emu(int(top * _EMU)),
                                   Emu(int(sum(layout.widths) * _EMU)), Emu(int(sum(heights) * _EMU)))
    grid = shape.table
    for j, w in enumerate(layout.widths):
        grid.columns[j].width = Emu(int(w * _EMU))
    for r, h in zip(grid.rows, heights, strict=True):
        r.height = Emu(int(h * _EMU))
    values = [[str(c) for c in table.columns], *([str(v) for v in table.iloc[r]] for r in rows)]
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            cell = grid.cell(i, j)
            cell.margin_left = cell.margin_right = Emu(int(_CELL_X * _EMU))
            cell.margin_top = cell.margin_bottom = Emu(int(_CELL_Y * _EMU))
            _frame(cell.text_frame, [v], _Style(layout.size, bold=i == 0, ea=ea), inset=(_CELL_X, _CELL_Y))
    return sum(heights)


def _continued(s: Slide, **changes: Any) -> Slide:
    """The next page of a slide that did not fit on one: same title (marked), what is left, no charts."""
    title = text("deck.continued", s.lang, title=s.title) if not s.title.endswith(text("deck.continued", s.lang, title="")) else s.title
    base: dict[str, Any] = {"title": title, "subtitle": "", "charts": [], "bullets": [], "table": None, "notes": [], "lang": s.lang,
                            "key": s.key, "figures": []}
    base.update(changes)
    return Slide(**base)


def _pptx_page(prs: Any, s: Slide, plot: Any, ea: str | None) -> Slide | None:
    """Draw one page of ``s``; returns what did not fit (for a continuation page), or None."""
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Inches

    from ._native import add_native_chart

    slide = prs.slides.add_slide(prs.slide_layouts[5])
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = Inches(0.4), Inches(0.15), Inches(12.5), Inches(0.85)
    size = _fit([s.title], 12.5, 0.85, (28, 26, 24, 22, 20, 18), ea, space_after=0) or 18
    _frame(title.text_frame, [s.title], _Style(size, ea=ea), align=PP_ALIGN.CENTER)
    y = 1.0
    if s.subtitle:
        sub = _fit([s.subtitle], _WIDTH, 0.62, (13, 12, 11), ea) or 11
        y += _box(slide, _LEFT, y, _WIDTH, [s.subtitle], _Style(sub, colour=_GREY, ea=ea), align=PP_ALIGN.CENTER) + 0.05
    body = _Style(12 if s.charts else 14, ea=ea)
    note_style = _Style(10, colour=_GREY, ea=ea)
    notes_h = _height(s.notes, _WIDTH, note_style, 2) if s.notes else 0.0
    bullets_h = _height(["• " + b for b in s.bullets], _WIDTH, _Style(10.5, ea=ea), 4) + 0.05 if s.bullets else 0.0
    text_h = bullets_h + notes_h
    top = Inches(y)
    if s.charts:
        space = _BOTTOM - y - (0.1 if (s.bullets or s.notes or s.table is not None) else 0.0)
        want = 4.2 if (s.bullets or s.table is not None or s.notes) else 5.6
        chart_h = Emu(int(min(want, max(2.9, space - text_h)) * _EMU))
        if len(s.charts) == 1 and s.charts[0].name == "scorecard":  # a table: the height of its rows, as far as the page allows
            chart_h = Emu(int(min(0.55 + 0.3 * (len(s.charts[0].frame) + 1), max(1.0, space - text_h)) * _EMU))
        width = Inches(12.4) / max(1, len(s.charts))
        for j, chart in enumerate(s.charts):
            if add_native_chart(slide, chart, Inches(0.45) + Emu(int(width * j)), top, Emu(int(width)), chart_h):
                continue  # editable, with its data (reports/_native.py); an image where there is no native form
            ax = chart.draw(plot)
            fig = ax.figure
            fig.set_size_inches(12.4 / len(s.charts), chart_h / _EMU)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=150)
            buf.seek(0)
            slide.shapes.add_picture(buf, Inches(0.45) + Emu(int(width * j)), top, width=Emu(int(width)))
        y += chart_h / _EMU + 0.1
    if s.table is not None and len(s.table.columns):
        room = _BOTTOM - y
        layouts = [_table_layout(s.table, _WIDTH, sz, ea) for sz in (12, 11, 10)]
        under = (bullets_h + notes_h + 0.12) if (s.bullets or s.notes) else 0.0  # what must fit under the table too
        layout = next((lay for lay in layouts if sum(lay.heights) + under <= room),
                      next((lay for lay in layouts if sum(lay.heights) <= room), layouts[-1]))
        n, used = 0, layout.heights[0]
        while n < len(s.table) and used + layout.heights[n + 1] <= room:
            used += layout.heights[n + 1]
            n += 1
        if n == 0 and len(s.table) and y > 2.0:  # not one row fits under the charts: the table starts the next page
            return _continued(s, table=s.table, bullets=s.bullets, notes=s.notes)
        n = max(n, 1 if len(s.table) else 0)
        y += _add_table(slide, s.table, _LEFT, y, layout, range(n), ea) + 0.12
        if n < len(s.table):
            return _continued(s, table=s.table.iloc[n:].reset_index(drop=True), bullets=s.bullets, notes=s.notes)
    if s.bullets:
        room = _BOTTOM - y - (notes_h + 0.05 if s.notes else 0.0)
        items = ["• " + b for b in s.bullets]
        fitted = _fit(items, _WIDTH, room, tuple(x for x in (body.size, 13, 12, 11, 10) if x <= body.size), ea)
        if fitted is None:  # not even at 10 pt: as many bullets as fit here, the rest on the next page
            keep = 0
            while keep < len(items) and _height(items[: keep + 1], _WIDTH, _Style(10, ea=ea), 4) <= room:
                keep += 1
            if keep == 0 and y > 2.0:
                return _continued(s, bullets=s.bullets, notes=s.notes)
            keep = max(keep, 1)
            y += _box(slide, _LEFT, y, _WIDTH, items[:keep], _Style(10, ea=ea), space_after=4)
            return _continued(s, bullets=s.bullets[keep:], notes=s.notes)
        y += _box(slide, _LEFT, y, _WIDTH, items, _Style(fitted, ea=ea), space_after=4) + 0.05
    if s.notes:
        if y + notes_h > _BOTTOM + 1e-9:
            return _continued(s, notes=s.notes)
        _box(slide, _LEFT, y, _WIDTH, s.notes, note_style, space_after=2)
    return None


def _pptx(slides: list[Slide], path: Path, progress: Progress | None) -> None:
    import_optional("pptx", "deck")
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches

    from .. import plot

    ea = _cjk_family()
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    for i, s in enumerate(slides):
        if progress:
            progress(f"slide {i + 1}")
        if i == 0:
            slide = prs.slides.add_slide(prs.slide_layouts[0])
            title, sub = slide.shapes.title, slide.placeholders[1]
            title.left, title.top, title.width, title.height = Inches(0.9), Inches(2.0), Inches(11.5), Inches(1.6)
            sub.left, sub.top, sub.width, sub.height = Inches(0.9), Inches(3.8), Inches(11.5), Inches(1.3)
            size = _fit([s.title], 11.5, 1.6, (40, 36, 32, 28, 24), ea, space_after=0) or 24
            _frame(title.text_frame, [s.title], _Style(size, ea=ea), align=PP_ALIGN.CENTER)
            size = _fit([s.subtitle], 11.5, 1.3, (20, 18, 16, 14), ea, space_after=0) or 14
            _frame(sub.text_frame, [s.subtitle], _Style(size, colour="#7F7F7F", ea=ea), align=PP_ALIGN.CENTER)
            continue
        page: Slide | None = s
        while page is not None:
            page = _pptx_page(prs, page, plot, ea)
    prs.save(str(path))


_CSS = """
body{font-family:Arial,Helvetica,sans-serif;margin:0;color:#222;background:#f6f6f6}
section{background:#fff;margin:24px auto;max-width:1200px;padding:24px 32px;border-radius:6px;box-shadow:0 1px 3px #0002}
h1{font-size:32px;margin:0 0 8px} h2{font-size:24px;margin:0 0 4px} .sub{color:#555;margin:0 0 16px}
.charts{display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(480px,1fr))} .chart{min-width:0;overflow:hidden}
table{border-collapse:collapse;font-size:14px;margin-top:8px} th,td{border-bottom:1px solid #ddd;padding:6px 10px;text-align:left;vertical-align:top}
th{background:#0072B2;color:#fff} li{margin:6px 0;line-height:1.4} .notes{color:#555;font-size:13px;margin-top:12px}
h3{font-size:16px;margin:12px 0 4px}
"""


def _safe_json(obj: Any) -> str:
    """JSON that cannot end a <script> element or open a comment, whatever strings the data holds."""
    text = obj if isinstance(obj, str) else json.dumps(obj)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _fill(colour: str | None) -> str:
    """A table cell's background as an HTML attribute (the attainment colours), or nothing."""
    return f" style='background:{colour}'" if colour and re.fullmatch(r"#[0-9A-Fa-f]{6}", colour) else ""


def _html(slides: list[Slide], path: Path, progress: Progress | None) -> None:
    import_optional("plotly", "plotly")
    from plotly.offline import get_plotlyjs

    from .. import interactive as splot
    from ..formatting import scorecard_cells

    esc = html.escape
    lang = slides[0].lang
    parts = [f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>",
             f"<title>{esc(slides[0].title)}</title><style>{_CSS}</style>",
             f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"]
    n = 0
    for i, s in enumerate(slides):
        if progress:
            progress(f"page {i + 1}")
        tag = "h1" if i == 0 else "h2"
        parts.append(f"<section><{tag}>{esc(s.title)}</{tag}>")
        if s.subtitle:
            parts.append(f"<p class='sub'>{esc(s.subtitle)}</p>")
        grids = [c for c in s.charts if c.name == "scorecard"]  # a table: an HTML table, as the PPTX draws a native one
        for chart in grids:
            names, cells, fills = scorecard_cells(chart.frame, chart.currency or "USD", chart.lang)
            title = text("chart.scorecard", chart.lang, period=chart.frame["period"].iloc[0] if len(chart.frame) else "")
            rows_html = "".join("<tr>" + "".join(f"<td{_fill(fill) if j == len(row) - 1 else ''}>{esc(str(v))}</td>"
                                                 for j, v in enumerate(row)) + "</tr>" for row, fill in zip(cells, fills, strict=True))
            parts.append(f"<h3>{esc(title)}</h3><table><thead><tr>{''.join(f'<th>{esc(h)}</th>' for h in names)}</tr></thead>"
                         f"<tbody>{rows_html}</tbody></table>")
        drawn = [c for c in s.charts if c.name != "scorecard"]
        if drawn:
            parts.append("<div class='charts'>")
            for chart in drawn:
                fig = chart.draw(splot)
                n += 1
                div = f"chart-{n}"
                spec = _safe_json(fig.to_json())
                parts.append(f"<div class='chart' id='{div}'></div><script>(function(){{var f={spec};f.layout.autosize=true;"
                             f"delete f.layout.width;Plotly.newPlot('{div}',f.data,f.layout,{{responsive:true,displaylogo:false}});}})();</script>")
            parts.append("</div>")
        if s.table is not None:  # as on the slide: the table, then the bullets under it
            head = "".join(f"<th>{esc(str(c))}</th>" for c in s.table.columns)
            body = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>" for row in s.table.itertuples(index=False))
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        if s.bullets:
            parts.append("<ul>" + "".join(f"<li>{esc(b)}</li>" for b in s.bullets) + "</ul>")
        if s.notes:
            parts.append("<div class='notes'>" + "".join(f"<p>{esc(note)}</p>" for note in s.notes) + "</div>")
        parts.append("</section>")
    parts.append("<script>window.addEventListener('load',function(){document.querySelectorAll('.js-plotly-plot')"
                 ".forEach(function(d){Plotly.Plots.resize(d);});});</script></body></html>")
    path.write_text("".join(parts), encoding="utf-8")


@data_first("data")
def report(
    data: SalesData,
    /,
    *,
    quarter: Any = None,
    out: str | Path | list[str | Path] = "review.pptx",
    org: str | OrgDesign = "process",
    progress: Progress | None = None,
    lang: str = "en",
    as_of: Any = None,
    reorg_at: Any = None,
    reorg_control: Sequence[str] | None = None,
    reorg_by: str = "team",
    locale: str | None = None,
) -> list[Path]:
    """Build the quarterly reorg review as PPTX and/or self-contained HTML.

    Pages: title; headline KPIs against targets; the five signs, then one page per sign with its
    evidence chart and advice; revenue bridge and retention; funnel and SLA; pipeline; the largest open
    deals; unit economics; team scorecards under the chosen org design; next quarter's reverse-funnel
    plan; data quality (tables, date ranges, quarantined rows with their share and top reasons,
    references to ids the export does not hold, and what set ``as_of``); a glossary of the KPIs shown.
    A sign that could not be assessed says so, why, and what to add, on its page and in the overview;
    it is never shown as "no sign".

    Every figure comes from one KPI of ``salesmetrics.KPIS``, computed once per quarter and shown the
    same way on every page; a value whose period or cohort was still in progress at ``as_of`` is
    marked †. Text is measured with the fonts the PPTX names (Arial, and an installed CJK font for
    Hangul) so that it fits its box; a list or table too long for a slide continues on the next.

    Parameters
    ----------
    data : SalesData
    quarter : str, optional
        "2025Q3"; default: the last complete quarter at ``as_of``.
    out : path or list of paths
        ``.pptx`` (native PowerPoint charts with their data, editable; images for the waterfall and heatmap), ``.xlsx`` (every table behind the deck; needs openpyxl) and/or ``.html`` (plotly.js
        embedded, so it opens offline).
    org : "process", "functional", "assigned" or an OrgDesign
        "assigned": the teams in force at ``as_of``, from the bundle's assignments (:meth:`~salesmetrics.OrgDesign.at`).
    progress : callable, optional
        Called with the name of each step (the command line draws a progress bar with it).
    lang : {"en", "ko"}
        The language of every title, label, finding and recommendation (``salesmetrics/locales``).
    as_of : date or time stamp, optional
        The reporting date (default: the data's ``as_of``, its latest event). The default quarter is the
        last complete one at it, and every figure is computed at the quarter's end or at ``as_of``,
        whichever comes first, so that nothing after ``as_of`` counts. A date is midnight at its start,
        in the bundle's time zone.
    reorg_at : date, optional
        A reorg's date: adds "Did the reorg work?" after the signs (:func:`salesmetrics.reorg_impact` with its
        defaults: six months each side, the untouched teams as controls when the bundle has assignments).
    reorg_control : list of str, optional
        The teams the reorg did not touch, for a bundle without assignments (``control=`` of
        :func:`salesmetrics.reorg_impact`); without either, the page's changes are not net of the market.
    reorg_by : str, default "team"
        The grouping of the reorg page (``by=`` of :func:`salesmetrics.reorg_impact`): "team", "role",
        "manager_id" or a column of the deals (a segment, say) for an export without teams.
    locale : str, optional
        A CLDR locale ("de_DE") for the figures of the tables and text: separators, symbols, compact forms
        (2,01 Mio. $); the words stay ``lang``'s, the charts' axes too. Needs the ``[cldr]`` extra (babel).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import salesmetrics as sm
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in sm.report(sm.load_sample(), quarter="2025Q3", out=folder / "review.html")]
    ['review.html']
    """
    paths = [Path(p) for p in (out if isinstance(out, list) else [out])]
    for p in paths:
        if p.suffix.lower() not in (".pptx", ".html", ".htm", ".xlsx"):
            raise ValueError(f"out must end in .pptx or .html (or .xlsx for the tables behind the deck), got {p.name!r}.")
    slides = review(data, quarter=quarter, org=org, progress=progress, lang=lang, as_of=as_of, reorg_at=reorg_at,
                    reorg_control=reorg_control, reorg_by=reorg_by, locale=locale)
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.suffix.lower() == ".xlsx":  # the tables behind the slides, typed (reports/export.py)
            write_review(slides, p, data, *_quarter(data, quarter, as_of), progress=progress)
            continue
        (_pptx if p.suffix.lower() == ".pptx" else _html)(slides, p, progress)
    return paths
